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

from typing import Any, ClassVar

from bot.core.models import Person, TeamsChat
from bot.core.ports import GOOGLE_CHAT_SERVICE
from bot.features.chatbot.cards import card_message, needs_card
from bot.features.chatbot.service import button_function
from bot.features.teamsbot.api import BotDigests, NeedItem, needs_title

__all__ = ["ChatDigests"]


class ChatDigests(BotDigests):
    """The reminder run's route to Google Chat (``bot.engine.remind.ChatRoute``): the people
    with a direct message with the app get their digest as their needs card there."""

    service_url: ClassVar[str | None] = GOOGLE_CHAT_SERVICE

    def card(
        self, school_name: str, person: Person, chat: TeamsChat, items: list[NeedItem]
    ) -> dict[str, Any]:
        """The person's card, as the message that carries it."""
        card = needs_card(
            school_name,
            person.given_name or person.display_name,
            items,
            function=button_function(self.settings),
            me_url=self.settings.base_url.rstrip("/") + "/me",
        )
        return card_message(card, needs_title(school_name))
