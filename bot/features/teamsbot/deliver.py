"""Teams as a delivery channel: reach a person in their chat with the school's bot (installing
the app for them through Graph when it is not there yet) and queue their card in the outbox.

A person the bot cannot reach (no Entra id, the app refused) has no ``TeamsChat`` row and keeps
getting email: the reminder digests go to everyone as before.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.clock import local_today
from bot.core.config import SchoolConfig
from bot.core.models import Duty, Person
from bot.core.outbox import Urgency, enqueue_chat_card
from bot.core.settings import Settings
from bot.core.teams_models import TeamsChat
from bot.features.teamsbot.cards import KINDS, needs_card
from bot.features.teamsbot.service import open_needs
from connectors.base import ChatBot, ConnectorError

__all__ = ["NeedsSent", "reach", "send_needs"]

log = logging.getLogger(__name__)
PURPOSE = "teams_needs"


@dataclass
class NeedsSent:
    """What ``send_needs`` did: cards queued, people the bot could not reach."""

    cards: int = 0
    unreachable: int = 0
    installed: int = 0


def reach(
    session: Session, settings: Settings, bot: ChatBot, person: Person, now: datetime
) -> tuple[TeamsChat | None, bool]:
    """(their chat with the bot, whether it was installed just now); (None, False) when the bot
    cannot reach them (no Entra id, or Graph refused: they keep getting email)."""
    held = session.get(TeamsChat, person.id)
    if held is not None:
        return held, False
    if not person.external_id:
        return None, False
    try:
        chat_id = bot.install(person.external_id)
    except ConnectorError as exc:
        log.info("teams: could not reach person %s (%s)", person.id, exc)
        return None, False
    chat = TeamsChat(person_id=person.id, school_id=person.school_id,
                     user_id=person.external_id, chat_id=chat_id,
                     service_url=settings.m365.bot_service_url, installed_at=now)
    session.add(chat)
    session.flush()
    return chat, True


def send_needs(
    session: Session, settings: Settings, school: SchoolConfig, bot: ChatBot, now: datetime
) -> NeedsSent:
    """Queue today's "what the school needs from you" card for each person with an open ask,
    in a Teams-first school; one card per person per day and per set of asks (idempotent)."""
    done = NeedsSent()
    if not school.teams_first:
        return done
    today = local_today(now)
    people = list(session.scalars(
        select(Person)
        .where(Person.school_id == school.id, Person.active.is_(True),
               Person.id.in_(select(Duty.person_id).where(
                   Duty.school_id == school.id, Duty.status == "open", Duty.kind.in_(KINDS))))
        .order_by(Person.id)
    ))
    for person in people:
        chat, installed = reach(session, settings, bot, person, now)
        done.installed += int(installed)
        if chat is None:
            done.unreachable += 1
            continue
        items = open_needs(session, settings, person, today)
        card = needs_card(school.name, person.given_name or person.display_name, items,
                          user_id=person.external_id)
        # the same asks are one card a day, however often this runs (links carry a time)
        asks = hashlib.sha256(
            repr([(i.duty_id, i.sha256) for i in items]).encode()).hexdigest()[:16]
        if enqueue_chat_card(
            session, school_id=school.id, key=f"teams-needs:{person.id}:{today}:{asks}",
            purpose=PURPOSE, urgency=Urgency.ROUTINE, recipient=person.email,
            title=f"What {school.name} needs from you", text="", chat_id=chat.chat_id,
            service_url=chat.service_url, card=card, not_before=now,
        ):
            done.cards += 1
    return done
