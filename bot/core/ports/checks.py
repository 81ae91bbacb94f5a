"""The platform check's port: what ``compliance-bot check m365`` and ``check google`` give the
command line, one ``CheckRow`` a probe (``connectors/checks.py`` runs every platform's)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["CheckRow", "PlatformCheck"]


@dataclass(frozen=True)
class CheckRow:
    """One line of a ``compliance-bot check`` table: what was tried, whether it worked, and
    how to fix it, each said in the language of the schools on the tenant or domain."""

    name: str
    ok: bool
    detail: str
    fix: str | None = None


class PlatformCheck(Protocol):
    """A platform's checks: its rows for ``settings``, with the mailbox of each school that
    sends from its own (``schools``, name -> mailbox), said in ``language``."""

    def __call__(
        self, settings: Any, *, schools: Mapping[str, str] | None = ..., language: str = ...
    ) -> list[CheckRow]: ...
