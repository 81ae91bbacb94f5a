"""The Chat API part of the fake Google (``FakeGoogle`` mixes it in): a Chat app's direct
messages with people, and its messages in them, with Chat's documented rules and limits.

Routes, parameters and scopes come from the Chat discovery document like every other API of the
fake; bodies are checked by value (``tests.support.conformance.google_chat``), so a misspelt
widget gets Chat's 400 and fails the test that sent it. What the documents say in prose, kept
here:

* ``spaces.findDirectMessage`` (app authentication, ``chat.bot``): the DM between the user and
  the calling app; 404 when there is none (an app installed for the whole organisation has one
  with everybody: ``chat_installed_for_all``);
* ``spaces.setup`` takes user authentication only; a DM between the calling user and the app is
  ``spaceType: DIRECT_MESSAGE`` with ``singleUserBotDm: true`` and no memberships; an existing DM
  is returned, not doubled;
* ``spaces.messages.create``: cards only with app authentication; ``messageId`` begins
  ``client-``, at most 63 lowercase letters, digits and hyphens, unique in the space (409
  ``ALREADY_EXISTS`` on reuse); a ``requestId`` seen before returns the message it made;
* ``spaces.messages.patch``: ``updateMask`` required; the message must exist unless
  ``allowMissing`` (a boolean) with a client-assigned id;
* limits ("Usage limits", per 60 seconds): 3,000 message writes per project, 60 space writes
  (``spaces.setup``) per project, 3,000 space reads per project, 60 writes per space; past one:
  ``429 RESOURCE_EXHAUSTED``. Time is ``chat_clock`` (a test's ``ManualClock``: no waiting).
"""

from __future__ import annotations

import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.support.conformance import PROBLEMS
from tests.support.conformance.google_chat import chat_message_problems

__all__ = ["CHAT_LIMITS", "ChatApi", "ChatMessage"]

# (quota, limit per 60 seconds): Chat's "Usage limits" tables
CHAT_LIMITS = {
    "message writes": 3_000,
    "space writes": 60,
    "space reads": 3_000,
    "writes per space": 60,
}
MESSAGE_ID = re.compile(r"client-[a-z0-9-]{1,56}")
USER = re.compile(r"users/([A-Za-z0-9-]+)")


@dataclass
class ChatMessage:
    """A message the app posted in a space: its body as last written and when."""

    space: str
    name: str
    body: dict[str, Any]
    at: float
    request_id: str | None = None
    updates: list[float] = field(default_factory=list)


