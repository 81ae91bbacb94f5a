"""Working days per UK nation: bank holidays from the `holidays` library, school days on top."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

import pytest

from bot.core.config import SchoolConfig, Term
from bot.core.days.calendar import (
    add_working_days,
    bank_holiday_name,
    is_working_day,
    next_working_day,
)


@pytest.mark.parametrize(
    ("country", "day", "name"),
    [
        ("england-and-wales", date(2027, 3, 26), "Good Friday"),
        ("england-and-wales", date(2027, 3, 29), "Easter Monday"),
        ("england-and-wales", date(2027, 5, 3), "May Day"),
        ("england-and-wales", date(2026, 12, 28), "Boxing Day (observed)"),
        ("scotland", date(2027, 1, 4), "New Year Holiday (observed)"),
        ("scotland", date(2027, 8, 2), "Summer Bank Holiday"),
        ("northern-ireland", date(2027, 3, 17), "Saint Patrick's Day"),
        ("northern-ireland", date(2027, 7, 12), "Battle of the Boyne"),
    ],
)
def test_each_nation_knows_its_bank_holidays(country: str, day: date, name: str) -> None:
    assert not is_working_day(country, day)
    assert name in (bank_holiday_name(country, day) or "")


def test_easter_monday_is_a_working_day_in_scotland_but_not_england() -> None:
    assert is_working_day("scotland", date(2027, 3, 29))
    assert not is_working_day("england-and-wales", date(2027, 3, 29))


def test_adding_working_days_skips_christmas_and_weekends() -> None:
    # Friday 18 December 2026 + 1 working day = Monday 21; + 5 = Tuesday 29 (25, 28 closed)
    assert add_working_days("england-and-wales", date(2026, 12, 18), 1) == date(2026, 12, 21)
    assert add_working_days("england-and-wales", date(2026, 12, 24), 1) == date(2026, 12, 29)
    assert add_working_days("england-and-wales", date(2026, 12, 31), 1) == date(2027, 1, 4)
    assert next_working_day("england-and-wales", date(2027, 3, 26)) == date(2027, 3, 30)


def test_school_days_are_working_days_minus_the_schools_closures() -> None:
    school = SchoolConfig.model_validate(
        {
            "id": "oak",
            "name": "Oak Primary",
            "headteacher": "head@oak.example",
            "terms": [Term(name="Summer", start=date(2027, 4, 12), end=date(2027, 7, 21))],
            "inset_days": [date(2027, 4, 12)],
        }
    )
    assert school.country == "england-and-wales"
    assert not school.is_school_day(date(2027, 4, 12))  # INSET
    assert school.is_school_day(date(2027, 4, 13))
    assert not school.is_school_day(date(2027, 5, 3))  # May Day: no one types it in
    assert school.is_working_day(date(2027, 8, 2))  # summer holiday, still a working day
    assert not school.is_school_day(date(2027, 8, 2))
    assert school.add_working_days(date(2027, 7, 30), 1) == date(2027, 8, 2)


def test_an_unknown_country_is_refused() -> None:
    with pytest.raises(ValueError, match="country"):
        SchoolConfig.model_validate(
            {"id": "oak", "name": "Oak", "headteacher": "h@oak.example", "country": "france"}
        )


def test_a_nations_bank_holidays_load_its_country_alone() -> None:
    """The `holidays` library's countries package imports every country it knows (a quarter of
    a quiet sweep's imports); a school's calendar loads its own country's module only, and the
    Crown dependencies' days still come through. Counted, not timed, in a fresh process."""
    probe = (
        "import sys\n"
        "from datetime import date\n"
        "from bot.core.days.calendar import bank_holiday_name\n"
        "print(bank_holiday_name('jersey', date(2026, 5, 9)),"
        " bank_holiday_name('scotland', date(2026, 11, 30)), sep='|')\n"
        "print(sorted(m for m in sys.modules if m.startswith('holidays.countries.')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert out[0] == "Liberation Day|Saint Andrew's Day"
    assert out[1] == "['holidays.countries.jersey', 'holidays.countries.united_kingdom']"
