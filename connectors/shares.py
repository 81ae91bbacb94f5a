"""People read from a directory kept packed, so a sweep holds one school's people at a time
(#60: memory flat in the number of schools), whatever the directory: a staff file's rows by
the school they name (``connectors.local.shares``), a Google domain's or a Microsoft 365
tenant's people by the groups they are in (``TenantRead``: each school names its staff
group, ``directory.staff_group``).

A read packs its people as it makes them (``Packer``), a chunk at a time, compressed; the
people of a key are unpacked on each asking, so asking twice gives the same people, and
nothing keeps them once the asker lets go."""

from __future__ import annotations

import pickle
import zlib
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Collection, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from functools import cached_property
from operator import attrgetter
from typing import Any, overload

from bot.core.ports import DirectoryChanges, DirectoryPerson

__all__ = ["ByGroups", "GroupPacker", "PackedPeople", "Packer", "TenantRead"]

CHUNK = 2_000  # people made before they are packed (a trust's file or tenant is 100,000)
_Row = tuple[Any, ...]  # the order read, then DirectoryPerson's fields in order
_NAMES = tuple(f.name for f in fields(DirectoryPerson))
_FIELDS = attrgetter(*_NAMES)
_ID, _EMAIL = 1 + _NAMES.index("external_id"), 1 + _NAMES.index("email")
_BOSS_ID, _BOSS = _NAMES.index("manager_external_id"), _NAMES.index("manager_email")


class PackedPeople(Sequence[DirectoryPerson]):
    """The people of one read, packed by a key of each (the school a file names), in the
    read's order when read whole."""

    def __init__(self, chunks: Mapping[Any, Sequence[bytes]], count: int) -> None:
        self._kept = chunks, count
        self._bosses: Mapping[str, str] = {}  # a manager's id by their address (``made``)

    def _packed(self) -> tuple[Mapping[Any, Sequence[bytes]], int]:
        """The chunks by key, and how many people they hold."""
        return self._kept

    @property
    def schools(self) -> frozenset[Any]:
        """The keys the read's people have (a file's schools; None: a row that names none)."""
        return frozenset(self._packed()[0])

    def share(self, key: Hashable) -> list[DirectoryPerson]:
        """The people of ``key``, made now (in the read's order)."""
        return [self._made(row) for row in self._rows(key)]

    def _made(self, row: _Row) -> DirectoryPerson:
        """The person of a packed row, their manager's id filled in when the read packed them
        before it read their manager (``GroupPacker.people``)."""
        values = row[1:]
        boss = values[_BOSS]
        if boss is not None and values[_BOSS_ID] is None and boss in self._bosses:
            values = (*values[:_BOSS_ID], self._bosses[boss], *values[_BOSS_ID + 1 :])
        return DirectoryPerson(*values)

    def _rows(self, key: Hashable) -> Iterator[_Row]:
        for blob in self._packed()[0].get(key, ()):
            yield from _unpacked(blob)

    def __iter__(self) -> Iterator[DirectoryPerson]:
        """Everyone, in the read's order, made one by one (a whole read: setup, the people
        page, the CLI; a trust's read made whole is made whole each time, never kept)."""
        rows = sorted(
            (row for key in self.schools for row in self._rows(key)), key=lambda row: int(row[0])
        )
        return (self._made(row) for row in rows)

    @overload
    def __getitem__(self, index: int) -> DirectoryPerson: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[DirectoryPerson]: ...
    def __getitem__(self, index: int | slice) -> DirectoryPerson | Sequence[DirectoryPerson]:
        return list(self)[index]

    def __len__(self) -> int:
        return self._packed()[1]


def _unpacked(blob: bytes) -> list[_Row]:
    # bytes this process packed itself (``Packer``), never read from outside it
    rows: list[_Row] = pickle.loads(zlib.decompress(blob))  # noqa: S301
    return rows


class ByGroups(PackedPeople):
    """A tenant's people packed by the set of groups each is in: a school's staff group's
    people are unpacked from the chunks of the sets that hold it, and anyone is found by
    address or id through an index of hashes (32 bytes a person), never by unpacking all."""

    def __init__(
        self,
        chunks: Mapping[Any, Sequence[bytes]],
        count: int,
        index: tuple[array[int], array[int]],
        located: Sequence[tuple[Any, int]],
    ) -> None:
        super().__init__(chunks, count)
        self._index, self._located = index, located

    def __iter__(self) -> Iterator[DirectoryPerson]:
        """Everyone, a set of groups at a time (the same order for the same read), made one
        by one and kept by nobody."""
        for key in self._packed()[0]:
            yield from (self._made(row) for row in self._rows(key))

    def in_group(self, group: str) -> list[DirectoryPerson]:
        """The people in ``group``."""
        return [
            self._made(row) for key in self._packed()[0] if group in key for row in self._rows(key)
        ]

    def outside(self, groups: Collection[str]) -> list[DirectoryPerson]:
        """The people in none of ``groups``."""
        return [
            self._made(row)
            for key in self._packed()[0]
            if key.isdisjoint(groups)
            for row in self._rows(key)
        ]

    def found(self, emails: Collection[str], ids: Collection[str]) -> list[DirectoryPerson]:
        """The people whose address is one of ``emails`` or whose id is one of ``ids``."""
        hashes, where = self._index
        blobs: set[tuple[Any, int]] = set()
        for value in {*emails, *ids}:
            at = bisect_left(hashes, hash(value))
            while at < len(hashes) and hashes[at] == hash(value):
                blobs.add(self._located[where[at]])
                at += 1
        chunks = self._packed()[0]
        rows = [
            row
            for key, n in blobs
            for row in _unpacked(chunks[key][n])
            if row[_EMAIL] in emails or row[_ID] in ids
        ]
        return [self._made(row) for row in sorted(rows, key=lambda row: int(row[0]))]


