"""Google mail: Gmail ``users.messages.send`` as the sender mailbox, in pairs, sent once.

The mailer declares the account's limits (``GmailMailer.pacing``: 60 messages a minute, 2,000
a rolling 24 hours); the dispatcher counts them in the database (``bot.core.outbox.pacing``)
across every worker and hands the mailer only what fits, so it counts nothing itself.

A batch is what a dispatcher that dies mid-call leaves in doubt, so it is no bigger than
Gmail's per-user rate needs (``GMAIL_MAX_BATCH``); the sent-mail lookup (``find_sent``)
settles those few by their Message-ID.
"""

from __future__ import annotations

import base64
import functools
from collections.abc import Callable, Sequence
from datetime import datetime
from email.utils import parseaddr
from typing import Any

from bot.core.ports import (
    ConnectorError,
    DeliveryUnknownError,
    LookupNotPermittedError,
    Mailer,
    MailPacing,
    OutgoingEmail,
    PermanentError,
    RetryableError,
    SendResult,
    UrgentReserve,
)
from connectors.google.client import GMAIL_BATCH_URI, GoogleApi, GoogleCallError
from connectors.google.errors import connector_error
from connectors.mime import message_id, mime_bytes, replied_to, to_mime

__all__ = ["DAILY_SEND_LIMIT", "GMAIL_MAX_BATCH", "PER_MINUTE", "GmailMailer"]

# Gmail's per-user rate is 250 quota units a second (a moving average) and a send costs 100:
# two sends are what one second allows. A bigger batch saves round trips but bursts past that
# rate (Google: batches over 50 "are likely to trigger rate limiting"), and every message in
# it is in doubt if the dispatcher dies before the answer is recorded. Two a call keep the
# pace's 60 a minute at 30 calls a minute (as many as Exchange's one-by-one sends).
GMAIL_MAX_BATCH = 2
DAILY_SEND_LIMIT = 2000  # Workspace per-user sending limit (rolling 24 hours)
PER_MINUTE = 60  # Google's guidance: at most about 60 sends a minute per user
REPORT_PAGE = 100  # mailer-daemon messages listed a page
REPORT_PAGES = 5  # pages read a pass at most (each report is then read once, and remembered)
REPORT_HEADERS = ("From", "In-Reply-To", "References", "X-Failed-Recipients")


