"""The demo school's term dates: the one part of its folder made for the day it runs (a real
school gives its calendar; the demo's must fit whatever day it is run on)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml

from bot.core.days.calendar import bank_holiday_name, is_working_day, next_working_day

__all__ = ["inset_days", "term_dates"]

# A real English school year: the 2026-27 dates most local authorities in England published
# (autumn 1 Sep-18 Dec with half term 26-30 Oct, spring 4 Jan-25 Mar with half term 15-19 Feb,
# summer 12 Apr-21 Jul with half term 31 May-4 Jun), as the demo's answers give them. The spring
# term ends on Thursday 25 March: Good Friday (26 March) and Easter Monday are bank holidays,
# which the calendar adds itself.
ANSWERS = Path(__file__).parent / "data" / "answers.yaml"
COUNTRY = "england"


def _published() -> dict[str, Any]:
    """The 2026-27 terms and staff training (INSET) days of the demo's answers."""
    return dict(yaml.safe_load(ANSWERS.read_text(encoding="utf-8"))["terms"])


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
    published = _published()["dates"]
    y = _school_year(today)
    if y == 2026:
        return list(published)
    # whole weeks keep the weekdays (terms start on a Tuesday, end on a Friday)
    offset = timedelta(weeks=52 * (y - 2026))
    if published[0]["start"] + offset < date(y, 8, 31):
        offset += timedelta(weeks=1)
    good_friday = _good_friday(y + 1)
    terms = []
    for term in published:
        name, start, end = term["name"], term["start"] + offset, term["end"] + offset
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
        return list(_published()["inset_days"])
    return [next_working_day(COUNTRY, t["start"]) for t in term_dates(today)[::2]]
