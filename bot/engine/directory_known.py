"""The store's people as plain columns, and what is compared to tell whether a person the
directory lists changed: a read is sorted against them without loading a row as an object."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.models import Person, PersonGroup, PersonRole
from bot.core.ports import DirectoryPerson

__all__ = ["Known", "known_people", "signature_of"]


def signature_of(p: DirectoryPerson, roles: set[str]) -> tuple[object, ...]:
    """What we compare to decide whether a stored person changed (manager handled apart).

    ``active`` here means "listed as here": a missing person listed as disabled again is
    unchanged, and a missing person listed as active again has changed (they are back).
    """
    return (
        p.external_id,
        p.display_name,
        p.given_name,
        p.family_name,
        p.job_title,
        p.active,
        p.start_date,
        p.has_account,
        tuple(sorted(p.groups)),
        tuple(sorted(roles)),
    )


@dataclass(frozen=True)
class Known:
    """A stored person as plain columns (loading 10,000 ORM objects daily is too slow)."""

    id: int
    email: str
    external_id: str | None
    name: str
    active: bool
    missing_since: date | None
    source: str
    manager_id: int | None
    signature: tuple[object, ...]


def known_people(session: Session, school_id: str, source: str) -> list[Known]:
    """The school's stored people as plain columns, with the roles ``source`` gave them."""
    roles: dict[int, set[str]] = defaultdict(set)
    for pid, role in session.execute(
        select(PersonRole.person_id, PersonRole.role).where(
            PersonRole.school_id == school_id, PersonRole.source == source
        )
    ):
        roles[pid].add(role)
    groups: dict[int, set[str]] = defaultdict(set)
    for pid, name in session.execute(
        select(PersonGroup.person_id, PersonGroup.name).where(PersonGroup.school_id == school_id)
    ):
        groups[pid].add(name)
    known = []
    for r in session.execute(
        select(
            Person.id,
            Person.email,
            Person.external_id,
            Person.display_name,
            Person.given_name,
            Person.family_name,
            Person.job_title,
            Person.active,
            Person.start_date,
            Person.has_account,
            Person.manager_id,
            Person.source,
            Person.missing_since,
        ).where(Person.school_id == school_id)
    ):
        signature = (
            r.external_id,
            r.display_name,
            r.given_name,
            r.family_name,
            r.job_title,
            r.active and r.missing_since is None,  # here
            r.start_date,
            r.has_account,
            tuple(sorted(groups[r.id])),
            tuple(sorted(roles[r.id])),
        )
        known.append(
            Known(
                r.id,
                r.email,
                r.external_id,
                r.display_name,
                r.active,
                r.missing_since,
                r.source,
                r.manager_id,
                signature,
            )
        )
    return known
