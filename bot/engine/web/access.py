"""Who may open a school's page: the signed-in person and their school, or a clear 4xx (401
signed out, 403 without one of the page's roles, 404 a school not set up here)."""

from __future__ import annotations

from collections.abc import Set

from fastapi import HTTPException, Request

from bot.core.config import SchoolConfig
from bot.core.language.i18n import N_
from bot.core.models import Person
from bot.engine.web.deps import current_user, require_roles
from bot.engine.web.forms import school_for

__all__ = ["signed_in"]


def signed_in(request: Request, roles: Set[str] | None = None) -> tuple[Person, SchoolConfig]:
    """The signed-in person (holding one of ``roles`` when given) and their school; 401/403/404."""
    person = current_user(request) if roles is None else require_roles(request, set(roles))
    if person is None:
        raise HTTPException(401, N_("Please sign in to see this page."))
    school = school_for(request, person.school_id)
    if school is None:
        raise HTTPException(404, N_("Your school is not set up here."))
    return person, school
