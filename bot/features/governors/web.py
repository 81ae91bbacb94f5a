"""The termly governors' report as a page (``/governors/report``) and a PDF download."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from bot.core.days.clock import local_today
from bot.core.guards.permissions import POLICY_READERS
from bot.core.language.i18n import Said, short_date
from bot.core.language.words import school_words
from bot.core.models import utcnow
from bot.engine.web.access import signed_in
from bot.engine.web.deps import ctx, language_for_page, render
from bot.engine.web.forms import download
from bot.features.governors.report import (
    ReportError,
    build_report,
    pick_term,
    render_pdf,
    term_name,
    terms_for,
)

__all__ = ["router"]

router = APIRouter()


def _report_context(request: Request, term: str | None) -> dict[str, Any]:
    """The report for the reader's school and the term asked for (401/403/404 otherwise)."""
    user, school = signed_in(request, POLICY_READERS)
    today = local_today(utcnow())
    try:
        chosen = pick_term(school, term, today)
    except ReportError as exc:
        raise HTTPException(404, exc.msg) from None
    with ctx(request).store.session() as session:
        report = build_report(session, school, chosen, today)
    language = language_for_page(request, {"user": user, "school": school})
    return {
        "report": report,
        "terms": terms_for(school, today),
        "term": chosen,
        "school": school,
        "report_language": language,
        # the term's name and the dates as the reader says them, each said in the sentence
        # around it (cy+en: the Welsh half's in Welsh, the English half's in English)
        "term_name": lambda name: Said(lambda: term_name(name)),
        "short_day": short_date,
    }


@router.get("/governors/report", include_in_schema=False)
def governors_report(request: Request, term: str | None = None) -> Response:
    """The termly governors' report as a page (figures only)."""
    return render(request, "governors_report.html", _report_context(request, term))


@router.get("/governors/report.pdf", include_in_schema=False)
def governors_report_pdf(request: Request, term: str | None = None) -> Response:
    """The termly governors' report as a PDF download."""
    context = _report_context(request, term)
    pdf = render_pdf(context["report"], context["report_language"], school_words(context["school"]))
    return download(pdf, f"termly-report-{context['term'].slug}.pdf", "application/pdf")
