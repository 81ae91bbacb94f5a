"""Report clocks across weekends and the clock changes; escalations go once each, then repeat
on a cap (the rules one by one: ``test_clock_rules``)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from bot.core.config import SchoolConfig
from bot.core.models import AuditEvent, ReportClock
from bot.core.nations import NATIONS
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
        # Friday before the October change (25 Oct 2026): the end of Monday
        (london(2026, 10, 23, 15, 0), london(2026, 10, 26, 17, 0), "weekend + clock change"),
        (london(2026, 10, 24, 11, 0), london(2026, 10, 26, 17, 0), "reported on a Saturday"),
        (london(2026, 10, 25, 0, 45), london(2026, 10, 26, 17, 0), "Sunday 00:45"),
        (london(2026, 10, 21, 9, 5), london(2026, 10, 22, 17, 0), "midweek"),
        (london(2026, 3, 27, 16, 45), london(2026, 3, 30, 17, 0), "weekend + March change"),
    ],
)
def test_lado_ends_at_the_end_of_the_next_working_day(
    started: datetime, expected: datetime, why: str
) -> None:
    due = clock_due("lado", started, school())
    assert due == expected, why
    assert due.astimezone(LONDON).time() == time(17, 0)


def test_lado_over_the_october_change_is_75_real_hours() -> None:
    started = london(2026, 10, 23, 15, 0)  # 14:00 UTC (BST)
    due = clock_due("lado", started, school())
    assert due == datetime(2026, 10, 26, 17, 0, tzinfo=UTC)  # 17:00 GMT
    assert due - started == timedelta(hours=75)


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
    """A staff allegation on the Friday before the October change, swept over the weekend: the
    half-time warning falls on Sunday, so it waits for Monday 07:00 and goes once."""
    started = london(2026, 10, 23, 15, 0)  # due Monday 26 October 17:00
    secret = "UNIQUE-ALLEGATION-TEXT-4711"
    ref = env.store_report(
        submission(category="staff_concern", what_happened=secret, involved=(("staff", "Mr X"),)),
        started,
    )
    context = env.context
    sent_per_sweep = []
    waiting_per_sweep = []
    moments = [
        datetime(2026, 10, 24, 12, 0, tzinfo=UTC),  # 30%: nothing
        datetime(2026, 10, 25, 6, 0, tzinfo=UTC),  # 55% on a Sunday: waits
        datetime(2026, 10, 25, 7, 0, tzinfo=UTC),  # still Sunday: waits
        datetime(2026, 10, 26, 7, 0, tzinfo=UTC),  # Monday 07:00 GMT: the half-time warning
        datetime(2026, 10, 26, 7, 15, tzinfo=UTC),  # again: nothing new
        datetime(2026, 10, 26, 9, 45, tzinfo=UTC),  # 90%
        datetime(2026, 10, 26, 17, 30, tzinfo=UTC),  # overdue (17:00)
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
        waiting_per_sweep.append(results[0].extra.get("report_escalations_waiting", 0))
    assert sent_per_sweep == [0, 0, 0, 1, 0, 1, 1, 0]
    assert waiting_per_sweep == [0, 1, 1, 0, 0, 0, 0, 0]
    rows = env.outbox("report_escalation")
    assert len({r.idempotency_key for r in rows}) == 3
    team = ["dsl@oak.example", "deputy@oak.example", "head@oak.example"]
    assert [row.recipients for row in rows] == [team, team, [*team, "chair@oak.example"]]
    for row in rows:
        assert ref in row.subject
        for part in (row.subject, row.payload["text"], row.payload["html"]):
            assert secret not in part and "Mr X" not in part and "Pat Parent" not in part
    assert rows[0].subject.startswith("Due Mon 26 Oct 17:00: ")
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
    started = london(2026, 10, 20, 10, 0)  # Tuesday; Thursday 07:00 is 45 hours later
    env.store_report(submission(category="data_breach"), started)
    with env.context.store.transaction() as session:
        counts = report_sweep(
            step_context(
                env.context,
                session,
                env.school,
                started + timedelta(hours=45),
                today=date(2026, 10, 22),
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
                session, env.school, due + timedelta(hours=hours), base_url=lambda: "x", write=True
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
    assert (
        "Overdue reminder 1 of at most 5: the bot repeats it every 24 hours, in working "
        "hours, until it is recorded" in " ".join(overdue[0].payload["text"].split())
    )


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
            planned = escalate_clocks(session, env.school, friday, base_url=lambda: "x", write=True)
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


# --------------------------------------------------------------------------- quiet hours


def _sweep_clocks(env: Env, moment: datetime, school: SchoolConfig | None = None) -> list[int]:
    """One sweep's clock step at ``moment``: the stages queued."""
    with env.context.store.transaction() as session:
        planned = escalate_clocks(
            session, school or env.school, moment, base_url=lambda: "x", write=True
        )
    return [p.stage for p in planned if p.waits_until is None]


