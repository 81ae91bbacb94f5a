"""Microsoft 365 failures: the client's plain facts (:class:`GraphCallError`) and what a failed
read means for the outbox (:func:`read_error`), plus the settings error and variable prefix.

Nothing here imports msgraph, kiota or azure-identity: ``client.py`` turns the SDK's exceptions
into :class:`GraphCallError`; the connector modules turn those into the ports' errors
(``bot.core.ports``).
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from bot.core.ports import PermanentError, RetryableError
from connectors.base import CallError, parse_retry_after

__all__ = [
    "ENV",
    "GraphCallError",
    "M365SetupError",
    "describe",
    "error_body",
    "exception_chain",
    "missing_settings",
    "raise_for_native",
    "read_error",
    "text_or_none",
]

ENV = "COMPLIANCE_BOT_M365__"


class M365SetupError(PermanentError, ValueError):
    """The m365 settings are incomplete or inconsistent; the message names the variable."""


class GraphCallError(CallError):
    """One failed Graph (or token) call, as plain facts; ``str()`` is safe to log.

    Args:
        message: what failed, with Graph's code and message (never a secret or a token).
        status: the HTTP status, when a response arrived.
        code: Graph's ``error.code`` (or ``AADSTS<n>`` for token failures).
        retry_after: seconds from ``Retry-After``, when present.
        sent: False only when the request certainly never reached the service.
        token: True when the failure was getting an access token from Entra ID.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        retry_after: float | None = None,
        sent: bool = True,
        token: bool = False,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.retry_after = retry_after
        self.sent = sent
        self.token = token


def missing_settings(m365: Any, *names: str) -> list[str]:
    """The variables of ``names`` that ``m365`` leaves empty, and a secret or certificate if it
    has neither, as a person sets them (``COMPLIANCE_BOT_M365__TENANT_ID``...)."""
    missing = [f"{ENV}{name}" for name in names if not getattr(m365, name.lower())]
    if m365.client_secret is None and m365.certificate_path is None:
        missing.append(f"{ENV}CLIENT_SECRET or {ENV}CERTIFICATE_PATH")
    return missing


def raise_for_native(response: httpx.Response, what: str) -> None:
    """Turn a raw error response into a GraphCallError (Graph's code and message, Retry-After)."""
    if response.status_code < 400:
        return
    code, message = error_body(response.content)
    raise GraphCallError(
        describe(what, response.status_code, code, message),
        status=response.status_code,
        code=code,
        retry_after=parse_retry_after(response.headers.get("Retry-After")),
    )


def error_body(content: bytes) -> tuple[str | None, str | None]:
    """Graph's (or a flow's) ``error.code`` and ``error.message`` from a JSON body, if any."""
    try:
        data = json.loads(content or b"{}")
    except ValueError:
        return None, None
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        return (text_or_none(error.get("code")), text_or_none(error.get("message")))
    return None, None


def text_or_none(value: Any) -> str | None:
    """``str(value)``, or None when ``value`` is None."""
    return str(value) if value is not None else None


def describe(what: str, status: int | None, code: str | None, message: str | None) -> str:
    """``<what> failed (HTTP 403 ErrorAccessDenied) — <Graph's message>``."""
    facts = " ".join(x for x in (f"HTTP {status}" if status else "", code or "") if x)
    text = f"{what} failed" + (f" ({facts})" if facts else "")
    return text + (f" — {message[:300]}" if message else "")


def exception_chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and its causes and contexts, outermost first (no cycles)."""
    found: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in found:
        found.append(current)
        current = current.__cause__ or current.__context__
    return found


def read_error(exc: GraphCallError, permissions: str, *, not_found: str = "") -> Exception:
    """A failed read (safe to repeat) as the outbox's error; a 404 names ``not_found``, the
    settings to check, when given."""
    if exc.status == 404 and not_found:
        return PermanentError(f"{exc} — check {not_found}")
    if exc.token:
        if exc.code:
            return PermanentError(f"{exc} (check {ENV}TENANT_ID, CLIENT_ID and the secret)")
        return RetryableError(str(exc))
    if exc.status in (401, 403):
        return PermanentError(f"{exc} — the app needs {permissions}; see deploy/m365.md")
    if exc.status is None or exc.status == 429 or exc.status >= 500:
        return RetryableError(str(exc), retry_after=exc.retry_after)
    return PermanentError(str(exc))
