"""Microsoft 365 mail: ``sendMail`` as MIME from one mailbox, exactly once.

The mailer declares the mailbox's limits (``GraphMailer.pacing``: 30 messages a minute and
10,000 recipients a rolling 24 hours); the dispatcher counts them in the database
(``bot.core.outbox.pacing``) across every worker, so the mailer counts nothing itself. After a
429 nothing calls Graph before ``Retry-After``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import ClassVar

from bot.core.ports import (
    DeliveryUnknownError,
    LookupNotPermittedError,
    Mailer,
    MailPacing,
    OutgoingEmail,
    PermanentError,
    RetryableError,
    SendResult,
    SetupError,
    UrgentReserve,
)
from connectors.m365.client import GraphClient
from connectors.m365.errors import ENV, GraphCallError
from connectors.mime import message_id, mime_bytes, replied_to, to_mime

__all__ = ["DAILY_RECIPIENTS", "MAX_REQUEST_BYTES", "GraphMailer"]


DAILY_RECIPIENTS = 10_000  # Exchange Online: recipients a mailbox a rolling 24 hours


MAX_REQUEST_BYTES = 4 * 1024 * 1024  # Graph's request size limit (base64 MIME included)


class GraphMailer(Mailer):
    """Sends through ``POST /users/{sender}/sendMail`` as MIME, exactly once.

    Pacing: ``pacing`` declares the mailbox's limits and the dispatcher sends only what they
    allow, counted in the database across workers; the mailer neither counts nor sleeps. After
    a 429 it refuses to call Graph until ``Retry-After`` has passed (``ready_in``).

    Args:
        client: the Graph client.
        sender: the one mailbox mail is sent from (UPN or id).
        per_minute: messages the mailbox may send a minute (Exchange Online: 30, the
            setting's default).
        clock: a monotonic clock for Retry-After bookkeeping (a fake one in tests).
        reserve: what routine mail may never spend of the mailbox's limits (default: one
            send a minute and 300 recipients a day), kept for urgent mail.
    """

    name: ClassVar[str] = "m365"
    daily_recipients: int = DAILY_RECIPIENTS  # a message to more is refused for good

    def __init__(
        self,
        client: GraphClient,
        sender: str,
        *,
        per_minute: int,
        clock: Callable[[], float] = time.monotonic,
        reserve: UrgentReserve | None = None,
    ) -> None:
        if per_minute < 1:
            raise ValueError("GraphMailer needs per_minute >= 1")
        self.client = client
        self.sender = sender
        self.per_minute = per_minute
        self.reserve = reserve or UrgentReserve()
        self._clock = clock
        self._blocked_until = 0.0

    @property
    def pacing(self) -> MailPacing:
        """The mailbox's limits, for the dispatcher to count in the database across workers."""
        return MailPacing(
            self.sender,
            per_minute=self.per_minute,
            daily_recipients=self.daily_recipients,
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
        if recipients > self.daily_recipients:
            # the dispatcher lets such a message through alone rather than hold the queue
            # for ever: no day's allowance will ever fit it
            raise PermanentError(
                f"{recipients} recipients exceed the mailbox's {self.daily_recipients:,} a day"
            )
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
        try:
            self.client.send_mime(self.sender, data)
        except GraphCallError as exc:
            raise self._error(exc) from exc
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

    def bounced(self, idempotency_keys: Sequence[str], since: datetime) -> dict[str, str]:
        """Of these rows' messages, those Exchange sent a non-delivery report about (to the
        sender's inbox) since ``since``: the report names the original by its Message-ID in
        ``In-Reply-To``/``References``. A 202 from sendMail is no proof of delivery: past the
        tenant's external recipient limit (TERRL) Exchange accepts, then bounces (5.7.233)."""
        wanted = {message_id(key, self.sender): key for key in idempotency_keys}
        try:
            reports = self.client.inbox_reports(self.sender, since)
        except GraphCallError as exc:
            raise RetryableError(f"{exc}; the sender's inbox was not read") from exc
        return {
            wanted[original]: "Exchange sent a non-delivery report (bounced)"
            for report in reports
            for original in replied_to(report["headers"])
            if original in wanted
        }

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
                f"{exc}; the message may have been sent, so not resent", retry_after=exc.retry_after
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
        self._blocked_until = self._clock() + SetupError.wait
        return SetupError(f"mail paused: {text}")
