"""The sweep step for visitors: delete confirmations older than the school's retention."""

from __future__ import annotations

from bot.core.context import StepContext
from bot.features.visitors.service import purge_visitors

__all__ = ["visitors_step"]


def visitors_step(run: StepContext) -> dict[str, int]:
    """Delete expired visitor confirmations (a dry run only counts them)."""
    return {
        "visitors_purged": purge_visitors(run.session, run.school, run.today, write=run.write)
    }
