"""The outbox: never lost, never sent twice — against a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import email
import email.policy
import subprocess
import sys
import textwrap
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from bot.core.models import OutboxMessage, utcnow
from bot.core.outbox import EmailDraft, dispatch, enqueue_email
from bot.core.store import Store
from connectors.base import (
    DeliveryUnknownError,
    OutgoingEmail,
    PermanentError,
    RetryableError,
    SendResult,
)
from connectors.local.connector import EmlMailer, SmtpMailer
from connectors.mime import KEY_HEADER
from tests.conftest import free_port
from tests.support.paths import REPO


class Inbox:
    """aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, email.message.EmailMessage)
        self.messages.append(parsed)
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def _store(url: str) -> Store:
    store = Store(url)
    store.upgrade()
    from bot.core.models import School

    with store.transaction() as session:
        session.add(School(id="s", name="S"))
    return store


def _queue(store: Store, n: int) -> None:
    with store.transaction() as session:
        for i in range(n):
            draft = EmailDraft(to=(f"p{i}@x.org",), subject=f"Subject {i}", text=f"text {i}",
                               html=f"<p>html {i}</p>")
            assert enqueue_email(session, school_id="s", key=f"k{i}", purpose="test", draft=draft)


def test_same_key_is_queued_once(database_url: str) -> None:
    store = _store(database_url)
    _queue(store, 1)
    with store.transaction() as session:
        again = enqueue_email(session, school_id="s", key="k0", purpose="test",
                              draft=EmailDraft(("x@x.org",), "s", "t", "h"))
        assert again is False
        assert len(session.scalars(select(OutboxMessage)).all()) == 1
    store.dispose()


def test_smtp_delivery_is_multipart_and_once(smtp: tuple[Inbox, int], database_url: str) -> None:
    inbox, port = smtp
    store = _store(database_url)
    _queue(store, 3)
    mailer = SmtpMailer("127.0.0.1", port, "bot@x.org", security="none")
    stats = dispatch(store, mailer, None)
    assert stats.sent == 3
    assert dispatch(store, mailer, None).sent == 0
    assert sorted(m[KEY_HEADER] for m in inbox.messages) == ["k0", "k1", "k2"]
    first = inbox.messages[0]
    assert first.get_content_type() == "multipart/alternative"
    assert first.get_body(("plain",)) is not None and first.get_body(("html",)) is not None
    store.dispose()


class Scripted:
    """A mailer whose answers are scripted: SendResult or an exception per call."""

    def __init__(self, outcomes: list[Any]) -> None:
        self.outcomes = outcomes
        self.calls: list[str] = []

    def send(self, message: OutgoingEmail) -> SendResult:
        self.calls.append(message.idempotency_key)
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return SendResult("id")


def test_permanent_fails_and_unknown_is_never_resent(sqlite_url: str) -> None:
    store = _store(sqlite_url)
    _queue(store, 3)
    mailer = Scripted([PermanentError("bad address"), DeliveryUnknownError("504"),
                       SendResult("ok")])
    now = utcnow()
    stats = dispatch(store, mailer, None, now=lambda: now)
    assert (stats.sent, stats.failed, stats.delivery_unknown) == (1, 1, 1)
    later = dispatch(store, mailer, None, now=lambda: now + timedelta(days=1))
    assert later.sent == later.failed == later.delivery_unknown == 0
    assert Counter(mailer.calls) == {"k0": 1, "k1": 1, "k2": 1}
    with store.session() as session:
        states = dict(session.execute(select(OutboxMessage.idempotency_key,
                                             OutboxMessage.status)).all())
    assert states == {"k0": "failed", "k1": "delivery_unknown", "k2": "sent"}
    store.dispose()


