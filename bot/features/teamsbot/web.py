"""``POST /api/messages``: the school's Azure Bot's messaging endpoint.

Nothing is read from the database or written before the activity's token checks out
(:func:`bot.engine.web.bot_framework.verify_activity`): a forged, expired, misaddressed or
other-tenant activity gets 401/403 and leaves no trace but a log line naming the failed check.
A card button (``invoke`` named ``adaptiveCard/action``) is answered with the refreshed card in
the invoke response, as Teams' Universal Actions expect. A message or an installation is
answered in the chat (``conversation.reply``: queued, then handed to the Bot Connector once the
request has committed), and every activity from a person's chat updates where that chat lives
(the ``serviceUrl`` the token vouched for).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool

from bot.core.deployment.settings import connection_key
from bot.core.language.i18n import person_language, speaking
from bot.core.models import utcnow
from bot.core.rendering.cards import ADAPTIVE_CARD_TYPE
from bot.engine.web.bot_framework import (
    BOT_KEYS,
    BotAuthError,
    activity_tenant,
    bot_setups,
    verify_activity,
)
from bot.engine.web.deps import ctx
from bot.engine.web.links import deliver_soon
from bot.features.teamsbot import conversation, service
from bot.features.teamsbot.dashboard import DASHBOARD_VERB, dashboard_answer

__all__ = ["router"]

router = APIRouter()
log = logging.getLogger(__name__)
MAX_ACTIVITY_BYTES = 256 * 1024
CARD_TYPE = ADAPTIVE_CARD_TYPE  # an invoke answered with a card (the refreshed one)
ERROR_TYPE = "application/vnd.microsoft.error"
REFUSED = {
    401: "This request did not come from Microsoft Teams for this school's bot.",
    403: "This request came from another organisation's Microsoft Teams.",
}


def _invoke_error(status: int, code: str, message: str) -> JSONResponse:
    """An invoke answered with an error Teams shows on the card (HTTP 200, as the docs say)."""
    return JSONResponse(
        {"statusCode": status, "type": ERROR_TYPE, "value": {"code": code, "message": message}}
    )


def _action(activity: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """(verb, data) of an ``adaptiveCard/action`` invoke, or None when it is not one."""
    value = activity.get("value")
    action = value.get("action") if isinstance(value, dict) else None
    if not isinstance(action, dict) or action.get("type") != "Action.Execute":
        return None
    verb, data = action.get("verb"), action.get("data")
    if not isinstance(verb, str):
        return None
    return verb, data if isinstance(data, dict) else {}


@router.post("/api/messages", include_in_schema=False)
async def messages(request: Request, background: BackgroundTasks) -> Response:
    """Authenticate the activity, then act on it (off the event loop: keys and database)."""
    if not bot_setups(ctx(request).settings):
        return JSONResponse({"error": "no bot is set up here"}, status_code=404)
    raw = await request.body()
    response, queued = await run_in_threadpool(_handle, request, raw)
    if queued:
        deliver_soon(request, background)
    return response


def _handle(request: Request, raw: bytes) -> tuple[Response, bool]:
    """Check the activity's token; only then look at what it asks."""
    setups = bot_setups(ctx(request).settings)
    try:
        if len(raw) > MAX_ACTIVITY_BYTES:
            raise ValueError("too large")
        activity = json.loads(raw)
        if not isinstance(activity, dict):
            raise ValueError("not an object")
    except ValueError:
        # unreadable: refuse as unauthenticated, since nothing in it could be checked
        return PlainTextResponse(REFUSED[401], status_code=401), False
    # the bot of the tenant the activity names (verified below against that tenant and bot:
    # a wrong claim fails there); another tenant's activity is checked against the first
    tenant = activity_tenant(activity)
    name, setup = next(
        ((n, s) for n, s in setups.items() if s.tenant == tenant), next(iter(setups.items()))
    )
    try:
        verify_activity(request.headers.get("authorization"), activity, setup, BOT_KEYS)
    except BotAuthError as exc:
        log.info("teams activity refused: %s", exc)  # which check failed; never the token
        return PlainTextResponse(REFUSED[exc.status], status_code=exc.status), False
    # the schools of that tenant: its people act there, and nowhere else
    schools = frozenset(
        s.id
        for s in ctx(request).config.schools
        if (connection_key(s.connection) if s.connection else None) == name
    )
    # where this chat lives: the serviceUrl verify_activity vouched for (the token's serviceurl
    # claim, or for an Entra token a Bot Connector address), never one taken on trust
    service_url = str(activity.get("serviceUrl") or "")
    if activity.get("type") == "invoke" and activity.get("name") == "adaptiveCard/action":
        return _card_action(request, activity, service_url, schools), False
    if conversation.greeting(activity) is None:
        return Response(status_code=200), False
    context = ctx(request)
    with context.store.transaction() as session:
        queued = conversation.reply(
            session,
            context.settings,
            context.config,
            activity,
            service_url,
            utcnow(),
            schools=schools,
        )
    return Response(status_code=200), queued


def _card_action(
    request: Request, activity: dict[str, Any], service_url: str, schools: frozenset[str]
) -> Response:
    """Record what the button asks (once) and answer with the person's card as it now is;
    only a person of ``schools`` (the tenant's) is known here."""
    context = ctx(request)
    found = _action(activity)
    if found is None:
        return _invoke_error(400, "BadRequest", "This button could not be read.")
    verb, data = found
    user_id = conversation.user_of(activity)
    with context.store.transaction() as session:
        person = service.person_for_user(session, user_id, schools)
        if data.get("school") is not None and data.get("school") not in schools:
            person = None  # a card of another tenant's school: nobody here may read it
        if person is not None:
            conversation.remember(session, person, activity, service_url, utcnow())
        if verb == DASHBOARD_VERB:  # the head's dashboard card, asking for the live figures
            card = dashboard_answer(
                session, context.settings, context.config, person, user_id, data, utcnow()
            )
            return JSONResponse({"statusCode": 200, "type": CARD_TYPE, "value": card})
        if person is None:
            return _invoke_error(
                403,
                "Forbidden",
                "The school has no record of you as a member of staff. Ask the school office.",
            )
        school = context.config.school(person.school_id)
        with speaking(person_language(school.language, person.language)):
            pressed = service.press(
                session, context.settings, school.name, person, verb, data, utcnow()
            )
    return JSONResponse({"statusCode": 200, "type": CARD_TYPE, "value": pressed.card})
