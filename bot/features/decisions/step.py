"""The sweep step for the register: queue the decision review reminders that are due."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, bindparam, select

from bot.core.deployment.context import StepContext
from bot.core.models import Decision
from bot.engine.idle_steps import busy_when
from bot.features.decisions.service import plan_decision_reminders, review_reach, reviews_coming

__all__ = ["decision_reminders_step"]


_COMING = (
    select(Decision.id)
    .where(reviews_coming(bindparam("school_id"), bindparam("decisions_reach")))
    .exists()
)


def _reviews_coming(run: StepContext) -> tuple[ColumnElement[bool], dict[str, Any]]:
    reach = review_reach(run.school, run.today)
    return _COMING, {"school_id": run.school.id, "decisions_reach": reach}


@busy_when(_reviews_coming)
def decision_reminders_step(run: StepContext) -> dict[str, int]:
    """Queue the review reminders due today (a dry run counts those it would queue)."""
    reminders = plan_decision_reminders(
        run.session, run.school, run.today, run.now, write=run.write, base_url=run.base_url
    )
    return {"decision_reminders": sum(1 for r in reminders if r.queued or not run.write)}
