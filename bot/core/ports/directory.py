"""The directory port: the people a school's directory (or its own staff file) holds, as
one read returns them, with the rows it could not read."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Protocol, runtime_checkable

from bot.core.guards.forms import Text


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
        return [
            p for p in self.by_school.get(None, ()) if p.email in emails or p.external_id in ids
        ]


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
