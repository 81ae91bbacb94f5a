"""Working days per UK nation: weekdays minus that nation's bank holidays (the `holidays` library).

Statutory clocks (LADO, DSL triage) count working days; reminders count school days, which are
working days minus the school's own closures (see ``SchoolConfig.is_school_day``).
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache
from typing import Literal

import holidays

from bot.core.words import plain_key

__all__ = [
    "COUNTRIES",
    "Country",
    "add_working_days",
    "bank_holiday_name",
    "is_working_day",
    "nation_key",
    "next_working_day",
]

Country = Literal["england-and-wales", "england", "wales", "scotland", "northern-ireland"]
COUNTRIES: tuple[str, ...] = (
    "england-and-wales",
    "england",
    "wales",
    "scotland",
    "northern-ireland",
)


def nation_key(value: object) -> object:
    """A nation as people write it ("Scotland", "NORTHERN IRELAND", "england and wales") as
    the configuration spells it ("northern-ireland"); anything else is returned as it is, for
    the validator to refuse by name."""
    if not isinstance(value, str):
        return value
    return "-".join(plain_key(value).replace("-", " ").split())


_SUBDIVISION = {
    "england-and-wales": "ENG",
    "england": "ENG",
    "wales": "WLS",
    "scotland": "SCT",
    "northern-ireland": "NIR",
}


@lru_cache(maxsize=8)
def _bank_holidays(country: str) -> holidays.HolidayBase:
    """The nation's bank holidays, substitute days included; years fill in as they are asked."""
    return holidays.country_holidays("GB", subdiv=_SUBDIVISION[country])


def bank_holiday_name(country: str, day: date) -> str | None:
    """The bank holiday's name on ``day`` in ``country``, or None."""
    return _bank_holidays(country).get(day)


def is_working_day(country: str, day: date) -> bool:
    """Monday to Friday and not one of the nation's bank holidays."""
    return day.weekday() < 5 and day not in _bank_holidays(country)


def next_working_day(country: str, day: date) -> date:
    """``day`` itself when it is a working day, else the next one."""
    current = day
    while not is_working_day(country, current):
        current += timedelta(days=1)
    return current


def add_working_days(country: str, day: date, count: int) -> date:
    """The working day ``count`` working days after ``day`` (``day`` itself need not be one)."""
    current = day
    for _ in range(count):
        current = next_working_day(country, current + timedelta(days=1))
    return current
