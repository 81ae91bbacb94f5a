"""The people register in the store: add, change, mark as left or back, each applied at once
(the person, their roles and their duties) and audited; and what the page shows about each."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.core import audit
from bot.core.config import SchoolConfig
from bot.core.guards.forms import SaidError
from bot.core.language.i18n import N_
from bot.core.models import Duty, ExtraPerson, Person, PersonRole
from bot.engine.directory import DIRECTORY
from bot.engine.extra_people import PEOPLE_FILE, REGISTER, address_owners, sync_register
from bot.engine.leavers import make_leavers
from bot.engine.plan_apply import plan_and_apply
from bot.features.people.rules import EntryInput

__all__ = [
    "EntryRow",
    "FilePerson",
    "RegisterError",
    "entry_rows",
    "file_people",
    "mark_back",
    "mark_left",
    "save_entry",
]


class RegisterError(SaidError):
    """The register cannot do what was asked; ``msg`` says why, said where shown."""


@dataclass(frozen=True)
class EntryRow:
    """One register entry as the page shows it."""

    id: int
    name: str
    email: str
    roles: tuple[str, ...]
    job_title: str | None
    start_date: date | None
    left_on: date | None
    in_directory: bool
    open_duties: int


@dataclass(frozen=True)
class FilePerson:
    """Someone the extra people file listed, as the store holds them now."""

    name: str
    email: str
    roles: tuple[str, ...]
    missing_since: date | None
    leaves_on: date | None
    left_on: date | None


def _entry(session: Session, school_id: str, entry_id: int) -> ExtraPerson:
    entry = session.get(ExtraPerson, entry_id)
    if entry is None or entry.school_id != school_id:
        raise RegisterError(N_("There is nobody with that entry on the people register."))
    return entry


def _check_address(session: Session, school_id: str, email: str, entry_id: int | None) -> None:
    """Refuse an address already on the register, or held by someone else from the file."""
    other = session.scalar(
        select(ExtraPerson).where(ExtraPerson.school_id == school_id, ExtraPerson.email == email)
    )
    if other is not None and other.id != entry_id:
        raise RegisterError(
            N_("%(email)s is already on the register (%(name)s)."),
            email=email,
            name=other.display_name,
        )
    own = (
        None
        if entry_id is None
        else session.scalar(
            select(Person.id).where(
                Person.school_id == school_id, Person.external_id == f"{REGISTER}:{entry_id}"
            )
        )
    )
    owner = address_owners(session, school_id).get(email)
    if own is not None and owner is not None and owner.person_id != own:
        raise RegisterError(
            N_(
                "%(email)s already belongs to someone else in the bot; give this person another "
                "address, or change theirs first."
            ),
            email=email,
        )


def _applied(session: Session, school: SchoolConfig, entry: ExtraPerson, today: date) -> int:
    """Apply the register now (people, roles, duties); the entry's id."""
    sync_register(session, school, today)
    plan_and_apply(session, school, today)  # duties opened and closed now, as the sweep would
    session.flush()
    return entry.id


def _record(
    session: Session, actor: str, action: str, entry: ExtraPerson, details: dict[str, object]
) -> None:
    audit.record(
        session,
        actor=actor,
        action=action,
        object_type="extra_person",
        object_id=entry.id,
        school_id=entry.school_id,
        details=details,
    )


