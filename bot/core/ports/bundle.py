"""The bundle: the platform services one deployment talks to (``Connectors``), each school's
connection built once, and a connection that could not be built held."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from bot.core.ports.chat import ChatBot, Notifier
from bot.core.ports.directory import Directory, DirectoryChanges
from bot.core.ports.errors import SetupError
from bot.core.ports.forms import FormSource
from bot.core.ports.limits import Paced, Pacer
from bot.core.ports.lists import ListMirror
from bot.core.ports.mail import Mailer, OutgoingEmail, SendResult
from bot.core.ports.mis import MisSource


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
    return Connectors(
        name="held",
        directory=held,
        mailer=held,
        notifier=None,
        mirror=None,
        forms=None,
        mailer_for=lambda _address: held,
        sender=f"{name} (not set up)",
    )