def test_a_warning_at_0307_goes_when_working_hours_start(env: Env) -> None:
    """The ICO half-time warning falls at 03:07 on a Wednesday: the sweep waits, and the first
    sweep from 07:00 sends it, once."""
    started = london(2026, 10, 26, 15, 7)  # Monday; 36 hours later is Wednesday 03:07
    env.store_report(submission(category="data_breach"), started)
    night = london(2026, 10, 28, 3, 7)
    with env.context.store.transaction() as session:
        (held,) = escalate_clocks(session, env.school, night, base_url=lambda: "x", write=True)
    assert held.stage == 1 and held.waits_until == london(2026, 10, 28, 7, 0)
    assert env.outbox("report_escalation") == []
    assert _sweep_clocks(env, london(2026, 10, 28, 6, 45)) == []
    assert _sweep_clocks(env, london(2026, 10, 28, 7, 0)) == [1]
    assert _sweep_clocks(env, london(2026, 10, 28, 7, 15)) == []
    (row,) = env.outbox("report_escalation")
    assert row.idempotency_key.endswith(":1")


def test_a_warning_held_overnight_is_not_sent_for_a_clock_stopped_before_morning(env: Env) -> None:
    started = london(2026, 10, 26, 15, 7)
    ref = env.store_report(submission(category="data_breach"), started)
    assert _sweep_clocks(env, london(2026, 10, 28, 3, 7)) == []
    with env.context.store.transaction() as session:
        from bot.core.models import Report

        report = session.scalar(select(Report).where(Report.reference == ref))
        assert report is not None
        record_referral(
            session,
            report,
            actor="dsl@oak.example",
            target="ico",
            outcome="referred",
            text="Reported to the ICO, case 123",
            reason=None,
            now=london(2026, 10, 28, 5, 0),
        )
    assert _sweep_clocks(env, london(2026, 10, 28, 7, 0)) == []
    assert env.outbox("report_escalation") == []


def test_an_immediate_triage_deadline_at_0307_still_goes(env: Env) -> None:
    """Nude image sharing is immediate: its triage hour runs through the night, and so do its
    warnings and its deadline."""
    started = london(2026, 10, 28, 2, 7)  # due 03:07
    env.store_report(submission(category="nude_images"), started)
    assert _sweep_clocks(env, london(2026, 10, 28, 2, 40)) == [1]
    assert _sweep_clocks(env, london(2026, 10, 28, 3, 7)) == [3]
    rows = env.outbox("report_escalation")
    assert rows[-1].subject.startswith("Deadline passed")


