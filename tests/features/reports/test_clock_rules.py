"""Each report clock rule, on dates chosen around bank holidays, school holidays and the clock
changes: LADO in working days ending at the end of the working day, ICO in calendar hours,
triage by urgency, escalation on a cap, quiet hours, and the countdown words written when an
email is sent."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.config import ConfigError, SchoolConfig, load_config
from bot.core.language.live_text import TIME_LEFT, fill_time_left, time_left
from bot.core.language.words import school_words
from bot.features.reports.quiet_hours import (
    breaks_quiet_hours,
    escalation_stage,
    in_working_hours,
    working_hours_resume,
)
from bot.features.reports.rules import clock_due, clock_labels, clock_summary, describe_clock

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
        (
            (2026, 10, 25, 0, 45),
            (2026, 10, 26, 17, 0),
            "Sunday 00:45 (the night the clocks go back): by the end of Monday, not Monday 00:45",
        ),
        (
            (2026, 10, 24, 11, 0),
            (2026, 10, 26, 17, 0),
            "Saturday 11:00: the whole of Monday, not two working hours",
        ),
        ((2026, 10, 23, 15, 0), (2026, 10, 26, 17, 0), "Friday 15:00: the end of Monday too"),
        ((2026, 10, 26, 10, 0), (2026, 10, 27, 17, 0), "Monday 10:00: the end of Tuesday"),
        ((2026, 10, 26, 18, 30), (2026, 10, 27, 17, 0), "Monday after work: the end of Tuesday"),
        (
            (2026, 12, 18, 15, 0),
            (2026, 12, 21, 17, 0),
            "last day of term: the school is closed on Monday, the LADO office is not",
        ),
        (
            (2026, 12, 24, 16, 0),
            (2026, 12, 29, 17, 0),
            "Christmas Eve: Christmas Day Friday, weekend, Boxing Day observed Monday 28th",
        ),
        ((2027, 3, 25, 10, 0), (2027, 3, 30, 17, 0), "Good Friday and Easter Monday"),
        (
            (2027, 3, 29, 10, 0),
            (2027, 3, 30, 17, 0),
            "on Easter Monday itself: the first working day after it",
        ),
        ((2027, 5, 28, 14, 0), (2027, 6, 1, 17, 0), "spring bank holiday Monday"),
        ((2026, 8, 28, 9, 0), (2026, 9, 1, 17, 0), "late summer bank holiday, school holidays"),
    ],
)
def test_lado_is_one_working_day_ending_at_the_end_of_it(
    started: tuple[int, ...], expected: tuple[int, ...], why: str
) -> None:
    """A DSL reads "one working day" as "by the end of the next working day"."""
    assert clock_due("lado", london(*started), school()) == london(*expected), why


@pytest.mark.parametrize(
    ("country", "started", "expected", "why"),
    [
        (
            "scotland",
            (2027, 3, 25, 10, 0),
            (2027, 3, 29, 17, 0),
            "Easter Monday is not a bank holiday in Scotland",
        ),
        (
            "england-and-wales",
            (2026, 11, 27, 10, 0),
            (2026, 11, 30, 17, 0),
            "St Andrew's Day is a working day in England",
        ),
        ("scotland", (2026, 11, 27, 10, 0), (2026, 12, 1, 17, 0), "St Andrew's Day (Scotland)"),
        (
            "scotland",
            (2026, 12, 31, 10, 0),
            (2027, 1, 5, 17, 0),
            "New Year's Day and the 2 January holiday observed on Monday 4th",
        ),
        ("england-and-wales", (2026, 12, 31, 10, 0), (2027, 1, 4, 17, 0), "only 1 January"),
        (
            "scotland",
            (2026, 12, 24, 16, 0),
            (2026, 12, 29, 17, 0),
            "Christmas and Boxing Day (observed Monday 28th) in Scotland too",
        ),
        (
            "scotland",
            (2026, 7, 31, 10, 0),
            (2026, 8, 4, 17, 0),
            "Scotland's summer bank holiday is the first Monday in August",
        ),
        (
            "scotland",
            (2026, 8, 28, 10, 0),
            (2026, 8, 31, 17, 0),
            "... so the last Monday in August is a working day there",
        ),
        ("northern-ireland", (2027, 3, 16, 10, 0), (2027, 3, 18, 17, 0), "St Patrick's Day"),
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
    assert clock_due("lado", london(2026, 10, 23, 15, 0), closed) == london(2026, 10, 26, 17, 0)


def test_the_end_of_the_working_day_is_the_schools() -> None:
    early = school(reports={"clocks": {"working_day_ends": "16:30"}})
    assert clock_due("lado", london(2026, 10, 25, 0, 45), early) == london(2026, 10, 26, 16, 30)


def test_a_school_that_chose_the_time_of_day_keeps_it() -> None:
    """``end_of_day: false`` written in school.yaml is the school's choice, and kept."""
    same_time = school(reports={"clocks": {"lado": {"working_days": 1, "end_of_day": False}}})
    assert clock_due("lado", london(2026, 10, 23, 15, 0), same_time) == london(2026, 10, 26, 15, 0)


