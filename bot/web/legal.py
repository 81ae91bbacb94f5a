"""The privacy notice and terms of use (``/privacy``, ``/terms``): each school's own text from
``school.yaml`` (``privacy_notice``, ``terms_of_use``, Markdown), or a built-in one in the
school's name. Public pages: the Teams app manifest links to them."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response

from bot.core.config import SchoolConfig
from bot.core.documents import show_document
from bot.core.i18n import N_
from bot.core.words import school_words
from bot.engine.web.deps import ctx, render

__all__ = ["Kind", "legal_text", "router"]

router = APIRouter()
Kind = Literal["privacy", "terms"]
TITLES: dict[Kind, str] = {"privacy": N_("Privacy notice"), "terms": N_("Terms of use")}
DEFAULTS = Path(__file__).parent / "legal_texts"  # the built-in Markdown


@cache
def _default(kind: Kind) -> str:
    """The built-in text, with {school}, {contact}, {visitor_days} and the school's words
    ({dsl_full}, {headteacher}, {guidance}...) to fill in."""
    return (DEFAULTS / f"{kind}.md").read_text(encoding="utf-8")


def _contact(school: SchoolConfig) -> str:
    """Who to ask: the data protection officer, else the school office, else the headteacher."""
    if school.dpo:
        return f"the school's Data Protection Officer ({school.dpo})"
    return f"the school office ({school.reply_address() or school.headteacher})"


def legal_text(school: SchoolConfig, kind: Kind) -> str:
    """The Markdown shown for ``school``: its own text from the school file, or the built-in."""
    own = school.privacy_notice if kind == "privacy" else school.terms_of_use
    if own and own.strip():
        return own.strip()
    text = (
        _default(kind)
        .replace("{school}", school.name)
        .replace("{contact}", _contact(school))
        .replace("{visitor_days}", str(school.visitor_retention_days))
    )
    # the nation's words (its statutory guidance, its safeguarding lead), with the school's own
    for key, value in school_words(school).model_dump().items():
        text = text.replace("{" + key + "}", value)
    return text


def _page(request: Request, kind: Kind) -> Response:
    """One section per school (a trust lists each), the text rendered and sanitised."""
    sections = []
    for school in ctx(request).config.schools:
        text = legal_text(school, kind)
        shown = show_document(
            f"{kind}.md", text.encode("utf-8"), hashlib.sha256(text.encode("utf-8")).hexdigest()
        )
        complain = kind == "privacy" and school.complaints.public_form
        sections.append(
            {
                "name": school.name,
                "html": shown.html,
                "complaint": f"/complaint/{school.id}" if complain else None,
            }
        )
    return render(request, "legal.html", {"title": TITLES[kind], "sections": sections})


@router.get("/privacy", include_in_schema=False)
def privacy(request: Request) -> Response:
    """The privacy notice (public)."""
    return _page(request, "privacy")


@router.get("/terms", include_in_schema=False)
def terms(request: Request) -> Response:
    """The terms of use (public)."""
    return _page(request, "terms")
