"""Queued emails say why they wait and when they go: `outbox`, `sweep` and the demo's summary."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bot.cli.main import app
from bot.core.models import OutboxMessage, School
from bot.core.outbox import EmailDraft, Urgency, enqueue_email
from bot.core.outbox.waiting import Waiting, Why, pending_summary, when_words, why_waiting

NOW = datetime(2026, 11, 23, 6, 30, tzinfo=UTC)  # Monday, 06:30 in London: before the window


def test_a_message_held_for_the_sending_window_says_when_it_goes() -> None:
    window = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    reason, goes = why_waiting("email", window, 0, {}, NOW)
    assert str(reason) == "for the school's sending window" and goes == window
    assert when_words(window, NOW) == "today at 08:00"
    assert when_words(window + timedelta(days=1), NOW) == "tomorrow at 08:00"
    assert when_words(window + timedelta(days=4), NOW) == "Fri 27 Nov at 08:00"
    assert Waiting(reason, 12, goes).sentence(NOW) == (
        "12 wait for the school's sending window: they go today at 08:00."
    )
    assert Waiting(reason, 1, goes).sentence(NOW) == (
        "1 waits for the school's sending window: it goes today at 08:00."
    )


def test_a_retried_message_and_a_due_one_say_so() -> None:
    later = NOW + timedelta(minutes=4)
    reason, goes = why_waiting("email", later, 2, {}, NOW)
    assert str(reason).startswith("to be tried again (tried 2 times") and goes == later
    assert why_waiting("email", NOW - timedelta(minutes=1), 0, {}, NOW) == (Why(), None)
    assert "at the next delivery run" in Waiting(Why(), 3, None).sentence(NOW)


def _queue_for_the_window(ctx: Any, when: datetime, n: int) -> None:
    with ctx.store.transaction() as session:
        session.merge(School(id="s", name="S"))
        for i in range(n):
            draft = EmailDraft(to=(f"p{i}@x.org",), subject=f"Reminder {i}", text="t", html="h")
            enqueue_email(
                session,
                school_id="s",
                key=f"w{i}",
                purpose="reminder",
                urgency=Urgency.ROUTINE,
                draft=draft,
                not_before=when,
            )


def test_outbox_explains_each_waiting_message(
    school: Any, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = school.context(sqlite_url)
    tomorrow_8 = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    _queue_for_the_window(ctx, tomorrow_8, 3)
    with ctx.store.session() as session:
        summary = pending_summary(session, datetime.now(UTC))
        assert [(str(w.reason), w.count) for w in summary] == [
            ("for the school's sending window", 3)
        ]
        assert session.query(OutboxMessage).count() == 3
    monkeypatch.setenv("COMPLIANCE_BOT_HOME", str(ctx.settings.home))
    monkeypatch.setenv("COMPLIANCE_BOT_DATABASE_URL", sqlite_url)
    result = CliRunner().invoke(app, ["outbox"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Why these have not gone yet" in result.output
    lines = [x for x in result.output.splitlines() if "waits for the school's sending window" in x]
    assert len(lines) == 3
    assert all("it goes tomorrow at" in x for x in lines)
    ctx.store.dispose()


@pytest.mark.slow
def test_demo_links_use_the_port_it_serves_on(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["demo", "--once", "--port", "8151"])
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:8151" in result.output
    links: list[str] = []
    for path in (tmp_path / ".compliance-bot-demo" / "outbox").glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for part in message.walk():
            if part.get_content_type() in ("text/plain", "text/html"):
                links += re.findall(r"http://[\w.:-]+", part.get_content())
    assert links
    assert {link.rsplit(":", 1)[-1] for link in links} == {"8151"}
