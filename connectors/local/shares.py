"""A read of the staff file kept by school and packed: each school's people are made when
the school asks for its share and are gone when it has done with them (#60: a trust's sweep
holds one school's people at a time, not the whole file's).

A parse packs its people as it makes them (``Packer``), a chunk at a time, compressed; a
school's share (``PackedPeople.share``) is unpacked on each asking, so asking twice gives
the same people, and nothing keeps them once the school lets go."""

from __future__ import annotations

import pickle
import zlib
from bisect import bisect_right
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from functools import cached_property
from operator import attrgetter
from typing import Any, cast, overload

from bot.core.ports import DirectoryChanges, DirectoryPerson

__all__ = ["FileRead", "PackedPeople", "Packer", "WhenAsked"]

CHUNK = 2_000  # people made before they are packed (a trust's file is 100,000)
_Row = tuple[Any, ...]  # the line, then DirectoryPerson's fields in order
_FIELDS = attrgetter(*(f.name for f in fields(DirectoryPerson)))


class PackedPeople(Sequence[DirectoryPerson]):
    """The people of one parse, packed by school, in the file's order when read whole."""

    def __init__(self, chunks: Mapping[str | None, Sequence[bytes]], count: int) -> None:
        self._kept = chunks, count

    def _packed(self) -> tuple[Mapping[str | None, Sequence[bytes]], int]:
        """The chunks by school, and how many people they hold."""
        return self._kept

    @property
    def schools(self) -> frozenset[str | None]:
        """The schools the file names (None: a row that names none)."""
        return frozenset(self._packed()[0])

    def share(self, school: str | None) -> list[DirectoryPerson]:
        """The school's people, made now (in the file's order)."""
        return [DirectoryPerson(*row[1:]) for row in self._rows(school)]

    def _rows(self, school: str | None) -> Iterator[_Row]:
        for blob in self._packed()[0].get(school, ()):
            yield from _unpack(blob)

    def __iter__(self) -> Iterator[DirectoryPerson]:
        """Everyone, in the file's order, made one by one (a whole read: setup, the people
        page, the CLI; a trust's read made whole is made whole each time, never kept)."""
        rows = sorted(
            (row for school in self.schools for row in self._rows(school)),
            key=lambda row: int(row[0]),
        )
        return (DirectoryPerson(*row[1:]) for row in rows)

    @overload
    def __getitem__(self, index: int) -> DirectoryPerson: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[DirectoryPerson]: ...
    def __getitem__(self, index: int | slice) -> DirectoryPerson | Sequence[DirectoryPerson]:
        return list(self)[index]

    def __len__(self) -> int:
        return self._packed()[1]


def _unpack(blob: bytes) -> list[_Row]:
    # bytes this process packed itself (``Packer``), never read from outside it
    return cast("list[_Row]", pickle.loads(zlib.decompress(blob)))  # noqa: S301


class Packer:
    """Packs people as a parse makes them: every ``CHUNK`` people, each school's so far
    become one compressed chunk of that school's."""

    def __init__(self) -> None:
        self._chunks: dict[str | None, list[bytes]] = {}
        self._pending: dict[str | None, list[_Row]] = {}
        self._recent: dict[int, _Row] = {}  # the pending rows by line
        self._count = 0
        # each packed window of rows: its first line, and its chunks (school, place)
        self._starts: list[int] = []
        self._windows: list[list[tuple[str | None, int]]] = []
        self._opened: tuple[int, dict[int, _Row]] = (-1, {})  # the last window unpacked

    def add(self, line: int, person: DirectoryPerson) -> None:
        """Keep the person read on ``line`` (lines come in the file's order)."""
        row = (line, *_FIELDS(person))
        self._pending.setdefault(person.school, []).append(row)
        self._recent[line] = row
        self._count += 1
        if len(self._recent) >= CHUNK:
            self._pack()

    def person(self, line: int) -> DirectoryPerson:
        """The person kept from ``line`` (a parse confirms a duplicate by them): a packed
        one is unpacked with the rows packed beside them, the last such window kept."""
        row = self._recent.get(line)
        if row is None:
            at = bisect_right(self._starts, line) - 1
            if self._opened[0] != at:
                self._opened = (
                    at,
                    {
                        row[0]: row
                        for school, place in self._windows[at]
                        for row in _unpack(self._chunks[school][place])
                    },
                )
            row = self._opened[1][line]
        return DirectoryPerson(*row[1:])

    def _pack(self) -> None:
        if self._recent:
            self._starts.append(next(iter(self._recent)))
            self._windows.append([(s, len(self._chunks.get(s, ()))) for s in self._pending])
        for school, rows in self._pending.items():
            self._chunks.setdefault(school, []).append(
                zlib.compress(pickle.dumps(rows, pickle.HIGHEST_PROTOCOL), 1)
            )
        self._pending, self._recent = {}, {}

    def people(self) -> PackedPeople:
        """Everyone kept, packed."""
        self._pack()
        return PackedPeople(self._chunks, self._count)


class WhenAsked(PackedPeople):
    """The people of a file read again unchanged, parsed when first asked for (a quiet
    sweep asks for none: it compares each school's share digest with what it applied)."""

    def __init__(self, parse: Callable[[], PackedPeople]) -> None:  # (no super: lazy)
        self._parse = parse

    @cached_property
    def _read(self) -> PackedPeople:
        return self._parse()

    def _packed(self) -> tuple[Mapping[str | None, Sequence[bytes]], int]:
        return self._read._packed()


class _Shares(Mapping[str | None, Sequence[DirectoryPerson]]):
    """``by_school`` of a read: the schools it names, each share made when asked for (and
    not kept)."""

    def __init__(self, schools: frozenset[str | None], people: Sequence[DirectoryPerson]):
        self._schools, self._people = schools, people

    @cached_property
    def _grouped(self) -> dict[str | None, list[DirectoryPerson]]:
        """People given as a list (a read whose people were replaced): grouped once."""
        shares: dict[str | None, list[DirectoryPerson]] = {}
        for person in self._people:
            shares.setdefault(person.school, []).append(person)
        return shares

    def __getitem__(self, school: str | None) -> Sequence[DirectoryPerson]:
        if school not in self._schools:
            raise KeyError(school)
        if isinstance(self._people, PackedPeople):
            return self._people.share(school)
        return self._grouped.get(school, [])

    def __contains__(self, school: object) -> bool:
        return school in self._schools  # (Mapping's own would make the share to know)

    def __iter__(self) -> Iterator[str | None]:
        return iter(self._schools)

    def __len__(self) -> int:
        return len(self._schools)


@dataclass(frozen=True)
class FileRead(DirectoryChanges):
    """A read of the staff file: the schools it names, each share's digest as the sweeps
    work them out (kept from one read of an unchanged file to the next), and each school's
    people made only when that school asks for them."""

    shares: frozenset[str | None] = frozenset()
    kept_digests: dict[str | None, str] = field(default_factory=dict)

    @cached_property
    def by_school(self) -> Mapping[str | None, Sequence[DirectoryPerson]]:
        """The schools the read names; a share's people made each time it is asked for."""
        return _Shares(self.shares, self.people)

    @cached_property
    def digests(self) -> dict[str | None, str]:
        """The digests of the shares, kept from one read of this file to the next."""
        return self.kept_digests