# --------------------------------------------------------------------------- Wales: 24 hours


@pytest.mark.parametrize(
    ("started", "expected", "why"),
    [
        ((2026, 11, 24, 9, 0), (2026, 11, 25, 9, 0), "Tuesday 09:00: 24 hours, Wednesday 09:00"),
        (
            (2026, 11, 27, 16, 59),
            (2026, 11, 30, 17, 0),
            "Friday 16:59: 24 hours would end on Saturday, so the close of Monday",
        ),
        (
            (2026, 11, 27, 17, 1),
            (2026, 11, 30, 17, 0),
            "Friday 17:01, out of office hours: Monday 17:00 too (two minutes move nothing)",
        ),
        ((2026, 11, 26, 16, 59), (2026, 11, 27, 16, 59), "Thursday 16:59: Friday 16:59"),
        (
            (2026, 12, 24, 16, 0),
            (2026, 12, 29, 17, 0),
            "Christmas Eve 16:00: 24 hours would end on Christmas Day",
        ),
        (
            (2026, 11, 27, 18, 30),
            (2026, 11, 30, 17, 0),
            "Friday 18:30 is out of office hours: the next working day, Monday, to its end",
        ),
        ((2026, 11, 28, 11, 0), (2026, 11, 30, 17, 0), "Saturday: the next working day"),
        (
            (2026, 11, 24, 6, 30),
            (2026, 11, 24, 17, 0),
            "Tuesday 06:30, before the working hours: Tuesday is the next working day",
        ),
        (
            (2026, 4, 2, 18, 30),
            (2026, 4, 7, 17, 0),
            "Thursday 18:30 before Good Friday: Easter Monday too is a bank holiday in Wales",
        ),
        (
            (2026, 12, 24, 17, 30),
            (2026, 12, 29, 17, 0),
            "Christmas Eve 17:30: Christmas Day and Boxing Day (observed Monday 28th)",
        ),
        (
            (2026, 10, 24, 9, 0),
            (2026, 10, 26, 17, 0),
            "Saturday 09:00 on the weekend the clocks go back: the end of Monday",
        ),
    ],
)
def test_a_welsh_allegation_against_staff_follows_the_24_hour_rule(
    started: tuple[int, ...], expected: tuple[int, ...], why: str
) -> None:
    """Wales Safeguarding Procedures, Section 5: the designated officer is told within no more
    than 24 hours, the next working day if out of office hours."""
    assert clock_due("lado", london(*started), school(country="wales")) == london(*expected), why


def test_england_scotland_and_northern_ireland_keep_their_day_clock() -> None:
    for country in ("england", "scotland", "northern-ireland"):
        tuesday = clock_due("lado", london(2026, 11, 24, 9, 0), school(country=country))
        assert tuesday == london(2026, 11, 25, 17, 0), country


def test_a_welsh_school_that_wrote_its_own_staff_clock_keeps_it() -> None:
    own = school(country="wales", reports={"clocks": {"lado": {"working_days": 1}}})
    assert clock_due("lado", london(2026, 11, 24, 9, 0), own) == london(2026, 11, 25, 17, 0)


