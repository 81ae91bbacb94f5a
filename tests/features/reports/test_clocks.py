"""Report clocks across weekends and the clock changes; escalations go once each, then repeat
on a cap (the rules one by one: ``test_clock_rules``)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from bot.core.config import SchoolConfig
from bot.core.models import AuditEvent, ReportClock
from bot.engine.sweep import run_sweep
from bot.features.reports.actions import record_referral
from bot.features.reports.clocks import escalate_clocks
from bot.features.reports.rules import clock_due
from bot.features.reports.step import report_sweep
from tests.features.reports.test_support import Env, env_fixture, submission  # noqa: F401
from tests.support.helpers import step_context

LONDON = ZoneInfo("Europe/London")


def london(*args: int) -> datetime:
    """A London wall-clock time as an aware UTC instant."""
    return datetime(*args, tzinfo=LONDON).astimezone(UTC)  # type: ignore[misc]


def school(**extra: object) -> SchoolConfig:
    """A minimal school configuration."""
    return SchoolConfig.model_validate(
        {"id": "oak", "name": "Oak", "headteacher": "head@oak.example", **extra}
    )


# --------------------------------------------------------------------------- pure clocks


@pytest.mark.parametrize(
    ("started", "expected", "why"),
    [
        # Friday before the October change (25 Oct 2026): Monday, same wall-clock time
        (london(2026, 10, 23, 15, 0), london(2026, 10, 26, 15, 0), "weekend + clock change"),
        (london(2026, 10, 24, 11, 0), london(2026, 10, 26, 11, 0), "reported on a Saturday"),
        (london(2026, 10, 21, 9, 5), london(2026, 10, 22, 9, 5), "midweek"),
        (london(2026, 3, 27, 16, 45), london(2026, 3, 30, 16, 45), "weekend + March change"),
    ],
)
def test_lado_is_the_next_working_day_at_the_same_time(
    started: datetime, expected: datetime, why: str
) -> None:
    due = clock_due("lado", started, school())
    assert due == expected, why
    assert due.astimezone(LONDON).time() == started.astimezone(LONDON).time()


def test_lado_over_the_october_change_is_73_real_hours() -> None:
    started = london(2026, 10, 23, 15, 0)  # 14:00 UTC (BST)
    due = clock_due("lado", started, school())
    assert due == datetime(2026, 10, 26, 15, 0, tzinfo=UTC)  # 15:00 GMT
    assert due - started == timedelta(hours=73)


def test_ico_is_exactly_72_calendar_hours_across_the_october_change() -> None:
    started = london(2026, 10, 23, 10, 0)  # Friday 10:00 BST = 09:00 UTC
    due = clock_due("ico", started, school())
    assert due - started == timedelta(hours=72)
    assert due == datetime(2026, 10, 26, 9, 0, tzinfo=UTC)
    assert due.astimezone(LONDON).hour == 9  # the wall clock went back an hour
    # weekends and holidays do not pause it
    half_term = [date(2026, 10, 26) + timedelta(days=i) for i in range(5)]
    assert clock_due("ico", started, school(holidays=half_term)) == due


def test_ico_across_the_march_change() -> None:
    started = london(2026, 3, 27, 10, 0)  # GMT
    due = clock_due("ico", started, school())
    assert due - started == timedelta(hours=72)
    assert due.astimezone(LONDON).hour == 11  # BST


# --------------------------------------------------------------------------- escalations


def _escalations(env: Env) -> list[str]:
    return [m.idempotency_key for m in env.outbox("report_escalation")]


def test_escalations_go_once_each_through_the_real_sweep(env: Env) -> None:
    """A staff allegation on the Friday before the October change, swept over the weekend."""
    started = london(2026, 10, 23, 15, 0)
    secret = "UNIQUE-ALLEGATION-TEXT-4711"
    ref = env.store_report(
        submission(category="staff_concern", what_happened=secret, involved=(("staff", "Mr X"),)),
        started,
    )
    context = env.context
    sent_per_sweep = []
    moments = [
        datetime(2026, 10, 24, 12, 0, tzinfo=UTC),  # 30%: nothing
        datetime(2026, 10, 25, 6, 0, tzinfo=UTC),  # 55%: half-time reminder
        datetime(2026, 10, 25, 7, 0, tzinfo=UTC),  # again: nothing new
        datetime(2026, 10, 26, 8, 0, tzinfo=UTC),  # 90%
        datetime(2026, 10, 26, 8, 15, tzinfo=UTC),  # again: nothing new
        datetime(2026, 10, 26, 15, 30, tzinfo=UTC),  # overdue
        datetime(2026, 10, 27, 9, 0, tzinfo=UTC),  # still overdue: nothing new
    ]
    for moment in moments:
        before = len(_escalations(env))
        with time_machine.travel(moment, tick=False):
            results, _ = run_sweep(
                context.store,
                context.settings,
                context.config,
                context.connectors,
                now=moment,
                deliver=False,
            )
        assert results[0].extra.get("report_escalations", 0) == len(_escalations(env)) - before
        sent_per_sweep.append(len(_escalations(env)) - before)
    assert sent_per_sweep == [0, 1, 0, 1, 0, 1, 0]
    rows = env.outbox("report_escalation")
    assert len({r.idempotency_key for r in rows}) == 3
    team = ["dsl@oak.example", "deputy@oak.example", "head@oak.example"]
    assert [row.recipients for row in rows] == [team, team, [*team, "chair@oak.example"]]
    for row in rows:
        assert ref in row.subject
        for part in (row.subject, row.payload["text"], row.payload["html"]):
            assert secret not in part and "Mr X" not in part and "Pat Parent" not in part
    assert "passed" in rows[-1].subject
    with context.store.session() as session:
        clock = session.scalar(select(ReportClock))
        assert clock is not None and clock.escalations_sent == 3
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "report.clock_escalated")
        ).all()
        assert [e.details["stage"] for e in events] == [1, 2, 3]


def test_a_late_sweep_sends_only_the_latest_stage(env: Env) -> None:
    started = london(2026, 10, 23, 10, 0)
    env.store_report(submission(category="data_breach"), started)
    with env.context.store.transaction() as session:
        planned = escalate_clocks(
            session, env.school, started + timedelta(hours=80), base_url=lambda: "", write=True
        )
    assert [p.stage for p in planned] == [3]
    rows = env.outbox("report_escalation")
    assert len(rows) == 1
    assert "dpo@oak.example" in rows[0].recipients  # ICO: the DPO hears too


def test_dry_run_plans_but_records_nothing(env: Env) -> None:
    started = london(2026, 10, 23, 10, 0)
    env.store_report(submission(category="data_breach"), started)
    with env.context.store.transaction() as session:
        counts = report_sweep(
            step_context(
                env.context,
                session,
                env.school,
                started + timedelta(hours=40),
                today=date(2026, 10, 26),
                write=False,
            )
        )
    assert counts["report_escalations"] == 1
    assert env.outbox("report_escalation") == []
    with env.context.store.session() as session:
        assert session.scalar(select(ReportClock.escalations_sent)) == 0


def test_a_stopped_clock_is_not_escalated(env: Env) -> None:
    started = london(2026, 10, 23, 15, 0)
    ref = env.store_report(submission(category="staff_concern"), started)
    with env.context.store.transaction() as session:
        from bot.core.models import Report

        report = session.scalar(select(Report).where(Report.reference == ref))
        assert report is not None
        stopped = record_referral(
            session,
            report,
            actor="dsl@oak.example",
            target="lado",
            outcome="referred",
            text="Spoke to the LADO, ref L-1",
            reason=None,
            now=started + timedelta(hours=2),
        )
        assert stopped == ["lado"]
    with env.context.store.transaction() as session:
        planned = escalate_clocks(
            session, env.school, started + timedelta(days=5), base_url=lambda: "", write=True
        )
    assert planned == []


def test_report_about_the_head_escalates_to_the_chair_not_the_head(env: Env) -> None:
    started = london(2026, 10, 23, 15, 0)
    env.store_report(submission(category="staff_concern", about_headteacher=True), started)
    with env.context.store.transaction() as session:
        escalate_clocks(
            session, env.school, started + timedelta(days=4), base_url=lambda: "x", write=True
        )
    (row,) = env.outbox("report_escalation")
    assert "chair@oak.example" in row.recipients
    assert "head@oak.example" not in row.recipients


def test_an_overdue_clock_is_chased_on_its_cap_and_the_last_says_so(env: Env) -> None:
    """After the deadline: the DSL team, the head and the chair hear once a day, five times at
    most (the default cap); the fifth says it is the last; then nothing, however long."""
    started = london(2026, 10, 23, 10, 0)
    env.store_report(submission(category="data_breach"), started)
    due = started + timedelta(hours=72)
    stages: list[list[int]] = []
    for hours in range(0, 24 * 12, 6):  # a sweep every 6 hours for 12 days after the deadline
        with env.context.store.transaction() as session:
            planned = escalate_clocks(
                session, env.school, due + timedelta(hours=hours), base_url=lambda: "x",
                write=True,
            )
        stages.append([p.stage for p in planned])
    assert [s for s in stages if s] == [[3], [4], [5], [6], [7]]
    overdue = env.outbox("report_escalation")
    assert len(overdue) == 5
    for row in overdue:
        assert "chair@oak.example" in row.recipients and "dpo@oak.example" in row.recipients
        assert row.subject.startswith("Deadline passed")
    assert "last reminder" in overdue[-1].subject
    assert "This is the last reminder" in overdue[-1].payload["text"]
    assert all("last reminder" not in r.subject for r in overdue[:-1])
    assert "Overdue reminder 1 of at most 5" in overdue[0].payload["text"]


def test_words_are_true_when_the_email_arrives_not_when_it_was_queued(env: Env) -> None:
    """The weekend demo runs "as of Friday" and sends on Sunday: an ICO deadline of Saturday
    10:00 must arrive saying it passed 32 hours earlier, never "24 hours left"."""
    from bot.core.outbox import dispatch
    from connectors.local.connector import SmtpMailer
    from tests.support.smtp import running_smtp

    started = london(2026, 10, 21, 10, 0)  # Wednesday: due Saturday 24 October 10:00
    friday = london(2026, 10, 23, 10, 0)
    with time_machine.travel(friday, tick=False):
        env.store_report(submission(category="data_breach"), started)
        with env.context.store.transaction() as session:
            planned = escalate_clocks(
                session, env.school, friday, base_url=lambda: "x", write=True
            )
    assert [p.stage for p in planned] == [1]  # two thirds gone on Friday: the first warning
    (row,) = env.outbox("report_escalation")
    assert row.subject.startswith("Due Sat 24 Oct 10:00: ")  # true whenever it is read
    assert "left" not in row.subject and "left" not in row.payload["text"].split("sent, ")[0]
    with running_smtp() as (inbox, port):
        sunday = london(2026, 10, 25, 17, 0)
        mailer = SmtpMailer("127.0.0.1", port, "bot@oak.example", security="none")
        stats = dispatch(env.context.store, mailer, None, now=lambda: sunday)
    assert stats.sent == len(env.outbox()) >= 1
    (message,) = [m for m in inbox.messages if str(m["Subject"]).startswith("Due Sat")]
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    for body in (text, html):
        assert "When this email was sent, the deadline had passed 32 hours earlier." in body
        assert "hours were left" not in body and "\u2063" not in body
    assert "Saturday 24 October 2026, 10:00" in text
