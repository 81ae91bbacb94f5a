"""The sweep step for recurring tasks: close open duties a recorded completion already covers."""

from __future__ import annotations

from bot.core.context import StepContext
from bot.features.tasks.service import reconcile_tasks

__all__ = ["tasks_step"]


def tasks_step(run: StepContext) -> dict[str, int]:
    """Close task duties another owner's completion satisfies (a dry run only counts them)."""
    return {"tasks_closed": reconcile_tasks(run.session, run.school, run.today, write=run.write)}
