"""The install a new school joins, or a folder that has one: ``init`` adds a school to an install
whose school.yaml (this folder's) or database holds schools (``installed``), refuses an id it
has (``Install.taken``) and a folder it cannot add to (``existing_school``); on a staff list,
the new school's people join the trust's one list under its id (``join_staff_list``)."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import create_engine, inspect
from sqlalchemy import text as sql_text

from bot.core.config import ConfigError, OrgConfig, per_school
from bot.core.config import store as config_store
from bot.core.database.store import Store, database_exists, shown_url
from bot.core.deployment import setup_state
from bot.core.deployment.context import adapters
from bot.core.guards.emails import has_mailbox
from bot.core.guards.forms import SaidError
from bot.core.language.i18n import N_, Msg
from bot.core.ports import DirectoryPerson
from bot.features.setup.problems import field_problem

if TYPE_CHECKING:
    from bot.core.deployment.settings import Settings

__all__ = ["Install", "existing_school", "installed", "join_staff_list", "staff_list_problems"]

ID_TAKEN = N_(
    "a school with the id %(id)s is set up already (%(name)s), so nothing was changed. To change "
    "that school, edit its entry in school.yaml and run `compliance-bot check config` (or use "
    "its settings page); to add another school, give it an id of its own (school: id:)."
)
STAFF_LIST_NOT_CSV = N_(
    "the trust's staff list %(file)s is not a CSV file the bot can add the school's people to: "
    "add them to it yourself, with a school column giving each person's school id"
)
_EXISTS = N_("%(file)s already exists")
ELSEWHERE = N_(
    "the database %(url)s holds schools whose folder is not this one (%(home)s has no "
    "school.yaml): set COMPLIANCE_BOT_HOME to the install's folder (where its school.yaml, "
    "policies and staff list are), then run init again. Nothing was changed."
)


@dataclass(frozen=True)
class Install:
    """The install a new school joins: its settings in force and where they are kept."""

    org: OrgConfig
    source: str  # "web" or "file" (``setup_state.config_source``)

    def taken(self, school_id: str) -> SaidError | None:
        """Why ``school_id`` cannot be the new school's: a school has it already."""
        found = next((s for s in self.org.schools if s.id == school_id), None)
        return None if found is None else SaidError(ID_TAKEN, id=school_id, name=found.name)


def installed(settings: Settings) -> Install | None:
    """The install this folder's school.yaml or its database holds (the settings in force:
    school.yaml, the web pages' newest version, or each school's last good settings), which
    ``init`` adds a school to; None when there is none. ConfigError when they cannot be read,
    or a school's fail the checks (it would be left out of the file written); SaidError when
    the database holds schools whose folder (school.yaml, policies, staff list) is not this
    one."""
    held = _holds_a_school(settings.db_url)
    if not held and not settings.config_path.exists():
        return None
    if not settings.config_path.exists():
        raise SaidError(ELSEWHERE, url=shown_url(settings.db_url), home=str(settings.home))
    store = Store(settings.db_url, keys=settings.audit_keyring()) if held else None
    try:
        org = config_store.load_org(settings, store)
        standing = per_school.standing_of(org)
        if standing is not None and standing.problems:
            raise ConfigError(*per_school.problems_text(settings.config_path, standing.problems))
        if store is None:
            return Install(org, "file")
        with store.session() as session:
            return Install(org, setup_state.config_source(session))
    finally:
        if store is not None:
            store.dispose()


def existing_school(settings: Settings) -> SaidError | None:
    """Why this folder cannot be set up (never overwritten; ``str()`` in English, ``said(tr)``
    in a language), or None when it can: asked when there is no install to add a school to."""
    db = settings.home / "compliance-bot.db"
    if settings.database_url is None and db.exists():
        return SaidError(_EXISTS, file=str(db))
    if Path(".env").exists():
        return SaidError(
            N_("%(file)s already exists (settings are kept, never overwritten)"),
            file=str(Path(".env").resolve()),
        )
    return None


def _holds_a_school(url: str) -> bool:
    """Whether the database named by ``url`` already has a school in it (a database that
    ``compliance-bot migrate`` only created the tables of is still free for ``init``)."""
    if not database_exists(url):
        return False
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("schools"):
                return False
            return conn.execute(sql_text("SELECT 1 FROM schools LIMIT 1")).first() is not None
    finally:
        engine.dispose()


# the trust's one staff list, in the bot's own columns (connectors/local/staff_columns.toml)
_COLUMNS = (
    "email",
    "name",
    "given_name",
    "family_name",
    "job_title",
    "additional role",
    "roles",
    "groups",
    "manager_email",
    "start_date",
    "active",
    "has_account",
    "id",
    "school",
)


def _staff_row(person: DirectoryPerson, school: str) -> list[str]:
    """One person as a row of ``_COLUMNS`` (no address: empty, as the export had it)."""
    yes = {True: "yes", False: "no"}
    return [
        person.email if has_mailbox(person.email) else "",
        person.display_name,
        person.given_name or "",
        person.family_name or "",
        person.job_title or "",
        ";".join(person.other_titles),
        ";".join(sorted(person.roles)),
        ";".join(sorted(person.groups)),
        person.manager_email or "",
        person.start_date.isoformat() if person.start_date else "",
        yes[person.active],
        yes[person.has_account],
        person.external_id
        if person.external_id not in (person.email, person.manager_email)
        else "",
        person.school or school,
    ]


def staff_list_problems(settings: Settings) -> list[Msg]:
    """Why a new school's people cannot join the trust's staff list: it is not one the bot
    writes (a workbook), or rows of it cannot be read (they would be lost: fix them first)."""
    target = settings.directory_file
    if not target.exists():
        return []
    if target.suffix.lower() != ".csv":
        return [field_problem("directory", Msg(STAFF_LIST_NOT_CSV, file=target))]
    rejected = adapters().staff_file(target, frozenset()).fetch(None).rejected
    return [field_problem("directory", line) for line in rejected]


def join_staff_list(
    settings: Settings, people: Sequence[DirectoryPerson], school_id: str, first: str
) -> Path:
    """The trust's one staff list, rewritten in the bot's own columns with the new school's
    ``people`` added under ``school_id`` (and everyone else under theirs: a row that named no
    school is ``first``'s, its connection's first school); the list as it was is kept beside
    it (``directory.before-<id>.csv``)."""
    target = settings.directory_file
    rows = []
    if target.exists():
        rows = [
            _staff_row(p, first)
            for p in adapters().staff_file(target, frozenset()).fetch(None).people
        ]
        shutil.copyfile(target, target.with_name(f"{target.stem}.before-{school_id}.csv"))
    rows += [_staff_row(p, school_id) for p in people]
    target = target.with_suffix(".csv")
    with target.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([list(_COLUMNS), *rows])
    return target
