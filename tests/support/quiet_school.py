"""The quiet-sweep tests' school and sweep (#60): one policy every member of staff
acknowledges and one training they complete, swept on a Monday of term as the scheduler would,
without delivering (what is queued is what the tests compare)."""

from __future__ import annotations

from datetime import date

from bot.core.context import AppContext
from bot.engine.sweep import SchoolSweep, run_sweep
from tests.support.clock import FrozenClock
from tests.support.helpers import SchoolBuilder

__all__ = ["MONDAY", "quiet_school", "sweep_school"]

MONDAY = date(2026, 11, 23)


def quiet_school(school: SchoolBuilder) -> None:
    """The online-safety policy (2026.1, published ``MONDAY``) for staff to acknowledge within
    14 days (``ack-os``), and its training to complete within 28 (``train-os``)."""
    school.policy("online-safety", "2026.1", published=str(MONDAY))
    school.requirement(
        id="ack-os",
        kind="acknowledge_policy",
        policy="online-safety",
        audience={"roles": ["staff"]},
        due_days=14,
    )
    school.requirement(
        id="train-os",
        kind="complete_training",
        course="Online safety",
        audience={"roles": ["staff"]},
        due_days=28,
    )


def sweep_school(ctx: AppContext, clock: FrozenClock, day: date, minute: int) -> SchoolSweep:
    """The one school's sweep on ``day`` at 09:``minute`` (nothing delivered), which must not
    have failed."""
    [result], _ = run_sweep(
        ctx.store,
        ctx.settings,
        ctx.config,
        ctx.connectors,
        as_of=day,
        now=clock.at(day, 9, minute),
        deliver=False,
    )
    assert not result.failed
    return result
