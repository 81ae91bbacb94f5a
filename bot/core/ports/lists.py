"""The list port: the tracked list's minimal fields mirrored to a platform list (a SharePoint
list, a Google Sheet), never the only copy."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, runtime_checkable


@runtime_checkable
class ListMirror(Protocol):
    """Mirrors a minimal set of tracked-list fields to a platform list (never the only copy).

    ``upsert`` returns only once the platform holds the row (safe to repeat: a retry after any
    failure never makes a second row); ``rows`` reads back what the platform holds, so the bot
    can repair a row that went missing or was changed there.
    """

    def upsert(self, reference: str, fields: Mapping[str, str]) -> None:
        """Create or update the row whose key is ``reference``."""
        ...

    def rows(self) -> Mapping[str, Mapping[str, str]]:
        """What the platform holds now: reference -> {column name: value}; no list yet: {}.

        Empty cells may be ``""`` or absent (platforms omit them).
        """
        ...
