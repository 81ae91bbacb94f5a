"""Sign-in by emailed link or code (``/signin/email``, ``/signin/link``, ``/signin/code``).

Open only when no Microsoft or Google sign-in is set up and the app is not the demo. Opening a
link signs nobody in (mail scanners open links): only the button's POST does.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Form, HTTPException, Request
from fastapi.responses import Response

from bot.core.deployment.context import AppContext
from bot.core.guards.ratelimit import RateLimit, limit_key, take
from bot.core.language.i18n import N_
from bot.core.models import utcnow
from bot.engine.web.auth import safe_next, start_session
from bot.engine.web.deps import check_csrf, client_ip, ctx, render
from bot.engine.web.links import deliver_soon
from bot.features.signin.service import Used, refused, request_link, use_code, use_token

__all__ = ["ADDRESS_RATE", "CODE_RATE", "SENDER_RATE", "router"]

router = APIRouter()
# what one address, and one sender, may ask for: enough to retry a lost email, not to flood one
ADDRESS_RATE = RateLimit("signin-address", 3, timedelta(minutes=15))
SENDER_RATE = RateLimit("signin-sender", 10, timedelta(minutes=15))
# codes typed from one sender: with 5 wrong codes per link, guessing stays hopeless
CODE_RATE = RateLimit("signin-code", 10, timedelta(minutes=15))
MAX_TOKEN = 100  # our tokens are 43 characters
REFUSED = N_(
    "This sign-in link or code cannot be used: it has expired, was already used, or a newer "
    "one was sent. Please ask for a new one from the sign-in page."
)
TOO_MANY = N_("Too many sign-in attempts. Please wait 15 minutes and try again.")


def _open(request: Request) -> None:
    """404 unless email sign-in is this deployment's way in (no OIDC, not the demo)."""
    settings = ctx(request).settings
    if settings.demo or settings.oidc_issuer:
        raise HTTPException(404, N_("There is nothing at this address."))


def _posted(request: Request, csrf_token: str) -> tuple[AppContext, str, datetime]:
    """A sign-in form's post, once its token checks out and email sign-in is open: the app, its
    signing key and the time."""
    check_csrf(request, csrf_token)
    _open(request)
    context = ctx(request)
    return context, context.settings.signing_key(), utcnow()


def _address(email: str) -> str:
    """The typed address as the directory holds it; 400 when it cannot be one."""
    address = email.strip().lower()
    if "@" not in address or " " in address:
        raise HTTPException(400, N_("Please type your email address, like name@school.example."))
    return address


@router.get("/signin/email", include_in_schema=False)
def ask(request: Request) -> Response:
    """The form: your email address, for a link."""
    _open(request)
    next_path = request.query_params.get("next")
    return render(
        request, "signin_email.html", {"next_path": safe_next(next_path) if next_path else ""}
    )


@router.post("/signin/email", include_in_schema=False)
def send(
    request: Request,
    background: BackgroundTasks,
    email: Annotated[str, Form(max_length=320)] = "",
    next: Annotated[str, Form(max_length=500)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Email a link and code to a person in the directory; the same page whoever asked."""
    context, key, now = _posted(request, csrf_token)
    address = _address(email)
    sender = limit_key(key, SENDER_RATE, client_ip(request) or "unknown")
    with context.store.transaction() as session:
        room = take(session, SENDER_RATE, sender, now) and take(
            session, ADDRESS_RATE, limit_key(key, ADDRESS_RATE, address), now
        )
        if room:
            request_link(
                session,
                key=key,
                email=address,
                next_path=safe_next(next) if next else "",
                now=now,
                config=context.config,
                base_url=context.settings.base_url,
            )
    if not room:
        raise _too_many(request, "requests")
    deliver_soon(request, background)
    return render(request, "signin_code.html", {"sent": True, "email": address})


@router.get("/signin/code", include_in_schema=False)
def code_form(request: Request) -> Response:
    """The form for a code read on another device."""
    _open(request)
    return render(request, "signin_code.html", {"sent": False, "email": ""})


@router.post("/signin/code", include_in_schema=False)
def code(
    request: Request,
    email: Annotated[str, Form(max_length=320)] = "",
    code: Annotated[str, Form(max_length=20)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Sign in with the address and the emailed code (wrong codes are counted and limited)."""
    context, key, now = _posted(request, csrf_token)
    address = _address(email)
    sender = limit_key(key, CODE_RATE, client_ip(request) or "unknown")
    with context.store.transaction() as session:
        room = take(session, CODE_RATE, sender, now)
        used = use_code(session, key=key, email=address, code=code, now=now) if room else None
    if not room:
        raise _too_many(request, "codes")
    return _signed_in(request, used, "email_code")


@router.get("/signin/link/{token}", include_in_schema=False)
def link(request: Request, token: str) -> Response:
    """The emailed link: a button that signs in (opening it records nothing)."""
    _open(request)
    if len(token) > MAX_TOKEN:
        raise HTTPException(400, REFUSED)
    return render(request, "signin_link.html", {"token": token})


@router.post("/signin/link", include_in_schema=False)
def use_link(
    request: Request,
    token: Annotated[str, Form(max_length=MAX_TOKEN)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Sign in with the link's token, once."""
    context, key, now = _posted(request, csrf_token)
    with context.store.transaction() as session:
        used = use_token(session, key=key, token=token, now=now)
    return _signed_in(request, used, "email_link")


def _too_many(request: Request, what: str) -> HTTPException:
    """Audit a refusal for too many requests or codes and return the 429 to raise."""
    with ctx(request).store.transaction() as session:
        refused(session, "sender", f"too_many_{what}")
    return HTTPException(429, TOO_MANY)


def _signed_in(request: Request, used: Used | None, via: str) -> Response:
    """Start the session for a link or code that worked; the refusal page (400) otherwise."""
    if used is None:
        raise HTTPException(400, REFUSED)
    return start_session(request, used.email, used.next_path or None, via=via)
