"""The sweep step for recurring tasks: close duties a completion covers; tell of missed ones."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, or_, select

from bot.core.deployment.context import StepContext
from bot.core.models import Duty
from bot.engine.idle_steps import busy_when
from bot.features.tasks.missed import MISSED_LOOKBACK_DAYS, alert_missed_tasks
from bot.features.tasks.service import reconcile_tasks

__all__ = ["tasks_step"]


_TASK_DUTIES = (
    select(Duty.id)
    .where(
        Duty.school_id == bindparam("school_id"),
        Duty.kind == "recurring_task",
        or_(
            Duty.status == "open",
            and_(Duty.status == "missed", Duty.closed_on >= bindparam("tasks_missed_since")),
        ),
    )
    .exists()
)


def _task_duties(run: StepContext) -> tuple[ColumnElement[bool], dict[str, Any]]:
    """Open task duties (a completion may cover one), or periods missed within the look-back."""
    since = run.today - timedelta(days=MISSED_LOOKBACK_DAYS)
    return _TASK_DUTIES, {"school_id": run.school.id, "tasks_missed_since": since}


@busy_when(_task_duties)
def tasks_step(run: StepContext) -> dict[str, int]:
    """Close task duties another owner's completion satisfies, and tell of missed periods."""
    return {
        "tasks_closed": reconcile_tasks(run.session, run.school, run.today, write=run.write),
        "missed_check_alerts": alert_missed_tasks(
            run.session, run.school, run.today, run.now, write=run.write
        ),
    }
