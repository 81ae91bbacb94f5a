"""What the people register accepts: a name, an address, at least one role and optional
details, each problem named by its box. Pure: text in, an entry or problems out."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from bot.core.config import EXTRA_ROLES
from bot.core.days.dates import START
from bot.core.guards.emails import is_email
from bot.core.guards.forms import Text
from bot.core.language.i18n import N_, Joined, Msg, Said
from bot.core.language.words import role_name

__all__ = ["ROLE_CHOICES", "EntryInput", "parse_entry"]

# the register's roles as the page offers them, in the school's words
ROLE_CHOICES: dict[str, str] = {role: role_name(role) for role in EXTRA_ROLES}


@dataclass(frozen=True)
class EntryInput:
    """One person as typed on the register page, checked."""

    name: str
    email: str
    roles: tuple[str, ...]
    job_title: str | None = None
    start_date: date | None = None
    manager_email: str | None = None


def _date(text: str) -> date | None:
    """A date typed as 2026-09-01 or 01/09/2026; None when it is neither."""
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        with contextlib.suppress(ValueError):
            return datetime.strptime(text, fmt).date()
    return None


def parse_entry(
    form: Mapping[str, str],
    roles: Sequence[str],
    today: date,
    role_names: Mapping[str, Text] | None = None,
) -> tuple[EntryInput | None, dict[str, Text]]:
    """The entry, or the problems by box name (``name``, ``email``, ``roles``...), said where
    shown, with the roles as the page names them (``role_names``)."""
    errors: dict[str, Text] = {}
    name = re.sub(r"\s+", " ", form.get("name", "")).strip()
    if not name:
        errors["name"] = Msg("Enter their full name")
    elif len(name) > 200:
        errors["name"] = Msg("Their name must be 200 characters or fewer")
    email = form.get("email", "").strip().lower()
    if not is_email(email):
        errors["email"] = Msg("Enter their email address, like name@example.com")
    chosen = tuple(r for r in ROLE_CHOICES if r in set(roles))
    if not chosen or len(chosen) != len(set(roles)):
        errors["roles"] = Msg(
            "Choose at least one of: %(roles)s",
            roles=Joined((role_names or ROLE_CHOICES).values(), ", "),
        )
    title = form.get("job_title", "").strip() or None
    if title and len(title) > 200:
        errors["job_title"] = Msg("Their role at the school must be 200 characters or fewer")
    start = _start(form, today, errors)
    manager = _manager(form, email, errors)
    if errors:
        return None, errors
    return EntryInput(name, email, chosen, title, start, manager), {}


def _start(form: Mapping[str, str], today: date, errors: dict[str, Text]) -> date | None:
    """``parse_entry``'s start date, if given; a problem with it goes into ``errors``."""
    start_text = form.get("start_date", "").strip()
    start = _date(start_text) if start_text else None
    if start_text and start is None:
        errors["start_date"] = Msg("Enter the start date like 2026-09-01 or 01/09/2026")
    elif start is not None and (refused := START.refusal(start, N_("Start date"), today)):
        # the form's errors end without a full stop, as they always have
        said = refused.msg
        errors["start_date"] = Said(lambda: str(said).rstrip("."))
    return start


def _manager(form: Mapping[str, str], email: str, errors: dict[str, Text]) -> str | None:
    """``parse_entry``'s manager's address, if given; a problem with it goes into ``errors``."""
    manager = form.get("manager_email", "").strip().lower() or None
    if manager and not is_email(manager):
        errors["manager_email"] = Msg("Enter the email address of who they report to")
    elif manager and manager == email:
        errors["manager_email"] = Msg("Someone cannot report to themselves")
    return manager
