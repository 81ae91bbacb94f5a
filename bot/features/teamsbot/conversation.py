"""What the bot says when someone talks to it: a message ("hi") or installing the app gets the
person's needs card in their chat; someone the school does not know gets one plain line saying
what the bot does. Every activity from a person's one-to-one chat also teaches the bot where
that chat lives (the Connector's ``serviceUrl``), so its next proactive card goes there.

The reply is a message like any other: an outbox row (channel ``teams``, someone waiting on
the bot) under a key made from the activity, so a Connector that sends the same activity twice
gets one reply, and the row is handed to the Bot Connector after the request commits
(``POST {serviceUrl}/v3/conversations/{id}/activities``: Teams ignores the body of the HTTP
answer to a message, so a reply cannot ride on it).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.core.config import OrgConfig
from bot.core.days.clock import local_today
from bot.core.deployment.settings import Settings
from bot.core.language.i18n import person_language, say, speaking
from bot.core.language.words import said_words, school_words
from bot.core.models import Person, TeamsChat
from bot.core.outbox import Urgency, enqueue_chat_card
from bot.features.teamsbot.cards import needs_title
from bot.features.teamsbot.service import card_for, person_for_user

__all__ = ["PURPOSE", "greeting", "keep_chat", "remember", "reply", "stranger_line", "user_of"]

PURPOSE = "teams_reply"  # never held in preview: a person asked (``outbox.NEVER_HELD``)
# a conversation id goes into the Connector's URL path: nothing that could change the path
CHAT_ID = re.compile(r"[A-Za-z0-9:@._\-;=,+]{1,300}")


def user_of(activity: dict[str, Any]) -> str:
    """The Entra object id of whoever sent the activity ("" when Teams named none)."""
    sender = activity.get("from")
    return str(sender.get("aadObjectId") or "") if isinstance(sender, dict) else ""


def _personal_chat(activity: dict[str, Any]) -> str | None:
    """The conversation id when the activity comes from a one-to-one chat with the bot."""
    conversation = activity.get("conversation")
    if not isinstance(conversation, dict) or conversation.get("conversationType") != "personal":
        return None
    chat = conversation.get("id")
    return chat if isinstance(chat, str) and CHAT_ID.fullmatch(chat) else None


def greeting(activity: dict[str, Any]) -> str | None:
    """``"message"`` for something a person wrote to the bot, ``"install"`` for the app
    installed in their chat (``installationUpdate`` add, or ``conversationUpdate`` with the bot
    among ``membersAdded``: Teams sends one or both), else None (nothing to answer)."""
    if _personal_chat(activity) is None:
        return None
    kind = activity.get("type")
    if kind == "message":
        return "message"
    if kind == "installationUpdate":
        return "install" if activity.get("action") in ("add", "add-upgrade") else None
    if kind == "conversationUpdate":
        bot = activity.get("recipient")
        bot_id = bot.get("id") if isinstance(bot, dict) else None
        added = activity.get("membersAdded")
        if (
            bot_id
            and isinstance(added, list)
            and any(isinstance(m, dict) and m.get("id") == bot_id for m in added)
        ):
            return "install"
    return None


def remember(
    session: Session, person: Person, activity: dict[str, Any], service_url: str, now: datetime
) -> None:
    """Keep the person's chat with the bot as this activity names it: its conversation id and
    the ``serviceUrl`` the activity's token vouched for (the caller passes only that one);
    nothing when the activity is not from their one-to-one chat."""
    chat_id = _personal_chat(activity)
    user_id = user_of(activity)
    if chat_id is None or not user_id or not service_url:
        return
    keep_chat(session, person, user_id, chat_id, service_url, now)


def keep_chat(
    session: Session, person: Person, user_id: str, chat_id: str, service_url: str, now: datetime
) -> TeamsChat:
    """The person's chat with the bot, kept: added (installed ``now``), or its ids brought up
    to date."""
    held = session.get(TeamsChat, person.id) or TeamsChat(
        person_id=person.id, school_id=person.school_id, installed_at=now
    )
    held.chat_id, held.service_url, held.user_id = chat_id, service_url, user_id
    session.add(held)
    session.flush()
    return held


def stranger_line(config: OrgConfig) -> str:
    """The one line for someone the school does not know: what the bot does, in its words (in
    the active language)."""
    school = config.schools[0]
    name = school.name if len(config.schools) == 1 else config.organisation.name
    return say(
        "This is %(name)s's compliance bot: it shows staff the policies to acknowledge, the "
        "AUPs to sign and the training that is due, and tells %(dsl_team)s about new "
        "concerns. The school has no record of you as a member of staff; if you think it "
        "should, ask the school office.",
        name=name,
        dsl_team=said_words(school_words(school)).dsl_team,
    )


def _key(kind: str, chat_id: str, activity: dict[str, Any], now: datetime) -> str:
    """One reply per activity (a message), one welcome per chat and day (an installation:
    Teams may send both ``conversationUpdate`` and ``installationUpdate``)."""
    chat = hashlib.sha256(chat_id.encode()).hexdigest()[:32]
    if kind == "install":
        return f"teams-welcome:{chat}:{local_today(now).isoformat()}"
    said = hashlib.sha256(str(activity.get("id") or "").encode()).hexdigest()[:32]
    return f"teams-reply:{chat}:{said}"


def reply(
    session: Session,
    settings: Settings,
    config: OrgConfig,
    activity: dict[str, Any],
    service_url: str,
    now: datetime,
    *,
    schools: Collection[str] | None = None,
) -> bool:
    """Queue the answer to a message or an installation (``greeting``); True when a reply was
    queued (False: nothing to answer, or already answered). Only a person of ``schools`` (the
    bot's tenant's, when given) is known."""
    kind = greeting(activity)
    chat_id = _personal_chat(activity)
    if kind is None or chat_id is None:
        return False
    key = _key(kind, chat_id, activity, now)
    person = person_for_user(session, user_of(activity), schools)
    if person is None:
        school = next(
            (s for s in config.schools if schools is None or s.id in schools), config.schools[0]
        )
        sender = activity.get("from")
        name = str(sender.get("name") or "") if isinstance(sender, dict) else ""
        recipient = name[:200] or "someone in Teams the school does not know"
        with speaking(config.schools[0].language):
            title, text, card = say("About this bot"), stranger_line(config), {}
    else:
        remember(session, person, activity, service_url, now)
        school = config.school(person.school_id)
        with speaking(person_language(school.language, person.language)):
            recipient, title, text = person.email, needs_title(school.name), ""
            card = card_for(session, settings, school.name, person, local_today(now))
    return enqueue_chat_card(
        session,
        school_id=school.id,
        key=key,
        purpose=PURPOSE,
        urgency=Urgency.WAITING,
        recipient=recipient,
        title=title,
        text=text,
        chat_id=chat_id,
        service_url=service_url,
        card=card,
        not_before=now,
        quiet=True,
    )
