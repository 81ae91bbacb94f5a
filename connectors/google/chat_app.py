"""The school's Google Chat app, outward: find (or set up, once) a person's direct message with
the app and post a card there, through the Chat API as Google documents it:

* ``GET /v1/spaces:findDirectMessage?name=users/{id}`` with app authentication (``chat.bot``)
  returns the DM between the person and the calling app (404: none). When an administrator
  installs the app for the whole organisation, Chat creates that DM for everyone, so this is
  all a school that did so ever needs;
* ``POST /v1/spaces:setup`` ``{"space": {"spaceType": "DIRECT_MESSAGE", "singleUserBotDm":
  true}}`` (no memberships) sets the DM up between *the calling user* and the app: the method
  takes user authentication only (``chat.spaces.create``), so the app acts as the person
  through domain-wide delegation of that one scope (``GoogleClient.chat_as``);
* ``POST /v1/spaces/{space}/messages?messageId=client-...&requestId=...`` with the card
  (``cardsV2``; cards need app authentication). ``requestId`` makes the create idempotent (the
  same id returns the message already made) and the ``client-`` ``messageId`` is unique in the
  space (a second create of it is refused ``409 ALREADY_EXISTS``, which means "already
  there"): both come from the outbox row's key, so a retry never posts twice.

Pacing (Chat's usage limits, per 60 seconds): 3,000 message writes per project, 60 space writes
(``spaces.setup``) per project, 3,000 space reads per project, 60 writes per space (about one a
second). They are counted by the app's ``pacer``: the database's in the app, so every dispatch
worker and web process together keeps them (``bot.core.guards.ratelimit.DatabasePacer``). Message
writes and reads wait for room; a set-up never waits: past ``SETUPS_PER_MINUTE``
:meth:`GoogleChatApp.install` raises ``RetryableError`` and the person is reached on a later
pass. A 429 is handed to the outbox as ``RetryableError`` with Google's ``Retry-After`` (the
channel pauses; the outbox's back-off grows while it lasts).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

from bot.core.ports import (
    CardMessage,
    ConnectorError,
    Limit,
    Pacer,
    PermanentError,
    RetryableError,
    SendResult,
    SetupError,
)
from connectors.base import LocalPacer, paced
from connectors.google.client import GoogleApi, GoogleCallError
from connectors.google.errors import connector_error

__all__ = [
    "MESSAGE_WRITES_PER_MINUTE",
    "SETUPS_PER_MINUTE",
    "SPACE_READS_PER_MINUTE",
    "SPACE_WRITE_SECONDS",
    "GoogleChatApp",
    "message_id",
]

MESSAGE_WRITES_PER_MINUTE = 2_700  # Chat allows 3,000 a project: room for card updates
SPACE_READS_PER_MINUTE = 2_700  # spaces.get/list/findDirectMessage: 3,000 a project
SETUPS_PER_MINUTE = 55  # spaces.setup (a space write): 60 a project
SPACE_WRITE_SECONDS = 1.0  # 60 writes a minute per space: one a second
DM_SETUP = {"space": {"spaceType": "DIRECT_MESSAGE", "singleUserBotDm": True}}


def message_id(key: str) -> str:
    """The Chat message id an outbox key gives (``client-`` and 56 hex digits: Chat takes up to
    63 lowercase letters, digits and hyphens, unique within a space)."""
    return "client-" + hashlib.sha256(key.encode()).hexdigest()[:56]


class GoogleChatApp:
    """The school's Chat app as a ``bot.core.ports.ChatBot``: a person's DM, and cards in it.

    Args:
        api: the Chat API as the app (``GoogleClient.chat``).
        api_as: the Chat API acting as a person (``GoogleClient.chat_as``), for set-ups.
        project: the app's Cloud project number: what Chat counts its limits by.
        clock, sleep: injectable, so tests pace thousands of calls on a fake clock.
    """

    platform = "chat"

    def __init__(
        self,
        api: GoogleApi,
        api_as: Callable[[str], GoogleApi],
        *,
        project: str = "",
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.api = api
        self.api_as = api_as
        self._sleep = sleep
        self.pacer: Pacer = LocalPacer(clock)  # the database's once the app shares it
        self.writes = Limit(f"chat-writes:{project}", MESSAGE_WRITES_PER_MINUTE, 60.0)
        self.reads = Limit(f"chat-reads:{project}", SPACE_READS_PER_MINUTE, 60.0)
        self.setups = Limit(f"chat-setups:{project}", SETUPS_PER_MINUTE, 60.0)

    def install(self, user_id: str, email: str = "") -> str:
        """The person's DM with the app (``spaces/...``): found, or set up as them.

        Raises:
            RetryableError: this minute's set-ups are spent (try on a later pass), or Chat
                said "not now".
            PermanentError: no DM and no address to set one up as; Chat refused the set-up.
        """
        paced(self.pacer, [self.reads], self._sleep)
        try:
            found = self.api.call(
                self.api.resource.spaces().findDirectMessage(name=f"users/{user_id}")
            )
            return str(found["name"])
        except GoogleCallError as exc:
            if exc.status != 404:
                raise _error(exc, "finding the person's direct message", write=False) from exc
        if not email:
            raise PermanentError(
                "no direct message with the Chat app, and no address to set one up"
            )
        wait = self.pacer.take([self.setups])
        if wait > 0:
            raise RetryableError("Chat's space set-ups for this minute are spent", retry_after=wait)
        api = self.api_as(email)
        try:
            space = api.call(api.resource.spaces().setup(body=DM_SETUP))
        except GoogleCallError as exc:
            raise _error(exc, "setting up the person's direct message", write=False) from exc
        return str(space["name"])

    def post(self, card: CardMessage) -> SendResult:
        """Post an outbox row's card (or, with none, its text) in the person's DM, once."""
        payload = dict(card.teams_payload)
        space, content = str(payload.get("conversation") or ""), payload.get("card")
        if not space.startswith("spaces/") or not isinstance(content, dict):
            raise PermanentError(f"card {card.idempotency_key} has no Chat space to go to")
        body = dict(content) if content else {"text": card.text}
        ours = message_id(card.idempotency_key)
        request = (
            self.api.resource.spaces()
            .messages()
            .create(
                parent=space,
                messageId=ours,
                requestId=hashlib.sha256(card.idempotency_key.encode()).hexdigest(),
                body=body,
            )
        )
        # the project's writes, and about one a second in the space: counted as it leaves
        paced(
            self.pacer,
            [self.writes, Limit(f"chat-space:{space}", 1, SPACE_WRITE_SECONDS)],
            self._sleep,
        )
        try:
            answer = self.api.call(request)
        except GoogleCallError as exc:
            if exc.status == 409:  # our messageId is taken in this space: it went before
                return SendResult(provider_id=f"{space}/messages/{ours}")
            raise _error(exc, "posting the card", write=True) from exc
        return SendResult(provider_id=str(answer.get("name") or "") or None)

    def notify(
        self,
        user_id: str,
        *,
        activity_type: str,
        preview: str,
        web_url: str,
        template: dict[str, str] | None = None,
    ) -> None:
        """Google Chat has no activity feed: its message notifies the person itself."""
        raise PermanentError("Google Chat has no activity feed")


def _error(exc: GoogleCallError, what: str, *, write: bool) -> ConnectorError:
    """The outbox's error for a Chat failure; a refusal of the app itself names Chat's setup."""
    error = connector_error(exc, what, write=write)
    refused = isinstance(error, SetupError) or not isinstance(error, RetryableError)
    if exc.status in (401, 403) and refused:
        fix = (
            "check the Chat app's configuration and, to set up direct messages, the domain-wide "
            "delegation of chat.spaces.create (deploy/google.md, 'Chat app')"
        )
        return (
            SetupError(f"Google Chat paused: {what}: {exc} ({fix})")
            if write
            else (PermanentError(f"{what}: {exc} ({fix})"))
        )
    return error
