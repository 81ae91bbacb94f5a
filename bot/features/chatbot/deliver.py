"""Google Chat as a delivery channel: in a school that asks in Chat (``asks_in: chat``), the
reminder run (``bot.engine.remind``) hands the digests of the people the app reaches to
:class:`ChatDigests`: each becomes the person's needs card in their direct message with the
app, under the digest's own outbox key (the same key, day and people as the email: the reminder
rules do not depend on the channel), with the email kept as the card's fallback (queued only if
Chat refuses the card for good, once). A person the app cannot reach (no Google user id, no
direct message and none could be set up) has no chat row and gets the email. Nobody gets both.

The direct message is found or set up once by the sweep's chat step (``teamsbot`` ``reach``:
the app's platform decides how) and kept in ``TeamsChat``, not looked up every week.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.config import SchoolConfig
from bot.core.i18n import person_language, speaking
from bot.core.models import Person, TeamsChat
from bot.core.outbox import EmailDraft, Urgency, enqueue_chat_card, enqueue_email
from bot.core.ports import GOOGLE_CHAT_SERVICE
from bot.core.settings import Settings
from bot.engine.reminders import Digest
from bot.features.chatbot.cards import card_message, needs_card
from bot.features.chatbot.service import button_function
from bot.features.teamsbot.api import KINDS, needs_title, open_needs

__all__ = ["ChatDigests"]


@dataclass(frozen=True)
class ChatDigests:
    """The reminder run's route to Google Chat (``bot.engine.remind.ChatRoute``): the people
    with a direct message with the app get their digest as their needs card there."""

    settings: Settings
    kinds: frozenset[str] = frozenset(KINDS)

    def reachable(self, session: Session, school: SchoolConfig) -> set[int]:
        """The school's active people with a direct message with the Chat app."""
        return set(
            session.scalars(
                select(TeamsChat.person_id)
                .join(Person, Person.id == TeamsChat.person_id)
                .where(
                    TeamsChat.school_id == school.id,
                    TeamsChat.service_url == GOOGLE_CHAT_SERVICE,
                    Person.active.is_(True),
                )
            )
        )

    def queue(
        self,
        session: Session,
        school: SchoolConfig,
        cards: Sequence[tuple[str, Digest, EmailDraft]],
        today: date,
        not_before: datetime,
    ) -> None:
        """Each digest as the person's card in their direct message, under the digest's key."""
        chats = {
            c.person_id: c
            for c in session.scalars(
                select(TeamsChat).where(TeamsChat.person_id.in_([d.person.id for _, d, _ in cards]))
            )
        }
        me_url = self.settings.base_url.rstrip("/") + "/me"
        function = button_function(self.settings)
        for key, digest, draft in cards:
            chat, person = chats.get(digest.person.id), session.get(Person, digest.person.id)
            if chat is None or person is None or chat.service_url != GOOGLE_CHAT_SERVICE:
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
            with speaking(person_language(school.language, person.language)):
                title = needs_title(school.name)
                card = needs_card(
                    school.name,
                    person.given_name or person.display_name,
                    open_needs(session, self.settings, person, today),
                    function=function,
                    me_url=me_url,
                )
            enqueue_chat_card(
                session,
                school_id=school.id,
                key=key,
                purpose="reminder",
                urgency=Urgency.ROUTINE,
                recipient=person.email,
                title=title,
                text="",
                chat_id=chat.chat_id,
                service_url=chat.service_url,
                card=card_message(card, title),
                not_before=not_before,
                fallback=(f"{key}:email", draft),
            )
