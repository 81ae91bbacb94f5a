"""The sweep step for visitors: delete confirmations older than the school's retention."""

from __future__ import annotations

from sqlalchemy import ColumnElement, select

from bot.core.context import StepContext
from bot.core.models import VisitorAssurance
from bot.engine.idle_steps import busy_when
from bot.features.visitors.service import expired, purge_visitors

__all__ = ["visitors_step"]


def _expired(run: StepContext) -> ColumnElement[bool]:
    return select(VisitorAssurance.id).where(expired(run.school, run.today)).exists()


@busy_when(_expired)
def visitors_step(run: StepContext) -> dict[str, int]:
    """Delete expired visitor confirmations (a dry run only counts them)."""
    return {"visitors_purged": purge_visitors(run.session, run.school, run.today, write=run.write)}
