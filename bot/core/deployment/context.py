"""Turns settings into a ready application context: config, store, connectors.

The connectors are built by the adapters the app's edge registers at start-up
(``bot.wiring.install`` -> ``register_adapters``): the core speaks the ports
(``bot.core.ports``) and never imports ``connectors``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from typing import cast

from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bot.core.config import ConfigError, OrgConfig, SchoolConfig
from bot.core.config.store import config_stamp, has_database, load_org
from bot.core.database.store import Store, database_exists
from bot.core.deployment.settings import Settings
from bot.core.guards.chat_tokens import ChatTokens
from bot.core.guards.ratelimit import DatabasePacer
from bot.core.outbox import Mailbox
from bot.core.ports import Connectors, Notifier, StaffFile

__all__ = [
    "Adapters",
    "AdaptersMissingError",
    "AppContext",
    "StepContext",
    "adapters",
    "build_connectors",
    "own_mailboxes",
    "own_senders",
    "register_adapters",
    "school_chats",
]

log = logging.getLogger(__name__)


class AdaptersMissingError(RuntimeError):
    """The connectors were asked for before the app registered how to build them."""


@dataclass(frozen=True)
class Adapters:
    """What the app's edge (``bot.wiring``) hands the core at start-up: the adapters' behaviour
    the core and the features use, reached through the ports and never by importing them."""

    build: Callable[[Settings], Connectors]  # the connectors ``settings.connector`` names
    # the school's staff file (a CSV export) read as a directory, leaving out these lines
    staff_file: Callable[[Path, frozenset[int]], StaffFile]
    # Microsoft 365: make the list a Microsoft form's responses go into (safe to repeat);
    # what was done, in one sentence, and the steps of the Power Automate flow that fills it
    microsoft_form: Callable[[Settings], tuple[str, list[str]]]
    # Google Chat: the checker of ``/api/chat``'s bearer tokens for these settings' app
    # (None: no Chat app set up; the route then answers 404)
    chat_tokens: Callable[[Settings], ChatTokens | None] = lambda settings: None


_adapters: Adapters | None = None


def register_adapters(given: Adapters) -> None:
    """Hand the core the adapters (the app does this once at start-up; repeating replaces)."""
    global _adapters
    _adapters = given


def adapters() -> Adapters:
    """The adapters the app registered; ``AdaptersMissingError`` if it has not."""
    if _adapters is None:
        raise AdaptersMissingError(
            "the connectors' adapters were not registered: call bot.wiring.install() at start-up"
        )
    return _adapters


def build_connectors(settings: Settings) -> Connectors:
    """The connectors ``settings`` name, built by the registered adapters."""
    return adapters().build(settings)


@dataclass
class AppContext:
    """Settings plus lazily built config, store and connectors."""

    settings: Settings

    @property
    def config(self) -> OrgConfig:
        """The configuration in force: school.yaml, or the web pages' newest saved version when
        the school keeps its settings there (raises ConfigError).

        Read again whenever it changes (a saved version, an edited school.yaml): the process
        that saved shows the change at once, every other web process within a second
        (``config.store.SHARED_FOR``). When an edited school.yaml no longer loads, the last
        good configuration stays in force and the problem is logged.
        """
        store = self.store if has_database(self.settings) else None
        stamp = config_stamp(self.settings, store)
        cached = self.__dict__.get("_config")
        if cached is not None and cached[0] == stamp:
            return cast(OrgConfig, cached[1])
        try:
            org = load_org(self.settings, store)
        except ConfigError as exc:
            if cached is None:
                raise
            log.warning(
                "configuration not reloaded, the last good one stays in force: %s",
                str(exc).splitlines()[0],
            )
            return cast(OrgConfig, cached[1])
        self.__dict__["_config"] = (stamp, org)
        return org

    def database_there(self) -> bool:
        """Whether the school's database is there (``store.database_exists``): asked until it
        is, then known, so a command's parts ask the server once between them (a database is
        never taken away under a running command)."""
        if not self.__dict__.get("_database_there"):
            self.__dict__["_database_there"] = database_exists(self.settings.db_url)
        return bool(self.__dict__["_database_there"])

    def forget_config(self) -> None:
        """Read the configuration afresh on next use (tests that rewrite school.yaml)."""
        self.__dict__.pop("_config", None)

    @cached_property
    def store(self) -> Store:
        """The migrated store."""
        store = Store(self.settings.db_url, keys=self.settings.audit_keyring())
        store.upgrade()
        return store

    @cached_property
    def connectors(self) -> Connectors:
        """The configured platform connectors; their bots count the platforms' limits in the
        database, so every process of the install keeps them together."""
        connectors = build_connectors(self.settings)
        sqlite = make_url(self.settings.db_url).get_backend_name() == "sqlite"
        connectors.share(DatabasePacer(lambda: self.store), reads_too=not sqlite)
        return connectors

    @property
    def mailboxes(self) -> tuple[Mailbox, ...]:
        """The schools' own sending mailboxes (``SchoolConfig.sender``), each with the schools
        it sends for; a mailer is built once per mailbox and kept."""
        return own_mailboxes(self.config.schools, self.connectors)

    @property
    def chats(self) -> dict[str, Notifier | None]:
        """The Teams bot of each school on a connection of its own (``school_chats``)."""
        return school_chats(self.config.schools, self.connectors)


@dataclass(frozen=True)
class StepContext:
    """What the sweep hands each feature step for one school: everything it may use, explicitly.

    Steps read the deployment's settings (for link addresses), the whole configuration and the
    connectors from here, never from the environment or a module global.
    """

    session: Session
    settings: Settings
    config: OrgConfig
    school: SchoolConfig
    connectors: Connectors
    today: date
    now: datetime
    write: bool

    @property
    def base_url(self) -> str:
        """The public address for links in messages."""
        return self.settings.base_url.rstrip("/")

    @property
    def default_school(self) -> bool:
        """Whether this is the configuration's first school (it takes unassigned items)."""
        return self.config.schools[0].id == self.school.id


