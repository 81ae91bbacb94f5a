"""A directory read once for each cursor within one sweep (``bot.engine.sweep.run_sweep``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.core.ports import Directory, DirectoryChanges

__all__ = ["ReadOnce"]


@dataclass
class ReadOnce:
    """A directory read once for each cursor within one sweep: a trust's forty schools share
    one parse of the staff file and one Graph or Google delta (each school's stored cursor is
    the one the last sweep's shared read left, so they ask alike); a school whose cursor
    differs (new, or its last sync stopped) gets its own read. A failed read is not kept:
    the next school asks again."""

    directory: Directory
    _read: dict[str | None, DirectoryChanges] = field(default_factory=dict, repr=False)

    def fetch(self, cursor: str | None = None) -> DirectoryChanges:
        """What ``directory.fetch(cursor)`` returned this sweep, read on first asking."""
        if cursor not in self._read:
            self._read[cursor] = self.directory.fetch(cursor)
        return self._read[cursor]
