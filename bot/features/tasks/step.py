"""The sweep step for recurring tasks: close duties a completion covers; tell of missed ones."""

from __future__ import annotations

from bot.core.context import StepContext
from bot.features.tasks.missed import alert_missed_tasks
from bot.features.tasks.service import reconcile_tasks

__all__ = ["tasks_step"]


def tasks_step(run: StepContext) -> dict[str, int]:
    """Close task duties another owner's completion satisfies, and tell of missed periods."""
    return {
        "tasks_closed": reconcile_tasks(run.session, run.school, run.today, write=run.write),
        "missed_check_alerts": alert_missed_tasks(
            run.session, run.school, run.today, run.now, write=run.write
        ),
    }
