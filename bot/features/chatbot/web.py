"""``POST /api/chat``: the school's Google Chat app's HTTP endpoint.

Nothing is read from the database before the request's bearer token checks out (the Google
connector's verifier, handed over through ``bot.core.deployment.context.adapters``): a forged,
expired or
misaddressed request gets a plain 401, and the audit log records which check failed — never the
token. Chat's bearer proves that a request came from Chat for this app, not who pressed: a
Workspace add-on set up with its OAuth client id (``chat_addon_client_id``) must also carry
Google's own ID token for the person (``userIdToken``), and acts only for the person it names,
when that is the event's. In a trust whose schools have Google domains of their own, each
domain may have its own Chat app (``connection``'s ``chat_project_number``): the request is for
the app whose checks its token passes, and only that domain's schools' people are known to it.
The answer rides on the HTTP response, as Chat expects of an app answering an event (within 30
seconds): the needs card, the card updated in place after a press, or one line.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool

from bot.core import audit
from bot.core.deployment.context import AppContext, adapters
from bot.core.deployment.settings import Settings, SettingsError
from bot.core.guards.chat_tokens import ChatAuthError, ChatTokens
from bot.core.models import utcnow
from bot.engine.web.deps import ctx
from bot.features.chatbot.service import (
    ChatEvent,
    ChatEventError,
    answer,
    button_function,
    read_event,
)

__all__ = ["ChatApp", "chat_apps", "router"]

router = APIRouter()
log = logging.getLogger(__name__)
MAX_EVENT_BYTES = 256 * 1024
REFUSED = "This request did not come from Google Chat for this school's Chat app."


@dataclass(frozen=True)
class ChatApp:
    """One Chat app this install answers for: the settings its domain sees (the install's, or
    a connection's with its own Chat project), its token checker, and the schools it serves
    (None: every school)."""

    settings: Settings
    verifier: ChatTokens
    schools: frozenset[str] | None


def chat_apps(context: AppContext) -> list[ChatApp]:
    """The Chat apps of the install and of its schools' own domains (``connection:``), one per
    project and audience; a connection that is not set up has none."""
    by_connection: dict[str | None, set[str]] = {}
    for school in context.config.schools:
        by_connection.setdefault(school.connection, set()).add(school.id)
    apps: dict[tuple[Any, ...], tuple[Settings, ChatTokens, set[str]]] = {}
    for name, schools in by_connection.items():
        try:
            seen = context.settings if name is None else context.settings.for_connection(name)
        except SettingsError:
            continue
        verifier = adapters().chat_tokens(seen)
        if verifier is None:
            continue
        google = seen.google
        same = (
            google.chat_project_number,
            google.chat_audience,
            google.chat_endpoint_url,
            google.chat_addon,
        )
        apps.setdefault(same, (seen, verifier, set()))[2].update(schools)
    whole = len(by_connection) == 1
    return [
        ChatApp(seen, verifier, None if whole else frozenset(schools))
        for seen, verifier, schools in apps.values()
    ]


@router.post("/api/chat", include_in_schema=False)
async def chat(request: Request) -> Response:
    """Check the token, then answer the event (off the event loop: keys and database)."""
    context = ctx(request)
    apps = chat_apps(context)
    if not apps:
        return JSONResponse({"error": "no Google Chat app is set up here"}, status_code=404)
    raw = await request.body()
    return await run_in_threadpool(
        _handle, context, apps, request.headers.get("authorization"), raw
    )


def _refused(context: AppContext, why: str) -> Response:
    """A plain 401, audited with the failed check (never the token)."""
    log.info("google chat request refused: %s", why)
    with context.store.transaction() as session:
        audit.record(
            session,
            actor="google-chat",
            action="chat.request_refused",
            object_type="chat_request",
            details={"check": why[:200]},
        )
    return PlainTextResponse(REFUSED, status_code=401)


def _verified(apps: list[ChatApp], authorization: str | None, body: Any) -> ChatApp:
    """The app the request's token is for (the first whose checks it passes); ChatAuthError
    (the first app's failed check) when none."""
    failed: ChatAuthError | None = None
    for app in apps:
        given = authorization
        if not given and app.settings.google.chat_addon and isinstance(body, dict):
            # an add-on's event also carries the token in its body
            system = body.get("authorizationEventObject")
            token = system.get("systemIdToken") if isinstance(system, dict) else None
            given = f"Bearer {token}" if isinstance(token, str) else None
        try:
            app.verifier.verify(given)
        except ChatAuthError as exc:
            failed = failed or exc
            continue
        return app
    raise failed or ChatAuthError("no Chat app")


def _pressed_by(app: ChatApp, body: dict[str, Any], event: ChatEvent) -> ChatEvent:
    """The event as from the person its ``userIdToken`` names (their Google id and address);
    ChatAuthError when the token is missing or bad, or names someone other than the event."""
    system = body.get("authorizationEventObject")
    given = system.get("userIdToken") if isinstance(system, dict) else None
    claims = app.verifier.verify_user(given if isinstance(given, str) else None)
    email = str(claims.get("email") or "").lower()
    if claims["sub"] != event.user_id or (event.email and email != event.email.lower()):
        raise ChatAuthError("the user ID token names someone other than the event")
    return replace(event, email=email if claims.get("email_verified") is True else "")


def _handle(
    context: AppContext, apps: list[ChatApp], authorization: str | None, raw: bytes
) -> Response:
    body: Any = None
    if len(raw) <= MAX_EVENT_BYTES:
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
    try:
        app = _verified(apps, authorization, body)
    except ChatAuthError as exc:
        return _refused(context, str(exc))
    addon = app.settings.google.chat_addon
    try:
        event = read_event(body, addon=addon)
    except ChatEventError as exc:
        return JSONResponse({"error": f"This is not a Google Chat event: {exc}."}, status_code=400)
    if addon and app.settings.google.chat_addon_client_id:
        try:  # who pressed is the person Google's own token names, and must be the event's
            event = _pressed_by(app, body, event)
        except ChatAuthError as exc:
            return _refused(context, str(exc))
    with context.store.transaction() as session:
        reply = answer(
            session,
            context.settings,
            context.config,
            event,
            utcnow(),
            addon=addon,
            function=button_function(app.settings),
            schools=app.schools,
        )
    return JSONResponse(reply)