def test_the_icos_last_warning_and_deadline_go_on_christmas_day(env: Env) -> None:
    """72 calendar hours from Tuesday 22 December 10:00 end on Christmas Day. The half-time
    warning (Wednesday 22:00) waits for Thursday 07:00; the last warning (02:48, at night:
    07:00) and the deadline go on Christmas Day; the daily reminders after it wait for working
    days — the second on Tuesday 29th (Boxing Day is observed on Monday 28th), then one a day, none
    skipped and none sooner than a day after the one before, the fifth and last on Monday
    4 January (New Year's Day is quiet)."""
    started = london(2026, 12, 22, 10, 0)
    env.store_report(submission(category="data_breach"), started)
    sent: dict[int, datetime] = {}
    moment = started
    while moment < london(2027, 1, 8, 12, 0):
        for stage in _sweep_clocks(env, moment):
            sent[stage] = moment
        moment += timedelta(hours=3)  # 10:00, 13:00, ... 04:00, 07:00
    assert sent == {
        1: london(2026, 12, 24, 7, 0),
        2: london(2026, 12, 25, 7, 0),  # 02:48 is night: it waits for 07:00
        3: london(2026, 12, 25, 10, 0),  # deadline passed
        4: london(2026, 12, 29, 7, 0),
        5: london(2026, 12, 30, 7, 0),
        6: london(2026, 12, 31, 7, 0),
        7: london(2027, 1, 4, 7, 0),
    }
    rows = env.outbox("report_escalation")
    assert len(rows) == 7
    assert "last reminder" in rows[-1].subject


def test_a_sunday_night_allegation_is_chased_in_working_hours_only(env: Env) -> None:
    """Filed Sunday 25 October 00:45 (the night the clocks go back): due Monday 17:00. Swept
    every 15 minutes, nothing goes at night: the half-time warning at 07:00 on Monday, the last
    at 90%, "deadline passed" at 17:00, once each."""
    started = london(2026, 10, 25, 0, 45)
    env.store_report(submission(category="staff_concern"), started)
    sent: dict[int, datetime] = {}
    moment = started + timedelta(minutes=5)
    while moment < london(2026, 10, 27, 12, 0):
        for stage in _sweep_clocks(env, moment):
            sent[stage] = moment
        moment += timedelta(minutes=15)
    assert sent == {
        1: london(2026, 10, 26, 7, 5),
        2: london(2026, 10, 26, 13, 5),
        3: london(2026, 10, 26, 17, 5),
    }
    assert len(env.outbox("report_escalation")) == 3


def test_an_immediate_concern_at_night_repeats_only_in_working_hours(env: Env) -> None:
    """Filed Sunday 00:45 (nude images: immediate, one hour): the warnings and the first
    "deadline passed" go at night, at once; the daily repeats after it wait for working
    hours (07:00 on working days), never at 00:50 on the nights that follow."""
    started = london(2026, 10, 25, 0, 45)
    env.store_report(submission(category="nude_images"), started)
    sent: dict[int, datetime] = {}
    moment = started + timedelta(minutes=5)
    while moment < london(2026, 11, 2, 12, 0):
        for stage in _sweep_clocks(env, moment):
            sent[stage] = moment
        moment += timedelta(minutes=15)
    assert sent[3] <= started + timedelta(hours=2)  # the first "deadline passed", at night
    assert [stage for stage in sent if stage > 3] == [4, 5, 6, 7]
    for stage in (4, 5, 6, 7):
        local = sent[stage].astimezone(LONDON)
        assert local.weekday() < 5 and time(7, 0) <= local.time() <= time(19, 0), (stage, local)
        assert sent[stage] - sent[stage - 1] >= timedelta(hours=24)
    assert sent[4] == london(2026, 10, 26, 7, 5)  # Monday, the first sweep of working hours


