"""The policies sweep step: today's governor review alerts for every policy of the school."""

from __future__ import annotations

from bot.core.context import StepContext
from bot.features.policies.alerts import (
    moves_ready,
    plan_alerts,
    plan_event_updates,
    record_moves,
)

__all__ = ["governor_alerts"]


def governor_alerts(run: StepContext) -> dict[str, int]:
    """The sweep step: one email about reviews per governor at most a week — the review digest
    of a policy at a new alert stage, carrying any review date moved since its calendar event
    went out; a moved date for someone with no digest today goes as a short update, once they
    have had no review email for a week."""
    school, session, today, now = run.school, run.session, run.today, run.now
    digests, unaddressed = plan_alerts(
        session, school, today, now, write=False, base_url=run.base_url
    )
    digest_today = {d.recipient for d in digests}
    ready = moves_ready(session, school, today, digest_today)
    moves = record_moves(ready) if run.write else []
    planned = digests
    if run.write and (digests or moves):  # with nothing to queue, the plan above is the same
        planned, unaddressed = plan_alerts(
            session, school, today, now, write=True, base_url=run.base_url, moves=moves
        )
    moved = plan_event_updates(
        session, school, today, now, moves, digest_today=digest_today
    ) if run.write else len(ready)
    return {
        "governor_alerts": sum(1 for p in planned if p.queued or not run.write),
        "governor_alerts_unaddressed": unaddressed,
        "review_dates_moved": moved,
    }
