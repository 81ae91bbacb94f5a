"""Recurring tasks' pure rules: finding a task's configuration and naming its periods."""

from __future__ import annotations

import re
from datetime import date, timedelta

from bot.core.config import RequirementConfig, SchoolConfig
from bot.core.forms import parse_iso_date
from bot.core.messages import human_date
from bot.engine.duties import EVENT_CYCLE

__all__ = [
    "EVENT_KINDS",
    "cycle_label",
    "event_kinds",
    "review_due",
    "reviews_for",
    "task_config",
]

# what a school records, in its words; the reviews each opens are the school's (``review_on``)
EVENT_KINDS: dict[str, str] = {
    "new_technology": "A new technology or AI tool introduced",
    "working_practice": "A change in working practice",
    "incident": "A serious incident or a new safeguarding risk",
    "provider": "A change of provider",
    "guidance": "New statutory guidance in force",
    "phone_guidance": "The government's mobile phone guidance changed",
}


def reviews_for(school: SchoolConfig, kind: str) -> list[RequirementConfig]:
    """The recurring tasks an event of this kind opens a dated review of."""
    return [c for c in school.requirements
            if c.kind == "recurring_task" and kind in c.review_on]


def review_due(school: SchoolConfig, today: date, within: int) -> date:
    """``within`` school days after ``today``, never in a holiday: past the configured terms,
    the last school day of them (sooner, not later); with no term ahead, working days."""
    due = school.add_school_days(today, within)
    while due > today and not school.is_school_day(due):
        due -= timedelta(days=1)
    return due if due > today else school.add_working_days(today, within)


def event_kinds(school: SchoolConfig) -> dict[str, str]:
    """The kinds of event that open at least one of this school's reviews, in its words."""
    return {k: label for k, label in EVENT_KINDS.items() if reviews_for(school, k)}


def task_config(school: SchoolConfig, key: str) -> RequirementConfig | None:
    """The recurring-task requirement with this key, if it is still configured."""
    return next((cfg for cfg in school.requirements
                 if cfg.id == key and cfg.kind == "recurring_task"), None)


def cycle_label(cfg: RequirementConfig | None, cycle: str) -> str:
    """A cycle key in words: 'the week beginning Monday 23 November 2026', 'Autumn 2026'."""
    if cycle.startswith(EVENT_CYCLE):
        return "the review after a recorded change"
    if (week := re.fullmatch(r"(\d{4})-W(\d{2})", cycle)) is not None:
        monday = date.fromisocalendar(int(week[1]), int(week[2]), 1)
        return f"the week beginning {human_date(monday)}"
    if cfg is not None and cfg.every == "yearly":
        return f"the year {cycle}" if len(cycle) == 4 else f"the school year {cycle}"
    if (month := re.fullmatch(r"(\d{4})-(\d{2})", cycle)) is not None:
        return f"{date(int(month[1]), int(month[2]), 1):%B %Y}"
    if (start := parse_iso_date(cycle)) is not None:
        return f"the period starting {human_date(start)}"
    if re.search(r"\bterm\b", cycle, re.IGNORECASE):
        return cycle  # the school's own name already says it: 'Term 1 2026', 'Half term 3 2027'
    return f"the {cycle} term"