def test_the_welsh_rule_is_said_as_it_runs() -> None:
    rule = school(country="wales").clock_rule("lado", "immediate")
    assert describe_clock(rule, time(17, 0)) == (
        "24 hours; made out of office hours (an evening, a weekend or a bank holiday), to the "
        "end of the next working day (17:00)"
    )


def test_out_of_hours_applies_only_to_an_hour_clock() -> None:
    with pytest.raises(ValueError, match="out_of_hours applies to hours"):
        school(
            reports={"clocks": {"lado": {"working_days": 1, "out_of_hours": "next_working_day"}}}
        )


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

    High and normal urgency both count *working* days: the DSL is on call in the holidays, and
    a child's worry does not wait for term, so both are due by the end of Friday 28 August.
    """
    started = london(2026, 8, 27, 11, 0)
    assert clock_due("triage", started, school(), urgency="high") == london(2026, 8, 28, 17, 0)
    assert clock_due("triage", started, school(), urgency="normal") == london(2026, 8, 28, 17, 0)


def test_high_triage_skips_the_bank_holiday_monday() -> None:
    started = london(2026, 8, 28, 16, 0)  # Friday before the late summer bank holiday
    assert clock_due("triage", started, school(), urgency="high") == london(2026, 9, 1, 17, 0)
    scotland = school(country="scotland")  # 31 August is a working day in Scotland
    assert clock_due("triage", started, scotland, urgency="high") == london(2026, 8, 31, 17, 0)


@pytest.mark.parametrize(
    ("country", "started", "expected", "why"),
    [
        (
            "england",
            (2026, 12, 18, 15, 0),
            (2026, 12, 21, 17, 0),
            "last day of the autumn term: Monday 21 December, not Tuesday 5 January",
        ),
        (
            "england",
            (2027, 3, 27, 10, 0),
            (2027, 3, 30, 17, 0),
            "Saturday of the Easter weekend: Tuesday after Easter Monday, not Monday 12 April",
        ),
        (
            "scotland",
            (2027, 3, 27, 10, 0),
            (2027, 3, 29, 17, 0),
            "... Easter Monday is a working day in Scotland",
        ),
        ("england", (2026, 10, 25, 0, 45), (2026, 10, 26, 17, 0), "Sunday night"),
    ],
)
def test_a_normal_concern_counts_working_days(
    country: str, started: tuple[int, ...], expected: tuple[int, ...], why: str
) -> None:
    """ "Pupil said she is scared to go home": triaged by the end of the next working day, even
    in the school holidays."""
    due = clock_due("triage", london(*started), school(country=country), urgency="normal")
    assert due == london(*expected), why


def test_a_school_that_wrote_school_days_keeps_them(tmp_path: pytest.TempPathFactory) -> None:
    """An existing school.yaml with ``triage_school_days`` keeps school days for normal
    concerns (ending at the end of the first school day), and so does its export."""
    from bot.core.config.store import document

    path = tmp_path / "school.yaml"  # type: ignore[operator]
    path.write_text(
        "organisation: {name: Oak Trust}\nschools:\n  - id: oak\n    name: Oak\n    headteacher: "
        "head@oak.example\n    reports: {triage_school_days: 1}\n    terms:\n      - {name: Autumn "
        "2026, start: 2026-09-03, end: 2026-12-18}\n      - {name: Spring 2027, start: 2027-01-05, "
        "end: 2027-03-25}\n",
        encoding="utf-8",
    )
    org = load_config(path)
    kept = org.schools[0]
    started = london(2026, 12, 18, 15, 0)
    assert clock_due("triage", started, kept) == london(2027, 1, 5, 17, 0)
    assert clock_due("lado", started, kept) == london(2026, 12, 21, 17, 0)  # LADO: working days
    exported = document(org)["schools"][0]["reports"]
    assert exported == {"triage_school_days": 1}
    assert describe_clock(kept.clock_rule("triage", "normal")) == (
        "one school day, ending at the end of the school day; weekends, bank holidays and the "
        "school's holidays are not counted"
    )


def test_the_school_sets_its_own_clocks(tmp_path: object) -> None:
    custom = school(
        reports={
            "triage_school_days": 2,
            "clocks": {
                "ico": {"hours": 48},
                "lado": {"working_days": 1, "end_of_day": True},
                "triage": {"immediate": {"hours": 2}, "normal": {"working_days": 1}},
                "working_day_ends": "16:30",
            },
        }
    )
    started = london(2026, 12, 18, 15, 0)
    assert clock_due("ico", started, custom) == started + timedelta(hours=48)
    assert clock_due("lado", started, custom) == london(2026, 12, 21, 16, 30)
    assert clock_due("triage", started, custom, urgency="immediate") == london(2026, 12, 18, 17, 0)
    assert clock_due("triage", started, custom) == london(2026, 12, 21, 16, 30)
    # without a triage.normal rule, triage_school_days still counts
    two = school(reports={"triage_school_days": 2})
    assert clock_due("triage", london(2026, 10, 22, 16, 30), two) == london(2026, 10, 26, 17, 0)


def test_clock_words() -> None:
    """Which clock applies and why, as the report page and the setup pages say it."""
    reports = school()
    assert describe_clock(reports.clock_rule("ico", "high")) == (
        "72 hours, weekends and holidays included"
    )
    assert describe_clock(reports.clock_rule("triage", "immediate")) == (
        "one hour, weekends and holidays included"
    )
    assert describe_clock(reports.clock_rule("lado", "immediate")) == (
        "one working day, ending at the end of the working day; school holidays do not stop it"
    )
    assert describe_clock(reports.clock_rule("triage", "normal"), time(17, 0)) == (
        "one working day, ending at the end of the working day (17:00); school holidays do not "
        "stop it"
    )
    same_time = school(reports={"clocks": {"lado": {"working_days": 2, "end_of_day": False}}})
    assert describe_clock(same_time.clock_rule("lado", "normal")) == (
        "two working days, at the time of day it started; school holidays do not stop it"
    )


@pytest.mark.parametrize(
    ("clocks", "message"),
    [
        (
            "{ico: {hours: 96}}",
            "reports.clocks.ico: the ico clock (personal data breaches) counts calendar hours, "
            "at most 72",
        ),
        ("{ico: {working_days: 3}}", "(personal data breaches) counts calendar hours"),
        ("{lado: {school_days: 1}}", "the council) work through school holidays"),
        (
            "{triage: {high: {hours: 2, working_days: 1}}}",
            "reports.clocks.triage.high: give exactly one of hours, working_days or school_days",
        ),
        ("{triage: {urgent: {hours: 2}}}", "reports.clocks.triage.urgent"),
        ("{warn_at: [0.5, 1.2]}", "each above 0 and below 1"),
        ("{overdue_max: 0}", "reports.clocks.overdue_max"),
        ("{working_day_ends: 5pm}", "working_day_ends must be a time like '17:00'"),
        (
            "{working_hours: {start: '19:00', end: '07:00'}}",
            "the working hours end (07:00) before they start (19:00)",
        ),
        ("{working_hours: {start: 7am}}", "working_hours start must be a time like '17:00'"),
        (
            "{working_day_ends: '20:00', working_hours: {start: '07:00', end: '19:00'}}",
            "working_day_ends (20:00) must fall inside the working hours (07:00 to 19:00)",
        ),
        ("{lado: {hours: 24, end_of_day: true}}", "end_of_day applies to working_days"),
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


# --------------------------------------------------------------------------- quiet hours


@pytest.mark.parametrize(
    ("country", "moment", "resume", "why"),
    [
        ("england", (2026, 10, 28, 3, 7), (2026, 10, 28, 7, 0), "a weekday night: 07:00"),
        ("england", (2026, 10, 28, 10, 0), (2026, 10, 28, 10, 0), "inside working hours"),
        ("england", (2026, 10, 28, 7, 0), (2026, 10, 28, 7, 0), "working hours start at 07:00"),
        ("england", (2026, 10, 23, 19, 0), (2026, 10, 23, 19, 0), "working hours end at 19:00"),
        ("england", (2026, 10, 23, 19, 1), (2026, 10, 26, 7, 0), "Friday 19:01: Monday 07:00"),
        ("england", (2026, 10, 24, 11, 0), (2026, 10, 26, 7, 0), "Saturday: Monday"),
        (
            "england",
            (2026, 12, 25, 10, 0),
            (2026, 12, 29, 7, 0),
            "Christmas Day: Boxing Day is observed on Monday 28th, so Tuesday",
        ),
        ("england", (2026, 12, 24, 20, 0), (2026, 12, 29, 7, 0), "Christmas Eve evening"),
        (
            "england",
            (2026, 11, 30, 10, 0),
            (2026, 11, 30, 10, 0),
            "St Andrew's Day is a working day in England",
        ),
        ("scotland", (2026, 11, 30, 10, 0), (2026, 12, 1, 7, 0), "... and a bank holiday there"),
        ("england", (2027, 1, 2, 12, 0), (2027, 1, 4, 7, 0), "2 January: only 1 January here"),
        (
            "scotland",
            (2027, 1, 2, 12, 0),
            (2027, 1, 5, 7, 0),
            "2 January is a Scottish bank holiday, observed on Monday 4th",
        ),
        (
            "england",
            (2027, 3, 28, 3, 7),
            (2027, 3, 30, 7, 0),
            "the night the clocks go forward, then Easter Monday: Tuesday 07:00 BST",
        ),
    ],
)
def test_working_hours_resume_on_the_next_working_day(
    country: str, moment: tuple[int, ...], resume: tuple[int, ...], why: str
) -> None:
    oak = school(country=country)
    assert working_hours_resume(oak, london(*moment)) == london(*resume), why
    assert in_working_hours(oak, london(*moment)) == (moment == resume), why


def test_the_school_sets_its_working_hours() -> None:
    late = school(reports={"clocks": {"working_hours": {"start": "08:30", "end": "18:00"}}})
    assert working_hours_resume(late, london(2026, 10, 28, 8, 0)) == london(2026, 10, 28, 8, 30)
    assert working_hours_resume(late, london(2026, 10, 28, 18, 1)) == london(2026, 10, 29, 8, 30)


def test_an_older_files_late_end_of_day_stays_inside_working_hours() -> None:
    """A school.yaml from before quiet hours that says ``working_day_ends: '19:30'`` still
    loads, and its deadlines' "deadline passed" goes at 19:30, not the next morning."""
    late = school(reports={"clocks": {"working_day_ends": "19:30"}})
    assert late.reports.clocks.working_window == (time(7, 0), time(19, 30))
    due = clock_due("lado", london(2026, 10, 26, 10, 0), late)
    assert due == london(2026, 10, 27, 19, 30)
    assert in_working_hours(late, due)


