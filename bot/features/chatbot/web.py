"""``POST /api/chat``: the school's Google Chat app's HTTP endpoint.

Nothing is read from the database before the request's bearer token checks out (the Google
connector's verifier, handed over through ``bot.core.context.adapters``): a forged, expired or
misaddressed request gets a plain 401, and the audit log records which check failed — never the
token. The answer rides on the HTTP response, as Chat expects of an app answering an event
(within 30 seconds): the needs card, the card updated in place after a press, or one line.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool

from bot.core import audit
from bot.core.chat_tokens import ChatAuthError, ChatTokens
from bot.core.context import AppContext, adapters
from bot.core.models import utcnow
from bot.engine.web.deps import ctx
from bot.features.chatbot.service import ChatEventError, answer, button_function, read_event

__all__ = ["router"]

router = APIRouter()
log = logging.getLogger(__name__)
MAX_EVENT_BYTES = 256 * 1024
REFUSED = "This request did not come from Google Chat for this school's Chat app."


@router.post("/api/chat", include_in_schema=False)
async def chat(request: Request) -> Response:
    """Check the token, then answer the event (off the event loop: keys and database)."""
    context = ctx(request)
    verifier = adapters().chat_tokens(context.settings)
    if verifier is None:
        return JSONResponse({"error": "no Google Chat app is set up here"}, status_code=404)
    raw = await request.body()
    return await run_in_threadpool(
        _handle, context, verifier, request.headers.get("authorization"), raw
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


def _handle(
    context: AppContext, verifier: ChatTokens, authorization: str | None, raw: bytes
) -> Response:
    addon = context.settings.google.chat_addon
    body: Any = None
    if len(raw) <= MAX_EVENT_BYTES:
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
    if not authorization and addon and isinstance(body, dict):
        # an add-on's event also carries the token in its body
        system = body.get("authorizationEventObject")
        token = system.get("systemIdToken") if isinstance(system, dict) else None
        authorization = f"Bearer {token}" if isinstance(token, str) else None
    try:
        verifier.verify(authorization)
    except ChatAuthError as exc:
        return _refused(context, str(exc))
    try:
        event = read_event(body, addon=addon)
    except ChatEventError as exc:
        return JSONResponse({"error": f"This is not a Google Chat event: {exc}."}, status_code=400)
    with context.store.transaction() as session:
        reply = answer(
            session,
            context.settings,
            context.config,
            event,
            utcnow(),
            addon=addon,
            function=button_function(context.settings),
        )
    return JSONResponse(reply)
