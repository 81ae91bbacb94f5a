"""The ports: what the bot asks of a platform, and the plain types that cross to and fro.

The promise: ``bot`` speaks to platforms only through these protocols and dataclasses, and
every failure a platform meets reaches it as one of the ``ConnectorError`` subclasses below,
which tell the outbox what it may safely do next. The adapters (``connectors/``: local, m365,
google) implement them and import them from here; only the app's edge (``bot/wiring.py``)
imports the adapters, to build a deployment's ``Connectors`` (DESIGN.md §5).

Example: a minimal mailer (``Mailer`` declares the optional capabilities with defaults)::

    class PrintMailer(Mailer):
        name = "print"
        def send(self, message: OutgoingEmail) -> SendResult:
            print(message.subject)
            return SendResult(provider_id=None)
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import Any, ClassVar, Protocol, runtime_checkable

from bot.core.forms import SaidError, Text
from bot.core.limits import Limit, MailPacing, Paced, Pacer, UrgentReserve

__all__ = [
    "GOOGLE_CHAT_SERVICE",
    "TEAMS_APP_RSC",
    "Attachment",
    "BounceReader",
    "BulkFeed",
    "CardMessage",
    "ChatBot",
    "ConnectorError",
    "Connectors",
    "DeliveryUnknownError",
    "Directory",
    "DirectoryChanges",
    "DirectoryPerson",
    "FormResponse",
    "FormSource",
    "Limit",
    "ListMirror",
    "LookupNotPermittedError",
    "MailPacing",
    "Mailer",
    "MisChanges",
    "MisPerson",
    "MisSource",
    "Notifier",
    "OutgoingEmail",
    "Paced",
    "Pacer",
    "PermanentError",
    "RejectedRecord",
    "RetryableError",
    "SendResult",
    "SentItemsLookup",
    "SetupError",
    "StaffFile",
    "UnreadableResponse",
    "UrgentReserve",
    "held_connection",
]


# --------------------------------------------------------------------------- errors


class ConnectorError(SaidError):
    """Base of every connector's error: ``str()`` safe to log, ``msg`` said where shown."""


class RetryableError(ConnectorError):
    """The platform did not process the request (429, connection refused): safe to try again.

    It says "not now" about the platform, not about the message: the outbox spends no attempt
    on it, never turns the message ``failed`` for it, and pauses the whole channel until
    ``retry_after`` (or a growing backoff) has passed.

    Args:
        message: what happened, safe to log.
        retry_after: seconds the platform asked us to wait, when it said so (else ``wait``).
    """

    wait: float | None = None  # how long to wait when the platform did not say

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = self.wait if retry_after is None else retry_after


class SetupError(RetryableError):
    """The platform refused *us*, not this message (expired secret, permission withdrawn).

    Nothing was sent. The message waits, without spending its attempts, until the setup is
    fixed; the mailer stays paused meanwhile (``ready_in``) so only one message a while asks.
    """

    wait: float = 15 * 60.0  # how long mail pauses after the platform refused our setup


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


# --------------------------------------------------------------------------- directory


@dataclass(frozen=True, slots=True)  # a trust's file holds 100,000: no dict each
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
    rejected: Sequence[Text] = ()  # said where shown
    rejected_records: Sequence[RejectedRecord] = ()
    # accounts that are not people for the bot, by kind, over the whole directory: None uncounted
    left_out: Mapping[str, int] | None = None
    # accounts left out because mail cannot reach them (no mailbox), named "Name (sign-in)"
    no_mailbox: Sequence[str] = ()

    @cached_property
    def by_school(self) -> Mapping[str | None, Sequence[DirectoryPerson]]:
        """``people`` by the school the source names for them (None: not named), worked out
        once for a read that every school of a trust takes its share of."""
        shares: dict[str | None, list[DirectoryPerson]] = {}
        for person in self.people:
            shares.setdefault(person.school, []).append(person)
        return shares

    @cached_property
    def digests(self) -> dict[str | None, str]:
        """Digests of the shares of the read, each worked out once (``bot.engine.directory``)."""
        return {}

    def in_group(self, group: str) -> Iterable[DirectoryPerson]:
        """The people the read names no school for in ``group`` (a school's staff group)."""
        return [p for p in self.by_school.get(None, ()) if group in p.groups]

    def outside(self, groups: Collection[str]) -> Iterable[DirectoryPerson]:
        """The people the read names no school for who are in none of ``groups``."""
        return [p for p in self.by_school.get(None, ()) if p.groups.isdisjoint(groups)]

    def found(self, emails: Collection[str], ids: Collection[str]) -> Iterable[DirectoryPerson]:
        """The people the read names no school for whose address is one of ``emails`` or
        whose id is one of ``ids``."""
        return [p for p in self.by_school.get(None, ())
                if p.email in emails or p.external_id in ids]


