"""The small boundary every platform connector implements (DESIGN.md §5).

Connectors translate between the domain and one platform's API. They hold no business rules and
leak no platform types: everything that crosses this boundary is one of the plain dataclasses
below, and every failure is one of the ``ConnectorError`` subclasses, which tell the outbox what
it may safely do next.

Example: a minimal mailer (``Mailer`` declares the optional capabilities with defaults)::

    class PrintMailer(Mailer):
        name = "print"

        def send(self, message: OutgoingEmail) -> SendResult:
            print(message.subject)
            return SendResult(provider_id=None)
"""

from __future__ import annotations

import contextlib
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

if TYPE_CHECKING:
    import httpx

__all__ = [
    "SETUP_RETRY_SECONDS",
    "Attachment",
    "BulkFeed",
    "CardMessage",
    "ChatBot",
    "CheckRow",
    "ConnectorError",
    "DeliveryUnknownError",
    "Directory",
    "DirectoryChanges",
    "DirectoryPerson",
    "FormResponse",
    "FormSource",
    "ListMirror",
    "LookupNotPermittedError",
    "MailPacing",
    "Mailer",
    "Notifier",
    "OutgoingEmail",
    "PermanentError",
    "RateLimiter",
    "RejectedRecord",
    "RetryableError",
    "SendResult",
    "SentItemsLookup",
    "SetupError",
    "UnreadableResponse",
    "UrgentReserve",
    "left_out_words",
    "pacing_row",
    "parse_retry_after",
    "translated",
    "webhook_status",
]


# --------------------------------------------------------------------------- errors


class ConnectorError(Exception):
    """Base of every error a connector raises; ``str()`` is safe to log (no secrets, no content)."""


class RetryableError(ConnectorError):
    """The platform did not process the request (429, connection refused): safe to try again.

    It says "not now" about the platform, not about the message: the outbox spends no attempt
    on it, never turns the message ``failed`` for it, and pauses the whole channel until
    ``retry_after`` (or a growing backoff) has passed.

    Args:
        message: what happened, safe to log.
        retry_after: seconds the platform asked us to wait, when it said so.
    """

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


SETUP_RETRY_SECONDS = 15 * 60.0  # how long mail pauses after the platform refused our setup


class SetupError(RetryableError):
    """The platform refused *us*, not this message (expired secret, permission withdrawn).

    Nothing was sent. The message waits, without spending its attempts, until the setup is
    fixed; the mailer stays paused meanwhile (``ready_in``) so only one message a while asks.
    """

    def __init__(self, message: str, retry_after: float = SETUP_RETRY_SECONDS) -> None:
        super().__init__(message, retry_after=retry_after)


class DeliveryUnknownError(ConnectorError):
    """The request may have been processed (503/504/reset after sending): never resend blindly.

    The outbox flags the message for a person to check and pauses the channel, so a struggling
    platform costs one uncertain message, not the whole queue.

    Args:
        message: what happened, safe to log.
        retry_after: seconds the platform asked us to wait (``Retry-After`` on a 503).
    """

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(ConnectorError):
    """The request will not succeed as it is (a bad recipient, a message too big, a bad file).

    When sending, problems with *our* setup (permissions, secrets, the sender, a webhook URL)
    are ``SetupError``s instead: every message would meet them, so none should fail for them.
    """


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


def pacing_row(name: str, mail: Any, prefix: str, daily: int, unit: str) -> CheckRow:
    """The sending pace and what routine mail leaves for urgent mail (from the settings
    ``mail``, whose variables start with ``prefix``): ``daily`` ``unit`` a day at most."""
    minute, day = mail.urgent_reserve_per_minute, mail.urgent_reserve_per_day
    ok = 0 <= minute < mail.messages_per_minute and 0 <= day < daily
    return CheckRow(
        name,
        ok,
        f"{mail.messages_per_minute} a minute and {daily:,} {unit} a day; reminders and digests "
        f"use at most {mail.messages_per_minute - minute} a minute and {daily - day:,}"
        f"{' recipients' if unit == 'recipients' else ''} a day, the rest is kept for "
        "safeguarding alerts, sign-in links and receipts (sent first)",
        None if ok else f"Set {prefix}URGENT_RESERVE_PER_MINUTE below {prefix}MESSAGES_PER_MINUTE "
        f"and {prefix}URGENT_RESERVE_PER_DAY below {daily:,}.",
    )


