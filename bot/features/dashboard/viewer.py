"""Who is looking at the dashboard: their roles in each school and the school they may open.

A person with a dashboard role in several schools of a trust (a record in each, or their email
in a school's leadership lists in ``school.yaml``) may open each of those schools' dashboards.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.config import SchoolConfig
from bot.core.guards.permissions import REPORT_READERS
from bot.core.models import Person, PersonRole

__all__ = ["NotAllowed", "SignInNeeded", "Viewer", "school_roles"]


@dataclass(frozen=True)
class Viewer:
    """The signed-in person as seen from one school whose dashboard they may open."""

    email: str
    roles: frozenset[str]  # their roles in the chosen school
    school: SchoolConfig
    schools: tuple[SchoolConfig, ...]  # every school whose dashboard they may open
    person: Person | None = field(default=None, compare=False)  # their signed-in record

    @property
    def reads_reports(self) -> bool:
        """Whether they may see report references and clocks (never contents)."""
        return bool(self.roles & REPORT_READERS)


class SignInNeeded(Exception):
    """Nobody is signed in."""


class NotAllowed(Exception):
    """Signed in, but without a dashboard role anywhere."""

    def __init__(self, governor: bool) -> None:
        super().__init__("not allowed")
        self.governor = governor


def _config_roles(school: SchoolConfig, email: str, trust_admins: Sequence[str] = ()) -> set[str]:
    """The leadership roles ``school.yaml`` gives ``email`` in ``school`` (and the trust's
    administrators, in every school)."""
    listed = (
        ("trust_admin", trust_admins),
        ("headteacher", (school.headteacher,)),
        ("dsl", school.dsl),
        ("deputy_dsl", school.deputy_dsl),
        ("admin", school.admins),
    )
    return {role for role, emails in listed if email in emails}


def school_roles(
    session: Session, schools: Iterable[SchoolConfig], email: str, trust_admins: Sequence[str] = ()
) -> dict[str, set[str]]:
    """Roles of ``email`` in each school: from their record there, else from the configuration.

    A trust can list its central team (by email) as ``admins`` of every school; their
    directory record lives in one school, yet they may open every school's dashboard. A
    record that has left a school gives no roles there, whatever the configuration says.
    """
    schools = tuple(schools)
    if not schools:
        return {}
    found = session.execute(  # one indexed read (school, email): each record's state and roles
        select(Person.school_id, Person.active, PersonRole.role)
        .outerjoin(PersonRole, PersonRole.person_id == Person.id)
        .where(Person.school_id.in_([s.id for s in schools]), Person.email == email)
    )
    records: dict[str, set[str]] = {}
    for school_id, active, role in found:
        held = records.setdefault(school_id, set())
        if active and role is not None:
            held.add(role)
    return {
        school.id: records[school.id]
        if school.id in records
        else _config_roles(school, email, trust_admins)
        for school in schools
    }