@pytest.mark.parametrize(
    ("kind", "urgency", "stage", "breaks", "why"),
    [
        ("ico", "high", 1, False, "the ICO half-time warning waits for the morning"),
        ("ico", "high", 2, True, "the ICO's last warning before 72 hours pass goes at once"),
        ("ico", "high", 3, True, "... and the ICO deadline passing"),
        ("ico", "high", 4, False, "later overdue reminders wait (they repeat anyway)"),
        ("triage", "immediate", 1, True, "an immediate report's hour goes at any time"),
        ("triage", "immediate", 3, True, "... its deadline passing too"),
        ("triage", "immediate", 4, False, "... but not the repeats after it, at night"),
        ("lado", "immediate", 1, False, "LADO counts working days: its warnings wait"),
        ("lado", "immediate", 3, False, "a LADO deadline passes at 17:00 on a working day"),
        ("triage", "high", 2, False, "day-counted triage waits"),
        ("triage", "normal", 3, False, "day-counted triage waits"),
    ],
)
def test_what_breaks_quiet_hours(
    kind: str, urgency: str, stage: int, breaks: bool, why: str
) -> None:
    oak = school()
    rule = oak.clock_rule(kind, urgency)
    warn_at = oak.reports.clocks.warn_at
    assert breaks_quiet_hours(kind, rule, urgency, stage, warn_at) is breaks, why


