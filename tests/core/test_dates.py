"""One window for every typed or imported date (bot.core.days.dates), and arithmetic that never
overflows on a date stored before the window was checked."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.config import ConfigError, load_config
from bot.core.days.dates import (
    CALENDAR,
    HAPPENED,
    REVIEW,
    START,
    DateWindow,
    DateWindowError,
    shift,
)
from bot.engine.periods import add_months
from bot.features.policies.rules import alert_stages, latest_stage
from tests.support.helpers import SchoolBuilder

TODAY = date(2026, 11, 24)


@pytest.mark.parametrize(
    ("window", "inside", "outside"),
    [
        (REVIEW, date(2036, 11, 24), date(2036, 11, 25)),
        (HAPPENED, date(2027, 11, 24), date(2027, 11, 25)),
        (CALENDAR, date(2031, 11, 24), date(2031, 11, 25)),
        (START, date(1950, 1, 1), date(1949, 12, 31)),
        (REVIEW, date(2000, 1, 1), date(1999, 12, 31)),
    ],
)
def test_each_window_takes_its_edge_and_refuses_the_next_day(
    window: DateWindow, inside: date, outside: date
) -> None:
    assert window.check(inside, "Some date", TODAY) == inside
    with pytest.raises(DateWindowError, match=r"^Some date: .* check the year\.$") as refused:
        window.check(outside, "Some date", TODAY)
    assert refused.value.field == "Some date"


def test_a_typed_date_names_the_field_whatever_is_wrong() -> None:
    assert REVIEW.parse(" 2027-06-30 ", "Next review date", TODAY) == date(2027, 6, 30)
    with pytest.raises(DateWindowError, match=r"^Next review date: give a date like 2027-06-30"):
        REVIEW.parse("next June", "Next review date", TODAY)
    with pytest.raises(DateWindowError, match=r"^Next review date: 9999-12-31 is too far ahead"):
        REVIEW.parse("9999-12-31", "Next review date", TODAY)


@given(st.dates(), st.integers(min_value=-4_000_000, max_value=4_000_000))
def test_shift_and_add_months_stop_at_the_calendar_ends(day: date, days: int) -> None:
    assert date.min <= shift(day, days) <= date.max
    assert date.min <= add_months(day, days // 1000) <= date.max


def test_alert_stages_of_a_stored_far_date_do_not_overflow() -> None:
    assert latest_stage(date(9999, 12, 31), TODAY) is None
    assert alert_stages(date(9999, 12, 31), date.max)[-1].on <= date.max
    assert alert_stages(date(1, 1, 1), TODAY)[0].on == date.min


def test_school_yaml_dates_outside_their_window_name_the_key(school: SchoolBuilder) -> None:
    school.policy("online-safety", "1", next_review="9999-12-31")
    school.school["holidays"] = ["2026-12-24", "1066-10-14"]
    path = school.write() / "school.yaml"
    with pytest.raises(ConfigError) as refused:
        load_config(path)
    said = str(refused.value)
    assert "next_review" in said and "9999-12-31 is too far ahead" in said
    assert "holidays" in said and "1066-10-14 is too long ago" in said


def test_a_staff_export_and_the_people_form_name_a_start_date_out_of_its_window() -> None:
    from bot.features.people.rules import parse_entry
    from connectors.local.staff_export import staff_date

    assert staff_date("01/09/1985", "Employment Start Date") == date(1985, 9, 1)
    with pytest.raises(ValueError, match=r"^Employment Start Date: 1900-01-01 is too long ago"):
        staff_date("01/01/1900", "Employment Start Date")
    _, errors = parse_entry(
        {"name": "Pat Lee", "email": "pat@oak.example", "start_date": "2099-09-01"},
        ["staff"],
        TODAY,
    )
    said = {key: str(error) for key, error in errors.items()}
    assert said == {
        "start_date": "Start date: 2099-09-01 is too far ahead — the latest date "
        "accepted is 2028-11-24 (2 years from today); check the year"
    }
