"""Google failures for the outbox: :class:`~connectors.google.client.GoogleCallError` facts
(from ``client.py``) as ``RetryableError`` / ``DeliveryUnknownError`` / ``PermanentError``."""

from __future__ import annotations

from typing import Any

from connectors.base import ConnectorError, DeliveryUnknownError, PermanentError, RetryableError
from connectors.google.client import GoogleApi, GoogleCallError

__all__ = ["connector_error", "read_once"]

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
        return PermanentError(
            f"{text} (check domain-wide delegation and scopes: `compliance-bot check google`)"
        )
    status = exc.status
    if status is None:
        if exc.maybe_processed and write:
            return DeliveryUnknownError(text)
        return RetryableError(text)
    if status == 429 or (status == 403 and exc.reason in _RATE_LIMIT_REASONS):
        return RetryableError(text, retry_after=exc.retry_after)
    if status == 403 and exc.reason in _DAILY_LIMIT_REASONS:
        return RetryableError(text, retry_after=exc.retry_after or 3600.0)
    if status >= 500 or status == 408:
        if write:
            return DeliveryUnknownError(text)
        return RetryableError(text, retry_after=exc.retry_after)
    return PermanentError(text)


def read_once(api: GoogleApi, request: Any, what: str) -> dict[str, Any]:
    """Run an idempotent read once; 5xx and timeouts are simply retryable."""
    try:
        answer = api.call(request)
    except GoogleCallError as exc:
        raise connector_error(exc, what, write=False) from exc
    return answer if isinstance(answer, dict) else {}