def test_sweeps_missed_over_a_weekend_send_nothing_on_saturday(env: Env) -> None:
    """A LADO clock overdue on Friday: its reminder falls in Friday's working hours, but no
    sweep ran until Saturday 10:00. Quiet hours are judged when it would be sent, so Saturday
    sends nothing; Monday's first sweep in working hours sends the latest stage, once."""
    started = london(2026, 11, 5, 9, 0)  # Thursday: due Friday 6 November 17:00
    env.store_report(submission(category="staff_concern"), started)
    assert _sweep_clocks(env, london(2026, 11, 5, 9, 5)) == []
    with env.context.store.transaction() as session:
        planned = escalate_clocks(
            session, env.school, london(2026, 11, 7, 10, 0), base_url=lambda: "x", write=True
        )
    assert [p.waits_until for p in planned] == [london(2026, 11, 9, 7, 0)]
    assert _sweep_clocks(env, london(2026, 11, 8, 15, 0)) == []  # Sunday
    assert env.outbox("report_escalation") == []
    # Saturday's reminder, held, is the latest by Monday 07:00: it goes alone
    assert _sweep_clocks(env, london(2026, 11, 9, 7, 0)) == [4]
    assert _sweep_clocks(env, london(2026, 11, 9, 7, 15)) == []
    assert len(env.outbox("report_escalation")) == 1


def _as_nation(env: Env, country: str) -> SchoolConfig:
    return SchoolConfig.model_validate({**env.school.model_dump(), "country": country})


def _store_as(env: Env, school: SchoolConfig, category: str, now: datetime) -> None:
    from bot.features.reports.intake import submit_report

    with env.context.store.transaction() as session:
        submit_report(
            session,
            school,
            submission(category=category),
            now=now,
            base_url="http://testserver",
            actor="test",
            uploads_dir=env.context.settings.uploads_dir,
        )


def _sent_every_15_minutes(
    env: Env, school: SchoolConfig, start: datetime, end: datetime
) -> dict[int, datetime]:
    sent: dict[int, datetime] = {}
    moment = start
    while moment < end:
        for stage in _sweep_clocks(env, moment, school):
            sent[stage] = moment
        moment += timedelta(minutes=15)
    return sent


def test_a_welsh_friday_allegation_is_due_monday_and_nothing_goes_at_the_weekend(env: Env) -> None:
    """Wales: an allegation filed Friday 27 November 16:59 (24 hours would end Saturday 16:59)
    is due at the close of Monday (17:00); swept every 15 minutes, nothing goes at the weekend or
    at night: the half-time warning (Sunday 05:00) at 07:00 Monday, the last (09:48) and the
    deadline passing on Monday."""
    wales = _as_nation(env, "wales")
    _store_as(env, wales, "staff_concern", london(2026, 11, 27, 16, 59))
    with env.context.store.session() as session:
        (clock,) = session.scalars(select(ReportClock)).all()
        assert clock.due_at.replace(tzinfo=UTC) == london(2026, 11, 30, 17, 0)
    sent = _sent_every_15_minutes(
        env, wales, london(2026, 11, 27, 17, 0), london(2026, 12, 1, 12, 0)
    )
    assert sent == {
        1: london(2026, 11, 30, 7, 0),
        2: london(2026, 11, 30, 10, 0),  # the first sweep after 09:48
        3: london(2026, 11, 30, 17, 0),
    }


@pytest.mark.parametrize("country", ["england", "wales", "scotland", "northern-ireland"])
def test_the_icos_last_warning_never_wakes_anyone(env: Env, country: str) -> None:
    """A breach found Monday 10:00 is due Thursday 10:00 (72 hours); its 90 % warning falls
    at 02:48 Thursday and goes at 07:00 instead, the deadline passing at 10:00. Found Monday
    06:00, the warning (Wednesday 22:48) goes at 21:59, as Thursday 07:00 is past the
    deadline (06:00). In every nation."""
    school = _as_nation(env, country)
    _store_as(env, school, "data_breach", london(2026, 11, 23, 10, 0))
    sent = _sent_every_15_minutes(
        env, school, london(2026, 11, 26, 0, 0), london(2026, 11, 26, 12, 0)
    )
    assert sent == {2: london(2026, 11, 26, 7, 0), 3: london(2026, 11, 26, 10, 0)}

    with env.context.store.transaction() as session:
        for clock in session.scalars(select(ReportClock)):
            clock.stopped_at = london(2026, 11, 26, 12, 0)
    _store_as(env, school, "data_breach", london(2026, 11, 23, 6, 0))
    sent = _sent_every_15_minutes(
        env, school, london(2026, 11, 25, 21, 14), london(2026, 11, 26, 7, 30)
    )
    # the deadline passed at 06:00: told at the first sweep from 07:00
    assert sent == {2: london(2026, 11, 25, 21, 59), 3: london(2026, 11, 26, 7, 14)}


