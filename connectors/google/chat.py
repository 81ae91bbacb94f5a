"""Google Chat card: POST to a space's webhook, once per outbox key, never echoing its URL."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx
from pydantic import SecretStr

from bot.core.ports import CardMessage, PermanentError, SendResult
from bot.core.rendering.cards import CHAT_MESSAGE_LIMIT, sent_bytes
from connectors.base import post_webhook

__all__ = ["ChatWebhookNotifier"]

_REQUEST_ID_NAMESPACE = uuid.UUID("4f6b1f0e-6c1b-4d4e-9d8a-0c6f3b1d2a77")


@dataclass
class ChatWebhookNotifier:
    """Posts ``card.chat_payload`` to a Google Chat space webhook (the URL is a secret).

    A payload with ``thread.threadKey`` (e.g. the ISO week) is posted with
    ``messageReplyOption=REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD`` so one week's cards share a
    thread. ``requestId`` is derived from the outbox key, so Chat returns the existing message
    instead of creating a second one if the same card is ever posted again.
    """

    url: SecretStr | str = field(repr=False)
    transport: httpx.BaseTransport | None = None
    timeout: float = 15.0

    def post(self, card: CardMessage) -> SendResult:
        """POST once: 429 waits, 5xx or a lost answer is unknown, a refused webhook
        (401/403/404) is a setup problem, any other 4xx refuses this card."""
        payload = dict(card.chat_payload) or {"text": f"*{card.title}*\n{card.text}"}
        data = sent_bytes(payload)
        if len(data) > CHAT_MESSAGE_LIMIT:
            raise PermanentError(
                f"Chat card is {len(data)} bytes; Google Chat accepts at most {CHAT_MESSAGE_LIMIT}"
            )
        params = {"requestId": str(uuid.uuid5(_REQUEST_ID_NAMESPACE, card.idempotency_key))}
        thread = payload.get("thread")
        if isinstance(thread, Mapping) and thread.get("threadKey"):
            params["messageReplyOption"] = "REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD"
        url = self.url.get_secret_value() if isinstance(self.url, SecretStr) else self.url
        response = post_webhook(
            httpx.URL(url).copy_merge_params(params),
            "Chat webhook",
            self.transport,
            refused=_reason,
            setup=" (check the space's webhook URL)",
            timeout=self.timeout,
            content=data,
            headers={"Content-Type": "application/json; charset=UTF-8"},
        )
        try:
            name = response.json().get("name")
        except (ValueError, AttributeError):
            name = None
        return SendResult(provider_id=str(name) if name else None)


def _reason(response: httpx.Response) -> str:
    """Chat's ``error.status: error.message`` of a refusal, if it said one."""
    try:
        error = response.json().get("error", {})
        return f"{error.get('status', '')}: {error.get('message', '')}"[:300]
    except (ValueError, AttributeError):
        return ""
