"""Shared web helpers: templates, the signed-in person, role checks and CSRF."""

from __future__ import annotations

import hmac
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload

from bot.core.config import ConfigError, SchoolConfig
from bot.core.deployment.context import AppContext
from bot.core.guards.emails import has_mailbox
from bot.core.guards.forms import Text
from bot.core.language import i18n
from bot.core.language.i18n import N_, Dated, Lazy
from bot.core.language.words import (
    SaidWords,
    Words,
    capital,
    default_words,
    plural,
    role_list,
    role_name,
    said_words,
    school_words,
    version_name,
)
from bot.core.models import Person

__all__ = [
    "check_csrf",
    "client_ip",
    "ctx",
    "current_user",
    "error_page",
    "info_page",
    "language_for_page",
    "qr_svg",
    "render",
    "require_roles",
    "school_for_page",
    "templates",
    "words_for_page",
]

BOT = Path(__file__).parents[2]
WEB = BOT / "web"  # the site's shell (base, errors, sign-in templates): ``bot.web``
FEATURES = BOT / "features"
# the shell's templates (base, errors, sign-in) first, then each feature room's own
TEMPLATE_DIRS = [WEB / "templates", *sorted(FEATURES.glob("*/templates"))]
templates = Jinja2Templates(directory=TEMPLATE_DIRS)
templates.env.auto_reload = False  # compiled once per process: no file checks per page
i18n.install(templates.env)  # {% trans %} and _() in the language of the page's render


def _has_role(person: Person | None, *roles: str) -> bool:
    """Template filter: does the person hold any of these roles?"""
    return person is not None and bool(person.role_names & set(roles))


# the roles every nation names alike, for the catalogue (a nation's own role words are its
# pack's, already in the page's language)
_PLAIN_ROLE_NAMES = (
    N_("staff"),
    N_("volunteer"),
    N_("supply staff"),
    N_("safeguarding governor"),
    N_("data protection officer"),
    N_("official account holder"),
    N_("administrator"),
)


def _page_words(context: Context) -> Words | None:
    """The page's school's words (the nation pack's, with the school's own), as given."""
    words = context.get("words")
    return words.words if isinstance(words, SaidWords) else None


@pass_context
def _role_list(context: Context, roles: Any) -> Lazy:
    """Template filter: roles in the page's school's words ('Designated Teacher, principal'),
    in the page's language."""
    return role_list(roles, _page_words(context))


@pass_context
def _role_name(context: Context, role: str) -> str:
    """Template global: one role in the page's school's words."""
    return role_name(role, _page_words(context))


templates.env.filters["has_role"] = _has_role
# the school's words: "deputy DSL" not deputy_dsl, "1 file" not "1 file(s)"; every page has
# ``words`` (the school's nation pack with its overrides): {{ words.dsl }}, {{ words.guidance }}
templates.env.filters["role_list"] = _role_list
templates.env.globals["role_name"] = _role_name
templates.env.filters["plural"] = plural
# a sentence that starts with a word of the school's: {% filter capital %}{% trans ... %}
templates.env.filters["capital"] = capital
templates.env.filters["version_name"] = version_name  # 'version 3.2', 'fersiwn 3.2'
templates.env.filters["long_day"] = lambda day, weekday=False: _long_day(day, weekday)
templates.env.tests["mailbox"] = has_mailbox  # {% if p.email is mailbox %}: not kept without one


def _long_day(day: date, weekday: bool) -> Dated:
    """'04 December 2026' ('Friday 04 December 2026'), as the register has always written it;
    '04 Rhagfyr 2026' in Welsh (``babel.dates``)."""
    if weekday:
        return Dated(day, "%A %d %B %Y", "EEEE dd MMMM y")
    return Dated(day, "%d %B %Y", "dd MMMM y")


def ctx(request: Request) -> AppContext:
    """The application context stored on the app."""
    context: AppContext = request.app.state.ctx
    return context


