"""Report clocks across weekends, holidays and the clock changes; escalations go once each."""

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
from bot.features.reports.rules import clock_due, escalation_stage
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
def test_lado_is_the_next_school_day_at_the_same_time(
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


def test_lado_skips_half_term_holidays() -> None:
    half_term = [date(2026, 10, 26) + timedelta(days=i) for i in range(5)]
    due = clock_due("lado", london(2026, 10, 23, 15, 0), school(holidays=half_term))
    assert due == london(2026, 11, 2, 15, 0)


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


def test_triage_counts_school_days() -> None:
    two = school(reports={"triage_school_days": 2})
    assert clock_due("triage", london(2026, 10, 22, 16, 30), two) == london(2026, 10, 26, 16, 30)
    assert clock_due("triage", london(2026, 10, 22, 16, 30), school()) == london(
        2026, 10, 23, 16, 30
    )


def test_escalation_stages() -> None:
    start = datetime(2026, 1, 5, 0, 0, tzinfo=UTC)
    due = start + timedelta(hours=100)
    assert escalation_stage(start, due, start) == 0
    assert escalation_stage(start, due, start + timedelta(hours=49, minutes=59)) == 0
    assert escalation_stage(start, due, start + timedelta(hours=50)) == 1
    assert escalation_stage(start, due, start + timedelta(hours=89)) == 1
    assert escalation_stage(start, due, start + timedelta(hours=90)) == 2
    assert escalation_stage(start, due, due - timedelta(seconds=1)) == 2
    assert escalation_stage(start, due, due) == 3
    assert escalation_stage(start, due, due + timedelta(days=30)) == 3


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
    for row in rows:
        assert row.recipients == ["dsl@oak.example", "deputy@oak.example", "head@oak.example"]
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
