"""A directory read once for each cursor within one sweep (``bot.engine.sweep.run_sweep``)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.core.kept_reads import KeptIn
from bot.core.ports import Directory, DirectoryChanges

__all__ = ["ReadOnce", "keep_reads"]

log = logging.getLogger(__name__)


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

    def fetch(self, cursor: str | None = None) -> DirectoryChanges:
        """What ``directory.fetch(cursor)`` returned this sweep, read on first asking."""
        if cursor not in self._read:
            if self.kept is not None:
                self.kept.recall(self.directory)
            self._read[cursor] = self.directory.fetch(cursor)
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
