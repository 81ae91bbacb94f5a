"""The official accounts sweep step: chase handovers nobody has recorded."""

from __future__ import annotations

from bot.core.context import StepContext
from bot.features.accounts.handovers import chase_handovers

__all__ = ["handovers_step"]


def handovers_step(run: StepContext) -> dict[str, int]:
    """Chase waiting handovers (a dry run only counts what it would send)."""
    return chase_handovers(
        run.session, run.school, run.today, run.now, write=run.write, base_url=run.base_url
    )