# --------------------------------------------------------------------------- directory


@dataclass(frozen=True)
class DirectoryPerson:
    """One person as a directory knows them.

    ``groups`` are the directory's group names; configuration maps them to roles. ``roles`` are
    roles the source states directly (the local CSV can); platform connectors leave it empty.
    ``other_titles`` are the further roles a staff export lists in columns of their own (an
    MIS's "Additional Role"): each goes through the school's role table as the job title does.
    """

    external_id: str
    email: str
    display_name: str
    active: bool = True
    given_name: str | None = None
    family_name: str | None = None
    job_title: str | None = None
    other_titles: tuple[str, ...] = ()
    groups: frozenset[str] = frozenset()
    roles: frozenset[str] = frozenset()
    manager_external_id: str | None = None
    manager_email: str | None = None
    start_date: date | None = None
    school: str | None = None
    has_account: bool = True


@dataclass(frozen=True)
class RejectedRecord:
    """Who a source row that could not be read seems to be, as far as it can be read.

    Any field may be None. The bot uses it to leave that person exactly as they were, instead
    of treating them as absent: a typo in one row is no evidence that someone has gone.
    """

    external_id: str | None = None
    email: str | None = None
    display_name: str | None = None


@dataclass(frozen=True)
class DirectoryChanges:
    """What a directory fetch returned.

    When ``complete`` is true, ``people`` is everyone: anyone known before and absent now is
    missing. When false (a delta), ``people`` are only the changed ones and ``removed`` lists
    external ids deleted since ``cursor`` was issued. ``cursor`` is what to pass next time (a
    delta link). ``rejected`` holds human-readable messages for source rows that could not be
    read, and ``rejected_records`` whatever identifies the people on those rows.
    """

    people: Sequence[DirectoryPerson]
    complete: bool
    removed: Sequence[str] = ()
    cursor: str | None = None
    rejected: Sequence[str] = ()
    rejected_records: Sequence[RejectedRecord] = ()
    # accounts the source holds that are not people for the bot, by what they are, counted
    # over the whole directory ({"guest": 3, "unlicensed account": 2}); None: not counted
    left_out: Mapping[str, int] | None = None
    # accounts left out because mail cannot reach them (no mailbox), named "Name (sign-in)"
    no_mailbox: Sequence[str] = ()


def left_out_words(counts: Mapping[str, int]) -> str:
    """A directory's left-out accounts as a person reads them: '3 guests, 2 unlicensed
    accounts' ('none' when there are none)."""
    shown = [f"{n} {kind if n == 1 else kind + 's'}" for kind, n in sorted(counts.items()) if n]
    return ", ".join(shown) or "none"


@runtime_checkable
class Directory(Protocol):
    """Reads people and their groups from the school's directory."""

    def fetch(self, cursor: str | None = None) -> DirectoryChanges:
        """Return everyone (``cursor`` None or expired) or the changes since ``cursor``."""
        ...


# --------------------------------------------------------------------------- mail


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


@dataclass(frozen=True)
class UrgentReserve:
    """The share of a mailbox's limits that routine mail (reminders, digests) may never spend,
    so a safeguarding alert always finds a send free however long the routine queue is.

    Args:
        per_minute: messages in each minute window kept for urgent mail (Exchange: 1 of 30).
        per_day: of the rolling 24-hour limit (recipients where the platform counts them,
            else messages) kept for urgent mail.
    """

    per_minute: int = 1
    per_day: int = 300


@dataclass(frozen=True)
class MailPacing:
    """A sending mailbox's published limits, which the dispatcher keeps in the database so that
    every worker (and every restart) counts the same sends.

    Args:
        mailbox: the sending mailbox (one lock and one count per mailbox).
        per_minute: messages in any ``window`` seconds (Exchange Online: 30 a minute).
        window: the seconds of that window.
        daily_recipients: recipients (to + cc, distinct) in any rolling 24 hours (Exchange
            Online: 10,000), None for no such limit.
        daily_messages: messages in any rolling 24 hours (Gmail: 2,000), None for no limit.
        reserve: what routine mail may never spend (kept for safeguarding mail and people
            waiting on the bot); none unless the connector declares one.
    """

    mailbox: str
    per_minute: int
    window: float = 60.0
    daily_recipients: int | None = None
    daily_messages: int | None = None
    reserve: UrgentReserve = UrgentReserve(0, 0)


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