# the person with their roles and groups in one query (every signed-in page asks): built once
_SIGNED_IN = (
    select(Person)
    .options(joinedload(Person.roles), joinedload(Person.groups))
    .where(
        Person.email == bindparam("email"),
        Person.school_id == bindparam("school"),
        Person.active.is_(True),
        Person.session_version == bindparam("version"),
    )
)


def current_user(request: Request, session: Session | None = None) -> Person | None:
    """The signed-in person (fresh from the store), or None; read in the page's ``session``
    where it has one (a second session a request cost a connection and a transaction).

    The cookie must carry the person's current session number: signing out raises it, so a
    cookie copied before sign-out no longer opens anything.
    """
    email = request.session.get("user")
    school_id = request.session.get("school")
    version = request.session.get("sv")
    if not email or not school_id or not isinstance(version, int):
        return None
    # read once per request (the page's guard and its template both ask), again if the
    # request signed someone in or out meanwhile
    key = (email, school_id, version)
    known = getattr(request.state, "signed_in", None)
    if known is not None and known[0] == key:
        return cast(Person | None, known[1])
    given = {"email": email, "school": school_id, "version": version}
    if session is not None:  # the page's record, not kept: its session may roll it back
        return session.scalars(_SIGNED_IN, given).unique().first()
    with ctx(request).store.session() as own:
        person = own.scalars(_SIGNED_IN, given).unique().first()
    request.state.signed_in = (key, person)
    return person


def require_roles(request: Request, roles: frozenset[str] | set[str]) -> Person:
    """The signed-in person if they hold one of ``roles``; 401/403 otherwise (deny by default)."""
    person = current_user(request)
    if person is None:
        raise HTTPException(401, i18n.N_("Please sign in to see this page."))
    if not person.role_names & set(roles):
        raise HTTPException(
            403, i18n.N_("This page is only for the people the school has authorised.")
        )
    return person


# our tokens are ``secrets.token_urlsafe(32)``: 43 ASCII characters; anything far longer is not one
MAX_CSRF_TOKEN = 256


def _token_bytes(value: object) -> bytes | None:
    """A token as bytes to compare, or None when it cannot be one of ours.

    ``hmac.compare_digest`` raises TypeError on a str holding anything but ASCII, so the
    comparison is made on bytes; a non-string (a file sent in the token's box), an empty or
    overlong value is no token at all.
    """
    if not isinstance(value, str) or not value or len(value) > MAX_CSRF_TOKEN:
        return None
    return value.encode("utf-8", "surrogatepass")


def check_csrf(request: Request, token: object) -> None:
    """Refuse a POST whose form token does not match the session's (403 with a clear message).

    Any token that is not the session's (missing, empty, overlong, non-ASCII, emoji, a file)
    gets the same 403 page; none can raise on the way to it.
    """
    expected = _token_bytes(request.session.get("csrf"))
    given = _token_bytes(token)
    if given is None or expected is None or not hmac.compare_digest(given, expected):
        raise HTTPException(
            403,
            i18n.N_(
                "This form has expired or your browser did not keep our cookie. "
                "Please go back, reload the page and try again."
            ),
        )


def school_for_page(request: Request, context: dict[str, Any]) -> SchoolConfig | None:
    """The page's school: the ``school`` it shows, else the signed-in person's, else the one
    school this server runs, or the first of a trust's that share a nation and a language
    (None when none is known)."""
    school = context.get("school")
    if isinstance(school, SchoolConfig):
        return school
    try:
        config = ctx(request).config
    except (ConfigError, AttributeError):  # before init, or a bare test app
        return None
    user = context.get("user")
    school_id = getattr(user, "school_id", None) or request.scope.get("session", {}).get("school")
    if isinstance(school_id, str):
        try:
            return config.school(school_id)
        except KeyError:
            pass
    # one school, or a trust's schools that share a nation and a language: their words in it
    shared = {(school.country, school.language) for school in config.schools}
    return config.schools[0] if len(shared) == 1 else None


