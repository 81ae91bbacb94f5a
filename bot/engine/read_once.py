"""A directory read once for each cursor within one sweep (``bot.engine.sweep.run_sweep``),
or within one tick by each sweep worker (``bot.engine.sweep_worker``)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from bot.core.config import SchoolConfig
from bot.core.database.kept_reads import KeptIn
from bot.core.database.store import Store
from bot.core.ports import Connectors, Directory, DirectoryChanges, RetryableError

__all__ = ["ReadOnce", "TickConnectors", "keep_reads"]

log = logging.getLogger(__name__)

THROTTLED_WAIT = 60.0  # seconds a tenant that refused a read without saying how long waits


@dataclass
class ReadOnce:
    """A directory read once for each cursor within one sweep: a trust's forty schools share
    one parse of the staff file and one Graph or Google delta (each school's stored cursor is
    the one the last sweep's shared read left, so they ask alike); a school whose cursor
    differs (new, or its last sync stopped) gets its own read. A failed read is not kept:
    the next school asks again. With ``kept``, a staff file's read is handed what an earlier
    process kept of it before it first reads, and keeps its own at the sweep's end (``keep``)."""

    directory: Directory
    kept: KeptIn | None = None
    _read: dict[str | None, DirectoryChanges] = field(default_factory=dict, repr=False)
    asked_to_wait: float | None = None  # the platform's "not now" at the last read (seconds)

    def fetch(self, cursor: str | None = None) -> DirectoryChanges:
        """What ``directory.fetch(cursor)`` returned this sweep, read on first asking."""
        if cursor not in self._read:
            if self.kept is not None:
                self.kept.recall(self.directory)
            try:
                self._read[cursor] = self.directory.fetch(cursor)
            except RetryableError as exc:  # the tenant throttles: sweep workers pause it
                self.asked_to_wait = exc.retry_after or THROTTLED_WAIT
                raise
        return self._read[cursor]

    def keep(self) -> None:
        """Keep what the directory read this sweep for the next process (``kept``)."""
        if self._read and self.kept is not None:
            self.kept.keep(self.directory)


def keep_reads(reads: Iterable[object]) -> None:
    """Keep each of a sweep's reads for the next process (``ReadOnce.keep``); one that cannot
    be kept is logged, never a failed sweep (the next process parses the file again)."""
    for read in reads:
        if isinstance(read, ReadOnce):
            try:
                read.keep()
            except Exception:  # a kept read saves work; without it the work is done
                log.exception("the directory read could not be kept for the next process")


@dataclass
class TickConnectors:
    """The connectors of one sweep (or one worker's tick): each connection's directory and the
    extra people file read once (``ReadOnce``), whatever the number of its schools, each file
    read kept for the next process (``bot.core.database.kept_reads``) by what it reads
    (``keep``)."""

    connectors: Connectors
    store: Store
    _of: dict[str | None, Connectors] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        extra = self.connectors.extra_people
        self._extra = ReadOnce(extra, KeptIn(self.store, "extra people")) if extra else None

    def of(self, school: SchoolConfig) -> Connectors:
        """The school's connection's connectors, its directory read once."""
        if school.connection not in self._of:
            own = self.connectors.connection(school.connection)
            kept = KeptIn(self.store, f"directory {school.connection or ''}".rstrip())
            self._of[school.connection] = replace(
                own,
                directory=ReadOnce(own.directory, kept),
                extra_people=self._extra,
                mis=self.connectors.mis,
            )
        return self._of[school.connection]

    def asked_to_wait(self, school: SchoolConfig) -> float | None:
        """Seconds the school's tenant asked us to wait at its last directory read (None: it did
        not), forgotten once asked."""
        read = self._of.get(school.connection)
        directory = read.directory if read is not None else None
        if not isinstance(directory, ReadOnce):
            return None
        wait, directory.asked_to_wait = directory.asked_to_wait, None
        return wait

    def keep(self) -> None:
        """Keep each file read for the next process (``keep_reads``)."""
        keep_reads([*(c.directory for c in self._of.values()), self._extra])
