"""Each report clock rule, on dates chosen around bank holidays, school holidays and the clock
changes: LADO in working days, ICO in calendar hours, triage by urgency, escalation on a cap,
and the countdown words written when an email is sent."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.config import ConfigError, SchoolConfig, load_config
from bot.core.live_text import TIME_LEFT, fill_time_left, time_left
from bot.features.reports.rules import clock_due, describe_clock, escalation_stage

LONDON = ZoneInfo("Europe/London")


def london(*args: int) -> datetime:
    """A London wall-clock time as an aware UTC instant."""
    return datetime(*args, tzinfo=LONDON).astimezone(UTC)  # type: ignore[misc]


def school(**extra: object) -> SchoolConfig:
    """A school with the 2026-27 autumn term and the summer and Christmas holidays closed."""
    return SchoolConfig.model_validate(
        {
            "id": "oak",
            "name": "Oak",
            "headteacher": "head@oak.example",
            "terms": [
                {"name": "Summer 2026", "start": "2026-04-13", "end": "2026-07-22"},
                {"name": "Autumn 2026", "start": "2026-09-03", "end": "2026-12-18"},
                {"name": "Spring 2027", "start": "2027-01-05", "end": "2027-03-25"},
                {"name": "Summer 2027", "start": "2027-04-12", "end": "2027-07-21"},
            ],
            **extra,
        }
    )


# --------------------------------------------------------------------------- LADO: working days


@pytest.mark.parametrize(
    ("started", "expected", "why"),
    [
        ((2026, 12, 18, 15, 0), (2026, 12, 21, 15, 0),
         "last day of term: the school is closed on Monday, the LADO office is not"),
        ((2026, 12, 24, 11, 0), (2026, 12, 29, 11, 0),
         "Christmas Day Friday, weekend, Boxing Day observed Monday 28th"),
        ((2027, 3, 25, 10, 0), (2027, 3, 30, 10, 0), "Good Friday and Easter Monday"),
        ((2027, 5, 28, 14, 0), (2027, 6, 1, 14, 0), "spring bank holiday Monday"),
        ((2026, 8, 28, 9, 0), (2026, 9, 1, 9, 0), "late summer bank holiday, school holidays"),
    ],
)
def test_lado_is_one_working_day_in_england(
    started: tuple[int, ...], expected: tuple[int, ...], why: str
) -> None:
    assert clock_due("lado", london(*started), school()) == london(*expected), why


@pytest.mark.parametrize(
    ("country", "started", "expected", "why"),
    [
        ("scotland", (2027, 3, 25, 10, 0), (2027, 3, 29, 10, 0),
         "Easter Monday is not a bank holiday in Scotland"),
        ("england-and-wales", (2026, 11, 27, 10, 0), (2026, 11, 30, 10, 0),
         "St Andrew's Day is a working day in England"),
        ("scotland", (2026, 11, 27, 10, 0), (2026, 12, 1, 10, 0), "St Andrew's Day (Scotland)"),
        ("scotland", (2026, 12, 31, 10, 0), (2027, 1, 5, 10, 0),
         "New Year's Day and the 2 January holiday observed on Monday 4th"),
        ("england-and-wales", (2026, 12, 31, 10, 0), (2027, 1, 4, 10, 0), "only 1 January"),
        ("scotland", (2026, 7, 31, 10, 0), (2026, 8, 4, 10, 0),
         "Scotland's summer bank holiday is the first Monday in August"),
        ("scotland", (2026, 8, 28, 10, 0), (2026, 8, 31, 10, 0),
         "... so the last Monday in August is a working day there"),
        ("northern-ireland", (2027, 3, 16, 10, 0), (2027, 3, 18, 10, 0), "St Patrick's Day"),
    ],
)
def test_lado_follows_the_nations_bank_holidays(
    country: str, started: tuple[int, ...], expected: tuple[int, ...], why: str
) -> None:
    assert clock_due("lado", london(*started), school(country=country)) == london(*expected), why


def test_lado_ignores_school_holidays_and_inset_days() -> None:
    """LADO offices work through half term: closures of the school do not stop the clock."""
    half_term = [date(2026, 10, 26) + timedelta(days=i) for i in range(5)]
    closed = school(holidays=half_term, inset_days=["2026-10-23"])
    assert clock_due("lado", london(2026, 10, 23, 15, 0), closed) == london(2026, 10, 26, 15, 0)


def test_lado_on_a_bank_holiday_runs_to_the_next_working_day_after_it() -> None:
    """Reported on Easter Monday itself: the first working day after it is Tuesday, so the
    decision is due Tuesday at the same time."""
    assert clock_due("lado", london(2027, 3, 29, 10, 0), school()) == london(2027, 3, 30, 10, 0)


# --------------------------------------------------------------------------- ICO: calendar hours


def test_ico_is_72_real_hours_across_the_last_sunday_of_october() -> None:
    started = london(2026, 10, 24, 1, 30)  # Saturday 01:30 BST = 00:30 UTC
    due = clock_due("ico", started, school())
    assert due - started == timedelta(hours=72)
    assert due == datetime(2026, 10, 27, 0, 30, tzinfo=UTC)
    assert due.astimezone(LONDON).hour == 0  # the wall clock went back: 00:30 GMT, not 01:30


def test_ico_is_72_real_hours_across_the_last_sunday_of_march() -> None:
    started = london(2027, 3, 26, 9, 0)  # Good Friday 09:00 GMT
    due = clock_due("ico", started, school())
    assert due - started == timedelta(hours=72)
    assert due == datetime(2027, 3, 29, 9, 0, tzinfo=UTC)
    assert due.astimezone(LONDON).hour == 10  # Easter Monday 10:00 BST


def test_ico_ignores_bank_holidays_weekends_and_school_holidays() -> None:
    started = london(2026, 12, 24, 16, 0)
    assert clock_due("ico", started, school()) == london(2026, 12, 27, 16, 0)
    assert clock_due("ico", started, school(country="scotland")) == london(2026, 12, 27, 16, 0)


# --------------------------------------------------------------------------- triage by urgency


def test_immediate_triage_is_hours_even_at_night() -> None:
    """An immediate report at 23:30 is due at 00:30: a child may be at risk now, so the DSL's
    hour runs through the night (the at-once alert tells the reporter to call 999 too)."""
    due = clock_due("triage", london(2026, 10, 23, 23, 30), school(), urgency="immediate")
    assert due == london(2026, 10, 24, 0, 30)


def test_immediate_triage_across_the_october_change_is_one_real_hour() -> None:
    started = london(2026, 10, 25, 1, 30)  # the first 01:30 (BST) of the night
    due = clock_due("triage", started, school(), urgency="immediate")
    assert due - started == timedelta(hours=1)


def test_a_concern_raised_in_the_summer_holiday() -> None:
    """Thursday 27 August 2026, school closed until 3 September.

    High urgency (cyberbullying, a data or filtering breach) counts *working* days: the DSL is
    on call in the holidays and harm online does not wait for term, so it is due by the end of
    Friday 28 August. Normal urgency counts *school* days: a routine concern is triaged when
    the team is back, on the first school day (Thursday 3 September), at the same time of day —
    the day the school can act on it. The old rule gave every kind 2 September.
    """
    started = london(2026, 8, 27, 11, 0)
    assert clock_due("triage", started, school(), urgency="high") == london(2026, 8, 28, 17, 0)
    assert clock_due("triage", started, school(), urgency="normal") == london(2026, 9, 3, 11, 0)


def test_high_triage_skips_the_bank_holiday_monday() -> None:
    started = london(2026, 8, 28, 16, 0)  # Friday before the late summer bank holiday
    assert clock_due("triage", started, school(), urgency="high") == london(2026, 9, 1, 17, 0)
    scotland = school(country="scotland")  # 31 August is a working day in Scotland
    assert clock_due("triage", started, scotland, urgency="high") == london(2026, 8, 31, 17, 0)


def test_normal_triage_over_christmas_waits_for_the_first_school_day() -> None:
    started = london(2026, 12, 18, 15, 0)
    assert clock_due("triage", started, school()) == london(2027, 1, 5, 15, 0)


def test_the_school_sets_its_own_clocks(tmp_path: object) -> None:
    custom = school(reports={
        "triage_school_days": 2,
        "clocks": {
            "ico": {"hours": 48},
            "lado": {"working_days": 1, "end_of_day": True},
            "triage": {"immediate": {"hours": 2}, "normal": {"working_days": 1}},
            "working_day_ends": "16:30",
        },
    })
    started = london(2026, 12, 18, 15, 0)
    assert clock_due("ico", started, custom) == started + timedelta(hours=48)
    assert clock_due("lado", started, custom) == london(2026, 12, 21, 16, 30)
    assert clock_due("triage", started, custom, urgency="immediate") == london(2026, 12, 18, 17, 0)
    assert clock_due("triage", started, custom) == london(2026, 12, 21, 15, 0)
    # without a triage.normal rule, triage_school_days still counts
    two = school(reports={"triage_school_days": 2})
    assert clock_due("triage", london(2026, 10, 22, 16, 30), two) == london(2026, 10, 26, 16, 30)


def test_clock_words() -> None:
    reports = school().reports
    assert describe_clock(reports.clock_rule("ico", "high")) == "72 hours, weekends included"
    assert describe_clock(reports.clock_rule("lado", "immediate")) == (
        "1 working day, same time of day"
    )
    assert describe_clock(reports.clock_rule("triage", "high")) == (
        "by the end of the next working day"
    )
    assert describe_clock(reports.clock_rule("triage", "normal")) == (
        "1 school day, same time of day"
    )


@pytest.mark.parametrize(
    ("clocks", "message"),
    [
        ("{ico: {hours: 96}}",
         "reports.clocks.ico: the ICO clock counts calendar hours, at most 72"),
        ("{ico: {working_days: 3}}", "the ICO clock counts calendar hours"),
        ("{lado: {school_days: 1}}", "LADO offices work through school holidays"),
        ("{triage: {high: {hours: 2, working_days: 1}}}",
         "reports.clocks.triage.high: give exactly one of hours, working_days or school_days"),
        ("{triage: {urgent: {hours: 2}}}", "reports.clocks.triage.urgent"),
        ("{warn_at: [0.5, 1.2]}", "each above 0 and below 1"),
        ("{overdue_max: 0}", "reports.clocks.overdue_max"),
        ("{working_day_ends: 5pm}", "working_day_ends must be a time like '17:00'"),
    ],
)
def test_bad_clock_settings_name_the_file_line_and_key(
    tmp_path: pytest.TempPathFactory, clocks: str, message: str
) -> None:
    path = tmp_path / "school.yaml"  # type: ignore[operator]
    path.write_text(
        "organisation: {name: Oak Trust}\n"
        "schools:\n"
        "  - id: oak\n"
        "    name: Oak\n"
        "    headteacher: head@oak.example\n"
        "    reports:\n"
        f"      clocks: {clocks}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert "school.yaml line 7" in str(caught.value)
    assert message in str(caught.value)


def test_an_unquoted_time_is_read_as_the_time_written(tmp_path: pytest.TempPathFactory) -> None:
    """YAML 1.1 reads 16:30 as 990 minutes; the school meant half past four."""
    path = tmp_path / "school.yaml"  # type: ignore[operator]
    path.write_text(
        "organisation: {name: Oak Trust}\nschools:\n  - id: oak\n    name: Oak\n"
        "    headteacher: head@oak.example\n    reports: {clocks: {working_day_ends: 16:30}}\n",
        encoding="utf-8",
    )
    assert str(load_config(path).schools[0].reports.clocks.working_day_ends) == "16:30:00"


# --------------------------------------------------------------------------- escalation on a cap


def test_warnings_then_overdue_reminders_on_a_cap() -> None:
    start = datetime(2026, 1, 5, 0, 0, tzinfo=UTC)
    due = start + timedelta(hours=100)
    day = timedelta(hours=24)
    assert escalation_stage(start, due, start) == 0
    assert escalation_stage(start, due, start + timedelta(hours=49, minutes=59)) == 0
    assert escalation_stage(start, due, start + timedelta(hours=50)) == 1
    assert escalation_stage(start, due, start + timedelta(hours=90)) == 2
    assert escalation_stage(start, due, due - timedelta(seconds=1)) == 2
    assert escalation_stage(start, due, due) == 3  # first overdue reminder
    assert escalation_stage(start, due, due + day - timedelta(seconds=1)) == 3
    assert escalation_stage(start, due, due + day) == 4
    assert escalation_stage(start, due, due + 4 * day) == 7  # the fifth and last
    assert escalation_stage(start, due, due + 400 * day) == 7  # never more than the cap
    assert escalation_stage(start, due, due + 400 * day, cap=2) == 4
    assert escalation_stage(start, due, start + timedelta(hours=30), warn_at=(0.25,)) == 1


# --------------------------------------------------------------------------- words when sent


def test_the_countdown_is_true_when_the_email_is_sent() -> None:
    """The weekend demo runs "as of Friday": an email queued then for an ICO deadline of
    Saturday 10:00 and sent on Sunday 17:00 must say the deadline passed 32 hours earlier
    (real hours: the clocks went back in between)."""
    due = london(2026, 10, 24, 10, 0)
    queued = london(2026, 10, 23, 10, 0)
    sent = london(2026, 10, 25, 17, 0)
    text = f"When this email was sent, {TIME_LEFT}."
    assert fill_time_left(text, due, queued) == "When this email was sent, 24 hours were left."
    assert fill_time_left(text, due, sent) == (
        "When this email was sent, the deadline had passed 32 hours earlier."
    )
    assert time_left(due, due - timedelta(minutes=45)) == "45 minutes were left"
    assert time_left(due, due - timedelta(hours=1)) == "1 hour was left"
    assert time_left(due, due + timedelta(days=3, hours=4)) == (
        "the deadline had passed 3 days 4 hours earlier"
    )