def test_retryable_waits_and_pauses_the_channel_for_the_pass(sqlite_url: str) -> None:
    """A 429 costs the throttled row one attempt; the rows behind it are not even claimed."""
    store = _store(sqlite_url)
    _queue(store, 3)
    mailer = Scripted([RetryableError("429", retry_after=120)])
    now = utcnow()
    stats = dispatch(store, mailer, None, now=lambda: now)
    assert (stats.retry_later, stats.sent) == (1, 0)
    assert mailer.calls == ["k0"]
    with store.session() as session:
        attempts = dict(session.execute(select(OutboxMessage.idempotency_key,
                                               OutboxMessage.attempts)).all())
    assert attempts == {"k0": 1, "k1": 0, "k2": 0}
    # the others go at the next pass; the throttled one only once Retry-After has passed
    mailer.outcomes = [SendResult("ok"), SendResult("ok")]
    assert dispatch(store, mailer, None, now=lambda: now + timedelta(seconds=60)).sent == 2
    mailer.outcomes = [SendResult("ok")]
    assert dispatch(store, mailer, None, now=lambda: now + timedelta(seconds=121)).sent == 1
    assert Counter(mailer.calls) == {"k0": 2, "k1": 1, "k2": 1}
    store.dispose()


def test_a_connector_bug_never_loses_the_row(sqlite_url: str) -> None:
    store = _store(sqlite_url)
    _queue(store, 1)
    stats = dispatch(store, Scripted([ZeroDivisionError()]), None)
    assert stats.delivery_unknown == 1
    store.dispose()


CRASHER = textwrap.dedent("""
    import os, sys
    from bot.core.outbox import dispatch
    from bot.core.store import Store
    from connectors.local.connector import EmlMailer, SmtpMailer

    url, mode, port, folder, crash_after = sys.argv[1:6]
    inner = (SmtpMailer("127.0.0.1", int(port), "bot@x.org", security="none") if mode == "smtp"
             else EmlMailer(__import__("pathlib").Path(folder), "bot@x.org"))

    class Dying:
        idempotent = getattr(inner, "idempotent", False)
        sent = 0
        def send(self, message):
            result = inner.send(message)
            Dying.sent += 1
            if Dying.sent == int(crash_after):
                os._exit(9)  # killed after the provider accepted, before we recorded it
            return result

    dispatch(Store(url), Dying(), None)
""")


@pytest.mark.parametrize("mode", ["smtp", "eml"])
def test_killed_mid_dispatch_then_restarted_sends_no_duplicate(
    mode: str, smtp: tuple[Inbox, int], sqlite_url: str, tmp_path: Path
) -> None:
    inbox, port = smtp
    store = _store(sqlite_url)
    _queue(store, 6)
    folder = tmp_path / "outbox"
    script = tmp_path / "crasher.py"
    script.write_text(CRASHER, encoding="utf-8")
    proc = subprocess.run([sys.executable, str(script), sqlite_url, mode, str(port), str(folder),
                           "3"], capture_output=True, text=True, check=False,
                          cwd=REPO)
    assert proc.returncode == 9, proc.stderr
    # restart after the stale window
    later = utcnow() + timedelta(minutes=20)
    mailer = (SmtpMailer("127.0.0.1", port, "bot@x.org", security="none") if mode == "smtp"
              else EmlMailer(folder, "bot@x.org"))
    dispatch(store, mailer, None, now=lambda: later)
    with store.session() as session:
        states = Counter(session.scalars(select(OutboxMessage.status)).all())
    if mode == "smtp":
        keys = [m[KEY_HEADER] for m in inbox.messages]
        assert len(keys) == len(set(keys)) == 6  # each delivered exactly once
        assert states == {"sent": 5, "delivery_unknown": 1}  # the interrupted one is flagged
    else:
        assert len(list(folder.glob("*.eml"))) == 6  # idempotent writer: safely retried
        assert states == {"sent": 6}
    store.dispose()


def test_outbox_command_says_why_a_message_waits(
    school: Any, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from bot.cli.main import app
    from bot.core.models import School
    from connectors.base import SetupError

    ctx = school.context(sqlite_url)
    store = ctx.store
    with store.transaction() as session:
        session.add(School(id="s", name="S"))
    _queue(store, 2)
    now = utcnow()
    mailer = Scripted([SetupError("mail paused: getting a token failed: AADSTS7000222",
                                  retry_after=900)])
    dispatch(store, mailer, None, now=lambda: now)
    monkeypatch.setenv("COMPLIANCE_BOT_HOME", str(ctx.settings.home))
    monkeypatch.setenv("COMPLIANCE_BOT_DATABASE_URL", sqlite_url)
    result = CliRunner().invoke(app, ["outbox"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Why these are not delivered" in result.output
    assert "pending (next try" in result.output and "AADSTS7000222" in result.output
    store.dispose()
