"""Missing people and leavers: directory changes are evidence, not commands.

Someone a directory sync no longer lists (or lists as disabled or suspended) is *missing*: they
keep their duties, are still chased and still counted, until the school's grace period has
passed (``directory.leaver_grace_days`` in school.yaml) or an admin confirms they have left.
A sync that would make more than ``directory.max_removal_share`` of the school's people missing
stops and asks (each source on its own: the directory's, the MIS's); an admin's confirmation
lets the next sync through. Someone who is listed again comes back with the duties that were
closed because they left.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from bot.core import audit
from bot.core.guards.forms import SaidError
from bot.core.language.i18n import N_
from bot.core.models import ConnectorState, Duty, Person, utcnow
from bot.engine import duty_status

__all__ = [
    "REMOVALS_KEY",
    "DirectoryActionError",
    "MissingPerson",
    "PendingRemovals",
    "RemovalStop",
    "check_removals",
    "confirm_leaver",
    "confirm_removals",
    "grace_ends",
    "make_leavers",
    "mark_missing",
    "missing_people",
    "over_limit",
    "pending_removals",
    "removals_key",
    "restore",
    "school_event",
]

REMOVALS_KEY = "directory.removals"  # connector_state row: a stopped sync's people, confirmation
SOURCES = ("directory", "mis")  # the sources whose syncs stop and ask (Person.source)
SYSTEM = "system:directory"


class DirectoryActionError(SaidError):
    """An admin's directory action cannot be done as asked; ``str()`` says why, plainly,
    ``said(tr)`` in the school's language."""


@dataclass(frozen=True)
class RemovalStop:
    """A sync stopped because it would make too many people missing; nobody was changed."""

    would_remove: int
    active: int
    limit: float  # the school's max_removal_share
    names: tuple[str, ...]


@dataclass(frozen=True)
class PendingRemovals:
    """The people a stopped sync would make missing, and who confirmed it (if anyone has)."""

    names: tuple[str, ...]
    active: int
    since: date
    confirmed_by: str | None


@dataclass(frozen=True)
class MissingPerson:
    """Someone missing from the directory: since when, and when they become a leaver."""

    id: int
    name: str
    email: str
    since: date
    leaves_on: date


def over_limit(would_remove: int, active: int, share: float) -> bool:
    """Whether making ``would_remove`` of ``active`` people missing needs a confirmation.

    More than ``share`` of them, and more than one person: one person leaving is never a
    mass removal, however small the school.
    """
    return would_remove > 1 and would_remove > share * active


def school_event(
    session: Session, school_id: str, action: str, details: dict[str, Any], actor: str = SYSTEM
) -> None:
    """Audit a directory act against the school: a large removal stopped, confirmed or
    applied; a move to another tenant; a whole read asked for."""
    audit.record(
        session,
        actor=actor,
        action=action,
        object_type="school",
        object_id=school_id,
        school_id=school_id,
        details=details,
    )


def _names(session: Session, ids: Collection[int]) -> tuple[str, ...]:
    """Display names of these people, sorted."""
    if not ids:
        return ()
    return tuple(sorted(session.scalars(select(Person.display_name).where(Person.id.in_(ids)))))


def removals_key(source: str) -> str:
    """The connector_state key of a stopped sync of ``source`` (the directory's as before)."""
    return REMOVALS_KEY if source == SOURCES[0] else f"{REMOVALS_KEY}.{source}"


def check_removals(
    session: Session,
    school_id: str,
    would_miss: Sequence[int],
    active: int,
    share: float,
    today: date,
    source: str = SOURCES[0],
) -> RemovalStop | None:
    """None when the sync of ``source`` may make ``would_miss`` missing; a RemovalStop when it
    must ask.

    A stop is remembered (so an admin can confirm exactly those people); a confirmation that
    covers every one of them lets this sync through once. A smaller removal clears the
    source's stop.
    """
    state = ConnectorState.of(session, school_id, removals_key(source))
    if not over_limit(len(would_miss), active, share):
        if state is not None:
            session.delete(state)
        return None
    pending = json.loads(state.value) if state is not None else {}
    wanted = set(would_miss)
    if state is not None and pending.get("confirmed_by") and wanted <= set(pending["people"]):
        session.delete(state)
        school_event(
            session,
            school_id,
            "directory.removals.applied",
            {"count": len(wanted), "confirmed_by": pending["confirmed_by"]},
        )
        return None
    if set(pending.get("people", [])) != wanted:
        value = json.dumps({"people": sorted(wanted), "active": active, "since": today.isoformat()})
        ConnectorState.put(session, school_id, removals_key(source), value)
        school_event(
            session,
            school_id,
            "directory.removals.stopped",
            {"count": len(wanted), "active": active, "people": sorted(wanted), "source": source},
        )
    return RemovalStop(len(wanted), active, share, _names(session, wanted))


def _stops(session: Session, school_id: str) -> list[ConnectorState]:
    """The school's stopped syncs (the directory's first)."""
    found = (ConnectorState.of(session, school_id, removals_key(s)) for s in SOURCES)
    return [state for state in found if state is not None]


def pending_removals(session: Session, school_id: str) -> PendingRemovals | None:
    """The removals a stopped sync is waiting on, if any (the directory's first)."""
    stops = _stops(session, school_id)
    return _pending(session, json.loads(stops[0].value)) if stops else None


def _pending(session: Session, pending: dict[str, Any]) -> PendingRemovals:
    """The stored stop as names and dates."""
    return PendingRemovals(
        names=_names(session, pending.get("people", [])),
        active=int(pending.get("active", 0)),
        since=date.fromisoformat(pending["since"]),
        confirmed_by=pending.get("confirmed_by"),
    )


