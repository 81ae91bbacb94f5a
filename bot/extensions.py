"""Extra sweep steps contributed by feature modules (governor alerts, report clocks, digests).

Each step is ``step(session, school, today, now, write) -> dict[str, int]`` (counts for the
summary). Keeping the list here means ``sweep.py`` does not grow with every feature.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from sqlalchemy.orm import Session

from bot.config import SchoolConfig

__all__ = ["Step", "sweep_steps"]

Step = Callable[[Session, SchoolConfig, date, datetime, bool], dict[str, int]]


def sweep_steps() -> list[Step]:
    """The feature steps, in order."""
    return []
