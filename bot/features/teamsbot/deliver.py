"""Teams as a delivery channel: reach a person in their chat with the school's bot (installing
the app for them through Graph when it is not there yet), and send their reminders there.

In a Teams-first school the reminder run (``bot.engine.remind``) hands the digests of the
people the bot reaches to :class:`TeamsDigests`: each becomes the person's card and an
activity-feed nudge under the digest's own outbox key, with the email kept as the card's
fallback (queued only if Teams refuses the card for good, once). A person the bot cannot reach
(no Entra id, the app refused) has no ``TeamsChat`` row and gets the email. Nobody gets both.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from typing import Any, ClassVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.config import SchoolConfig
from bot.core.deployment.settings import Settings
from bot.core.language.i18n import person_language, speaking
from bot.core.models import Duty, Person, TeamsChat, chats_of
from bot.core.outbox import EmailDraft, Urgency, enqueue_chat_card, enqueue_email
from bot.core.ports import GOOGLE_CHAT_SERVICE, ChatBot, ConnectorError, RetryableError
from bot.engine.reminders import Digest
from bot.features.teamsbot.cards import KINDS, NeedItem, needs_card, needs_title
from bot.features.teamsbot.conversation import keep_chat
from bot.features.teamsbot.service import open_needs

__all__ = ["REMINDER_ACTIVITY", "BotDigests", "NeedsSent", "TeamsDigests", "reach", "send_needs"]

log = logging.getLogger(__name__)
PURPOSE = "teams_needs"
REMINDER_ACTIVITY = "needsReminder"  # declared in the app manifest's activities.activityTypes


@dataclass
class NeedsSent:
    """What ``send_needs`` did: people the bot installed itself for, people it could not reach."""

    unreachable: int = 0
    installed: int = 0


def reach(
    session: Session, settings: Settings, bot: ChatBot, person: Person, now: datetime
) -> tuple[TeamsChat | None, bool]:
    """(their chat with the bot, whether it was installed just now); (None, False) when the bot
    cannot reach them (no directory id, or the platform refused: they keep getting email).
    A Google Chat app's chat is the person's direct message with it (found, or set up as them).

    Raises:
        RetryableError: the platform said "not now" (Chat's set-ups for the minute are spent).
    """
    held = session.get(TeamsChat, person.id)
    if held is not None:
        return held, False
    if not person.external_id:
        return None, False
    try:
        chat_id = bot.install(person.external_id, person.email)
    except RetryableError:
        raise  # "not now" (a limit of the platform's): the rest wait for the next pass
    except ConnectorError as exc:
        log.info("%s: could not reach person %s (%s)", bot.platform, person.id, exc)
        return None, False
    where = GOOGLE_CHAT_SERVICE if bot.platform == "chat" else settings.m365.bot_service_url
    return keep_chat(session, person, person.external_id, chat_id, where, now), True


@dataclass(frozen=True)
class BotDigests:
    """The reminder run's route to the school's bot (``bot.engine.remind.ChatRoute``): the people
    it reaches get their digest as their card in their chat with it, under the digest's key, the
    email kept as the card's fallback. Each platform says how its card looks (``card``) and what
    follows it (``feed``): :class:`TeamsDigests` here, ``chatbot`` ``ChatDigests``."""

    settings: Settings
    kinds: frozenset[str] = frozenset(KINDS)
    service_url: ClassVar[str | None] = None  # only a chat at this service reaches (None: any)

    def reachable(self, session: Session, school: SchoolConfig) -> set[int]:
        """The school's active people with a chat with the bot (at ``service_url`` if named)."""
        return {person.id for person, _ in chats_of(session, school.id, self.service_url)}

    def card(
        self, school_name: str, person: Person, chat: TeamsChat, items: list[NeedItem]
    ) -> dict[str, Any]:
        """The person's needs card (built in their language)."""
        raise NotImplementedError

    def feed(self, chat: TeamsChat, title: str, school_name: str) -> dict[str, Any] | None:
        """The nudge that follows a card newly queued, into the same chat (None: nothing)."""
        return None

    def queue(
        self,
        session: Session,
        school: SchoolConfig,
        cards: Sequence[tuple[str, Digest, EmailDraft]],
        today: date,
        not_before: datetime,
    ) -> None:
        """Each digest as the person's card (under the digest's key), then its ``feed`` nudge."""
        held = {
            person.id: (person, chat)
            for person, chat in chats_of(session, school.id, self.service_url)
        }
        for key, digest, draft in cards:
            if digest.person.id not in held:  # gone, or no chat this bot holds: the email
                enqueue_email(
                    session,
                    school_id=school.id,
                    key=key,
                    purpose="reminder",
                    urgency=Urgency.ROUTINE,
                    draft=draft,
                    not_before=not_before,
                )
                continue
            person, chat = held[digest.person.id]
            with speaking(person_language(school.language, person.language)):
                title = needs_title(school.name)
                items = open_needs(session, self.settings, person, today)
                card = self.card(school.name, person, chat, items)
            to_chat = partial(  # the card, then what follows it: one person, one chat
                enqueue_chat_card,
                session,
                school_id=school.id,
                purpose="reminder",
                urgency=Urgency.ROUTINE,
                recipient=person.email,
                title=title,
                text="",
                chat_id=chat.chat_id,
                service_url=chat.service_url,
                not_before=not_before,
            )
            feed = self.feed(chat, title, school.name)
            if to_chat(key=key, card=card, fallback=(f"{key}:email", draft)) and feed:
                # set aside quietly if refused: the card has its own fallback
                to_chat(key=f"{key}:feed", card={}, quiet=True, feed=feed)


class TeamsDigests(BotDigests):
    """The route to Teams: the card, then an activity-feed nudge."""

    def card(
        self, school_name: str, person: Person, chat: TeamsChat, items: list[NeedItem]
    ) -> dict[str, Any]:
        """The person's Adaptive Card."""
        return needs_card(
            school_name,
            person.given_name or person.display_name,
            items,
            user_id=chat.user_id,
            me_url=f"{self.settings.base_url.rstrip('/')}/me",
        )

    def feed(self, chat: TeamsChat, title: str, school_name: str) -> dict[str, Any] | None:
        """The card's activity-feed nudge."""
        return {
            "user_id": chat.user_id,
            "activity_type": REMINDER_ACTIVITY,
            "preview": title,
            "web_url": self.settings.base_url.rstrip("/") + "/me",
            "template": {"school": school_name},
        }


def send_needs(
    session: Session, settings: Settings, school: SchoolConfig, bot: ChatBot, now: datetime
) -> NeedsSent:
    """Reach each person with an open ask in a school that asks in the bot's platform (Teams:
    the bot installs itself for them; Chat: their direct message found or set up), so their
    next reminder is a card (``TeamsDigests``, ``chatbot`` ``ChatDigests``); no card is sent
    from here, so a reminder day is one message per person, never a card beside the email."""
    done = NeedsSent()
    if school.asks_in != bot.platform:
        return done
    people = list(
        session.scalars(
            select(Person)
            .where(
                Person.school_id == school.id,
                Person.active.is_(True),
                Person.id.not_in(select(TeamsChat.person_id)),
                Person.id.in_(
                    select(Duty.person_id).where(
                        Duty.school_id == school.id, Duty.status == "open", Duty.kind.in_(KINDS)
                    )
                ),
            )
            .order_by(Person.id)
        )
    )
    for person in people:
        try:
            chat, installed = reach(session, settings, bot, person, now)
        except RetryableError as exc:  # the rest are reached on a later pass
            log.info("%s: reaching people paused (%s)", bot.platform, exc)
            break
        done.installed += int(installed)
        done.unreachable += int(chat is None)
    return done
