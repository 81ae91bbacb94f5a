"""Microsoft 365 mail: ``sendMail`` as MIME from one mailbox, paced, exactly once.

Pacing is a messages-a-minute :class:`~connectors.base.RateLimiter` plus a rolling daily
recipient cap (:class:`RecipientBudget`); after a 429 nothing calls Graph before ``Retry-After``.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from typing import ClassVar

from connectors.base import (
    SETUP_RETRY_SECONDS,
    DeliveryUnknownError,
    LookupNotPermittedError,
    Mailer,
    MailPacing,
    OutgoingEmail,
    PermanentError,
    RateLimiter,
    RetryableError,
    SendResult,
    SetupError,
    UrgentReserve,
)
from connectors.m365.client import GraphClient
from connectors.m365.errors import ENV, GraphCallError
from connectors.mime import message_id, mime_bytes, to_mime

__all__ = ["MAX_REQUEST_BYTES", "GraphMailer", "RecipientBudget"]


DAILY_RECIPIENTS = 10_000  # Exchange Online: recipients a mailbox a rolling 24 hours


class RecipientBudget:
    """Rolling-window recipient cap: Exchange Online allows 10,000 recipients a mailbox a day.

    Unlike :class:`RateLimiter` it never sleeps (the wait can be hours): ``reserve`` raises
    ``RetryableError`` with ``retry_after`` so the outbox tries again later.

    Example::

        budget = RecipientBudget(limit=10_000, window=86_400.0)
        ticket = budget.reserve(3)   # before sending to 3 recipients
        budget.release(ticket)       # the platform certainly did not send it
    """

    def __init__(
        self,
        limit: int = DAILY_RECIPIENTS,
        window: float = 86_400.0,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("RecipientBudget needs limit >= 1 and window > 0")
        self.limit = limit
        self.window = window
        self._clock = clock
        self._entries: deque[tuple[float, int, int]] = deque()
        self._serial = 0

    def _expire(self, now: float) -> None:
        while self._entries and now - self._entries[0][0] >= self.window:
            self._entries.popleft()

    def used(self) -> int:
        """Recipients counted in the current window."""
        self._expire(self._clock())
        return sum(count for _, count, _ in self._entries)

    def reserve(self, count: int) -> int:
        """Count ``count`` recipients now, or raise RetryableError saying when they fit."""
        if count > self.limit:
            raise PermanentError(f"{count} recipients exceed the daily cap of {self.limit}")
        now = self._clock()
        self._expire(now)
        used = sum(c for _, c, _ in self._entries)
        if used + count > self.limit:
            freed, wait = used, 0.0
            for stamp, c, _ in self._entries:
                freed -= c
                wait = self.window - (now - stamp)
                if freed + count <= self.limit:
                    break
            raise RetryableError(
                f"daily recipient cap reached ({used}/{self.limit} in the last "
                f"{self.window / 3600:g} h)",
                retry_after=max(wait, 0.0),
            )
        self._serial += 1
        self._entries.append((now, count, self._serial))
        return self._serial

    def release(self, ticket: int) -> None:
        """Give back a reservation for a message the platform certainly did not send."""
        for entry in self._entries:
            if entry[2] == ticket:
                self._entries.remove(entry)
                return


MAX_REQUEST_BYTES = 4 * 1024 * 1024  # Graph's request size limit (base64 MIME included)


class GraphMailer(Mailer):
    """Sends through ``POST /users/{sender}/sendMail`` as MIME, paced, exactly once.

    Pacing: ``pacer`` (30 messages a minute per mailbox by default) sleeps between sends;
    ``budget`` counts recipients per rolling 24 h and raises RetryableError when full. After a
    429 the mailer refuses to call Graph until ``Retry-After`` has passed.

    Args:
        client: the Graph client.
        sender: the one mailbox mail is sent from (UPN or id).
        pacer: a RateLimiter (inject clock/sleep in tests).
        budget: a RecipientBudget.
        clock: the same clock as the pacer's (for Retry-After bookkeeping).
        reserve: what routine mail may never spend of the mailbox's limits (default: one
            send a minute and 300 recipients a day), kept for urgent mail.
    """

    name: ClassVar[str] = "m365"

    def __init__(
        self,
        client: GraphClient,
        sender: str,
        *,
        pacer: RateLimiter | None = None,
        budget: RecipientBudget | None = None,
        clock: Callable[[], float] = time.monotonic,
        reserve: UrgentReserve | None = None,
    ) -> None:
        self.client = client
        self.sender = sender
        self.reserve = reserve or UrgentReserve()
        self.pacer = pacer or RateLimiter(30, 60.0, clock=clock)
        self.budget = budget or RecipientBudget(clock=clock)
        self._clock = clock
        self._blocked_until = 0.0

    @property
    def pacing(self) -> MailPacing:
        """The mailbox's limits, for the dispatcher to count in the database across workers."""
        return MailPacing(
            self.sender,
            per_minute=self.pacer.limit,
            window=self.pacer.window,
            daily_recipients=self.budget.limit,
            reserve=self.reserve,
        )

    def ready_in(self) -> float:
        """Seconds until Graph's last ``Retry-After`` has passed (0: ready now).

        The dispatcher asks before claiming a row, so a throttle costs no row an attempt.
        """
        return max(0.0, self._blocked_until - self._clock())

    def send(self, message: OutgoingEmail) -> SendResult:
        """Deliver ``message`` once; never resend after a response was possibly lost."""
        recipients = len({a.lower() for a in (*message.to, *message.cc)})
        if recipients == 0:
            raise PermanentError("the message has no recipients")
        wait = self.ready_in()
        if wait > 0:
            raise RetryableError(
                "Graph asked us to slow down (429); not calling it before Retry-After",
                retry_after=wait,
            )
        mime = to_mime(message, self.sender)
        data = mime_bytes(mime)  # CRLF: RFC 5322, as Graph's MIME sendMail expects
        if math.ceil(len(data) / 3) * 4 > MAX_REQUEST_BYTES:
            raise PermanentError(
                f"the message is {len(data) // 1024} KB; Graph sendMail takes at most 4 MB "
                "(base64) — make attachments smaller"
            )
        ticket = self.budget.reserve(recipients)
        self.pacer.acquire()
        try:
            self.client.send_mime(self.sender, data)
        except GraphCallError as exc:
            error = self._error(exc)
            if not isinstance(error, DeliveryUnknownError):
                self.budget.release(ticket)
            raise error from exc
        return SendResult(provider_id=str(mime["Message-ID"]))

    def find_sent(self, idempotency_key: str) -> SendResult | None:
        """The outbox row's message in the sender's Sent Items (by its Message-ID), or None.

        Needs Mail.ReadBasic.All, scoped to the sending mailbox like Mail.Send (deploy/m365.md).
        """
        try:
            found = self.client.sent_message_id(
                self.sender, message_id(idempotency_key, self.sender)
            )
        except GraphCallError as exc:
            if exc.status == 403:
                raise LookupNotPermittedError(
                    f"the app may not read {self.sender}'s Sent Items (it needs Mail.ReadBasic.All "
                    "for that mailbox; see deploy/m365.md)"
                ) from exc
            raise RetryableError(f"{exc}; Sent Items not read") from exc
        return None if found is None else SendResult(provider_id=found)

    def _error(self, exc: GraphCallError) -> Exception:
        if exc.token:
            if exc.code:
                return self._setup(
                    f"{exc} (check {ENV}TENANT_ID, CLIENT_ID and the secret or certificate; "
                    "`compliance-bot check m365`)"
                )
            return RetryableError(str(exc))
        if not exc.sent:
            return RetryableError(f"{exc}; nothing was sent")
        if exc.status == 429:
            wait = exc.retry_after if exc.retry_after is not None else 60.0
            self._blocked_until = self._clock() + wait
            return RetryableError(str(exc), retry_after=wait)
        if exc.status is None or exc.status >= 500:
            return DeliveryUnknownError(
                f"{exc}; the message may have been sent, so not resent",
                retry_after=exc.retry_after,
            )
        if exc.status == 401:
            return self._setup(f"{exc} — Graph refused the app's token; see deploy/m365.md")
        if exc.status == 403:
            return self._setup(
                f"{exc} — the app needs Mail.Send for {self.sender} "
                "(RBAC for Applications); see deploy/m365.md"
            )
        if exc.status == 404 and exc.code in ("ErrorInvalidUser", "MailboxNotEnabledForRESTAPI"):
            return self._setup(
                f"{exc} — the sending mailbox {self.sender} does not exist or has no mailbox "
                f"(check {ENV}SENDER)"
            )
        return PermanentError(str(exc))

    def _setup(self, text: str) -> SetupError:
        """Graph refused the app, not the message: pause mail until the setup is fixed."""
        self._blocked_until = self._clock() + SETUP_RETRY_SECONDS
        return SetupError(f"mail paused: {text}")