# --------------------------------------------------------------------------- notifications


@dataclass(frozen=True)
class CardMessage:
    """A digest card for a chat channel: both renderings, the connector picks its own."""

    idempotency_key: str
    title: str
    text: str
    teams_payload: Mapping[str, Any] = field(default_factory=dict)
    chat_payload: Mapping[str, Any] = field(default_factory=dict)


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


@runtime_checkable
class Notifier(Protocol):
    """Posts a card to the school's channel (Teams Workflows webhook, Chat space, file...)."""

    def post(self, card: CardMessage) -> SendResult:
        """Post ``card`` once."""
        ...


@runtime_checkable
class ChatBot(Protocol):
    """The school's own chat bot (Teams): reaches one person in their chat with it."""

    def install(self, user_id: str) -> str:
        """Install the app for the person if needed; the id of their chat with the bot."""
        ...

    def post(self, card: CardMessage) -> SendResult:
        """Post a ``teams`` outbox row's card in the person's chat, once."""
        ...

    def notify(self, user_id: str, *, activity_type: str, preview: str, web_url: str,
               template: dict[str, str] | None = None) -> None:
        """An activity-feed notification for one person."""
        ...


@runtime_checkable
class BulkFeed(Protocol):
    """A chat bot that sends one activity-feed notification to many people in one call (Graph's
    ``sendActivityNotificationToRecipients``, up to 100 a call): the dispatcher checks it with
    ``isinstance`` and sends a page's nudges that way; a bot without it nudges one by one."""

    def notify_many(self, user_ids: list[str], *, activity_type: str, preview: str,
                    web_url: str, template: dict[str, str] | None = None) -> None:
        """The same notification for every one of ``user_ids``, accepted or refused whole."""
        ...


# --------------------------------------------------------------------------- reports


@runtime_checkable
class ListMirror(Protocol):
    """Mirrors a minimal set of tracked-list fields to a platform list (never the only copy).

    ``upsert`` returns only once the platform holds the row (safe to repeat: a retry after any
    failure never makes a second row); ``rows`` reads back what the platform holds, so the bot
    can repair a row that went missing or was changed there.
    """

    def upsert(self, reference: str, fields: Mapping[str, str]) -> None:
        """Create or update the row whose key is ``reference``."""
        ...

    def rows(self) -> Mapping[str, Mapping[str, str]]:
        """What the platform holds now: reference -> {column name: value}; no list yet: {}.

        Empty cells may be ``""`` or absent (platforms omit them).
        """
        ...


@dataclass(frozen=True)
class FormResponse:
    """One response from an external form, answers keyed by question title."""

    response_id: str
    submitted_at: datetime
    answers: Mapping[str, str]
    respondent_email: str | None = None


@dataclass(frozen=True)
class UnreadableResponse:
    """A response the form holds but the connector could not read: the bot skips and flags it.

    ``key`` names it across reads (its response id, or where it is when it has none);
    ``where`` tells a person where to find it; ``problem`` names the field and what is wrong
    with it — never its value, since any field may hold what was reported.
    """

    key: str
    where: str
    problem: str


@runtime_checkable
class FormSource(Protocol):
    """Reads responses from an external form (Microsoft Forms via a list, Google Forms)."""

    def responses(
        self, since: datetime | None = None
    ) -> Sequence[FormResponse | UnreadableResponse]:
        """Return responses submitted after ``since`` (all when None), oldest first.

        A response that cannot be read (no id, a submission time in the wrong format) comes
        back as an :class:`UnreadableResponse` whatever ``since`` is — its time cannot be
        trusted — and never stops the others being read. Whole-form failures (no access, a
        missing list or column) still raise a ``ConnectorError``.
        """
        ...


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
