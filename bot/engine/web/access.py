"""Who may open a school's page: the signed-in person and their school, or a clear 4xx (401
signed out, 403 without one of the page's roles, 404 a school not set up here); and which
record its address or form names."""

from __future__ import annotations

from collections.abc import Set

from fastapi import HTTPException, Request

from bot.core.config import SchoolConfig
from bot.core.language.i18n import N_
from bot.core.models import Person
from bot.engine.web.deps import current_user, require_roles
from bot.engine.web.forms import school_for

__all__ = ["record_id", "signed_in"]

MAX_ID = 2**31 - 1  # the largest id a PostgreSQL integer column holds


def signed_in(request: Request, roles: Set[str] | None = None) -> tuple[Person, SchoolConfig]:
    """The signed-in person (holding one of ``roles`` when given) and their school; 401/403/404."""
    person = current_user(request) if roles is None else require_roles(request, set(roles))
    if person is None:
        raise HTTPException(401, N_("Please sign in to see this page."))
    school = school_for(request, person.school_id)
    if school is None:
        raise HTTPException(404, N_("Your school is not set up here."))
    return person, school


def record_id(raw: object) -> int | None:
    """The record number sent (ASCII digits, 1 to ``MAX_ID``), else None: never an error."""
    if isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) <= 10:
        return int(raw) if 0 < int(raw) <= MAX_ID else None
    return None
