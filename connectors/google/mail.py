"""Google mail: Gmail ``users.messages.send`` as the sender mailbox, paced, batched, sent once."""

from __future__ import annotations

import base64
import functools
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from connectors.base import (
    ConnectorError,
    DeliveryUnknownError,
    LookupNotPermittedError,
    Mailer,
    MailPacing,
    OutgoingEmail,
    PermanentError,
    RateLimiter,
    RetryableError,
    SendResult,
    UrgentReserve,
)
from connectors.google.client import GMAIL_BATCH_URI, GoogleApi, GoogleCallError
from connectors.google.errors import connector_error
from connectors.mime import message_id, mime_bytes, to_mime

__all__ = ["DAILY_SEND_LIMIT", "GMAIL_MAX_BATCH", "DailyQuota", "GmailMailer"]

GMAIL_MAX_BATCH = 50  # Google: batches over 50 "are likely to trigger rate limiting"
DAILY_SEND_LIMIT = 2000  # Workspace per-user sending limit (rolling 24 hours)


class DailyQuota:
    """Counts sends in a rolling 24 hours; refuses more than ``limit`` with a RetryableError.

    In memory only: after a restart Gmail's own 429 ("Retry after ...") still protects us.
    """

    def __init__(
        self,
        limit: int = DAILY_SEND_LIMIT,
        window: float = 86_400.0,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("DailyQuota needs limit >= 1 and window > 0")
        self.limit = limit
        self.window = window
        self._clock = clock
        self._stamps: deque[float] = deque()

    def take(self) -> None:
        """Record one send, or raise RetryableError with the seconds until one frees up."""
        now = self._clock()
        while self._stamps and now - self._stamps[0] >= self.window:
            self._stamps.popleft()
        if len(self._stamps) >= self.limit:
            wait = self.window - (now - self._stamps[0])
            raise RetryableError(
                f"Gmail daily sending limit reached ({self.limit} in 24 hours)", retry_after=wait
            )
        self._stamps.append(now)

    @property
    def remaining(self) -> int:
        """Sends left in the current window."""
        now = self._clock()
        return self.limit - sum(1 for s in self._stamps if now - s < self.window)


class GmailMailer(Mailer):
    """Gmail API ``users.messages.send`` as the sender mailbox: paced, batched, never retried.

    Args:
        api: the Gmail service, impersonating ``sender``.
        sender: the From address (the impersonated mailbox or one of its send-as aliases).
        pacer: spreads sends out (default 60 a minute, Google's guidance per user).
        quota: the rolling daily limit (default 2,000 a day).
        reserve: what routine mail may never spend of those limits (default: one send a
            minute and 100 messages a day), kept for urgent mail.
        lookup: builds the read-only Gmail API (gmail.readonly) used only by ``find_sent``;
            built on first use, so a school that has not granted that scope still sends.
    """

    max_batch: int = GMAIL_MAX_BATCH

    def __init__(
        self,
        api: GoogleApi,
        sender: str,
        *,
        pacer: RateLimiter | None = None,
        quota: DailyQuota | None = None,
        reserve: UrgentReserve | None = None,
        lookup: Callable[[], GoogleApi] | None = None,
    ) -> None:
        self._api = api
        self._lookup = functools.cache(lookup) if lookup is not None else None
        self.sender = sender
        self._pacer = pacer or RateLimiter(limit=60, window=60.0)
        self._quota = quota or DailyQuota()
        self.reserve = reserve or UrgentReserve(per_minute=1, per_day=100)

    @property
    def pacing(self) -> MailPacing:
        """The mailbox's limits, for the dispatcher to count in the database across workers."""
        return MailPacing(
            self.sender,
            per_minute=self._pacer.limit,
            window=self._pacer.window,
            daily_messages=self._quota.limit,
            reserve=self.reserve,
        )

    @functools.cached_property
    def _messages(self) -> Any:
        return self._api.resource.users().messages()  # built once: resources are costly

    def send(self, message: OutgoingEmail) -> SendResult:
        """Send ``message`` once (one request, no library retries)."""
        body = self._body(message)
        self._quota.take()
        self._pacer.acquire()
        request = self._messages.send(userId="me", body=body)
        try:
            sent = self._api.call(request)
        except GoogleCallError as exc:
            raise connector_error(exc, "Gmail send", write=True) from exc
        return SendResult(provider_id=_message_id(sent))

    def send_batch(self, messages: Sequence[OutgoingEmail]) -> list[SendResult | ConnectorError]:
        """Send ``messages`` in Gmail batches of at most ``max_batch``; one result per message.

        Once Google throttles or fails (a whole batch, or one message with a 5xx), later
        messages are not attempted and get a RetryableError, so a struggling mailbox is not
        hammered.
        """
        results: list[SendResult | ConnectorError | None] = [None] * len(messages)
        halt: RetryableError | None = None
        for start in range(0, len(messages), self.max_batch):
            pending: list[tuple[int, Any]] = []
            for index in range(start, min(start + self.max_batch, len(messages))):
                if halt is not None:
                    results[index] = RetryableError(str(halt), retry_after=halt.retry_after)
                    continue
                try:
                    body = self._body(messages[index])
                    self._quota.take()
                except ConnectorError as exc:
                    results[index] = exc
                    continue
                self._pacer.acquire()
                send = self._messages.send(userId="me", body=body)
                pending.append((index, send))
            if not pending:
                continue
            try:
                answers = self._api.call_batch([r for _, r in pending], batch_uri=GMAIL_BATCH_URI)
            except GoogleCallError as exc:
                for index, _ in pending:
                    results[index] = connector_error(exc, "Gmail batch", write=True)
                halt = RetryableError(
                    f"not sent: an earlier Gmail batch failed ({exc.status or exc.reason})",
                    retry_after=exc.retry_after,
                )
                continue
            for (index, _), answer in zip(pending, answers, strict=True):
                if isinstance(answer, GoogleCallError):
                    error = connector_error(answer, "Gmail send", write=True)
                    results[index] = error
                    if isinstance(error, RetryableError | DeliveryUnknownError) and halt is None:
                        halt = RetryableError(
                            f"not sent: Gmail is throttling or failing for {self.sender}",
                            retry_after=error.retry_after,
                        )
                else:
                    results[index] = SendResult(provider_id=_message_id(answer))
        return [r if r is not None else RetryableError("not attempted") for r in results]

    def find_sent(self, idempotency_key: str) -> SendResult | None:
        """The outbox row's message in the sender's mailbox (by its Message-ID), or None.

        ``users.messages.list(q="rfc822msgid:...")`` needs the gmail.readonly scope (the
        gmail.metadata scope refuses ``q``); without it the lookup is not permitted.
        """
        if self._lookup is None:
            raise LookupNotPermittedError("this Gmail connection cannot read the sent mail")
        wanted = message_id(idempotency_key, self.sender).strip("<>")
        api = self._lookup()
        request = (
            api.resource.users()
            .messages()
            .list(userId="me", q=f"rfc822msgid:{wanted}", maxResults=1, includeSpamTrash=False)
        )
        try:
            answer = api.call(request)
        except GoogleCallError as exc:
            if exc.status in (401, 403) or (exc.auth and not exc.transient):
                raise LookupNotPermittedError(
                    f"Google would not let the bot read {self.sender}'s sent mail (the "
                    "gmail.readonly scope is not granted to its service account; see "
                    "deploy/google.md)"
                ) from exc
            raise RetryableError(f"Gmail lookup: {exc.status or exc.reason}") from exc
        found = answer.get("messages") if isinstance(answer, dict) else None
        return SendResult(provider_id=_message_id(found[0])) if found else None

    def _body(self, message: OutgoingEmail) -> dict[str, str]:
        """The ``users.messages.send`` body: base64url of the RFC 5322 bytes (CRLF lines)."""
        if not message.to:
            raise PermanentError("Gmail send: the message has no recipient")
        try:
            data = mime_bytes(to_mime(message, self.sender))
        except (ValueError, TypeError) as exc:
            raise PermanentError(f"Gmail send: message cannot be encoded ({exc})") from exc
        return {"raw": base64.urlsafe_b64encode(data).decode("ascii")}


def _message_id(answer: Any) -> str | None:
    value = answer.get("id") if isinstance(answer, dict) else None
    return str(value) if value else None
