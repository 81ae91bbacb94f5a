"""The mail port: one rendered email handed to a provider, what the provider says back, and
a mailer's optional capabilities (batches, pacing, looking in its sent items, reading bounces)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, Protocol, runtime_checkable

from bot.core.ports.errors import ConnectorError
from bot.core.ports.limits import MailPacing


@dataclass(frozen=True)
class Attachment:
    """A file attached to an email (e.g. an .ics calendar entry)."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class OutgoingEmail:
    """One email, already rendered, ready for a provider.

    ``idempotency_key`` is the outbox key; connectors put it in a header where the platform allows
    (``X-Compliance-Bot-Key``) so a human can match a delivered mail to its outbox row.
    ``to``, ``cc`` and ``reply_to`` hold addresses or ``Name <address>`` (a name with a comma
    in quotes); the envelope takes only the addresses (``connectors.mime.envelope_recipients``).
    """

    idempotency_key: str
    to: tuple[str, ...]
    subject: str
    text: str
    html: str
    cc: tuple[str, ...] = ()
    reply_to: str | None = None
    attachments: tuple[Attachment, ...] = ()
    from_name: str | None = None


@dataclass(frozen=True)
class SendResult:
    """What the provider told us about a delivered message."""

    provider_id: str | None = None


@runtime_checkable
class Mailer(Protocol):
    """Sends one email. Raises a ``ConnectorError`` subclass on failure, never retries POSTs.

    ``send`` is the one thing a mailer must do. The optional capabilities the dispatcher uses
    are declared here with their defaults, so a mailer subclasses ``Mailer`` and overrides only
    what its platform offers: ``idempotent``, ``max_batch`` with ``send_batch``, ``pacing``,
    ``ready_in`` and ``end_pass``. Whether a mailer can look in its sent items is a separate
    protocol (``SentItemsLookup``), checked with ``isinstance``.

    Example::

        class PrintMailer(Mailer):
            idempotent = True  # printing twice is harmless

            def send(self, message: OutgoingEmail) -> SendResult:
                print(message.subject)
                return SendResult(provider_id=None)
    """

    # resending is harmless (e.g. the .eml writer): a message whose outcome is unknown is
    # sent again instead of left for a person
    idempotent: ClassVar[bool] = False
    # the most messages ``send_batch`` takes at once (e.g. Gmail's 50); 1: one at a time
    max_batch: int = 1

    def send(self, message: OutgoingEmail) -> SendResult:
        """Deliver ``message`` once."""
        ...

    def send_batch(self, messages: Sequence[OutgoingEmail]) -> list[SendResult | ConnectorError]:
        """Deliver up to ``max_batch`` messages, one result per message, in order: a
        ``SendResult`` or the ``ConnectorError`` that message met. The dispatcher calls it only
        when ``max_batch`` is above 1; by default it sends each message on its own."""
        results: list[SendResult | ConnectorError] = []
        for message in messages:
            try:
                results.append(self.send(message))
            except ConnectorError as exc:
                results.append(exc)
        return results

    @property
    def pacing(self) -> MailPacing | None:
        """The mailbox's limits: the dispatcher claims only what they allow, counted in the
        database across workers. None (the default): no limits to keep."""
        return None

    def ready_in(self) -> float:
        """Seconds until the platform's ``Retry-After`` has passed; the dispatcher claims
        nothing while it is above 0. 0 (the default): ready now."""
        return 0.0

    def end_pass(self) -> None:
        """Called after each dispatch pass, e.g. to end a reused SMTP connection (QUIT).
        Does nothing by default."""
        return None


class LookupNotPermittedError(ConnectorError):
    """The platform would not let the bot look in the sending mailbox's sent items (the
    permission or scope is not granted); a person must check instead."""


@runtime_checkable
class SentItemsLookup(Protocol):
    """A mailer that can say whether a message reached the platform: it finds the message by
    the Message-ID the bot gave it (``connectors.mime.message_id``) in the sending mailbox's
    sent items. Graph and Gmail can; SMTP cannot (the dispatcher checks for ``find_sent``).
    """

    def find_sent(self, idempotency_key: str) -> SendResult | None:
        """The sent item of the outbox row ``idempotency_key`` (its platform id), or None when
        the sent items do not hold it. Raises LookupNotPermittedError when the platform refuses
        to let the bot look, RetryableError when it cannot answer now."""
        ...


@runtime_checkable
class BounceReader(Protocol):
    """A mailer that can tell which messages bounced after the platform accepted them: the
    non-delivery reports that came back to the sending mailbox (Graph: Exchange's NDRs in the
    inbox; Gmail: the mailer-daemon's), matched to the bot's Message-IDs."""

    def bounced(self, idempotency_keys: Sequence[str], since: datetime) -> dict[str, str]:
        """Of these outbox rows' messages, those a report received since ``since`` says did
        not arrive: key -> the report's reason (e.g. ``550 5.7.233``). Raises ConnectorError
        when the platform cannot answer now."""
        ...
