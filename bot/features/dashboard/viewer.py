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
from bot.core.models import Person

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
    records = {p.school_id: p for p in session.scalars(select(Person).where(Person.email == email))}
    roles: dict[str, set[str]] = {}
    for school in schools:
        record = records.get(school.id)
        if record is None:
            roles[school.id] = _config_roles(school, email, trust_admins)
        else:
            roles[school.id] = set(record.role_names) if record.active else set()
    return roles
