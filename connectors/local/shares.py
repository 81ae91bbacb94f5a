"""A read of the staff file kept by school and packed: each school's people are made when
the school asks for its share and are gone when it has done with them (#60: a trust's sweep
holds one school's people at a time, not the whole file's).

A parse packs its people as it makes them (``Packer``), a chunk at a time, compressed; a
school's share (``PackedPeople.share``) is unpacked on each asking, so asking twice gives
the same people, and nothing keeps them once the school lets go.

What a read leaves besides its people (its answer, its rows' verdicts on addresses) is kept in
the database for the next process as text (``keep_read``, ``recall_read``; #80: a CLI run, a
restart or a deploy does not parse an unchanged file again)."""

from __future__ import annotations

import base64
import json
from array import array
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from bot.core.language.kept_text import text_of, to_data
from bot.core.ports import DirectoryChanges, DirectoryPerson, RejectedRecord
from connectors.shares import PackedPeople, Packer

__all__ = ["FileRead", "PackedPeople", "Packer", "ReadAs", "WhenAsked", "keep_read", "recall_read"]

ReadAs = tuple[str, frozenset[str] | None, frozenset[int]]  # digest, roles, lines left out
_SHAPE = 1  # of the text ``keep_read`` writes: another is not read back (the file is parsed)


class WhenAsked(PackedPeople):
    """The people of a file read again unchanged, parsed when first asked for (a quiet
    sweep asks for none: it compares each school's share digest with what it applied)."""

    def __init__(self, parse: Callable[[], PackedPeople]) -> None:  # (no super: lazy)
        self._parse = parse

    @cached_property
    def _read(self) -> PackedPeople:
        return self._parse()

    def _packed(self) -> tuple[Mapping[Any, Sequence[bytes]], int]:
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


def _school_order(school: str | None) -> tuple[bool, str]:
    return school is not None, school or ""


def keep_read(
    read_as: ReadAs,
    read: FileRead,
    rejected_lines: Sequence[int],
    good: array[int],
    not_emails: frozenset[str],
) -> str:
    """A read of the staff file as text for the next process, the same text for the same read:
    how it was read (``read_as``), its answer but the people (``read``: the schools, each
    share's digest worked out so far, the rows it rejected), and the addresses it found good
    (as ``good``'s sorted numbers) or not."""
    digest, roles, left_out = read_as
    return json.dumps(
        {
            "shape": _SHAPE,
            "digest": digest,
            "roles": None if roles is None else sorted(roles),
            "left_out": sorted(left_out),
            "rejected": [to_data(r) for r in read.rejected],
            "records": [[r.external_id, r.email, r.display_name] for r in read.rejected_records],
            "lines": list(rejected_lines),
            "shares": sorted(read.shares, key=_school_order),
            "digests": sorted(read.kept_digests.items(), key=lambda d: _school_order(d[0])),
            "good": base64.b64encode(good.tobytes()).decode(),
            "not_emails": sorted(not_emails),
        }
    )


def recall_read(
    kept: str,
) -> tuple[tuple[ReadAs, FileRead], list[int], array[int], frozenset[str]] | None:
    """What ``keep_read`` wrote, read back as the file directory holds it: (how it was read,
    the read without people), the rejected rows' lines, the good addresses' numbers, the
    strings that were not addresses; None when it cannot be read back."""
    try:
        got = json.loads(kept)
        if got["shape"] != _SHAPE:
            return None
        roles = None if got["roles"] is None else frozenset(got["roles"])
        read_as: ReadAs = (got["digest"], roles, frozenset(got["left_out"]))
        read = FileRead(
            people=(),
            complete=True,
            cursor=got["digest"],
            rejected=[text_of(r) for r in got["rejected"]],
            rejected_records=[RejectedRecord(*r) for r in got["records"]],
            shares=frozenset(got["shares"]),
            kept_digests=dict(got["digests"]),
        )
        good = array("q", base64.b64decode(got["good"]))
        return (read_as, read), list(got["lines"]), good, frozenset(got["not_emails"])
    except (ValueError, KeyError, TypeError):
        return None