class ChatApi:
    """The fake's Chat API handlers (``_h_chat_*``) and state; ``_error`` makes Google's
    error answers (the host class's ``GoogleHttpError``)."""

    users: list[dict[str, Any]]
    _error: Callable[..., Exception]
    _principal_delegated: bool

    def _chat_init(self) -> None:
        self.chat_clock: Callable[[], float] = time.monotonic
        # a Chat call's answer time, on a clock that moves when slept (``ManualClock``): the
        # benchmark's simulated latency (0: answers take no time)
        self.chat_latency = 0.0
        self.chat_installed_for_all = False  # the admin installed the app for everyone
        self.chat_dms: dict[str, str] = {}  # Google user id -> the app's DM with them
        self.chat_messages: dict[str, ChatMessage] = {}  # message name -> message
        self.chat_by_request: dict[str, ChatMessage] = {}
        self.chat_throttled: dict[str, int] = {}  # quota -> 429s answered
        self._chat_windows: dict[str, deque[float]] = {}
        self._chat_spaces = 0

    # ---------------------------------------------------------------- limits
    def _chat_quota(self, quota: str, bucket: str | None = None) -> None:
        """Count one call against ``quota`` (for ``bucket``: one space's); 429 past it."""
        sleep = getattr(self.chat_clock, "sleep", None)
        if self.chat_latency and sleep is not None and bucket is None:
            sleep(self.chat_latency)
        name = quota if bucket is None else f"{quota}:{bucket}"
        window = self._chat_windows.setdefault(name, deque())
        now = self.chat_clock()
        while window and now - window[0] >= 60.0:
            window.popleft()
        if len(window) >= CHAT_LIMITS[quota]:
            self.chat_throttled[quota] = self.chat_throttled.get(quota, 0) + 1
            retry = max(1, int(60.0 - (now - window[0])) + 1)
            raise self._error(
                429,
                f"Quota exceeded for quota metric '{quota}'",
                "rateLimitExceeded",
                {"Retry-After": str(retry)},
            )
        window.append(now)

    # ---------------------------------------------------------------- helpers
    def _chat_user(self, name: str) -> str:
        """The Google user id ``users/{id}`` names (404 when the domain has no such user)."""
        match = USER.fullmatch(name or "")
        user = next((u for u in self.users if match and u.get("id") == match.group(1)), None)
        if user is None or user.get("suspended"):
            raise self._error(404, "Requested entity was not found.", "notFound")
        return str(user["id"])

    def _chat_app_only(self, principal: str | None) -> None:
        if self._principal_delegated:
            raise self._error(403, "This method requires app authentication.", "forbidden")

    def _chat_dm(self, user_id: str) -> str:
        if user_id not in self.chat_dms:
            self._chat_spaces += 1
            self.chat_dms[user_id] = f"spaces/dm{self._chat_spaces:06d}"
        return self.chat_dms[user_id]

    @staticmethod
    def _chat_space(name: str) -> dict[str, Any]:
        return {"name": name, "spaceType": "DIRECT_MESSAGE", "singleUserBotDm": True}

    def _chat_body(self, body: Any, where: str) -> dict[str, Any]:
        problems = chat_message_problems(body, where)
        if problems:
            PROBLEMS.extend(problems)
            raise self._error(400, f"Invalid JSON payload received. {problems[0]}", "badRequest")
        assert isinstance(body, dict)
        return body

    def _chat_answer(self, message: ChatMessage) -> dict[str, Any]:
        return {
            "name": message.name,
            "space": {"name": message.space},
            "createTime": "2026-11-30T08:00:00.000000Z",
            **message.body,
        }

    # ---------------------------------------------------------------- handlers
    def _h_chat_spaces_findDirectMessage(
        self, principal: str | None, path: dict[str, str], q: dict[str, str], body: Any
    ) -> tuple[int, Any]:
        self._chat_app_only(principal)
        self._chat_quota("space reads")
        user_id = self._chat_user(q.get("name", ""))
        if user_id not in self.chat_dms and not self.chat_installed_for_all:
            raise self._error(404, "Direct message space not found.", "notFound")
        return 200, self._chat_space(self._chat_dm(user_id))

    def _h_chat_spaces_setup(
        self, principal: str | None, path: dict[str, str], q: dict[str, str], body: Any
    ) -> tuple[int, Any]:
        if not self._principal_delegated:
            raise self._error(403, "This method requires user authentication.", "forbidden")
        space = body.get("space") if isinstance(body, dict) else None
        if (
            not isinstance(space, dict)
            or space.get("spaceType") != "DIRECT_MESSAGE"
            or space.get("singleUserBotDm") is not True
            or body.get("memberships")
        ):
            raise self._error(
                400,
                "A DM with the calling app is spaceType DIRECT_MESSAGE, "
                "singleUserBotDm true and no memberships.",
                "badRequest",
            )
        self._chat_quota("space writes")
        user = next((u for u in self.users if u.get("primaryEmail") == principal), None)
        if user is None:
            raise self._error(403, "The caller is not a user of this domain.", "forbidden")
        return 200, self._chat_space(self._chat_dm(str(user["id"])))

    def _h_chat_spaces_messages_create(
        self, principal: str | None, path: dict[str, str], q: dict[str, str], body: Any
    ) -> tuple[int, Any]:
        arrived = self.chat_clock()  # when Chat had the request (its checks take time here)
        space = f"spaces/{path['spacesId']}"
        message = self._chat_body(body, "spaces.messages.create body")
        if message.get("cardsV2") and self._principal_delegated:
            raise self._error(403, "Only Chat apps can create card messages.", "forbidden")
        if space not in self.chat_dms.values():
            raise self._error(404, "Space not found, or the app is not a member.", "notFound")
        self._chat_quota("message writes")
        self._chat_quota("writes per space", space)
        request_id = q.get("requestId")
        if request_id and request_id in self.chat_by_request:
            return 200, self._chat_answer(self.chat_by_request[request_id])
        ours = q.get("messageId")
        if ours is not None and not MESSAGE_ID.fullmatch(ours):
            raise self._error(
                400,
                "Invalid messageId: client-, then up to 63 lowercase letters, digits and hyphens.",
                "badRequest",
            )
        name = f"{space}/messages/{ours or f'm{len(self.chat_messages) + 1}'}"
        if name in self.chat_messages:
            raise self._error(409, "Message with this ID already exists.", "alreadyExists")
        made = ChatMessage(space, name, message, arrived, request_id)
        self.chat_messages[name] = made
        if request_id:
            self.chat_by_request[request_id] = made
        return 200, self._chat_answer(made)

    def _h_chat_spaces_messages_patch(
        self, principal: str | None, path: dict[str, str], q: dict[str, str], body: Any
    ) -> tuple[int, Any]:
        space = f"spaces/{path['spacesId']}"
        name = f"{space}/messages/{path['messagesId']}"
        if not q.get("updateMask"):
            raise self._error(400, "updateMask is required.", "badRequest")
        message = self._chat_body(body, "spaces.messages.patch body")
        self._chat_quota("message writes")
        self._chat_quota("writes per space", space)
        held = self.chat_messages.get(name)
        if held is None:
            if q.get("allowMissing") != "true" or not MESSAGE_ID.fullmatch(path["messagesId"]):
                raise self._error(404, "Message not found.", "notFound")
            held = self.chat_messages[name] = ChatMessage(space, name, {}, self.chat_clock())
        held.body = {**held.body, **message}
        held.updates.append(self.chat_clock())
        return 200, self._chat_answer(held)
