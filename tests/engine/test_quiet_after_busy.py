"""The sweep after a busy one is quiet too (#60): what a duties step wrote is its own fixed
point, so the next sweep of the day with nothing else changed does not plan everyone again; and
planning again anyway (its mark forgotten) would open, close and queue nothing."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select

from bot.core.deployment.context import AppContext
from bot.core.models import ConnectorState, DutySnapshot, OutboxMessage
from bot.engine.duties_step import QUIET_KEY
from tests.support.clock import FrozenClock
from tests.support.helpers import SchoolBuilder
from tests.support.quiet_school import MONDAY, quiet_school
from tests.support.quiet_school import sweep_school as _sweep

DUE_SOON = MONDAY + timedelta(days=11)  # 3 days before the acknowledgement falls due


def _state(ctx: AppContext) -> tuple[object, int]:
    """When the dashboard's counts were last rebuilt (each plan does), and the outbox's size."""
    with ctx.store.session() as session:
        return (
            session.scalar(select(DutySnapshot.built_at)),
            session.scalar(select(func.count()).select_from(OutboxMessage)) or 0,
        )


def test_the_sweep_after_a_busy_one_is_quiet_and_planning_again_changes_nothing(
    school: SchoolBuilder, database_url: str, frozen_clock: FrozenClock
) -> None:
    quiet_school(school)
    ctx = school.context(database_url)
    for day in (MONDAY, DUE_SOON):  # opens every duty and asks; a reminder stage's day
        busy = _sweep(ctx, frozen_clock, day, 0)
        assert [r for r in busy.reminders if r.queued]
        before = _state(ctx)
        quiet = _sweep(ctx, frozen_clock, day, 15)
        assert (quiet.opened, quiet.closed, quiet.reminders) == (0, {}, [])
        assert _state(ctx) == before  # not planned: the counts were not even rebuilt
        with ctx.store.transaction() as session:  # forget the mark: the full plan agrees
            session.execute(delete(ConnectorState).where(ConnectorState.key == QUIET_KEY))
        again = _sweep(ctx, frozen_clock, day, 30)
        assert (again.opened, again.closed, again.reminders) == (0, {}, [])
        assert _state(ctx)[1] == before[1]
