"""Adaptive Cards, built one way: the schema and version every card names, a wrapping text
block, the card itself, and the message a Teams Workflows webhook takes. The dashboard's
cards, the report alert's channel card and the cards in a person's chat with the school's bot
are all made here; and the size a message is sent at, which each platform limits."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

__all__ = [
    "ADAPTIVE_CARD_SCHEMA",
    "ADAPTIVE_CARD_TYPE",
    "ADAPTIVE_CARD_VERSION",
    "CHAT_MESSAGE_LIMIT",
    "TEAMS_BOT_MESSAGE_LIMIT",
    "TEAMS_MESSAGE_LIMIT",
    "new_card",
    "sent_bytes",
    "teams_workflow_payload",
    "text_block",
]

ADAPTIVE_CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
ADAPTIVE_CARD_VERSION = "1.5"  # what Teams desktop, web and mobile all render
ADAPTIVE_CARD_TYPE = "application/vnd.microsoft.card.adaptive"  # a card's content type
CHAT_MESSAGE_LIMIT = 32_000  # bytes per Google Chat message, text and cards included
# bytes per message a Teams Workflows flow posts ("about 28 KB", all of it: Learn, the Teams
# connector's known limitations); a bot's own messages may be larger
TEAMS_MESSAGE_LIMIT = 28_000
# a Teams bot's own message: "100 KB", counted as UTF-16; "within 80 KB to guarantee successful
# message delivery" (Learn, Format your bot messages); past it a 413 MessageSizeTooBig
TEAMS_BOT_MESSAGE_LIMIT = 80_000


def sent_bytes(message: Mapping[str, Any]) -> bytes:
    """``message`` as a webhook's body carries it (compact UTF-8 JSON, as httpx sends
    ``json=``): what a platform's size limit counts."""
    return json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def text_block(text: str, **style: Any) -> dict[str, Any]:
    """A wrapping TextBlock (``style``: size, weight, color, spacing, ...)."""
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def new_card(
    body: list[dict[str, Any]],
    *,
    actions: list[dict[str, Any]] | None = None,
    fallback_text: str | None = None,
) -> dict[str, Any]:
    """An Adaptive Card of ``body``, with its ``actions`` and the ``fallbackText`` a client
    that cannot render it shows."""
    return {
        "$schema": ADAPTIVE_CARD_SCHEMA,
        "type": "AdaptiveCard",
        "version": ADAPTIVE_CARD_VERSION,
        **({} if fallback_text is None else {"fallbackText": fallback_text}),
        "body": body,
        **({"actions": actions} if actions else {}),
    }


def teams_workflow_payload(card: dict[str, Any]) -> dict[str, Any]:
    """Wrap an Adaptive Card in the message shape a Teams Workflows webhook expects."""
    return {
        "type": "message",
        "attachments": [{"contentType": ADAPTIVE_CARD_TYPE, "contentUrl": None, "content": card}],
    }
