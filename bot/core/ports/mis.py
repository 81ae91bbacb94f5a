"""The MIS port: one school's staff as its management information system holds them,
read-only."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class MisPerson:
    """One employee as the school's MIS holds them (read-only: the bot never writes back).

    ``email`` is the MIS's *work* address (None when it holds none); ``job_title`` the main
    post and ``other_titles`` every additional one, each read through the school's role table
    as a directory's job title is; ``end_date`` is the last day of employment, when the MIS
    has one; ``manager_mis_id`` the line manager's MIS id, where the MIS gives one.
    """

    mis_id: str
    display_name: str
    email: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    job_title: str | None = None
    other_titles: tuple[str, ...] = ()
    start_date: date | None = None
    end_date: date | None = None
    manager_mis_id: str | None = None


@dataclass(frozen=True)
class MisChanges:
    """What an MIS read returned: everyone (``complete``), or the people changed since the
    last read and the MIS ids deleted since (``removed``). ``cursor`` is what to pass next
    time (the moment this read started, as the MIS's ``updated_after`` takes it)."""

    people: Sequence[MisPerson]
    complete: bool
    removed: Sequence[str] = ()
    cursor: str | None = None


@runtime_checkable
class MisSource(Protocol):
    """Reads one school's staff from its MIS (Wonde, or the MIS's own API); never writes.

    A school that withdrew the app's access, or a wrong token, raises ``SetupError`` (an
    admin's fix, said plainly); a throttled or unreachable MIS ``RetryableError``.
    """

    def read(self, cursor: str | None = None) -> MisChanges:
        """Everyone (``cursor`` None) or the changes since ``cursor`` was issued."""
        ...
