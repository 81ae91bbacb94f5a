"""The policies sweep step: today's governor review alerts for every policy of the school."""

from __future__ import annotations

from bot.core.context import StepContext
from bot.features.policies.alerts import plan_alerts
from bot.features.policies.calendar_updates import plan_event_updates

__all__ = ["governor_alerts"]


def governor_alerts(run: StepContext) -> dict[str, int]:
    """The sweep step: one review digest per governor with a policy at a new alert stage.

    Review dates that moved since their calendar event went out are sent as updates first, so
    today's digests carry the event as it now stands.
    """
    moved = plan_event_updates(run.session, run.school, run.today, run.now, write=run.write)
    planned, unaddressed = plan_alerts(
        run.session, run.school, run.today, run.now, write=run.write, base_url=run.base_url
    )
    return {
        "governor_alerts": sum(1 for p in planned if p.queued or not run.write),
        "governor_alerts_unaddressed": unaddressed,
        "review_dates_moved": moved,
    }
