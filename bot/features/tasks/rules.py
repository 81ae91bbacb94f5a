"""Recurring tasks' pure rules: finding a task's configuration and naming its periods."""

from __future__ import annotations

import re
from datetime import date

from bot.core.config import RequirementConfig, SchoolConfig
from bot.core.forms import parse_iso_date
from bot.core.messages import human_date

__all__ = ["cycle_label", "task_config"]


def task_config(school: SchoolConfig, key: str) -> RequirementConfig | None:
    """The recurring-task requirement with this key, if it is still configured."""
    for cfg in school.requirements:
        if cfg.id == key and cfg.kind == "recurring_task":
            return cfg
    return None


def cycle_label(cfg: RequirementConfig | None, cycle: str) -> str:
    """A cycle key in words: 'the week beginning Monday 23 November 2026', 'Autumn 2026'."""
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
