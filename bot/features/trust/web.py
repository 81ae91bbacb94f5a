"""``/trust``: every school's headline counts for the trust's safeguarding leads (plain HTML,
no script); never a report's content or subject."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from bot.core.clock import local_today
from bot.core.models import utcnow
from bot.core.permissions import TRUST_OVERSIGHT
from bot.engine.sweep_jobs import not_swept
from bot.engine.web.deps import ctx, render, require_roles
from bot.features.trust.rules import NEVER_PASSED, totals
from bot.features.trust.service import trust_counts

__all__ = ["router"]

router = APIRouter()


@router.get("/trust", include_in_schema=False)
def trust_page(request: Request) -> Response:
    """Each school's counts and the trust's totals (403 for anyone but a safeguarding lead)."""
    user = require_roles(request, TRUST_OVERSIGHT)
    now = utcnow()
    today = local_today(now)
    config = ctx(request).config
    with ctx(request).store.session() as session:
        rows = trust_counts(session, config, today, now)
        stale = not_swept(session, config.schools, now)
    return render(
        request,
        "trust.html",
        {
            "user": user,
            "rows": rows,
            "total": totals(rows),
            "today": today,
            "org_name": config.organisation.name,
            "never_passed": NEVER_PASSED,
            "not_swept": stale,
        },
    )
