"""``/trust``: every school's headline counts for the trust's safeguarding leads (plain HTML,
no script); never a report's content or subject. ``/trust/board`` (a POST with the form's CSRF
token): the board's termly pack as a signed zip, for the leads and the trust's admins (#81)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import Response

from bot.core.days.clock import LONDON, local_today
from bot.core.guards.permissions import TRUST_ADMINS, TRUST_OVERSIGHT
from bot.core.language.words import zip_files
from bot.core.models import utcnow
from bot.engine.sweep_jobs import not_swept
from bot.engine.web.deps import check_csrf, ctx, render, require_roles
from bot.engine.web.forms import download
from bot.features.governors.api import ReportError
from bot.features.trust.rules import NEVER_PASSED, totals
from bot.features.trust.service import trust_counts

__all__ = ["router"]

router = APIRouter()
BOARD_MAKERS = TRUST_OVERSIGHT | TRUST_ADMINS


@router.get("/trust", include_in_schema=False)
def trust_page(request: Request) -> Response:
    """Each school's counts and the trust's totals, and the trustees' pack (403 for anyone but
    a safeguarding lead or a trust admin)."""
    user = require_roles(request, BOARD_MAKERS)
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


@router.post("/trust/board", include_in_schema=False)
def trust_board(
    request: Request, csrf_token: Annotated[str, Form()] = "", term: Annotated[str, Form()] = ""
) -> Response:
    """Make the trustees' termly pack and download it, signed (audited; the leads told once)."""
    from bot.features.trust.pack import announce, gather, make_files  # lazy: the pack's modules

    user = require_roles(request, BOARD_MAKERS)
    check_csrf(request, csrf_token)
    context = ctx(request)
    config = context.config
    now = utcnow()
    today = local_today(now)
    try:
        with context.store.transaction() as session:
            lines = gather(session, config, term or None, today, now)
            files = make_files(
                session,
                config,
                lines,
                secret=context.settings.signing_key(),
                made=now,
                actor=user.email,
                threshold=config.organisation.board_threshold_pct,
            )
            announce(session, config, lines, base_url=context.settings.base_url, today=today)
    except ReportError as exc:
        raise HTTPException(400, str(exc)) from None
    return download(
        zip_files(files, now.astimezone(LONDON)), f"trust-board-{today}.zip", "application/zip"
    )
