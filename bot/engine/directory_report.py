"""What a directory sync did: the counts, the rows it could not use and why, and a stop; one
source's report added to another's (people outside the directory are part of the same sync)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from bot.core.guards.forms import Text
from bot.core.language.i18n import Joined
from bot.engine.leavers import RemovalStop

__all__ = ["DirectoryReport"]


@dataclass
class DirectoryReport:
    """What a directory sync did."""

    added: int = 0
    updated: int = 0
    missing: int = 0  # no longer listed (or disabled) since this sync: they keep their duties
    left: int = 0  # missing past the grace period: leavers from this sync
    returned: int = 0  # listed again after being missing or having left
    reopened: int = 0  # duties reopened for people who came back
    held: int = 0  # people kept as they were because their row could not be read
    unchanged: int = 0
    rejected: list[Text] = field(default_factory=list)  # said where shown
    complete: bool = True
    error: Text | None = None  # the directory could not be read this time (nothing changed)
    stopped: RemovalStop | None = None  # too many would go missing: nothing changed, ask
    notes: list[Text] = field(default_factory=list)  # rows used differently, and why
    # people held back because the role table does not know their job title: title -> names
    unmapped: dict[str, list[str]] = field(default_factory=dict)

    def absorb(self, other: DirectoryReport) -> None:
        """Add another source's counts, rejected rows and notes (people outside the directory
        are part of the same sync)."""
        for name in (f.name for f in fields(self) if f.type == "int"):  # the counts
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.rejected += other.rejected
        self.notes += other.notes
        for title, names in other.unmapped.items():
            self.unmapped.setdefault(title, []).extend(names)
        if other.error:
            self.error = Joined((self.error, other.error), "; ") if self.error else other.error