def school_chats(
    schools: Sequence[SchoolConfig], connectors: Connectors
) -> dict[str, Notifier | None]:
    """The schools of a connection (a tenant of their own): school id -> that tenant's Teams
    bot (None: it has none, or the connection cannot be built); the dispatcher sends their
    cards through it and never through the install's bot (``dispatch(chats=...)``)."""
    return {
        school.id: connectors.connection(school.connection).chat
        for school in schools
        if school.connection
    }


def own_senders(schools: Sequence[SchoolConfig]) -> dict[str, str]:
    """The schools that send from a mailbox of their own: school id -> its address (its
    ``sender``)."""
    return {school.id: school.sender.lower() for school in schools if school.sender}


def own_mailboxes(schools: Sequence[SchoolConfig], connectors: Connectors) -> tuple[Mailbox, ...]:
    """The mailboxes schools send from, other than the install's: a school's own ``sender``,
    and its connection's mailbox (its own tenant's or domain's), each with the schools that
    send from it (one naming the install's own sender shares its limits: they are counted by
    address). The mailer of each address is built once, by the connectors of the school's
    connection (``Connectors.mailers``). A school whose connection cannot be built is held
    (``Connectors.connection``): its mail waits in a lane of its own."""
    by_box: dict[str, tuple[Connectors, set[str]]] = {}
    for school in schools:
        own = connectors.connection(school.connection)  # one not set up is held: mail waits
        address = (school.sender or (own.sender if school.connection else None) or "").lower()
        if address and own.mailer_for is not None:
            by_box.setdefault(address, (own, set()))[1].add(school.id)
    boxes = []
    for address, (own, ids) in sorted(by_box.items()):
        if address not in own.mailers:
            assert own.mailer_for is not None
            own.mailers[address] = own.mailer_for(address)
        boxes.append(Mailbox(own.mailers[address], frozenset(ids), address))
    return tuple(boxes)
