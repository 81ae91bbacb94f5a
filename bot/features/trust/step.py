"""The sweep step: the trust's weekly overview, queued by the first school's sweep from Monday
07:30 (the same hour as each school's own digest) that is sending: on the week's first school
day, in the morning, as the email says; never later in the week (the evening a school starts)."""

from __future__ import annotations

from bot.core.deployment.context import StepContext
from bot.features.dashboard.api import digest_due
from bot.features.trust.service import queue_trust_digest

__all__ = ["trust_digest_step"]


def trust_digest_step(run: StepContext) -> dict[str, int]:
    """Queue the week's trust overview once (its key is the week's), when it is due."""
    if not run.write or not run.config.organisation.trust_safeguarding_leads:
        return {}
    if not digest_due(run.school, run.today, run.now, catch_up=False):
        return {}
    queued = queue_trust_digest(
        run.session, run.config, run.school.id, run.today, run.now, base_url=run.base_url
    )
    return {"trust_digests": 1} if queued else {}
