"""The demo school's term dates: the one part of its folder made for the day it runs (a real
school gives its calendar; the demo's must fit whatever day it is run on)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from bot.core.calendar import bank_holiday_name, is_working_day, next_working_day

__all__ = ["inset_days", "term_dates"]

# A real English school year: the 2026-27 dates most local authorities in England published
# (autumn 1 Sep-18 Dec with half term 26-30 Oct, spring 4 Jan-25 Mar with half term 15-19 Feb,
# summer 12 Apr-21 Jul with half term 31 May-4 Jun). The spring term ends on Thursday 25 March:
# Good Friday (26 March) and Easter Monday are bank holidays, which the calendar adds itself.
_TERMS_2026_27: tuple[tuple[str, date, date], ...] = (
    ("Autumn 1", date(2026, 9, 1), date(2026, 10, 23)),
    ("Autumn 2", date(2026, 11, 2), date(2026, 12, 18)),
    ("Spring 1", date(2027, 1, 4), date(2027, 2, 12)),
    ("Spring 2", date(2027, 2, 22), date(2027, 3, 25)),
    ("Summer 1", date(2027, 4, 12), date(2027, 5, 28)),
    ("Summer 2", date(2027, 6, 7), date(2027, 7, 21)),
)
# staff training (INSET) days of that year: no pupils, no reminders
_INSET_2026_27: tuple[date, ...] = (
    date(2026, 9, 1),
    date(2026, 10, 23),
    date(2026, 12, 4),
    date(2027, 5, 28),
    date(2027, 6, 7),
)
COUNTRY = "england"


def _school_year(today: date) -> int:
    """The calendar year the school year containing ``today`` starts in (August onwards)."""
    return today.year if today.month >= 8 else today.year - 1


def _good_friday(year: int) -> date:
    """Good Friday of ``year``, from the bank holiday calendar."""
    return next(
        day
        for day in (date(year, 3, 20) + timedelta(days=n) for n in range(36))
        if bank_holiday_name(COUNTRY, day) == "Good Friday"
    )


def term_dates(today: date) -> list[dict[str, Any]]:
    """The terms of the English school year containing ``today``, with half terms.

    2026-27 is the real published calendar; other years follow its pattern, with each term
    starting and ending on a working day and the spring term ending before Good Friday.
    """
    y = _school_year(today)
    if y == 2026:
        return [{"name": n, "start": s, "end": e} for n, s, e in _TERMS_2026_27]
    # whole weeks keep the weekdays (terms start on a Tuesday, end on a Friday)
    offset = timedelta(weeks=52 * (y - 2026))
    if _TERMS_2026_27[0][1] + offset < date(y, 8, 31):
        offset += timedelta(weeks=1)
    good_friday = _good_friday(y + 1)
    terms = []
    for name, first, last in _TERMS_2026_27:
        start, end = first + offset, last + offset
        if name == "Spring 2" and start <= good_friday <= end + timedelta(days=7):
            end = good_friday - timedelta(days=1)  # the spring term ends before Easter
        while not is_working_day(COUNTRY, end):
            end -= timedelta(days=1)
        terms.append({"name": name, "start": next_working_day(COUNTRY, start), "end": end})
    return terms


def inset_days(today: date) -> list[date]:
    """The staff training days of the school year containing ``today``."""
    y = _school_year(today)
    if y == 2026:
        return list(_INSET_2026_27)
    return [next_working_day(COUNTRY, t["start"]) for t in term_dates(today)[::2]]
