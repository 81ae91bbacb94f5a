"""The sweep step for the SCR: find the gaps again when the SCR, the people, their training or
the panels changed (or the day did), close those gone, and tell the SCR owner of new ones once
a week, by email of its own when their reminder email will not (``owner``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, bindparam, false

from bot.core.deployment.context import StepContext
from bot.engine.idle_steps import busy_when
from bot.features.scr.owner import tell_owner
from bot.features.scr.service import kept_or_checked, refresh_gaps

__all__ = ["scr_step"]


_KEPT_OR_CHECKED = kept_or_checked(bindparam("school_id"))


def _kept_or_checked(run: StepContext) -> tuple[ColumnElement[bool], dict[str, Any]]:
    if not run.write:
        return false(), {}
    return _KEPT_OR_CHECKED, {"school_id": run.school.id}


@busy_when(_kept_or_checked)
def scr_step(run: StepContext) -> dict[str, int]:
    """Refresh the gap list (a dry run changes nothing) and queue the owner's own email when
    no reminder of theirs carries the news this week."""
    if not run.write:
        return {}
    opened, closed = refresh_gaps(run.session, run.school, run.today)
    told = tell_owner(run.session, run.school, run.today, base_url=run.base_url)
    return {"scr_gaps_opened": opened, "scr_gaps_closed": closed, "scr_owner_told": told}
