"""What the adapters share: reading a platform's answers (``Retry-After``, a webhook's status,
an SDK's failures as the ports' ``ConnectorError``s) and the pacer of a process's own (the rows
of ``compliance-bot check``: ``connectors/checks.py``). The protocols and types every connector
implements are the ports, in ``bot/core/ports`` (DESIGN.md §5).
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from bot.core.ports import (
    DeliveryUnknownError,
    Limit,
    Pacer,
    PermanentError,
    RetryableError,
    SetupError,
)

if TYPE_CHECKING:
    import httpx

__all__ = [
    "CallError",
    "LocalPacer",
    "PacerSlot",
    "paced",
    "pacing_problem",
    "parse_retry_after",
    "post_webhook",
    "translated",
]


# --------------------------------------------------------------------------- platform answers


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date); None if absent."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


@contextlib.contextmanager
def translated(translate: Callable[[Exception], Exception | None]) -> Iterator[None]:
    """Raise a platform SDK's failure as what ``translate`` makes of it (the client's plain
    facts); one it does not know (None: a programming error, never disguised as a platform
    failure) or hands back unchanged passes as it is."""
    try:
        yield
    except Exception as exc:
        error = translate(exc)
        if error is None or error is exc:
            raise
        raise error from exc


class CallError(Exception):
    """A platform call that failed, as plain facts (the m365 and Google clients' errors):
    ``status`` the HTTP status, None when no HTTP answer arrived."""

    status: int | None = None


def pacing_problem(mail: Any, prefix: str, daily: int, unit: str) -> str | None:
    """What is wrong with the sending pace of the settings ``mail`` (whose variables start
    with ``prefix``; ``daily`` ``unit`` a day at most), or None: routine mail needs at least
    one send a minute and one a day once urgent mail's reserve is kept."""
    minute, per_minute = mail.urgent_reserve_per_minute, mail.messages_per_minute
    if per_minute < 1:
        return f"{prefix}MESSAGES_PER_MINUTE must be at least 1"
    if minute >= per_minute:
        return (
            f"{prefix}URGENT_RESERVE_PER_MINUTE ({minute}) must be less than "
            f"{prefix}MESSAGES_PER_MINUTE ({per_minute}): routine mail needs at least one send "
            "a minute"
        )
    if mail.urgent_reserve_per_day >= daily:
        return (
            f"{prefix}URGENT_RESERVE_PER_DAY must be less than the mailbox's {daily:,} {unit} a day"
        )
    return None


def post_webhook(
    url: httpx.URL | str,
    name: str,
    transport: httpx.BaseTransport | None,
    *,
    refused: Callable[[httpx.Response], str] = lambda _: "",
    setup: str = "",
    unknown: str = "",
    timeout: float = 15.0,
    **request: Any,
) -> httpx.Response:
    """POST to a webhook once and return its 2xx answer; else raise what the outbox does next:
    unreachable (``RetryableError``), 429 (wait: ``RetryableError``), a lost answer or a 5xx
    (the card may have posted: ``DeliveryUnknownError``, ``unknown`` appended), a refused URL
    (401/403/404: ``SetupError``, every card would fail), any other refusal, a redirect too
    (``PermanentError``); ``refused`` gives the platform's reason, ``setup`` what to check.

    The transport is called directly, never through ``httpx.Client``: the client logs every
    URL at INFO level, and a webhook's URL is a secret; for the same reason no error carries
    httpx's exception (it holds the request). ``request``: ``json=`` or ``content=`` and
    ``headers=``."""
    import httpx  # lazy: ~0.2 s on every command; only a school with a webhook pays it

    message = httpx.Request("POST", url, **request)
    message.extensions["timeout"] = httpx.Timeout(timeout, connect=5.0).as_dict()
    try:
        response = (transport or _own_transport()).handle_request(message)
        try:
            response.read()
        finally:
            response.close()
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
        raise RetryableError(f"{name} unreachable ({type(exc).__name__})") from None
    except httpx.HTTPError as exc:
        raise DeliveryUnknownError(f"{name} answer lost ({type(exc).__name__}){unknown}") from None
    status, wait = response.status_code, parse_retry_after(response.headers.get("Retry-After"))
    if status == 429:
        raise RetryableError(f"{name} throttled (429)", retry_after=wait)
    if status >= 500:
        raise DeliveryUnknownError(f"{name} answered {status}{unknown}", retry_after=wait)
    if status >= 300:
        text = f"{name} refused the card: HTTP {status} {refused(response)}".rstrip() + setup
        if status in (401, 403, 404):  # a wrong URL or secret, or a deleted space or flow
            raise SetupError(f"cards paused: {text}")
        raise PermanentError(text)
    return response


@functools.cache
def _own_transport() -> httpx.HTTPTransport:
    """One transport for every webhook of the process, made on first use and kept: one made
    per card built a TLS context (~40 ms CPU) and opened a new connection for each."""
    import httpx

    return httpx.HTTPTransport()


# --------------------------------------------------------------------------- pacing


class LocalPacer:
    """Platform limits counted in this process alone (a ``bot.core.ports.Pacer``): what a bot
    counts with until the app hands it the database's (``Connectors.share``), where every
    process counts together. The clock is injectable, so tests pace thousands of calls in
    milliseconds.

    Example::

        pacer = LocalPacer()
        for card in cards:
            paced(pacer, [Limit("teams-cards:app@tenant", 25, 1.0)])
            post(card)
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._stamps: dict[str, deque[float]] = {}

    def take(self, limits: Sequence[Limit]) -> float:
        """Count one call under every one of ``limits`` if all fit now (0.0); else count
        nothing and return the seconds until they would."""
        now, wait = self._clock(), 0.0
        for limit in limits:
            stamps = self._stamps.setdefault(limit.key, deque())
            while stamps and now - stamps[0] >= limit.window:
                stamps.popleft()
            over = len(stamps) + limit.cost - limit.calls  # the oldest that must leave first
            if over > 0:
                wait = max(wait, limit.window - (now - stamps[over - 1]))
        if wait > 0:
            return wait
        for limit in limits:
            self._stamps[limit.key].extend([now] * limit.cost)
        return 0.0


class PacerSlot:
    """Holds the pacer a connection's clients count with (``pacer``, a ``Paced``): its
    process's own until the app hands it the database's (``Connectors.share``); every client
    copied from one connection's (a school's own mailbox) holds the same slot, so all are
    handed it at once."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.pacer: Pacer = LocalPacer(clock)


def paced(
    pacer: Pacer, limits: Sequence[Limit], sleep: Callable[[float], None] = time.sleep
) -> float:
    """Wait until every one of ``limits`` has room for one more call and count it; the seconds
    waited (a burst is spread out instead of throttled)."""
    waited = 0.0
    while (pause := pacer.take(limits)) > 0:
        sleep(pause)
        waited += pause
    return waited
