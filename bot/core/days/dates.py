"""Sane dates: one rule, here, for every date a person types or a file brings in.

A date far outside any school's life (9999-12-31, 1900-01-01, a two-digit year read as 0026)
is almost always a typo, and stored it breaks the arithmetic that works out alerts and clocks
for every school of the install. So each kind of date has a window — from a fixed earliest
day to a number of years after today — and a date outside it is refused with the field named,
before anything is stored. Web forms, the command line, the imports (policy documents, training
CSVs, term calendars, staff exports) and school.yaml all ask the same window here.

``shift`` is the other half of the promise: date arithmetic that stays safe on a date stored
before this rule existed (it stops at the calendar's ends instead of raising).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.guards.forms import SaidError
from bot.core.language.i18n import N_, Msg, nmsg

__all__ = [
    "AS_OF",
    "CALENDAR",
    "HAPPENED",
    "REVIEW",
    "START",
    "DateCellError",
    "DateWindow",
    "DateWindowError",
    "london_today",
    "read_uk_date",
    "shift",
    "years_after",
]


class DateWindowError(SaidError, ValueError):
    """A date outside its field's window: one plain line naming the field (its label said in
    the reader's language where the catalogue has it; a number of years in its plural form)."""

    def __init__(self, message: str, field: str, *, years: int | None = None, **values: object):
        super().__init__(message, field=Msg(field), **values)
        self.field, self.years = field, years


def _too_far(years: int, **values: object) -> Msg:
    """A date too far ahead, the years in their plural form (``day``, ``latest``)."""
    return nmsg(
        "%(day)s is too far ahead — the latest date accepted is %(latest)s (%(years)d year "
        "from today); check the year",
        "%(day)s is too far ahead — the latest date accepted is %(latest)s (%(years)d years "
        "from today); check the year",
        years,
        years=years,
        **values,
    )


TOO_LONG_AGO = N_(
    "%(day)s is too long ago — the earliest date accepted is %(earliest)s; check the year"
)


def years_after(day: date, years: int) -> date:
    """The same day ``years`` later (28 February for 29 February in a common year)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True)
class DateWindow:
    """The days a kind of date may fall on: ``earliest`` to ``years_ahead`` years after today."""

    earliest: date
    years_ahead: int

    def latest(self, today: date) -> date:
        """The last accepted day, seen from ``today``."""
        return years_after(today, self.years_ahead)

    def problem(self, day: date, today: date) -> Msg | None:
        """What is wrong with ``day`` in plain words (None when it is inside the window)."""
        refused = self.refusal(day, "", today)
        if refused is None:
            return None
        if refused.years is not None:
            return _too_far(
                refused.years, day=day.isoformat(), latest=self.latest(today).isoformat()
            )
        return Msg(TOO_LONG_AGO, day=day.isoformat(), earliest=self.earliest.isoformat())

    def refusal(self, day: date, field: str, today: date) -> DateWindowError | None:
        """The refusal of ``day`` naming ``field`` (a label marked ``N_`` is said in the
        page's language), or None when it is inside the window."""
        if day < self.earliest:
            return DateWindowError(
                N_(
                    "%(field)s: %(day)s is too long ago — the earliest date accepted is "
                    "%(earliest)s; check the year."
                ),
                field,
                day=day.isoformat(),
                earliest=self.earliest.isoformat(),
            )
        latest = self.latest(today)
        if day > latest:
            values = {"day": day.isoformat(), "latest": latest.isoformat()}
            return DateWindowError(
                N_("%(field)s: %(problem)s."),
                field,
                years=self.years_ahead,
                problem=_too_far(self.years_ahead, **values),
                **values,
            )
        return None

    def check(self, day: date, field: str, today: date) -> date:
        """``day`` when it is inside the window; else ``DateWindowError`` naming ``field``."""
        refused = self.refusal(day, field, today)
        if refused is not None:
            raise refused
        return day

    def parse(self, text: str, field: str, today: date, *, example: str = "2027-06-30") -> date:
        """A typed ISO date (YYYY-MM-DD) inside the window; else ``DateWindowError``."""
        try:
            day = date.fromisoformat(text.strip())
        except ValueError:
            raise DateWindowError(
                N_("%(field)s: give a date like %(example)s (got %(got)s)."),
                field,
                example=example,
                got=repr(text.strip()[:40]),
            ) from None
        return self.check(day, field, today)


_Y2K = date(2000, 1, 1)
# a policy's next review, a decision's review: governors review at least every few years
REVIEW = DateWindow(_Y2K, 10)
# something that has happened (a review meeting, ratification, training, publication): a year
# ahead at most here; each feature says "not in the future" itself where that is the rule
HAPPENED = DateWindow(_Y2K, 1)
# term dates, holidays, INSET and open days: a school publishes a few years ahead at most
CALENDAR = DateWindow(_Y2K, 5)
# a member of staff's start date: long service goes back decades; a new starter a year ahead
START = DateWindow(date(1950, 1, 1), 2)
# "act as if today were" on the command line
AS_OF = DateWindow(_Y2K, 10)


def shift(day: date, days: int) -> date:
    """``day`` plus ``days``, stopping at the calendar's ends (never ``OverflowError``)."""
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return date.max if days > 0 else date.min


def london_today() -> date:
    """Today in Europe/London, for a file read where no ``today`` is handed in (school.yaml, a
    staff export): the windows only ever widen as days pass, so a file read valid stays valid."""
    return datetime.now(ZoneInfo("Europe/London")).date()


_EXCEL_EPOCH = date(1899, 12, 30)  # Excel's day 0 (it counts a 29 February 1900 that never was)
_FORMATS = (
    "%Y-%m-%d",
    "%d/%m/%Y",
    "%d-%m-%Y",
    "%d.%m.%Y",
    "%d %b %Y",
    "%d %B %Y",
    "%d-%b-%Y",
    "%d-%b-%y",
    "%d %b %y",
    "%Y-%m-%d %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y %H:%M:%S",
)
_SERIAL = re.compile(r"^\d{5}(\.0+)?$")
_SHORT_YEAR = re.compile(r"^\d{1,2}[/.-]\d{1,2}[/.-]\d{2}$")


def read_uk_date(text: str, column: str) -> date:
    """A date cell of a school's file: ISO, UK day-first (01/09/2026), "1 Sep 2026" or an Excel
    serial number (46266); never month-first, never a two-digit year. ValueError naming
    ``column`` otherwise (the caller asks the date's window)."""
    if _SERIAL.match(text):
        serial = int(float(text))
        if 20000 <= serial <= 80000:  # 1954 to 2119: a start date, not a stray number
            return _EXCEL_EPOCH + timedelta(days=serial)
    if _SHORT_YEAR.match(text):
        raise DateCellError(
            N_(
                "%(column)s has a two-digit year (got %(got)s); write the whole "
                "year, e.g. 01/09/2026"
            ),
            column=column,
            got=repr(text),
        )
    for fmt in _FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise DateCellError(
        N_(
            "%(column)s must be a date like 2026-09-01 or 01/09/2026 (got "
            "%(got)s); dates are read day first, as in the UK"
        ),
        column=column,
        got=repr(text),
    )


class DateCellError(SaidError, ValueError):
    """A file's date cell that is not a date (``read_uk_date``), naming its column."""
