"""The termly governors' report as a page (``/governors/report``) and a PDF download."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from bot.core.clock import local_today
from bot.core.models import Person, utcnow
from bot.core.permissions import POLICY_READERS
from bot.engine.web.deps import ctx, render, require_roles
from bot.features.governors.report import (
    ReportError,
    build_report,
    pick_term,
    render_pdf,
    terms_for,
)

__all__ = ["router"]

router = APIRouter()
READ_ROLES = POLICY_READERS


def _report_context(request: Request, user: Person, term: str | None) -> dict[str, Any]:
    today = local_today(utcnow())
    school = ctx(request).config.school(user.school_id)
    try:
        chosen = pick_term(school, term, today)
    except ReportError as exc:
        raise HTTPException(404, str(exc)) from None
    with ctx(request).store.session() as session:
        report = build_report(session, school, chosen, today)
    return {"report": report, "terms": terms_for(school, today), "term": chosen}


@router.get("/governors/report", include_in_schema=False)
def governors_report(request: Request, term: str | None = None) -> Response:
    """The termly governors' report as a page (figures only)."""
    user = require_roles(request, READ_ROLES)
    return render(request, "governors_report.html", _report_context(request, user, term))


@router.get("/governors/report.pdf", include_in_schema=False)
def governors_report_pdf(request: Request, term: str | None = None) -> Response:
    """The termly governors' report as a PDF download."""
    user = require_roles(request, READ_ROLES)
    context = _report_context(request, user, term)
    return Response(
        render_pdf(context["report"]),
        media_type="application/pdf",
        headers={
            "Content-Disposition": (
                f'attachment; filename="governors-report-{context["term"].slug}.pdf"'
            )
        },
    )