@pytest.mark.parametrize("country", NATIONS)
def test_two_warnings_released_together_are_one_email(env: Env, country: str) -> None:
    """A breach found Friday 14:37 is due Monday 14:37: its half-time warning (Sunday 02:37)
    waits for Monday 07:00, and its 90 % warning (Monday 07:25) would follow 25 minutes later
    with the same words. One email goes at 07:00, naming the deadline once; then the deadline
    passing. In every nation and island."""
    school = _as_nation(env, country)
    _store_as(env, school, "data_breach", london(2026, 11, 20, 14, 37))
    sent = _sent_every_15_minutes(
        env, school, london(2026, 11, 20, 14, 45), london(2026, 11, 23, 15, 0)
    )
    assert sent == {2: london(2026, 11, 23, 7, 0), 3: london(2026, 11, 23, 14, 45)}
    (warning, passed) = env.outbox("report_escalation")
    assert warning.subject.startswith("Due Mon 23 Nov 14:37") and passed.subject.startswith(
        "Deadline passed"
    )


def test_a_welsh_day_clocks_warnings_released_together_are_one_email(env: Env) -> None:
    """Wales: an allegation on Monday 09:37 is due Tuesday 09:37 (24 hours); its half-time
    warning (Monday 21:37) waits for Tuesday 07:00 and its 90 % (07:13) joins it."""
    wales = _as_nation(env, "wales")
    _store_as(env, wales, "staff_concern", london(2026, 11, 16, 9, 37))
    sent = _sent_every_15_minutes(
        env, wales, london(2026, 11, 16, 9, 45), london(2026, 11, 17, 9, 30)
    )
    assert sent == {2: london(2026, 11, 17, 7, 0)}
    assert len(env.outbox("report_escalation")) == 1


def test_a_school_may_turn_quiet_hours_off(env: Env) -> None:
    started = london(2026, 10, 26, 15, 7)
    env.store_report(submission(category="data_breach"), started)
    data = env.school.model_dump()
    data["reports"]["clocks"]["quiet_hours"] = False
    always = SchoolConfig.model_validate(data)
    assert _sweep_clocks(env, london(2026, 10, 28, 3, 7), always) == [1]


# --------------------------------------------------------------------------- in the school's words


def test_the_report_page_says_which_clock_applies_and_why(env: Env) -> None:
    """The DSL reads the deadline, the rule and why it cannot wait for the holidays."""
    allegation = env.store_report(submission(category="staff_concern"), london(2026, 10, 25, 0, 45))
    page = env.client("dsl").get(f"/reports/{allegation}").text
    assert (
        "<strong>LADO referral decision</strong> due by 17:00 on Monday 26 October 2026 — one "
        "working day, ending at the end of the working day; school holidays do not stop it"
    ) in page
    assert (
        "Reminders wait for working hours (07:00 to 19:00, Monday to Friday except bank "
        "holidays)" in page
    )
    assert "school holidays do not stop it. Now:\n" in page  # then running, overdue or stopped
    # this school's school.yaml wrote triage_school_days: 1, and keeps it (it has no terms, so
    # its school days are the working days)
    concern = env.store_report(submission(category="other"), london(2026, 12, 18, 15, 0))
    page = env.client("dsl").get(f"/reports/{concern}").text
    assert (
        "<strong>DSL triage</strong> due by 17:00 on Monday 21 December 2026 — one school day, "
        "ending at the end of the school day; weekends, bank holidays and the school&#39;s "
        "holidays are not counted"
    ) in page
