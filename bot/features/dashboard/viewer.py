"""Who is looking at the dashboard: their roles in each school and the school they may open.

A person with a dashboard role in several schools of a trust (a record in each, or their email
in a school's leadership lists in ``school.yaml``) may open each of those schools' dashboards.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from fastapi import HTTPException, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.config import SchoolConfig
from bot.core.models import Person
from bot.core.permissions import DASHBOARD_READERS, GOVERNORS, REPORT_READERS
from bot.engine.web.deps import ctx, current_user

__all__ = [
    "NotAllowed",
    "SignInNeeded",
    "Viewer",
    "find_viewer",
    "school_roles",
]


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
    listed = (("trust_admin", trust_admins), ("headteacher", (school.headteacher,)),
              ("dsl", school.dsl), ("deputy_dsl", school.deputy_dsl), ("admin", school.admins))
    return {role for role, emails in listed if email in emails}


def school_roles(
    session: Session, schools: Iterable[SchoolConfig], email: str,
    trust_admins: Sequence[str] = (),
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


def find_viewer(request: Request, session: Session, school_id: str | None) -> Viewer:
    """Who is looking, at which school; raises for the sign-in and refusal pages."""
    user = current_user(request)
    if user is None:
        raise SignInNeeded()
    config = ctx(request).config
    roles = school_roles(session, config.schools, user.email, config.organisation.trust_admins)
    allowed = tuple(s for s in config.schools if roles[s.id] & DASHBOARD_READERS)
    if not allowed:
        held = set().union(*roles.values()) | set(user.role_names)
        raise NotAllowed(governor=bool(held & GOVERNORS))
    if school_id:
        if not any(s.id == school_id for s in config.schools):
            raise HTTPException(404, "There is no such school.")
        chosen = next((s for s in allowed if s.id == school_id), None)
        if chosen is None:
            raise HTTPException(403, "You cannot open this school's dashboard.")
    else:
        chosen = next((s for s in allowed if s.id == user.school_id), allowed[0])
    return Viewer(user.email, frozenset(roles[chosen.id]), chosen, allowed, user)
