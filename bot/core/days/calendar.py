"""Working days per nation: weekdays minus that nation's bank holidays (the `holidays` library,
the ISO 3166-2 code its pack names: ``holidays = "GB-WLS"``, or ``"JE"`` for Jersey).

Statutory clocks (LADO, DSL triage) count working days; reminders count school days, which are
working days minus the school's own closures (see ``SchoolConfig.is_school_day``).
"""

from __future__ import annotations

import importlib.util
import sys
from datetime import date, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Annotated

from pydantic import AfterValidator, BeforeValidator

from bot.core.guards.forms import SaidError
from bot.core.language.i18n import N_
from bot.core.nations import COUNTRIES, NATIONS, pack_for

if TYPE_CHECKING:
    import holidays

__all__ = [
    "COUNTRIES",
    "Country",
    "NationError",
    "add_working_days",
    "bank_holiday_name",
    "is_working_day",
    "nation_key",
    "next_working_day",
]


def nation_key(value: object) -> object:
    """A nation as people write it ("Scotland", "NORTHERN IRELAND", "england and wales") as
    the configuration spells it ("northern-ireland"); anything else is returned as it is, for
    the validator to refuse by name. (Case and spaces only: no nation's name has an accent, and
    the calendar stays below the school's words, which read the clock, which reads the config.)"""
    if not isinstance(value, str):
        return value
    return "-".join(value.casefold().replace("-", " ").split())


# the refusal's sentence (said.py reads it back in the reader's language; the ids as written)
UNKNOWN_NATION = N_("unknown nation %(nation)s (one of %(known)s)")


class NationError(SaidError, ValueError):
    """A country there is no pack for."""


def _known(country: str) -> str:
    """A country there is a pack for, else an error naming the ones there are."""
    if country not in COUNTRIES:
        raise NationError(UNKNOWN_NATION, nation=repr(country), known=", ".join(NATIONS))
    return country


# a school's ``country`` as school.yaml and the forms take it ("Northern Ireland" is read as
# "northern-ireland"): one of COUNTRIES, each a pack in bot/core/nations
Country = Annotated[str, BeforeValidator(nation_key), AfterValidator(_known)]


@lru_cache(maxsize=8)
def _holidays_of(code: str) -> holidays.HolidayBase:
    """Bank holidays by ISO 3166-2 code ("GB-WLS", "JE"), substitute days included; years
    fill in as they are asked."""
    import holidays  # lazy: ~0.15 s to import, and ``--help`` needs no calendar

    if "holidays.countries" not in sys.modules:
        # its package's __init__ imports all 200-odd countries (0.26 CPU s, a quarter of a
        # quiet sweep's imports); the registry imports only the one a code names from it
        spec = importlib.util.find_spec("holidays.countries")
        assert spec is not None
        sys.modules["holidays.countries"] = importlib.util.module_from_spec(spec)
    country, _, subdivision = code.partition("-")
    return holidays.country_holidays(country, subdiv=subdivision or None)


def _bank_holidays(country: str) -> holidays.HolidayBase:
    """The bank holidays of the school's nation (its pack's ``holidays``)."""
    return _holidays_of(pack_for(country).holidays)


def bank_holiday_name(country: str, day: date) -> str | None:
    """The bank holiday's name on ``day`` in ``country``, or None."""
    return _bank_holidays(country).get(day)


@lru_cache(maxsize=4096)  # asked for the same days all year (a year's days of 7 nations fit)
def is_working_day(country: str, day: date) -> bool:
    """Monday to Friday and not one of the nation's bank holidays."""
    return day.weekday() < 5 and day not in _bank_holidays(country)


def next_working_day(country: str, day: date) -> date:
    """``day`` itself when it is a working day, else the next one."""
    while not is_working_day(country, day):
        day += timedelta(days=1)
    return day


def add_working_days(country: str, day: date, count: int) -> date:
    """The working day ``count`` working days after ``day`` (``day`` itself need not be one)."""
    for _ in range(count):
        day = next_working_day(country, day + timedelta(days=1))
    return day
