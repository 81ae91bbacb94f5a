"""The complaints sweep step: warn the readers before an acknowledgement or an outcome is due."""

from __future__ import annotations

from bot.core.context import StepContext
from bot.features.complaints.service import warn

__all__ = ["complaints_step"]


def complaints_step(run: StepContext) -> dict[str, int]:
    """Queue the warnings the open complaints have reached (in working hours, school days)."""
    queued = warn(run.session, run.school, run.now, base_url=run.base_url, write=run.write)
    return {"complaint_warnings": queued} if queued else {}
