"""Google Chat messages and cards checked by value against the Chat API's discovery document
(``chat.v1``, revision as shipped in google-api-python-client: the same document the Google
conformance reads, :mod:`tests.support.conformance.google`).

A message (``Message``: ``text``, ``fallbackText``, ``cardsV2`` of ``CardWithId`` whose ``card``
is ``GoogleAppsCardV1Card``, ``actionResponse``, ``thread``) may hold no property the document
does not declare, each of the declared type, and each enum one of the document's values: a
misspelt widget (``textParagraf``) or an answer type Chat does not know fails here, as Chat
itself would answer 400. A Workspace add-on's answer wraps the message as the add-ons guide
documents it (``hostAppDataAction.chatDataAction.createMessageAction|updateMessageAction
.message``, "Chat apps as Google Workspace add-ons"; that envelope is in no discovery document,
so its keys are checked here by name), and carries no ``actionResponse`` (a classic app's).

Google's prose rules checked on top: a card button's action names a ``function``; a message is
at most 32,000 bytes; ``UPDATE_MESSAGE`` answers only a card click (the caller says so).
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from tests.support.conformance.google import _check

__all__ = ["chat_answer_problems", "chat_message_problems"]

MAX_MESSAGE_BYTES = 32_000  # "Chat's limit for one message" (connectors.google.chat)
ADDON_ACTIONS = ("createMessageAction", "updateMessageAction")


@cache
def _schemas() -> dict[str, Any]:
    from googleapiclient.discovery_cache import get_static_doc

    return dict(json.loads(get_static_doc("chat", "v1"))["schemas"])


def _functions(node: Any, where: str) -> list[str]:
    """Every ``onClick.action`` names the function it runs (Google: "Required")."""
    problems: list[str] = []
    if isinstance(node, dict):
        action = (
            node.get("onClick", {}).get("action") if isinstance(node.get("onClick"), dict) else None
        )
        if isinstance(action, dict) and not action.get("function"):
            problems.append(f"{where}: a button's action names no function")
        for key, value in node.items():
            problems += _functions(value, f"{where}.{key}")
    elif isinstance(node, list):
        for n, value in enumerate(node):
            problems += _functions(value, f"{where}[{n}]")
    return problems


def chat_message_problems(message: Any, where: str = "message") -> list[str]:
    """Problems of one Chat ``Message`` against the discovery document (empty: none)."""
    schemas = _schemas()
    if not isinstance(message, dict):
        return [f"{where}: not a JSON object"]
    problems = _check(message, schemas["Message"], schemas, where, enums=True)
    problems += _functions(message, where)
    size = len(json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode())
    if size > MAX_MESSAGE_BYTES:
        problems.append(f"{where}: {size} bytes; Chat takes at most {MAX_MESSAGE_BYTES}")
    if not message.get("text") and not message.get("cardsV2"):
        problems.append(f"{where}: neither text nor cards")
    return problems


def chat_answer_problems(answer: Any, *, addon: bool) -> list[str]:
    """Problems of an answer to a Chat event: a Workspace add-on's (``addon``) or a classic
    Chat app's (a ``Message``, its ``actionResponse`` of the document's types)."""
    if not isinstance(answer, dict):
        return ["answer: not a JSON object"]
    if not addon:
        return chat_message_problems(answer, "answer")
    if set(answer) != {"hostAppDataAction"}:
        return [f"answer: an add-on answers with hostAppDataAction alone, not {sorted(answer)}"]
    data = answer["hostAppDataAction"]
    chat = data.get("chatDataAction") if isinstance(data, dict) else None
    if not isinstance(data, dict) or set(data) != {"chatDataAction"} or not isinstance(chat, dict):
        return ["answer.hostAppDataAction: holds chatDataAction alone"]
    if len(chat) != 1 or next(iter(chat)) not in ADDON_ACTIONS:
        return [
            f"answer.hostAppDataAction.chatDataAction: one of {ADDON_ACTIONS}, not {sorted(chat)}"
        ]
    name, action = next(iter(chat.items()))
    where = f"answer.hostAppDataAction.chatDataAction.{name}"
    if not isinstance(action, dict) or set(action) != {"message"}:
        return [f"{where}: holds message alone"]
    message = action["message"]
    problems = chat_message_problems(message, f"{where}.message")
    if isinstance(message, dict) and "actionResponse" in message:
        problems.append(f"{where}.message: actionResponse is a classic Chat app's, not an add-on's")
    return problems