def confirm_removals(session: Session, school_id: str, actor: str) -> PendingRemovals:
    """Record that ``actor`` confirms every stopped sync's removals (audited); the next sync
    applies them. Raises DirectoryActionError when no sync is waiting."""
    stops = _stops(session, school_id)
    if not stops:
        raise DirectoryActionError(
            N_("nothing to confirm: the last directory sync did not stop for a large removal")
        )
    people: list[int] = []
    for state in stops:
        pending = json.loads(state.value)
        pending["confirmed_by"] = actor
        pending["confirmed_at"] = utcnow().isoformat()
        state.value = json.dumps(pending)
        people += pending.get("people", [])
    school_event(
        session,
        school_id,
        "directory.removals.confirmed",
        {"count": len(people), "people": people},
        f"cli:{actor}",
    )
    first = json.loads(stops[0].value)
    return _pending(session, {**first, "people": people})


def mark_missing(session: Session, school_id: str, ids: Collection[int], today: date) -> None:
    """These people are missing from today: they keep their duties for now."""
    if not ids:
        return
    _set_people(session, ids, missing_since=today)
    _person_events(session, school_id, ids, "person.missing", since=today.isoformat())


def make_leavers(
    session: Session,
    school_id: str,
    ids: Collection[int],
    today: date,
    *,
    actor: str = SYSTEM,
    reason: str = "grace period passed",
) -> None:
    """These people have left today: the sweep closes their duties and flags handovers."""
    if not ids:
        return
    with duty_status.changing(session, school_id, ids, people=True):
        _set_people(session, ids, active=False, left_on=today)
    _person_events(
        session, school_id, ids, "person.left", actor, left_on=today.isoformat(), reason=reason
    )


def restore(session: Session, school_id: str, ids: Collection[int], today: date) -> int:
    """These people are listed again: here, not missing, and the duties closed because they
    left reopen as they were (same rows, so their reminders and history carry on).

    Returns how many duties reopened. The sweep's duty plan then closes any that are no
    longer owed (e.g. superseded by a newer version while they were away).
    """
    if not ids:
        return 0
    with duty_status.changing(session, school_id, ids, people=True):
        left = session.execute(
            select(Duty.id, Duty.person_id).where(Duty.person_id.in_(ids), Duty.status == "left")
        ).all()
        reopened = Counter(pid for _, pid in left)
        if left:
            session.execute(
                update(Duty)
                .where(Duty.id.in_([duty_id for duty_id, _ in left]))
                .values(status="open", closed_on=None, closed_reason=None),
                execution_options={"synchronize_session": False},
            )
        _set_people(session, ids, active=True, left_on=None, missing_since=None)
        audit.record_many(
            session,
            [
                audit.Entry(
                    SYSTEM,
                    "person.returned",
                    "person",
                    pid,
                    school_id,
                    {"on": today.isoformat(), "duties_reopened": reopened[pid]},
                )
                for pid in sorted(ids)
            ],
        )
    return len(left)


def _set_people(session: Session, ids: Collection[int], **values: object) -> None:
    """Set ``values`` on these people's rows, on the table (no session objects to follow)."""
    session.execute(
        update(Person).where(Person.id.in_(ids)).values(**values),
        execution_options={"synchronize_session": False},
    )


def _person_events(
    session: Session,
    school_id: str,
    ids: Collection[int],
    action: str,
    actor: str = SYSTEM,
    **details: str,
) -> None:
    """One audit event per person, in id order, with the same details."""
    audit.record_many(
        session,
        [audit.Entry(actor, action, "person", pid, school_id, details) for pid in sorted(ids)],
    )


def confirm_leaver(session: Session, school_id: str, email: str, actor: str, today: date) -> Person:
    """An admin confirms a missing person has left, before the grace period ends (audited)."""
    address = email.strip().lower()
    person = session.scalar(
        select(Person).where(Person.school_id == school_id, Person.email == address)
    )
    if person is None:
        raise DirectoryActionError(N_("%(email)s is not a person of this school"), email=address)
    if not person.active:
        raise DirectoryActionError(
            N_("%(name)s (%(email)s) has already left"), name=person.display_name, email=address
        )
    if person.missing_since is None:
        raise DirectoryActionError(
            N_(
                "%(name)s (%(email)s) is still listed in the directory; remove or disable them "
                "there first"
            ),
            name=person.display_name,
            email=address,
        )
    make_leavers(session, school_id, [person.id], today, actor=f"cli:{actor}", reason="confirmed")
    session.refresh(person)
    return person


# built once: the sweep asks it for each school (``missing_people``)
_MISSING = (
    select(Person.id, Person.display_name, Person.email, Person.missing_since)
    .where(
        Person.school_id == bindparam("school_id"),
        Person.active.is_(True),
        Person.missing_since.is_not(None),
    )
    .order_by(Person.missing_since, Person.display_name)
)


def missing_people(session: Session, school_id: str, grace_days: int) -> list[MissingPerson]:
    """Everyone missing from the directory, longest missing first."""
    rows = session.execute(_MISSING, {"school_id": school_id}).all()
    return [
        MissingPerson(pid, name, email, since, since + timedelta(days=grace_days))
        for pid, name, email, since in rows
        if since is not None
    ]


def grace_ends(session: Session, school_id: str, source: str, grace: int) -> str | None:
    """The first day (ISO) on which a missing person of ``source`` leaves, their grace of
    ``grace`` days over; None when nobody is missing."""
    since = session.scalar(
        select(func.min(Person.missing_since)).where(
            Person.school_id == school_id,
            Person.source == source,
            Person.active.is_(True),
            Person.missing_since.is_not(None),
        )
    )
    return None if since is None else (since + timedelta(days=grace)).isoformat()
