"""The chat ports: a card posted to the school's channel (``Notifier``), and the school's own
chat bot reaching one person in Teams or Google Chat (``ChatBot``, ``BulkFeed``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from bot.core.ports.mail import SendResult


@dataclass(frozen=True)
class CardMessage:
    """A digest card for a chat channel: both renderings, the connector picks its own."""

    idempotency_key: str
    title: str
    text: str
    teams_payload: Mapping[str, Any] = field(default_factory=dict)
    chat_payload: Mapping[str, Any] = field(default_factory=dict)
    school_id: str | None = None  # whose card: the dispatcher picks that school's tenant's bot


@runtime_checkable
class Notifier(Protocol):
    """Posts a card to the school's channel (Teams Workflows webhook, Chat space, file...)."""

    def post(self, card: CardMessage) -> SendResult:
        """Post ``card`` once."""
        ...


# The resource-specific permissions the Teams app package declares, as (name, type): the
# manifest lists them (bot.features.dashboard.teams_package) and the bot's own install of the
# app for a person consents to exactly these (Graph refuses an install of an app with
# application RSC permissions that does not: Learn, "Install app for user", example 2)
TEAMS_APP_RSC: tuple[tuple[str, str], ...] = (("TeamsActivity.Send.User", "Application"),)


# where a person's direct message with a school's Google Chat app lives (``TeamsChat.service_url``
# of a Chat app's chat: a Teams chat keeps its Bot Connector's URL there)
GOOGLE_CHAT_SERVICE = "https://chat.googleapis.com"


@runtime_checkable
class ChatBot(Protocol):
    """The school's own chat bot (Teams, or a Google Chat app): reaches one person in their
    chat with it. ``platform`` says which (a school's ``asks_in``: ``teams`` or ``chat``)."""

    @property
    def platform(self) -> str:
        """``teams`` or ``chat``: the ``asks_in`` of the schools this bot asks for."""
        ...

    def install(self, user_id: str, email: str = "") -> str:
        """Install the app for the person if needed (or find their direct message with it, or
        set that up as them: ``email``); the id of their chat with the bot."""
        ...

    def post(self, card: CardMessage) -> SendResult:
        """Post a ``teams`` outbox row's card in the person's chat, once."""
        ...

    def notify(
        self,
        user_id: str,
        *,
        activity_type: str,
        preview: str,
        web_url: str,
        template: dict[str, str] | None = None,
    ) -> None:
        """An activity-feed notification for one person."""
        ...


@runtime_checkable
class BulkFeed(Protocol):
    """A chat bot that sends one activity-feed notification to many people in one call (Graph's
    ``sendActivityNotificationToRecipients``, up to 100 a call): the dispatcher checks it with
    ``isinstance`` and sends a page's nudges that way; a bot without it nudges one by one."""

    def notify_many(
        self,
        user_ids: list[str],
        *,
        activity_type: str,
        preview: str,
        web_url: str,
        template: dict[str, str] | None = None,
    ) -> None:
        """The same notification for every one of ``user_ids``, accepted or refused whole."""
        ...
