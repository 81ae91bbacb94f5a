"""A directory read kept for the next process (#80): what a read of a staff file left (the
file's digest, its answer but the people, its verdicts on addresses) is kept in the database
(``kept_reads``), so that a new process (a CLI run, a restart, a deploy) does not parse an
unchanged file again, as the scheduler's own process never does, and checks only the new
addresses of a changed one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from sqlalchemy import select

from bot.core.database.store import Store
from bot.core.models import KeptRead

__all__ = ["KeepsReads", "KeptIn"]


@runtime_checkable
class KeepsReads(Protocol):
    """A directory whose reads can be kept for the next process (the staff file's)."""

    def kept(self) -> str | None:
        """What this process knows of its source, as text (None: nothing read yet)."""
        ...

    def recall(self, kept: str) -> None:
        """Take back what an earlier process kept (ignored once this one has read)."""
        ...


# what this process last read or wrote under each key of each database: (url, key) -> text
_SEEN: dict[tuple[str, str], str] = {}


@dataclass(frozen=True)
class KeptIn:
    """Where one directory's reads are kept: under ``key`` in ``store``'s ``kept_reads``."""

    store: Store
    key: str

    def recall(self, directory: object) -> None:
        """Hand ``directory`` what an earlier process kept (once in this process)."""
        seen = (self.store.url, self.key)
        if not isinstance(directory, KeepsReads) or seen in _SEEN:
            return
        with self.store.session() as session:
            value = session.scalar(select(KeptRead.value).where(KeptRead.key == self.key))
        _SEEN[seen] = value or ""
        if value:
            directory.recall(value)

    def keep(self, directory: object) -> None:
        """Keep what ``directory`` knows for the next process, when it changed."""
        value = directory.kept() if isinstance(directory, KeepsReads) else None
        seen = (self.store.url, self.key)
        if value is None or _SEEN.get(seen) == value:
            return
        with self.store.transaction() as session:
            row = session.scalar(select(KeptRead).where(KeptRead.key == self.key))
            if row is None:
                session.add(KeptRead(key=self.key, value=value))
            else:
                row.value = value
        _SEEN[seen] = value
