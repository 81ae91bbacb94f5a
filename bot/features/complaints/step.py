"""The complaints sweep step: warn the readers before an acknowledgement or an outcome is due."""

from __future__ import annotations

from sqlalchemy import ColumnElement, select

from bot.core.context import StepContext
from bot.core.models import Complaint
from bot.engine.idle_steps import busy_when
from bot.features.complaints.service import warn

__all__ = ["complaints_step"]


def _open_complaints(run: StepContext) -> ColumnElement[bool]:
    return (
        select(Complaint.id)
        .where(Complaint.school_id == run.school.id, Complaint.outcome_at.is_(None))
        .exists()
    )


@busy_when(_open_complaints)
def complaints_step(run: StepContext) -> dict[str, int]:
    """Queue the warnings the open complaints have reached (in working hours, school days)."""
    queued = warn(run.session, run.school, run.now, base_url=run.base_url, write=run.write)
    return {"complaint_warnings": queued} if queued else {}
