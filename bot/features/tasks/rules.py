"""Recurring tasks' pure rules: finding a task's configuration and naming its periods."""

from __future__ import annotations

import re
from datetime import date, timedelta

from bot.core.config import RequirementConfig, SchoolConfig
from bot.core.guards.forms import Text, parse_iso_date
from bot.core.language.i18n import N_, Dated, Day, Msg
from bot.core.nations import pack_for
from bot.engine.duty_facts import EVENT_CYCLE

__all__ = [
    "EVENT_KINDS",
    "cycle_label",
    "event_kinds",
    "event_label",
    "pack_reviews",
    "review_due",
    "reviews_for",
    "task_config",
]

# what a school records, in its words; the reviews each opens are the school's (``review_on``)
# (``N_``: the catalogue; ``event_kinds`` and ``event_label`` say them in the school's language)
EVENT_KINDS: dict[str, str] = {
    "new_technology": N_("A new technology or AI tool introduced"),
    "working_practice": N_("A change in working practice"),
    "incident": N_("A serious incident or a new safeguarding risk"),
    "provider": N_("A change of provider"),
    "guidance": N_("New statutory guidance in force"),
    "phone_guidance": N_("The government's mobile phone guidance changed"),
}


def event_label(kind: str) -> Text:
    """What changed, said where shown (an unknown kind as it is stored)."""
    return Msg(EVENT_KINDS[kind]) if kind in EVENT_KINDS else kind


def reviews_for(school: SchoolConfig, kind: str) -> list[RequirementConfig]:
    """The recurring tasks an event of this kind opens a dated review of."""
    return [c for c in school.requirements if c.kind == "recurring_task" and kind in c.review_on]


def review_due(school: SchoolConfig, today: date, within: int) -> date:
    """``within`` school days after ``today``, never in a holiday: past the configured terms,
    the last school day of them (sooner, not later); with no term ahead, working days."""
    due = school.add_school_days(today, within)
    while due > today and not school.is_school_day(due):
        due -= timedelta(days=1)
    return due if due > today else school.add_working_days(today, within)


def event_kinds(school: SchoolConfig) -> dict[str, Text]:
    """The kinds of event that open at least one of this school's reviews, in its words."""
    return {k: event_label(k) for k in EVENT_KINDS if reviews_for(school, k)}


def pack_reviews(school: SchoolConfig) -> list[tuple[str, str | None, str | None, str | None]]:
    """What the school's nation pack opens for each kind of change, as the reviews page lists
    it: (kind, the review's title, its source's address, the search made where not stated)."""
    pack = pack_for(school.country)
    items = {item.id: item for item in pack.statutory}
    rows: list[tuple[str, str | None, str | None, str | None]] = []
    for kind, answer in pack.reviews.items():
        item = items.get(answer.opens or "")
        title = str(item.requirement.get("title") or item.id) if item else None
        rows.append((kind, title, item.source.url if item else None, answer.searched))
    return rows


def task_config(school: SchoolConfig, key: str) -> RequirementConfig | None:
    """The recurring-task requirement with this key, if it is still configured."""
    return next(
        (cfg for cfg in school.requirements if cfg.id == key and cfg.kind == "recurring_task"), None
    )


def cycle_label(cfg: RequirementConfig | None, cycle: str) -> Text:
    """A cycle key in words: 'the week beginning Monday 23 November 2026', 'Autumn 2026'; said
    where shown ('yr wythnos yn dechrau Dydd Llun 23 Tachwedd 2026')."""
    if cycle.startswith(EVENT_CYCLE):
        return Msg("the review after a recorded change")
    if (week := re.fullmatch(r"(\d{4})-W(\d{2})", cycle)) is not None:
        monday = date.fromisocalendar(int(week[1]), int(week[2]), 1)
        return Msg("the week beginning %(day)s", day=Day(monday))
    if cfg is not None and cfg.every == "yearly":
        if len(cycle) == 4:
            return Msg("the year %(year)s", year=cycle)
        return Msg("the school year %(year)s", year=cycle)
    if (month := re.fullmatch(r"(\d{4})-(\d{2})", cycle)) is not None:
        first = date(int(month[1]), int(month[2]), 1)
        return Dated(first, "%B %Y", "MMMM y")
    if (start := parse_iso_date(cycle)) is not None:
        return Msg("the period starting %(day)s", day=Day(start))
    if re.search(r"\bterm\b", cycle, re.IGNORECASE):
        return cycle  # the school's own name already says it: 'Term 1 2026', 'Half term 3 2027'
    return Msg("the %(term)s term", term=cycle)
