"""The sweep step for visitors: delete confirmations older than the school's retention."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, bindparam, select

from bot.core.deployment.context import StepContext
from bot.core.models import VisitorAssurance
from bot.engine.idle_steps import busy_when
from bot.features.visitors.service import expired, kept_from, purge_visitors

__all__ = ["visitors_step"]


_EXPIRED = (
    select(VisitorAssurance.id)
    .where(expired(bindparam("school_id"), bindparam("visitors_before")))
    .exists()
)


def _expired(run: StepContext) -> tuple[ColumnElement[bool], dict[str, Any]]:
    return _EXPIRED, {
        "school_id": run.school.id,
        "visitors_before": kept_from(run.school, run.today),
    }


@busy_when(_expired)
def visitors_step(run: StepContext) -> dict[str, int]:
    """Delete expired visitor confirmations (a dry run only counts them)."""
    return {"visitors_purged": purge_visitors(run.session, run.school, run.today, write=run.write)}
