"""Microsoft 365 Teams card: POST to a Workflows webhook, once, never logging its secret URL."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import httpx
from pydantic import SecretStr

from bot.core.ports import (
    CardMessage,
    DeliveryUnknownError,
    PermanentError,
    RetryableError,
    SendResult,
    SetupError,
)
from connectors.base import webhook_status
from connectors.m365.errors import ENV, error_body

__all__ = ["WorkflowsNotifier"]


@dataclass
class WorkflowsNotifier:
    """POSTs the card's Teams payload to a Workflows webhook ("When a Teams webhook request is
    received"). The URL carries a SAS signature: it is never logged or put in an error.

    App-only Graph cannot post channel messages (migration only), hence the webhook; a bot's
    proactive message is the alternative (deploy/m365.md).
    """

    url: SecretStr
    transport: httpx.BaseTransport | None = None
    timeout: float = 15.0
    _own: httpx.HTTPTransport | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def _transport(self) -> httpx.BaseTransport:
        """The transport given, else one of our own made on first use and kept: one made per
        card built a TLS context (~40 ms CPU) and opened a new connection for each."""
        if self.transport is not None:
            return self.transport
        with self._lock:
            if self._own is None:
                self._own = httpx.HTTPTransport()
            return self._own

    def post(self, card: CardMessage) -> SendResult:
        """POST once: 429 waits, a lost response or a 5xx is delivery-unknown, a refused URL or
        signature (401/403/404) is a setup problem, any other 4xx refuses this card."""
        if not card.teams_payload:
            raise PermanentError(f"card {card.idempotency_key} has no Teams payload")
        try:
            url: httpx.URL | None = httpx.URL(self.url.get_secret_value())
        except httpx.InvalidURL:
            url = None
        if url is None or url.scheme != "https" or not url.host:
            # never post the SAS signature in clear text, nor guess at a malformed URL
            raise SetupError(
                f"{ENV}TEAMS_WEBHOOK_URL is not an https:// URL; paste the flow's whole "
                "'HTTP POST URL'"
            )
        request = httpx.Request(
            "POST",
            url,
            json=dict(card.teams_payload),
            extensions={"timeout": httpx.Timeout(self.timeout, connect=5.0).as_dict()},
        )
        # The transport is called directly: httpx.Client logs every URL at INFO level, and
        # this URL is a secret.
        try:
            response = self._transport().handle_request(request)
            try:
                response.read()
            finally:
                response.close()
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise RetryableError(f"Teams webhook unreachable: {type(exc).__name__}") from exc
        except httpx.HTTPError as exc:
            raise DeliveryUnknownError(
                f"Teams webhook response lost: {type(exc).__name__}; not resent"
            ) from exc
        # the answer, never echoing the URL
        status = webhook_status(response, "Teams webhook", unknown="; not resent")
        if status >= 300:
            code = error_body(response.content)[0]
            text = (
                f"Teams webhook refused the card: HTTP {status}{f' {code}' if code else ''} "
                f"(check {ENV}TEAMS_WEBHOOK_URL and the flow)"
            )
            if status in (401, 403, 404):  # a wrong signature or a deleted flow: every card fails
                raise SetupError(f"cards paused: {text}")
            raise PermanentError(text)
        return SendResult(provider_id=response.headers.get("x-ms-workflow-run-id"))