@pytest.mark.parametrize("stage", [1, 2, 3])
def test_only_the_immediate_triage_hour_may_wake_anyone_in_wales(stage: int) -> None:
    """Wales' staff route counts 24 real hours, yet ends in office hours (``clock_due``): its
    warnings and its deadline passing wait for working hours like a day clock's."""
    wales = school(country="wales")
    rule = wales.clock_rule("lado", "immediate")
    assert rule.hours == 24
    assert not breaks_quiet_hours("lado", rule, "immediate", stage, wales.reports.clocks.warn_at)


@pytest.mark.parametrize(
    ("category", "urgency", "started", "now", "stage", "why"),
    [
        (
            "data_breach",
            "high",
            (2026, 10, 26, 15, 7),
            (2026, 10, 28, 3, 7),
            0,
            "the ICO half-time warning falls at 03:07 ...",
        ),
        ("data_breach", "high", (2026, 10, 26, 15, 7), (2026, 10, 28, 6, 59), 0, "... waits"),
        (
            "data_breach",
            "high",
            (2026, 10, 26, 15, 7),
            (2026, 10, 28, 7, 0),
            1,
            "... and is reached when working hours start",
        ),
        (
            "data_breach",
            "high",
            (2026, 10, 26, 15, 7),
            (2026, 10, 29, 7, 54),
            1,
            "90% of 72 hours: 07:55 Thursday",
        ),
        ("data_breach", "high", (2026, 10, 26, 15, 7), (2026, 10, 29, 7, 55), 2, ""),
        (
            "nude_images",
            "immediate",
            (2026, 10, 28, 2, 7),
            (2026, 10, 28, 3, 7),
            3,
            "an immediate triage deadline at 03:07 is reached at 03:07",
        ),
        (
            "staff_concern",
            "immediate",
            (2026, 10, 25, 0, 45),
            (2026, 10, 26, 6, 59),
            0,
            "Sunday 00:45 allegation: the half-time warning (Sunday 20:22) waits for Monday",
        ),
        ("staff_concern", "immediate", (2026, 10, 25, 0, 45), (2026, 10, 26, 7, 0), 1, ""),
        (
            "staff_concern",
            "immediate",
            (2026, 10, 25, 0, 45),
            (2026, 10, 26, 12, 59),
            2,
            "90% at 12:52 Monday, inside working hours",
        ),
        (
            "staff_concern",
            "immediate",
            (2026, 10, 25, 0, 45),
            (2026, 10, 26, 17, 0),
            3,
            "deadline passed at 17:00, not at 00:50",
        ),
    ],
)
def test_escalation_stages_wait_for_working_hours(
    category: str,
    urgency: str,
    started: tuple[int, ...],
    now: tuple[int, ...],
    stage: int,
    why: str,
) -> None:
    from bot.features.reports.quiet_hours import quiet_hours_wait
    from bot.features.reports.rules import clock_kind

    oak = school()
    kind = clock_kind(category)
    start = london(*started)
    due = clock_due(kind, start, oak, urgency=urgency)
    wait = quiet_hours_wait(oak, kind, oak.clock_rule(kind, urgency), urgency, due)
    assert escalation_stage(start, due, london(*now), wait=wait) == stage, why


