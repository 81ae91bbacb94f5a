"""What the adapters share: reading a platform's answers (``Retry-After``, a webhook's status,
an SDK's failures as the ports' ``ConnectorError``s), the rows of ``compliance-bot check`` and an
in-process pacer. The protocols and types every connector implements are the ports, in
``bot/core/ports.py`` (DESIGN.md §5).
"""

from __future__ import annotations

import contextlib
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from bot.core.i18n import N_, each_language, say
from bot.core.ports import DeliveryUnknownError, RetryableError

if TYPE_CHECKING:
    import httpx

__all__ = [
    "CheckRow",
    "RateLimiter",
    "in_each",
    "pacing_row",
    "parse_retry_after",
    "said",
    "translated",
    "webhook_status",
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


@dataclass(frozen=True)
class CheckRow:
    """One line of a ``compliance-bot check`` table: what was tried, whether it worked, and
    how to fix it."""

    name: str
    ok: bool
    detail: str
    fix: str | None = None


# a check's rows are said in the language of the schools on the tenant or domain (its
# ``speaking`` block): ``in_each`` builds one whole in each language of ``cy+en``, ``said`` is a
# catalogue sentence with its values (a callable value, another sentence, said in its language)
in_each = each_language
said = say


def school_rows(
    schools: Mapping[str, str], rows_of: Callable[[str], Iterable[CheckRow]]
) -> list[CheckRow]:
    """The rows of each school that sends from a mailbox of its own (name -> mailbox), checked
    as the install's sender is (``rows_of(mailbox)``), each named for its school."""
    return [
        replace(row, name=f"{row.name} ({school})")
        for school, sender in schools.items()
        for row in rows_of(sender)
    ]


_PACING = {
    "recipients": N_(
        "%(per_minute)s a minute and %(daily)s recipients a day; reminders and digests use at "
        "most %(routine_minute)s a minute and %(routine_day)s recipients a day, the rest is "
        "kept for safeguarding alerts, sign-in links and receipts (sent first)"
    ),
    "messages": N_(
        "%(per_minute)s a minute and %(daily)s messages a day; reminders and digests use at "
        "most %(routine_minute)s a minute and %(routine_day)s a day, the rest is kept for "
        "safeguarding alerts, sign-in links and receipts (sent first)"
    ),
}
_RESERVE = N_(
    "Set %(prefix)sURGENT_RESERVE_PER_MINUTE below %(prefix)sMESSAGES_PER_MINUTE and "
    "%(prefix)sURGENT_RESERVE_PER_DAY below %(daily)s."
)


def pacing_row(name: str, mail: Any, prefix: str, daily: int, unit: str) -> CheckRow:
    """The sending pace and what routine mail leaves for urgent mail (from the settings
    ``mail``, whose variables start with ``prefix``): ``daily`` ``unit`` (``recipients`` or
    ``messages``) a day at most; ``name`` the row's, said in the language spoken."""
    minute, day = mail.urgent_reserve_per_minute, mail.urgent_reserve_per_day
    ok = 0 <= minute < mail.messages_per_minute and 0 <= day < daily
    return CheckRow(
        said(name),
        ok,
        said(
            _PACING[unit],
            per_minute=mail.messages_per_minute,
            daily=f"{daily:,}",
            routine_minute=mail.messages_per_minute - minute,
            routine_day=f"{daily - day:,}",
        ),
        None if ok else said(_RESERVE, prefix=prefix, daily=f"{daily:,}"),
    )


def webhook_status(response: httpx.Response, name: str, *, unknown: str = "") -> int:
    """The status of a webhook's answer, once it is neither "wait" (429: ``RetryableError``)
    nor "the card may have posted" (5xx: ``DeliveryUnknownError``, ``unknown`` appended)."""
    status = response.status_code
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    if status == 429:
        raise RetryableError(f"{name} throttled (429)", retry_after=retry_after)
    if status >= 500:
        raise DeliveryUnknownError(f"{name} answered {status}{unknown}", retry_after=retry_after)
    return status


# --------------------------------------------------------------------------- pacing


class RateLimiter:
    """Sliding-window pacer: at most ``limit`` events in any ``window`` seconds, in this process.

    For a platform's short per-app limits (the Teams bot's few requests a second), so a burst
    is spread out instead of throttled. A mailbox's limits are not paced here: mailers declare
    them (``Mailer.pacing``) and the dispatcher counts them in the database, across workers.
    The clock and sleep are injectable so tests run thousands of calls in milliseconds.

    Example::

        pacer = RateLimiter(limit=4, window=1.0)
        for card in cards:
            pacer.acquire()
            post(card)
    """

    def __init__(
        self,
        limit: int,
        window: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("RateLimiter needs limit >= 1 and window > 0")
        self.limit = limit
        self.window = window
        self._clock = clock
        self._sleep = sleep
        self._stamps: deque[float] = deque()

    def try_acquire(self) -> float:
        """Record one more event if it fits the window now (0.0); else the seconds until one
        would fit, recording nothing (for a limit the caller would rather meet next time than
        wait for, as the Chat app's 60 space set-ups a minute)."""
        now = self._clock()
        while self._stamps and now - self._stamps[0] >= self.window:
            self._stamps.popleft()
        if len(self._stamps) < self.limit:
            self._stamps.append(now)
            return 0.0
        return self.window - (now - self._stamps[0])

    def acquire(self) -> float:
        """Wait until one more event fits the window, record it, return the seconds waited."""
        waited = 0.0
        while True:
            now = self._clock()
            while self._stamps and now - self._stamps[0] >= self.window:
                self._stamps.popleft()
            if len(self._stamps) < self.limit:
                self._stamps.append(now)
                return waited
            pause = self.window - (now - self._stamps[0])
            self._sleep(pause)
            waited += pause
