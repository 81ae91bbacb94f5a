"""Microsoft 365 Teams card: POST to a Workflows webhook, once, never logging its secret URL."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from pydantic import SecretStr

from bot.core.ports import CardMessage, PermanentError, SendResult, SetupError
from connectors.base import post_webhook
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
        response = post_webhook(
            url,
            "Teams webhook",
            self.transport,
            refused=lambda answer: error_body(answer.content)[0] or "",
            setup=f" (check {ENV}TEAMS_WEBHOOK_URL and the flow)",
            unknown="; not resent",
            timeout=self.timeout,
            json=dict(card.teams_payload),
        )
        return SendResult(provider_id=response.headers.get("x-ms-workflow-run-id"))
