"""The visitors' pages: a public page per school with its rules on phones and photography and
a short form to confirm them, and a printable QR poster for reception.

The visitor page needs no account or JavaScript and is rate limited per address.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import Response

from bot.core.config import ConfigError, SchoolConfig
from bot.core.days.clock import local_today
from bot.core.guards.forms import Text
from bot.core.guards.permissions import POSTER_PRINTERS
from bot.core.guards.ratelimit import RateLimit, limit_key, take
from bot.core.language.i18n import N_, Msg, speaking
from bot.core.models import utcnow
from bot.engine.web.deps import (
    check_csrf,
    client_ip,
    ctx,
    error_page,
    language_for_page,
    qr_svg,
    render,
    require_roles,
)
from bot.features.visitors.rules import (
    VISITOR_STATEMENT,
    VisitInputError,
    rules_blocks,
    validate_visit,
    visitor_rules,
)
from bot.features.visitors.service import record_visit

__all__ = ["router"]

router = APIRouter()

# 10 confirmations per address in any 10 minutes, counted in the database (every worker)
VISIT_RATE = RateLimit("visit", 10, timedelta(minutes=10))


def _public_school(request: Request, school_id: str) -> SchoolConfig:
    try:
        return ctx(request).config.school(school_id)
    except (KeyError, ConfigError):
        raise HTTPException(
            404, N_("There is no school at this address. Please ask at reception.")
        ) from None


def _rules(request: Request, page: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """The visitor rules in the page's language, as blocks."""
    with speaking(language_for_page(request, page)):
        return rules_blocks(visitor_rules(page["school"]))


def _visit_form(
    request: Request,
    school: SchoolConfig,
    *,
    values: dict[str, str] | None = None,
    errors: Mapping[str, Text] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "visit.html",
        {
            "school": school,
            "rules": _rules(request, {"school": school}),
            "statement": Msg(VISITOR_STATEMENT, school=school.name),
            "v": {"visit_date": local_today(utcnow()).isoformat(), **(values or {})},
            "errors": errors or {},
            "retention_days": school.visitor_retention_days,
        },
        status_code=status_code,
    )


@router.get("/visit/{school_id}", include_in_schema=False)
def visit_page(request: Request, school_id: str) -> Response:
    """The school's rules for visitors and a short form to confirm them (no account)."""
    return _visit_form(request, _public_school(request, school_id))


@router.post("/visit/{school_id}", include_in_schema=False)
def visit_confirm(
    request: Request,
    school_id: str,
    csrf_token: Annotated[str, Form()] = "",
    name: Annotated[str, Form(max_length=500)] = "",
    organisation: Annotated[str, Form(max_length=500)] = "",
    visit_date: Annotated[str, Form(max_length=40)] = "",
    agree: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Record a visitor's confirmation (rate limited per address; no email is sent)."""
    school = _public_school(request, school_id)
    check_csrf(request, csrf_token)
    context = ctx(request)
    key = limit_key(context.settings.signing_key(), VISIT_RATE, client_ip(request) or "unknown")
    with context.store.transaction() as session:  # every attempt counts, valid or not
        room = take(session, VISIT_RATE, key, utcnow())
    if not room:
        return error_page(
            request,
            429,
            N_(  # the error page says it in the school's language
                "Several confirmations have just been sent from this connection, so we have paused "
                "the form for a few minutes. Please try again in 10 minutes, or ask at reception."
            ),
        )
    fields = {"name": name, "organisation": organisation, "visit_date": visit_date, "agree": agree}
    try:
        data = validate_visit(fields, local_today(utcnow()))
    except VisitInputError as exc:
        return _visit_form(request, school, values=fields, errors=exc.errors, status_code=422)
    language = language_for_page(request, {"school": school})  # the rules as they read them
    with context.store.transaction() as session, speaking(language):
        assurance = record_visit(session, school, data, utcnow())
    return render(
        request,
        "visit_done.html",
        {
            "school": school,
            "name": data.name,
            "visit_date": data.visit_date,
            "reference": f"VIS-{assurance.id:06d}",
        },
    )


@router.get("/visit/{school_id}/poster", include_in_schema=False)
def visit_poster(request: Request, school_id: str) -> Response:
    """A printable poster for reception with a QR code to the visitor page."""
    person = require_roles(request, POSTER_PRINTERS)
    school = _public_school(request, school_id)
    if person.school_id != school.id:
        raise HTTPException(403, N_("This poster belongs to another school."))
    url = f"{ctx(request).settings.base_url}/visit/{school.id}"
    return render(
        request,
        "visit_poster.html",
        {
            "school": school,
            "url": url,
            "qr_svg": qr_svg(url, box_size=20),
            "rules": _rules(request, {"school": school, "user": person}),
        },
    )