# --------------------------------------------------------------------------- the islands


def test_a_jersey_allegation_skips_liberation_day() -> None:
    """Jersey's own bank holidays: Liberation Day (Friday 9 May 2025) is not a working day, so
    an allegation on Thursday evening is due at the end of Monday 12 May, and a reminder that
    falls on Liberation Day waits for Monday."""
    jersey = school(country="jersey")
    assert not jersey.is_working_day(date(2025, 5, 9))
    assert school(country="england").is_working_day(date(2025, 5, 9))
    due = clock_due("lado", london(2025, 5, 8, 18, 0), jersey, urgency="immediate")
    assert due == london(2025, 5, 12, 17, 0)
    assert working_hours_resume(jersey, london(2025, 5, 9, 10, 0)) == london(2025, 5, 12, 7, 0)


@pytest.mark.parametrize(
    ("country", "regulator"),
    [("jersey", "JOIC"), ("guernsey", "ODPA"), ("isle-of-man", "Information Commissioner")],
)
def test_an_islands_breach_clock_names_its_own_regulator(country: str, regulator: str) -> None:
    island = school(country=country)
    labels = clock_labels(school_words(island))
    assert labels["ico"] == f"{regulator} notification decision"
    said = " ".join(map(str, clock_summary(island)))
    assert f"{regulator} notification decision" in said
    assert not re.search(r"\bICO\b|UK GDPR", said), said
