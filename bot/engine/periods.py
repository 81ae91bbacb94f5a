"""Periods: whole months added to a date, the school year's start, and the periods of a
recurring task (weeks, months, terms, school years, every N days) with the one owed today.
Pure: ``today`` and the school's calendar are passed in."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import MAXYEAR, MINYEAR, date, timedelta

from bot.core.config import RequirementConfig, SchoolConfig, Term

__all__ = [
    "WEEKLY_DUE_WEEKDAY",
    "TaskPeriod",
    "add_months",
    "current_task_period",
    "cycle_start",
    "task_period",
    "term_base",
]


def add_months(day: date, months: int) -> date:
    """``day`` plus whole months, clamped to the month's end (31 Jan + 1 month = 28/29 Feb)
    and to the calendar's ends (a date stored before ``bot.core.days.dates`` checked it)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    if not MINYEAR <= year <= MAXYEAR:
        return date.max if months > 0 else date.min
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover - 28 always exists


def cycle_start(today: date, month_day: str) -> date:
    """The latest ``MM-DD`` on or before ``today`` (e.g. the 1 September the year began)."""
    month, day = int(month_day[:2]), int(month_day[3:])
    this_year = date(today.year, month, day)
    return this_year if this_year <= today else date(today.year - 1, month, day)


WEEKLY_DUE_WEEKDAY = 4  # a weekly task is due by the Friday of its week at the latest
_HALF_TERM_WORDS = frozenset({"term", "half", "first", "second", "st", "nd", "part", "a", "b"})
_LOOK_BACK_DAYS = 400  # how far back to look for a period with school days in it


@dataclass(frozen=True)
class TaskPeriod:
    """One period of a recurring task: its cycle key, first and last day, and latest due day."""

    key: str  # "2026-W48", "2026-11", "Autumn 2026", "2026-27", or a start date (every_days)
    start: date
    end: date
    due_by: date


def term_base(name: str) -> str:
    """A term's name without its half-term part: 'Autumn 1' and 'Autumn term 2' are 'Autumn'."""
    words = re.findall(r"[A-Za-z]+|\d+", name)
    while words and (words[-1].isdigit() or words[-1].lower() in _HALF_TERM_WORDS):
        words.pop()
    return " ".join(words) or name.strip()


def _joins(base: str, previous: str, gap_days: int) -> bool:
    """Whether a term is the second half of the one before: the same name apart from a half
    number ('Autumn 1', 'Autumn 2'), a real word (not 'HT' or 'T'), close after it."""
    return len(base) >= 3 and base.lower() == previous.lower() and gap_days <= 31


def _merged_terms(terms: Sequence[Term]) -> list[TaskPeriod]:
    """Configured terms in date order, half terms of the same term joined ('Autumn 2026');
    any other names are the school's own terms, as many as it gives ('Term 1', 'HT3')."""
    merged: list[tuple[str, date, date]] = []
    for term in sorted(terms, key=lambda t: t.start):
        base = term_base(term.name)
        base = base if len(base) >= 3 else term.name.strip()  # 'HT1' is not half of 'HT'
        if merged and _joins(base, merged[-1][0], (term.start - merged[-1][2]).days):
            merged[-1] = (merged[-1][0], merged[-1][1], max(merged[-1][2], term.end))
        else:
            merged.append((base, term.start, term.end))
    return [TaskPeriod(f"{name} {start.year}", start, end, end) for name, start, end in merged]


def _usual_term(day: date) -> TaskPeriod:
    """England's usual three terms, only for a school that has configured no terms at all."""
    year = day.year
    if day.month >= 9:
        name, start, end = "Autumn", date(year, 9, 1), date(year, 12, 31)
    elif day.month <= 3:
        name, start, end = "Spring", date(year, 1, 1), date(year, 3, 31)
    else:
        name, start, end = "Summer", date(year, 4, 1), date(year, 8, 31)
    return TaskPeriod(f"{name} {year}", start, end, end)


def _term_period(day: date, terms: Sequence[Term]) -> TaskPeriod | None:
    """The configured term ``day`` falls in; the holiday after a term still belongs to it.

    Before the first configured term nothing is owed (None); after the last one the last term
    stays the current one, so nothing is invented or backdated until next year's dates are
    added (the dashboard and ``status`` ask for them: ``term_dates_question``).
    """
    if not terms:
        return _usual_term(day)
    merged = _merged_terms(terms)
    found: TaskPeriod | None = None
    for index, term in enumerate(merged):
        if term.start > day:
            break
        following = merged[index + 1] if index + 1 < len(merged) else None
        found = (
            term if following is None else replace(term, end=following.start - timedelta(days=1))
        )
    return found


def task_period(
    cfg: RequirementConfig, day: date, anchor: date, terms: Sequence[Term] = ()
) -> TaskPeriod | None:
    """The period of a recurring task that contains ``day``.

    Weekly periods are ISO weeks (due by Friday), monthly ones calendar months, termly ones the
    school's configured terms (half terms named like 'Autumn 1'/'Autumn 2' are one term; none
    before the first, the last one after it; England's usual terms only when the school has
    configured none), yearly ones start on ``yearly_on`` (default the school
    year, 09-01); ``every_days`` periods run from ``anchor`` (None before it).
    """
    if cfg.every_days is not None:
        if day < anchor:
            return None
        start = anchor + timedelta(days=(day - anchor).days // cfg.every_days * cfg.every_days)
        end = start + timedelta(days=cfg.every_days - 1)
        return TaskPeriod(start.isoformat(), start, end, end)
    if cfg.every == "weekly":
        start = day - timedelta(days=day.weekday())
        iso = start.isocalendar()
        return TaskPeriod(
            f"{iso.year}-W{iso.week:02d}",
            start,
            start + timedelta(days=6),
            start + timedelta(days=WEEKLY_DUE_WEEKDAY),
        )
    if cfg.every == "monthly":
        start = day.replace(day=1)
        end = add_months(start, 1) - timedelta(days=1)
        return TaskPeriod(f"{start:%Y-%m}", start, end, end)
    if cfg.every == "termly":
        return _term_period(day, terms)
    if cfg.every == "yearly":
        start = cycle_start(day, cfg.yearly_on or "09-01")
        end = add_months(start, 12) - timedelta(days=1)
        key = (
            str(start.year)
            if (start.month, start.day) == (1, 1)
            else f"{start.year}-{(start.year + 1) % 100:02d}"
        )
        return TaskPeriod(key, start, end, end)
    return None


def current_task_period(
    cfg: RequirementConfig, today: date, anchor: date, school: SchoolConfig | None = None
) -> TaskPeriod | None:
    """The period a recurring task is owed for today: the latest one with a school day in it.

    A half-term week or the summer holiday owes nothing new, so last week's task stays the
    current one (and keeps its reminders) until school starts again.
    """
    terms = school.terms if school is not None else ()
    period = task_period(cfg, today, anchor, terms)
    if school is None:
        return period
    floor = today - timedelta(days=_LOOK_BACK_DAYS)
    while period is not None and period.start >= floor:
        days = (period.due_by - period.start).days + 1
        if any(school.is_school_day(period.start + timedelta(n)) for n in range(days)):
            return period
        period = task_period(cfg, period.start - timedelta(days=1), anchor, terms)
    return None
