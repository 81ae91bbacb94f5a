"""A directory read once for each cursor within one sweep (``bot.engine.sweep.run_sweep``),
or within one tick by each sweep worker (``bot.engine.sweep_jobs``)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from bot.core.config import SchoolConfig
from bot.core.ports import Connectors, Directory, DirectoryChanges

__all__ = ["ReadOnce", "TickConnectors"]


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


@dataclass
class TickConnectors:
    """The connectors of one sweep (or one worker's tick): each connection's directory and the
    extra people file read once (``ReadOnce``), whatever the number of its schools."""

    connectors: Connectors
    _of: dict[str | None, Connectors] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        extra = self.connectors.extra_people
        self._extra = ReadOnce(extra) if extra else None

    def of(self, school: SchoolConfig) -> Connectors:
        """The school's connection's connectors, its directory read once."""
        if school.connection not in self._of:
            own = self.connectors.connection(school.connection)
            self._of[school.connection] = replace(
                own, directory=ReadOnce(own.directory), extra_people=self._extra,
                mis=self.connectors.mis)
        return self._of[school.connection]
