"""The official accounts sweep step: chase handovers nobody has recorded."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, bindparam, select

from bot.core.deployment.context import StepContext
from bot.core.models import OfficialAccount
from bot.engine.idle_steps import busy_when
from bot.features.accounts.handovers import chase_handovers

__all__ = ["handovers_step"]


_WAITING = (
    select(OfficialAccount.id)
    .where(
        OfficialAccount.school_id == bindparam("school_id"),
        OfficialAccount.handover_needed.is_(True),
    )
    .exists()
)


def _handovers_waiting(run: StepContext) -> tuple[ColumnElement[bool], dict[str, Any]]:
    return _WAITING, {"school_id": run.school.id}


@busy_when(_handovers_waiting)
def handovers_step(run: StepContext) -> dict[str, int]:
    """Chase waiting handovers (a dry run only counts what it would send)."""
    return chase_handovers(
        run.session, run.school, run.today, run.now, write=run.write, base_url=run.base_url
    )