@runtime_checkable
class Directory(Protocol):
    """Reads people and their groups from the school's directory."""

    def fetch(self, cursor: str | None = None) -> DirectoryChanges:
        """Return everyone (``cursor`` None or expired) or the changes since ``cursor``."""
        ...


@runtime_checkable
class StaffFile(Directory, Protocol):
    """A directory read from the school's own file (a CSV export from its MIS or HR system),
    which setup shows besides the people: the rows it could not read and the columns it does
    not read."""

    @property
    def rejected_lines(self) -> Sequence[int]:
        """The file's line numbers of the rows the last ``fetch`` rejected, in its order."""
        ...

    @property
    def unused_columns(self) -> Sequence[str]:
        """The header's columns the bot does not read (after a fetch)."""
        ...

    @property
    def header_line(self) -> int | None:
        """The file's line (row) the header was found on, below any title rows (after a
        fetch; None for a file without one)."""
        ...

    @property
    def header_names(self) -> Sequence[str]:
        """That header's column names as the file writes them, shown for confirmation."""
        ...


# --------------------------------------------------------------------------- MIS


@dataclass(frozen=True)
class MisPerson:
    """One employee as the school's MIS holds them (read-only: the bot never writes back).

    ``email`` is the MIS's *work* address (None when it holds none); ``job_title`` the main
    post and ``other_titles`` every additional one, each read through the school's role table
    as a directory's job title is; ``end_date`` is the last day of employment, when the MIS
    has one; ``manager_mis_id`` the line manager's MIS id, where the MIS gives one.
    """

    mis_id: str
    display_name: str
    email: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    job_title: str | None = None
    other_titles: tuple[str, ...] = ()
    start_date: date | None = None
    end_date: date | None = None
    manager_mis_id: str | None = None


@dataclass(frozen=True)
class MisChanges:
    """What an MIS read returned: everyone (``complete``), or the people changed since the
    last read and the MIS ids deleted since (``removed``). ``cursor`` is what to pass next
    time (the moment this read started, as the MIS's ``updated_after`` takes it)."""

    people: Sequence[MisPerson]
    complete: bool
    removed: Sequence[str] = ()
    cursor: str | None = None


@runtime_checkable
class MisSource(Protocol):
    """Reads one school's staff from its MIS (Wonde, or the MIS's own API); never writes.

    A school that withdrew the app's access, or a wrong token, raises ``SetupError`` (an
    admin's fix, said plainly); a throttled or unreachable MIS ``RetryableError``.
    """

    def read(self, cursor: str | None = None) -> MisChanges:
        """Everyone (``cursor`` None) or the changes since ``cursor`` was issued."""
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
    school_id: str | None = None  # whose card: the dispatcher picks that school's tenant's bot


@runtime_checkable
class Notifier(Protocol):
    """Posts a card to the school's channel (Teams Workflows webhook, Chat space, file...)."""

    def post(self, card: CardMessage) -> SendResult:
        """Post ``card`` once."""
        ...


# The resource-specific permissions the Teams app package declares, as (name, type): the
# manifest lists them (bot.features.dashboard.teams_package) and the bot's own install of the
# app for a person consents to exactly these (Graph refuses an install of an app with
# application RSC permissions that does not: Learn, "Install app for user", example 2)
TEAMS_APP_RSC: tuple[tuple[str, str], ...] = (("TeamsActivity.Send.User", "Application"),)


# where a person's direct message with a school's Google Chat app lives (``TeamsChat.service_url``
# of a Chat app's chat: a Teams chat keeps its Bot Connector's URL there)
GOOGLE_CHAT_SERVICE = "https://chat.googleapis.com"


@runtime_checkable
class ChatBot(Protocol):
    """The school's own chat bot (Teams, or a Google Chat app): reaches one person in their
    chat with it. ``platform`` says which (a school's ``asks_in``: ``teams`` or ``chat``)."""

    @property
    def platform(self) -> str:
        """``teams`` or ``chat``: the ``asks_in`` of the schools this bot asks for."""
        ...

    def install(self, user_id: str, email: str = "") -> str:
        """Install the app for the person if needed (or find their direct message with it, or
        set that up as them: ``email``); the id of their chat with the bot."""
        ...

    def post(self, card: CardMessage) -> SendResult:
        """Post a ``teams`` outbox row's card in the person's chat, once."""
        ...

    def notify(
        self,
        user_id: str,
        *,
        activity_type: str,
        preview: str,
        web_url: str,
        template: dict[str, str] | None = None,
    ) -> None:
        """An activity-feed notification for one person."""
        ...


