"""The privacy notice and terms of use (``/privacy``, ``/terms``): each school's own text from
``school.yaml`` (``privacy_notice``, ``terms_of_use``, Markdown), or a built-in one in the
school's name and language: English (``privacy.md``), Welsh (``privacy.cy.md``, which says the
English governs where the two differ and links it), or both, Welsh first (``cy+en``). Public
pages: the Teams app manifest links to them.

Each school is a controller of its own (UK GDPR Art. 13): the reader is shown the school the
page came from (``?school=``, which every page of a school puts on its footer links, the
concern form's included), else their own school; only a visitor of a trust who names none is
shown every school's, each under its name."""

from __future__ import annotations

import hashlib
import re
from functools import cache
from pathlib import Path
from typing import Literal

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from bot.core.config import SchoolConfig
from bot.core.files.documents import show_document
from bot.core.language import i18n
from bot.core.language.i18n import N_, say
from bot.core.language.words import said_words, school_words
from bot.engine.web.deps import ctx, current_user, language_for_page, render, school_for_page

__all__ = ["Kind", "legal_text", "router"]

router = APIRouter()
Kind = Literal["privacy", "terms"]
TITLES: dict[Kind, str] = {"privacy": N_("Privacy notice"), "terms": N_("Terms of use")}
DEFAULTS = Path(__file__).parent / "legal_texts"  # the built-in Markdown
_SOURCES = re.compile(r"\A<!--.*?-->\s*", re.DOTALL)  # a Welsh text's cited sources
_TEXT_LANGUAGES = {"cy": ("cy",), "cy+en": ("cy", "en")}  # the texts shown, in order


@cache
def _default(kind: Kind, language: str = "en") -> str:
    """The built-in text in ``language`` (``cy`` or ``en``), with {school}, {contact},
    {visitor_days}, {english_url} and the school's words ({dsl_full}, {headteacher},
    {guidance}...) to fill in; the sources comment at the top of a Welsh file left out."""
    name = f"{kind}.cy.md" if language == "cy" else f"{kind}.md"
    return _SOURCES.sub("", (DEFAULTS / name).read_text(encoding="utf-8"))


def _contact(school: SchoolConfig) -> str:
    """Who to ask: the data protection officer, else the school office, else the headteacher
    (in the active language)."""
    if school.dpo:
        return say("the school's Data Protection Officer (%(dpo)s)", dpo=school.dpo)
    return say(
        "the school office (%(address)s)", address=school.reply_address() or school.headteacher
    )


def legal_text(school: SchoolConfig, kind: Kind) -> str:
    """The Markdown shown for ``school`` in the active language (``cy`` or ``en``): its own
    text from the school file (as written, whatever the language), or the built-in."""
    own = school.privacy_notice if kind == "privacy" else school.terms_of_use
    if own and own.strip():
        return own.strip()
    text = (
        _default(kind, i18n.spoken())
        .replace("{school}", school.name)
        .replace("{contact}", _contact(school))
        .replace("{visitor_days}", str(school.visitor_retention_days))
        .replace("{english_url}", f"/{kind}?school={school.id}&lang=en")
    )
    # the nation's words (its statutory guidance, its safeguarding lead), with the school's
    # own, as the text's language says them
    words = school_words(school)
    for key in words.model_dump():
        text = text.replace("{" + key + "}", str(getattr(said_words(words), key)))
    return text


def _languages(request: Request, school: SchoolConfig) -> tuple[str, ...]:
    """The texts a reader of ``school`` is shown: the English alone when asked for
    (``?lang=en``, the link on a Welsh text), else their language's (Welsh first in
    ``cy+en``)."""
    if request.query_params.get("lang") == "en":
        return ("en",)
    user = current_user(request)
    asked = language_for_page(request, {"user": user, "school": school})
    return _TEXT_LANGUAGES.get(asked, ("en",))


def _schools(request: Request) -> list[SchoolConfig]:
    """Whose notice the reader is shown: the school named (``?school=``; 404 for none of
    ours), else the signed-in person's (or the one school), else every school."""
    config = ctx(request).config
    named = request.query_params.get("school")
    if named:
        try:
            return [config.school(named)]
        except KeyError:
            raise HTTPException(404, N_("There is nothing at this address.")) from None
    user = current_user(request)
    if user is None and len(config.schools) > 1:  # a trust's visitor: every school's text
        return list(config.schools)
    school = school_for_page(request, {"user": user})
    return [school] if school is not None else list(config.schools)


def _page(request: Request, kind: Kind) -> Response:
    """The reader's school's section (a trust's visitor who names none: one per school), each
    text rendered and sanitised and marked with its language (``lang``); the page in the
    school's language and words."""
    schools = _schools(request)
    sections = []
    for school in schools:
        own = (school.privacy_notice if kind == "privacy" else school.terms_of_use) or ""
        # the school's own text once, as written (its language unsaid); else the built-in in
        # each language the reader is shown
        languages = ("",) if own.strip() else _languages(request, school)
        texts = []
        for language in languages:
            with i18n.speaking(language or "en"):
                data = legal_text(school, kind).encode("utf-8")
            shown = show_document(f"{kind}.md", data, hashlib.sha256(data).hexdigest())
            lang = i18n.html_lang(language) if language else None
            texts.append({"lang": lang, "html": shown.html})
        complain = kind == "privacy" and school.complaints.public_form
        sections.append(
            {
                "name": school.name,
                "texts": texts,
                "complaint": f"/complaint/{school.id}" if complain else None,
            }
        )
    one = {"school": schools[0]} if len(schools) == 1 else {}
    return render(request, "legal.html", {"title": TITLES[kind], "sections": sections, **one})


@router.get("/privacy", include_in_schema=False)
def privacy(request: Request) -> Response:
    """The privacy notice (public)."""
    return _page(request, "privacy")


@router.get("/terms", include_in_schema=False)
def terms(request: Request) -> Response:
    """The terms of use (public)."""
    return _page(request, "terms")
