"""Google failures for the outbox: :class:`~connectors.google.client.GoogleCallError` facts
(from ``client.py``) as ``RetryableError`` / ``SetupError`` / ``DeliveryUnknownError`` /
``PermanentError``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from bot.core.ports import (
    ConnectorError,
    DeliveryUnknownError,
    PermanentError,
    RetryableError,
    SetupError,
)
from connectors.google.client import GoogleApi, GoogleCallError

__all__ = ["connector_error", "read_once", "read_pages"]

_RATE_LIMIT_REASONS = frozenset(
    {"rateLimitExceeded", "userRateLimitExceeded", "RESOURCE_EXHAUSTED", "RATE_LIMIT_EXCEEDED"}
)
_DAILY_LIMIT_REASONS = frozenset({"dailyLimitExceeded", "quotaExceeded"})


def connector_error(exc: GoogleCallError, what: str, *, write: bool) -> ConnectorError:
    """Classify a Google failure for the outbox; ``write`` calls must never be resent blindly."""
    text = f"{what}: {exc}"
    if exc.auth:
        if exc.transient:
            return RetryableError(text)
        return _refused_us(
            f"{text} (check domain-wide delegation and scopes: `compliance-bot check google`)",
            write=write,
        )
    status = exc.status
    if status is None:  # no answer: a write that may have reached Google is not resent
        return (DeliveryUnknownError if exc.maybe_processed and write else RetryableError)(text)
    if status == 429 or (status == 403 and exc.reason in _RATE_LIMIT_REASONS):
        return RetryableError(text, retry_after=exc.retry_after)
    if status == 403 and exc.reason in _DAILY_LIMIT_REASONS:
        return RetryableError(text, retry_after=exc.retry_after or 3600.0)
    if status >= 500 or status == 408:
        if write:
            return DeliveryUnknownError(text, retry_after=exc.retry_after)
        return RetryableError(text, retry_after=exc.retry_after)
    if status in (401, 403) or (status == 400 and exc.reason == "failedPrecondition"):
        # refused *us* (token, scopes, delegation, a sender without Gmail), not this message
        return _refused_us(
            f"{text} (check the sender, domain-wide delegation and scopes: "
            "`compliance-bot check google`)",
            write=write,
        )
    return PermanentError(text)


def _refused_us(text: str, *, write: bool) -> ConnectorError:
    """A refusal of our setup: sending waits for the fix (SetupError); a read simply fails."""
    return SetupError(f"mail paused: {text}") if write else PermanentError(text)


def read_once(api: GoogleApi, request: Any, what: str) -> dict[str, Any]:
    """Run an idempotent read once; 5xx and timeouts are simply retryable."""
    try:
        answer = api.call(request)
    except GoogleCallError as exc:
        raise connector_error(exc, what, write=False) from exc
    return answer if isinstance(answer, dict) else {}


def read_pages(api: GoogleApi, items: Any, request: Any, what: str) -> Iterator[dict[str, Any]]:
    """Each page of a list ``request``, read once, following ``items.list_next``."""
    while request is not None:
        page = read_once(api, request, what)
        yield page
        request = items.list_next(request, page)