@runtime_checkable
class BulkFeed(Protocol):
    """A chat bot that sends one activity-feed notification to many people in one call (Graph's
    ``sendActivityNotificationToRecipients``, up to 100 a call): the dispatcher checks it with
    ``isinstance`` and sends a page's nudges that way; a bot without it nudges one by one."""

    def notify_many(
        self,
        user_ids: list[str],
        *,
        activity_type: str,
        preview: str,
        web_url: str,
        template: dict[str, str] | None = None,
    ) -> None:
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


# --------------------------------------------------------------------------- the bundle


@dataclass
class Connectors:
    """The set of platform services one deployment talks to (built by ``bot.wiring``)."""

    name: str
    directory: Directory
    mailer: Mailer
    notifier: Notifier | None
    mirror: ListMirror | None
    forms: FormSource | None
    # people outside the directory, merged in by the sync in every mode (None: no file)
    extra_people: Directory | None = None
    # the school's own Teams bot (m365 with a bot set up): cards in a person's chat
    chat: ChatBot | None = None
    # a mailer like ``mailer`` sending from another mailbox (a school's own: its ``sender``)
    mailer_for: Callable[[str], Mailer] | None = None
    mailers: dict[str, Mailer] = field(default_factory=dict)  # built by ``mailer_for``, kept
    sender: str | None = None  # the address ``mailer`` sends from (None: not told)
    # the schools' own tenants or domains (``SchoolConfig.connection``): each connection's
    # connectors, built by ``build_connection`` when first asked and kept
    build_connection: Callable[[str], Connectors] | None = None
    connections: dict[str, Connectors] = field(default_factory=dict)
    # each school's MIS (read-only), by the school's id in school.yaml; none: no MIS connected
    mis: dict[str, MisSource] = field(default_factory=dict)
    pacer: Pacer | None = None  # counts the bots' calls (None: each in its own process)
    # the other parts that count their calls with a pacer (the directory's and mail's clients)
    paced: tuple[Paced, ...] = ()
    reads_paced: bool = True  # ``share``'s ``reads_too``, for connections built later

    def share(self, pacer: Pacer, *, reads_too: bool = True) -> None:
        """Count the bots' calls with ``pacer`` (the database's: every process together),
        these connectors' and every connection's, built already or later; the directory's and
        mail's clients too unless ``reads_too`` is False (SQLite: one process sweeps, and its
        reads run inside the sweep's write, which a second writer would wait behind)."""
        self.pacer, self.reads_paced = pacer, reads_too
        for built in (self, *self.connections.values()):
            for part in (built.chat, *(built.paced if reads_too else ())):
                if isinstance(part, Paced):
                    part.pacer = pacer

    def connection(self, name: str | None) -> Connectors:
        """The connectors of the connection ``name`` (None: these, the install's), built once.

        A connection that cannot be built (not set up, a missing credential) is *held*: its
        directory and its mail raise ``SetupError`` saying why, so its schools' report clocks
        still run, their mail waits (never from another tenant's mailbox), and every other
        school carries on."""
        if name is None:
            return self
        if name not in self.connections:
            try:
                if self.build_connection is None:
                    raise SetupError(f"the connection {name!r} cannot be built here")
                self.connections[name] = self.build_connection(name)
            except Exception as exc:  # any failure to build: this connection alone is held
                self.connections[name] = held_connection(name, str(exc).splitlines()[0])
            if self.pacer is not None:
                self.connections[name].share(self.pacer, reads_too=self.reads_paced)
        return self.connections[name]


class _Held(Mailer):
    """A held connection's directory and mailer: each call raises the ``SetupError``."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def fetch(self, cursor: str | None = None) -> DirectoryChanges:
        """Raise: the connection is not set up."""
        raise SetupError(self.reason)

    def send(self, message: OutgoingEmail) -> SendResult:
        """Raise: the connection is not set up (nothing sent; the message waits)."""
        raise SetupError(self.reason)


def held_connection(name: str, reason: str) -> Connectors:
    """The connectors of a connection that could not be built: its directory and mail raise
    ``SetupError`` naming ``name`` and ``reason``; nothing else is there."""
    held = _Held(f"the connection {name!r} is not working: {reason}")
    return Connectors(name="held", directory=held, mailer=held, notifier=None, mirror=None,
                      forms=None, mailer_for=lambda _address: held,
                      sender=f"{name} (not set up)")
