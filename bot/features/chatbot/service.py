"""Google Chat's events, read and answered: who wrote (the verified event's user, matched to
the directory by their Google user id or address, never by a display name), what they asked,
and the answer — their needs card, the card updated after a press, or one plain line.

Google sends an event in one of two shapes: a classic HTTP Chat app's (``type``, ``user``,
``space``, ``common.parameters``; the Chat API's ``Event``) or a Workspace add-on's (``chat``
with ``messagePayload`` / ``addedToSpacePayload`` / ``buttonClickedPayload``, ``chat.user``,
``commonEventObject.parameters``). The app's setting (``google.chat_addon``) says which to
expect and which to answer in.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, true
from sqlalchemy.orm import Session

from bot.core.config import OrgConfig, SchoolConfig
from bot.core.days.clock import local_today
from bot.core.deployment.settings import Settings
from bot.core.language.i18n import N_, person_language, say, speaking
from bot.core.models import Person
from bot.features.chatbot.cards import card_message, needs_card, plain, wrapped
from bot.features.teamsbot.api import ACK_VERB, needs_title, open_needs, record_press, stranger_line

__all__ = ["METHOD", "ChatEvent", "ChatEventError", "answer", "person_for", "read_event"]

METHOD = "chat"  # the attestation's ``method``: recorded "via Google Chat"
MESSAGE, ADDED, CLICKED = "MESSAGE", "ADDED_TO_SPACE", "CARD_CLICKED"
ADDON_PAYLOADS = {
    "messagePayload": MESSAGE,
    "addedToSpacePayload": ADDED,
    "buttonClickedPayload": CLICKED,
    "removedFromSpacePayload": "REMOVED_FROM_SPACE",
}
GROUP_LINE = N_(
    "I show each member of staff what the school needs from them in a direct "
    "message: message me there."
)


class ChatEventError(ValueError):
    """A request body that is not a Chat event this app can read (HTTP 400)."""


@dataclass(frozen=True)
class ChatEvent:
    """What the bot needs of an event, in either shape."""

    kind: str  # MESSAGE | ADDED_TO_SPACE | CARD_CLICKED | REMOVED_FROM_SPACE | anything else
    user_id: str  # the Google user id of ``users/{id}`` ("" when none)
    email: str
    human: bool
    direct: bool  # a direct message between the person and the app
    params: Mapping[str, str] = field(default_factory=dict)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _direct(space: dict[str, Any]) -> bool:
    return (
        space.get("spaceType") == "DIRECT_MESSAGE"
        or space.get("type") == "DM"
        or space.get("singleUserBotDm") is True
    )


def _params(found: Any) -> dict[str, str]:
    """A button's parameters: a map (``common``/``commonEventObject``) or a list of
    ``{"key", "value"}`` (the classic ``action.parameters``), strings only."""
    if isinstance(found, list):
        found = {p.get("key"): p.get("value") for p in found if isinstance(p, dict)}
    if not isinstance(found, dict):
        return {}
    return {k: v for k, v in found.items() if isinstance(k, str) and isinstance(v, str)}


def read_event(body: Any, *, addon: bool) -> ChatEvent:
    """The event in ``body`` (a classic Chat app's, or with ``addon`` a Workspace add-on's);
    ChatEventError when it is not one."""
    if not isinstance(body, dict):
        raise ChatEventError("not a JSON object")
    if addon:
        chat = _dict(body.get("chat"))
        kinds = [k for k in ADDON_PAYLOADS if isinstance(chat.get(k), dict)]
        if not chat or len(kinds) > 1:
            raise ChatEventError("not a Google Chat add-on event")
        payload = _dict(chat.get(kinds[0])) if kinds else {}
        kind = ADDON_PAYLOADS[kinds[0]] if kinds else "OTHER"
        user, space = _dict(chat.get("user")), _dict(payload.get("space"))
        if not space:
            space = _dict(_dict(payload.get("message")).get("space"))
        params = _params(_dict(body.get("commonEventObject")).get("parameters"))
    else:
        found = body.get("type")
        if not isinstance(found, str):
            raise ChatEventError("not a Google Chat event")
        kind = found
        user, space = _dict(body.get("user")), _dict(body.get("space"))
        params = _params(_dict(body.get("common")).get("parameters")) or _params(
            _dict(body.get("action")).get("parameters")
        )
    name = user.get("name")
    user_id = name.removeprefix("users/") if isinstance(name, str) else ""
    email = user.get("email")
    return ChatEvent(
        kind=kind,
        user_id=user_id if user_id.isalnum() else "",
        email=email if isinstance(email, str) else "",
        human=user.get("type", "HUMAN") == "HUMAN",
        direct=_direct(space),
        params=params,
    )


def person_for(
    session: Session, event: ChatEvent, schools: Collection[str] | None = None
) -> Person | None:
    """The active person the event's user is: by Google user id (the directory's id), else by
    their address; None when the school does not know them. Only a person of ``schools`` (the
    app's domain's, when given) is known."""
    mine = Person.school_id.in_(sorted(schools)) if schools is not None else true()
    if event.user_id:
        found = session.scalar(
            select(Person)
            .where(Person.external_id == event.user_id, Person.active.is_(True), mine)
            .order_by(Person.id)
            .limit(1)
        )
        if found is not None:
            return found
    if event.email and "@" in event.email:
        return session.scalar(
            select(Person)
            .where(func.lower(Person.email) == event.email.lower(), Person.active.is_(True), mine)
            .order_by(Person.id)
            .limit(1)
        )
    return None


def answer(
    session: Session,
    settings: Settings,
    config: OrgConfig,
    event: ChatEvent,
    now: datetime,
    *,
    addon: bool,
    function: str,
    schools: Collection[str] | None = None,
) -> dict[str, Any]:
    """The answer to ``event`` in the app's shape (``{}``: nothing to say).

    A message or the app added from a person: their needs card; Acknowledge pressed: the
    press recorded (once, bound to the version's hash) and the card updated in place; someone
    the school does not know: one plain line; a space of many people: where to find the app.
    """
    if event.kind not in (MESSAGE, ADDED, CLICKED) or not event.human:
        return {}
    first = next((s for s in config.schools if schools is None or s.id in schools), None)
    person = person_for(session, event, schools) if event.direct else None
    if person is None:  # nobody known yet: the school's language
        with speaking((first or config.schools[0]).language):
            line = stranger_line(config) if event.direct else say(GROUP_LINE)
        return wrapped(plain(line), addon=addon, update=False)
    school = config.school(person.school_id)
    with speaking(person_language(school.language, person.language)):
        return _answer(session, settings, school, person, event, now, addon, function)


def _answer(
    session: Session,
    settings: Settings,
    school: SchoolConfig,
    person: Person,
    event: ChatEvent,
    now: datetime,
    addon: bool,
    function: str,
) -> dict[str, Any]:
    """``answer`` to a person the school knows, in their language."""
    if school.asks_in != "chat":  # the school asks elsewhere: say where, in its words
        if school.asks_in == "teams":
            line = say(
                "%(school)s asks its staff for what it needs from them in Microsoft Teams "
                "and by email, not here in Google Chat.",
                school=school.name,
            )
        else:
            line = say(
                "%(school)s asks its staff for what it needs from them by email, not here "
                "in Google Chat.",
                school=school.name,
            )
        return wrapped(plain(line), addon=addon, update=False)
    note = None
    if event.kind == CLICKED:
        verb = event.params.get("verb", "")
        note, _recorded = record_press(
            session, person, verb, dict(event.params), now, method=METHOD, user_agent="Google Chat"
        )
    title = needs_title(school.name)
    card = needs_card(
        school.name,
        person.given_name or person.display_name,
        open_needs(session, settings, person, local_today(now)),
        function=function,
        me_url=f"{settings.base_url.rstrip('/')}/me",
        note=note,
    )
    return wrapped(card_message(card, title), addon=addon, update=event.kind == CLICKED)


def button_function(settings: Settings) -> str:
    """What a card's button names as its action: the endpoint's URL for a Workspace add-on (an
    HTTP add-on runs the URL its button names), the verb for a classic Chat app."""
    google = settings.google
    if google.chat_addon:
        return google.chat_endpoint_url or f"{settings.base_url.rstrip('/')}/api/chat"
    return ACK_VERB