def save_entry(
    session: Session,
    school: SchoolConfig,
    entry_id: int | None,
    data: EntryInput,
    actor: str,
    today: date,
) -> int:
    """Put someone on the register (``entry_id`` None) or change their entry, and apply it at
    once (audited: a change names the boxes that changed); the entry's id."""
    entry = None if entry_id is None else _entry(session, school.id, entry_id)
    _check_address(session, school.id, data.email, entry_id)
    wanted = {
        "display_name": data.name,
        "email": data.email,
        "job_title": data.job_title,
        "roles": list(data.roles),
        "start_date": data.start_date,
        "manager_email": data.manager_email,
    }
    if entry is None:
        entry = ExtraPerson(school_id=school.id, **wanted)
        session.add(entry)
        session.flush()
        _record(session, actor, "people.register.added", entry, {"roles": list(data.roles)})
        return _applied(session, school, entry, today)
    changed = sorted(k for k, v in wanted.items() if getattr(entry, k) != v)
    for key in changed:
        setattr(entry, key, wanted[key])
    session.flush()
    if changed:
        _record(session, actor, "people.register.changed", entry, {"fields": changed})
    return _applied(session, school, entry, today)


def mark_left(
    session: Session, school: SchoolConfig, entry_id: int, actor: str, today: date
) -> int:
    """They have left, as of today: an admin's word, so their duties close now (audited)."""
    entry = _entry(session, school.id, entry_id)
    if entry.left_on is not None:
        raise RegisterError(N_("%(name)s is already marked as left."), name=entry.display_name)
    entry.left_on = today
    _record(session, actor, "people.register.left", entry, {"left_on": today.isoformat()})
    owner = address_owners(session, school.id).get(entry.email)
    if owner is not None and owner.source == REGISTER and owner.here:
        make_leavers(
            session,
            school.id,
            [owner.person_id],
            today,
            actor=actor,
            reason="marked as left on the people register",
        )
    session.flush()
    return _applied(session, school, entry, today)


def mark_back(
    session: Session, school: SchoolConfig, entry_id: int, actor: str, today: date
) -> int:
    """Undo "left": they are here again and the duties closed because they left reopen."""
    entry = _entry(session, school.id, entry_id)
    if entry.left_on is None:
        raise RegisterError(N_("%(name)s is not marked as left."), name=entry.display_name)
    entry.left_on = None
    _record(session, actor, "people.register.back", entry, {"on": today.isoformat()})
    session.flush()
    return _applied(session, school, entry, today)


def entry_rows(session: Session, school_id: str) -> list[EntryRow]:
    """Every register entry, by name, with whether the directory holds its address."""
    owners = address_owners(session, school_id)
    open_by_person: dict[int, int] = {
        pid: count
        for pid, count in session.execute(
            select(Duty.person_id, func.count())
            .where(Duty.school_id == school_id, Duty.status == "open")
            .group_by(Duty.person_id)
        )
    }
    rows = []
    for e in session.scalars(
        select(ExtraPerson)
        .where(ExtraPerson.school_id == school_id)
        .order_by(ExtraPerson.display_name, ExtraPerson.id)
    ):
        owner = owners.get(e.email)
        in_directory = owner is not None and owner.source == DIRECTORY and owner.here
        mine = owner is not None and owner.source == REGISTER
        rows.append(
            EntryRow(
                e.id,
                e.display_name,
                e.email,
                tuple(e.roles),
                e.job_title,
                e.start_date,
                e.left_on,
                in_directory,
                open_by_person.get(owner.person_id, 0) if mine and owner else 0,
            )
        )
    return rows


def file_people(session: Session, school_id: str, grace_days: int) -> list[FilePerson]:
    """Everyone the extra people file brought in, by name, with where they stand."""
    roles: dict[int, set[str]] = defaultdict(set)
    for pid, role in session.execute(
        select(PersonRole.person_id, PersonRole.role).where(
            PersonRole.school_id == school_id, PersonRole.source == PEOPLE_FILE
        )
    ):
        roles[pid].add(role)
    return [
        FilePerson(
            p.display_name,
            p.email,
            tuple(sorted(roles[p.id])),
            p.missing_since,
            p.missing_since + timedelta(days=grace_days) if p.missing_since else None,
            p.left_on,
        )
        for p in session.scalars(
            select(Person)
            .where(Person.school_id == school_id, Person.source == PEOPLE_FILE)
            .order_by(Person.display_name)
        )
    ]
