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


# modules that may contribute a ``SWEEP_STEPS`` list, in the order they run
STEP_MODULES = ("bot.governance", "bot.reports", "bot.digest", "bot.extras")


def sweep_steps() -> list[Step]:
    """The feature steps, in order (modules absent from this build are skipped)."""
    import importlib

    steps: list[Step] = []
    for name in STEP_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        steps.extend(getattr(module, "SWEEP_STEPS", []))
    return steps