def words_for_page(request: Request, context: dict[str, Any]) -> Words:
    """The words of the page's school (``school_for_page``; England's words when none is
    known)."""
    school = school_for_page(request, context)
    return default_words() if school is None else school_words(school)


def language_for_page(request: Request, context: dict[str, Any]) -> str:
    """The page's language: the signed-in person's own choice where their school is
    dual-language (``cy+en``), else the school's; English when no school is known.

    A visitor (nobody signed in: the concern and complaint forms, sign-in) of a ``cy+en``
    school may choose one of the two: ``?lang=cy`` or ``?lang=en`` (kept for the visit), else
    a browser that asks for Welsh before English (``Accept-Language``) reads Welsh; otherwise
    both, Welsh first. A ``cy`` or ``en`` school's pages are in its language whatever is asked.
    """
    school = school_for_page(request, context)
    if school is None:
        return "en"
    user = context.get("user")
    chosen = getattr(user, "language", None)
    if user is None and school.language == "cy+en":
        chosen = _visitor_choice(request)
    return i18n.person_language(school.language, chosen if isinstance(chosen, str) else None)


def _visitor_choice(request: Request) -> str | None:
    """``cy`` or ``en`` as a visitor asked (the query, then the visit, then the browser)."""
    session = request.scope.get("session")
    asked = request.query_params.get("lang")
    if asked in ("cy", "en"):
        if isinstance(session, dict):
            session["lang"] = asked
        return asked
    kept = session.get("lang") if isinstance(session, dict) else None
    if kept in ("cy", "en"):
        return str(kept)
    ranked = []
    for order, part in enumerate(request.headers.get("accept-language", "").split(",")):
        tag, _, weight = part.strip().partition(";q=")
        try:
            ranked.append((-float(weight or 1), order, tag.split("-")[0].lower()))
        except ValueError:
            continue
    first = next((tag for _, _, tag in sorted(ranked) if tag in ("cy", "en")), None)
    return "cy" if first == "cy" else None


def client_ip(request: Request) -> str | None:
    """The caller's address (the proxy's X-Forwarded-For is trusted only via uvicorn's flag)."""
    return request.client.host if request.client else None


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    """Render a page with the user, CSRF token and theme available to every template."""
    theme = request.query_params.get("theme") or request.cookies.get("cb_theme") or "light"
    if theme not in ("light", "dark", "contrast", "default"):
        theme = "light"
    base = {
        "request": request,
        "csrf_token": request.session.get("csrf", ""),
        "theme": "light" if theme == "default" else theme,
    }
    if not context or "user" not in context:  # a page that looked its person up passes them
        base["user"] = current_user(request)
    if not context or "words" not in context:
        base["words"] = words_for_page(request, {**base, **(context or {})})
    language = language_for_page(request, {**base, **(context or {})})
    given = (context or {}).get("words", base.get("words"))
    if isinstance(given, Words):  # the pack's words as the page's language says them
        base["words"] = said_words(given)
        context = {k: v for k, v in (context or {}).items() if k != "words"}
    with i18n.speaking(language):  # the response renders here, in the page's language
        return templates.TemplateResponse(
            request, name, {**base, **(context or {})}, status_code=status_code
        )


@lru_cache(maxsize=64)
def qr_svg(text: str, box_size: int = 10) -> str:
    """A QR code of ``text`` as inline SVG (a school's report link, its visitor page): made
    once per process and size, as a QR code costs as much as a whole page to draw."""
    import qrcode  # lazy: qrcode adds ~60 ms to the web app's start; two pages use it
    import qrcode.image.svg

    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=box_size)
    return str(image.to_string().decode())


def info_page(request: Request, title: Text, message: Text) -> HTMLResponse:
    """The plain page saying one thing: a title and a sentence or two."""
    return render(request, "info.html", {"title": title, "message": message})


def error_page(request: Request, status: int, message: Text, **extra: Any) -> HTMLResponse:
    """The error page with this status and a plain message (and the school or the problems)."""
    return render(
        request, "error.html", {"status": status, "message": message, **extra}, status_code=status
    )
