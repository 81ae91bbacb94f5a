"""The dashboard says when messages may not have arrived (or were refused), plainly, without
their contents — and never reveals a message about a report on the headteacher."""

from __future__ import annotations

import re

from sqlalchemy import select

from bot.core.models import OutboxMessage, ReportClock
from bot.core.outbox import EmailDraft, Urgency, enqueue_email
from bot.features.dashboard.figures import read_figures
from tests.features.dashboard.test_support import TODAY, Env

pytest_plugins = ("tests.features.dashboard.test_support",)  # the env and frozen fixtures

SUBJECT = "UNIQUE-SUBJECT-1618"


def _row(env: Env, key: str, purpose: str, status: str) -> int:
    with env.context.store.transaction() as session:
        enqueue_email(
            session,
            school_id="oak",
            key=key,
            purpose=purpose,
            urgency=Urgency.ROUTINE,
            draft=EmailDraft(("amy@oak.example",), SUBJECT, "t", "h"),
        )
        row = session.scalars(
            select(OutboxMessage).where(OutboxMessage.idempotency_key == key)
        ).one()
        row.status = status
        return row.id


def _troubled(env: Env) -> dict[str, int]:
    with env.context.store.session() as session:
        clock = session.scalars(
            select(ReportClock).where(ReportClock.kind == "ico")  # CR-2026-0002, not the head's
        ).one()
    return {
        "reminder": _row(env, "reminder:1", "reminder", "delivery_unknown"),
        "review": _row(env, "governors:1", "governor_review", "failed"),
        "escalation": _row(
            env, f"report-escalation:oak:{clock.id}:1", "report_escalation", "delivery_unknown"
        ),
        # CR-2026-0003 is about the headteacher: its messages never reach her figures
        "about_head": _row(
            env, "report-alert:oak:CR-2026-0003", "report_alert", "delivery_unknown"
        ),
    }


def test_the_dashboard_lists_messages_that_may_not_have_arrived(env: Env) -> None:
    ids = _troubled(env)
    page = env.client("head@oak.example").get("/dashboard").text
    assert '<a href="#messages">1 message could not be delivered</a>' in page
    assert '<a href="#messages">2 messages may not have arrived</a>' in page
    section = re.search(r'<section[^>]*id="messages".*?</section>', page, re.S)
    assert section is not None
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", section.group(0)))
    assert "2 messages may not have arrived." in text
    assert "did not confirm them" in text and "nobody gets the same message twice" in text
    assert "1 message could not be delivered." in text
    assert "check the sending mailbox's Sent Items" in text
    assert "Reminder to a member of staff" in text and "Not confirmed" in text
    assert "Policy review digest" in text and "Refused" in text
    assert "Report deadline alert to the safeguarding team" in text
    for shown in ("reminder", "review", "escalation"):
        assert f'data-message="{ids[shown]}"' in page
    assert f'data-message="{ids["about_head"]}"' not in page
    assert "New report" not in text and "CR-2026-0003" not in page
    assert SUBJECT not in page and "amy@oak.example" not in text  # never what, nor to whom


def test_figures_leave_out_only_messages_about_the_heads_report(env: Env) -> None:
    _troubled(env)
    with env.context.store.session() as session:
        figures = read_figures(session, "oak", TODAY)
    assert (figures.messages_unknown, figures.messages_failed) == (2, 1)
    assert [m.state for m in figures.messages] == ["Not confirmed", "Refused", "Not confirmed"]


def test_no_section_when_every_message_arrived(env: Env) -> None:
    page = env.client("head@oak.example").get("/dashboard").text
    assert 'id="messages"' not in page and "may not have arrived" not in page