class Packer:
    """Packs people as a read makes them: every ``CHUNK`` people, each key's so far become
    one compressed chunk of that key's (``key``: a person's school, unless told)."""

    def __init__(self, key: Callable[[DirectoryPerson], Hashable] = attrgetter("school")) -> None:
        self._key = key
        self._chunks: dict[Any, list[bytes]] = {}
        self._pending: dict[Any, list[_Row]] = {}
        self._recent: dict[int, _Row] = {}  # the rows not packed yet, by order
        self._count = 0
        # each packed window of rows: its first order, and its chunks (key, place)
        self._starts: list[int] = []
        self._windows: list[list[tuple[Any, int]]] = []
        self._opened: tuple[int, dict[int, _Row]] = (-1, {})  # the last window unpacked

    def add(self, order: int, person: DirectoryPerson) -> None:
        """Keep the person read ``order``-th (a file's line; orders come rising)."""
        row = (order, *_FIELDS(person))
        self._pending.setdefault(self._key(person), []).append(row)
        self._recent[order] = row
        self._count += 1
        if len(self._recent) >= CHUNK:
            self._pack()

    def person(self, order: int) -> DirectoryPerson:
        """The person kept ``order``-th (a parse confirms a duplicate by them): a packed one
        is unpacked with the rows packed beside them, the last such window kept."""
        row = self._recent.get(order)
        if row is None:
            at = bisect_right(self._starts, order) - 1
            if self._opened[0] != at:
                self._opened = (
                    at,
                    {
                        row[0]: row
                        for key, place in self._windows[at]
                        for row in _unpacked(self._chunks[key][place])
                    },
                )
            row = self._opened[1][order]
        return DirectoryPerson(*row[1:])

    def _pack(self) -> None:
        if self._recent:
            self._starts.append(next(iter(self._recent)))
            self._windows.append([(k, len(self._chunks.get(k, ()))) for k in self._pending])
        for key, rows in self._pending.items():
            blobs = self._chunks.setdefault(key, [])
            self._note(key, len(blobs), rows)
            blobs.append(zlib.compress(pickle.dumps(rows, pickle.HIGHEST_PROTOCOL), 1))
        self._pending, self._recent = {}, {}

    def _note(self, key: Any, chunk: int, rows: Sequence[_Row]) -> None:
        """``rows`` become the ``chunk``-th chunk of ``key``'s (nothing to note here)."""

    def people(self) -> PackedPeople:
        """Everyone kept, packed."""
        self._pack()
        return PackedPeople(self._chunks, self._count)


class GroupPacker(Packer):
    """Packs a tenant's people by the set of groups each is in, indexed by address and id, as
    a read's pages arrive: someone whose manager is named by address only (a read that met
    them before their manager) gets the manager's id from the index once the read ends."""

    def __init__(self) -> None:
        super().__init__(attrgetter("groups"))
        self._order = 0
        self._hashes: array[int] = array("q")
        self._where: array[int] = array("q")
        self._located: list[tuple[Any, int]] = []
        self._bosses: set[str] = set()  # managers' addresses whose id is not known yet

    def put(self, person: DirectoryPerson) -> None:
        """Keep the next person of the read."""
        self.add(self._order, person)
        self._order += 1
        if person.manager_email is not None and person.manager_external_id is None:
            self._bosses.add(person.manager_email)

    def _note(self, key: Any, chunk: int, rows: Sequence[_Row]) -> None:
        """Index the rows' addresses and ids by the chunk they go into."""
        number = len(self._located)
        self._located.append((key, chunk))
        for row in rows:
            self._hashes.extend((hash(row[_EMAIL]), hash(row[_ID])))
            self._where.extend((number, number))

    def people(self) -> ByGroups:
        """Everyone kept, packed, with the index that finds them (hashes sorted)."""
        self._pack()
        hashes, where = self._hashes, self._where
        order = sorted(range(len(hashes)), key=hashes.__getitem__)
        index = (array("q", (hashes[i] for i in order)), array("q", (where[i] for i in order)))
        people = ByGroups(self._chunks, self._count, index, self._located)
        if self._bosses:
            people._bosses = {p.email: p.external_id for p in people.found(self._bosses, ())}
        return people


@dataclass(frozen=True)
class TenantRead(DirectoryChanges):
    """A read of a tenant or domain shared by a trust's schools: its people kept packed by
    their groups (``GroupPacker``), each school's made only when it asks for its staff
    group's (a read whose people were replaced by a list is filtered as any read is)."""

    @cached_property
    def by_school(self) -> Mapping[str | None, Sequence[DirectoryPerson]]:
        """Nobody's school is named beside them: everyone is the None share, made each time
        it is read, never kept."""
        return {None: self.people} if len(self.people) else {}

    def in_group(self, group: str) -> Iterable[DirectoryPerson]:
        """The people in ``group``, made now."""
        if isinstance(self.people, ByGroups):
            return self.people.in_group(group)
        return super().in_group(group)

    def outside(self, groups: Collection[str]) -> Iterable[DirectoryPerson]:
        """The people in none of ``groups``, made now."""
        if isinstance(self.people, ByGroups):
            return self.people.outside(groups)
        return super().outside(groups)

    def found(self, emails: Collection[str], ids: Collection[str]) -> Iterable[DirectoryPerson]:
        """The people with one of ``emails`` or ``ids``, made now."""
        if isinstance(self.people, ByGroups):
            return self.people.found(emails, ids)
        return super().found(emails, ids)
