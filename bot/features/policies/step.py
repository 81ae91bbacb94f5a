"""The policies sweep step: today's governor review alerts for every policy of the school."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, or_, select

from bot.core.days.dates import shift
from bot.core.deployment.context import StepContext
from bot.core.models import Policy
from bot.engine.idle_steps import busy_when
from bot.features.policies.alerts import moves_ready, plan_alerts, plan_event_updates, record_moves
from bot.features.policies.rules import ALERT_DAYS_BEFORE

__all__ = ["governor_alerts"]


_POLICIES = and_(Policy.school_id == bindparam("school_id"), Policy.kind == "policy")
_MOVED = or_(Policy.next_review_due.is_(None), Policy.review_event_due != Policy.next_review_due)
_NEAR_OR_MOVED = or_(
    select(Policy.id)
    .where(_POLICIES, Policy.next_review_due <= bindparam("policies_reach"))
    .exists(),
    select(Policy.id).where(_POLICIES, Policy.review_event_due.is_not(None), _MOVED).exists(),
)


def _reviews_near_or_moved(run: StepContext) -> tuple[ColumnElement[bool], dict[str, Any]]:
    """A policy whose review date the first alert has reached (or passed), or whose calendar
    event carries a date since moved: nothing else makes a digest or an update."""
    reach = shift(run.today, max(ALERT_DAYS_BEFORE))
    return _NEAR_OR_MOVED, {"school_id": run.school.id, "policies_reach": reach}


@busy_when(_reviews_near_or_moved)
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
    moved = (
        plan_event_updates(session, school, today, now, moves, digest_today=digest_today)
        if run.write
        else len(ready)
    )
    return {
        "governor_alerts": sum(1 for p in planned if p.queued or not run.write),
        "governor_alerts_unaddressed": unaddressed,
        "review_dates_moved": moved,
    }
