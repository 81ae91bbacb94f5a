"""The complaints sweep step: warn the readers before an acknowledgement or an outcome is due."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, bindparam, select

from bot.core.deployment.context import StepContext
from bot.core.models import Complaint
from bot.engine.idle_steps import busy_when
from bot.features.privacy.service import warn

__all__ = ["complaints_step"]


_OPEN = (
    select(Complaint.id)
    .where(Complaint.school_id == bindparam("school_id"), Complaint.outcome_at.is_(None))
    .exists()
)


def _open_complaints(run: StepContext) -> tuple[ColumnElement[bool], dict[str, Any]]:
    return _OPEN, {"school_id": run.school.id}


@busy_when(_open_complaints)
def complaints_step(run: StepContext) -> dict[str, int]:
    """Queue the warnings the open complaints have reached (in working hours, school days)."""
    queued = warn(run.session, run.school, run.now, base_url=run.base_url, write=run.write)
    return {"complaint_warnings": queued} if queued else {}