class GmailMailer(Mailer):
    """Gmail API ``users.messages.send`` as the sender mailbox: in batches of two, never retried.

    Pacing: ``pacing`` declares the account's limits and the dispatcher sends only what they
    allow, counted in the database across workers; the mailer neither counts nor sleeps.

    Args:
        api: the Gmail service, impersonating ``sender``.
        sender: the From address (the impersonated mailbox or one of its send-as aliases).
        per_minute: messages a minute (default 60, Google's guidance per user).
        reserve: what routine mail may never spend of those limits (default: one send a
            minute and 100 messages a day), kept for urgent mail.
        lookup: builds the read-only Gmail API (gmail.readonly) used only by ``find_sent``
            and ``bounced``; built on first use, so a school that has not granted that scope
            still sends.
    """

    max_batch: int = GMAIL_MAX_BATCH
    daily_messages: int = DAILY_SEND_LIMIT  # messages in a rolling 24 hours

    def __init__(
        self,
        api: GoogleApi,
        sender: str,
        *,
        per_minute: int = PER_MINUTE,
        reserve: UrgentReserve | None = None,
        lookup: Callable[[], GoogleApi] | None = None,
    ) -> None:
        if per_minute < 1:
            raise ValueError("GmailMailer needs per_minute >= 1")
        self._api = api
        self._lookup = functools.cache(lookup) if lookup is not None else None
        self.sender = sender
        self.per_minute = per_minute
        self.reserve = reserve or UrgentReserve(per_minute=1, per_day=100)
        # mailer-daemon reports already read: id -> (Message-IDs named, failed recipients)
        self._reports: dict[str, tuple[tuple[str, ...], str]] = {}

    @property
    def pacing(self) -> MailPacing:
        """The mailbox's limits, for the dispatcher to count in the database across workers."""
        return MailPacing(
            self.sender,
            per_minute=self.per_minute,
            daily_messages=self.daily_messages,
            reserve=self.reserve,
        )

    @functools.cached_property
    def _messages(self) -> Any:
        return self._api.resource.users().messages()  # built once: resources are costly

    def send(self, message: OutgoingEmail) -> SendResult:
        """Send ``message`` once (one request, no library retries)."""
        body = self._body(message)
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
                except ConnectorError as exc:
                    results[index] = exc
                    continue
                pending.append((index, self._messages.send(userId="me", body=body)))
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
        wanted = message_id(idempotency_key, self.sender).strip("<>")
        answer = self._read("list", q=f"rfc822msgid:{wanted}", maxResults=1, includeSpamTrash=False)
        found = answer.get("messages")  # _read answers a dict
        return SendResult(provider_id=_message_id(found[0])) if found else None

    def bounced(self, idempotency_keys: Sequence[str], since: datetime) -> dict[str, str]:
        """Of these rows' messages, those Gmail's mailer-daemon reported undelivered since
        ``since``: its Delivery Status Notifications land in the sending account and name the
        original's Message-ID in ``In-Reply-To``/``References`` (and the addresses in
        ``X-Failed-Recipients``). Listed with ``q=from:mailer-daemon after:<epoch seconds>``,
        each read once as ``format=metadata`` (headers only); needs gmail.readonly (``q``).
        Nothing when this connection has no read scope configured."""
        if self._lookup is None:
            return {}
        wanted = {message_id(key, self.sender): key for key in idempotency_keys}
        query = f"from:mailer-daemon after:{int(since.timestamp())}"
        ids: list[str] = []
        page: str | None = None
        for _ in range(REPORT_PAGES):
            answer = self._read(
                "list",
                q=query,
                maxResults=REPORT_PAGE,
                pageToken=page,
                fields="messages/id,nextPageToken",
            )
            ids += [str(m["id"]) for m in answer.get("messages") or []]
            page = answer.get("nextPageToken")
            if not page:
                break
        self._reports = {i: self._reports.get(i) or self._report(i) for i in ids}
        return {
            wanted[original]: f"Gmail could not deliver it{f' to {failed}' if failed else ''}: "
            "its mailer-daemon sent a delivery failure report (bounced)"
            for named, failed in self._reports.values()
            for original in named
            if original in wanted
        }

    def _report(self, report_id: str) -> tuple[tuple[str, ...], str]:
        """A mailer-daemon message's headers: the Message-IDs it names and who failed."""
        answer = self._read(
            "get",
            id=report_id,
            format="metadata",
            metadataHeaders=list(REPORT_HEADERS),
            fields="payload/headers",
        )
        headers = {
            str(h.get("name", "")).casefold(): str(h.get("value", ""))
            for h in (answer.get("payload") or {}).get("headers") or []
        }
        if parseaddr(headers.get("from", ""))[1].casefold().startswith("mailer-daemon@"):
            return tuple(replied_to(headers)), headers.get("x-failed-recipients", "").strip()
        return (), ""

    def _read(self, method: str, **params: Any) -> dict[str, Any]:
        """One ``users.messages.<method>`` read of the sender's mailbox with the
        gmail.readonly API."""
        if self._lookup is None:
            raise LookupNotPermittedError("this Gmail connection cannot read the sent mail")
        api = self._lookup()
        try:
            messages = api.resource.users().messages()
            answer = api.call(getattr(messages, method)(userId="me", **params))
        except GoogleCallError as exc:
            if exc.status in (401, 403) or (exc.auth and not exc.transient):
                raise LookupNotPermittedError(
                    f"Google would not let the bot read {self.sender}'s mail (the "
                    "gmail.readonly scope is not granted to its service account; see "
                    "deploy/google.md)"
                ) from exc
            raise RetryableError(f"Gmail lookup: {exc.status or exc.reason}") from exc
        return answer if isinstance(answer, dict) else {}

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
