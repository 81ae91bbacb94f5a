"""People outside the directory, merged in after it in every mode: the people register (the
``/admin/people`` page) and the extra people file.

Each is a source of its own, read whole every time, with the directory's rules: someone it no
longer lists (or lists as left) is *missing* and keeps their duties until the grace period has
passed. An address the directory lists is the directory's: its details and roles are used and
the extra entry waits, noted, until the directory stops listing them. An address on both the
register and the file is the register's (an admin typed it on the page).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import bindparam, exists, or_, select
from sqlalchemy.orm import Session

from bot.core.config import SchoolConfig
from bot.core.guards.forms import Text
from bot.core.language.i18n import N_, Msg
from bot.core.models import ExtraPerson, Person
from bot.core.ports import ConnectorError, Directory, DirectoryChanges, DirectoryPerson
from bot.engine.config_sync import ensure_school
from bot.engine.directory import DIRECTORY, apply_listing
from bot.engine.directory_report import DirectoryReport
from bot.engine.directory_said import EXTRA_PEOPLE_FILE, PEOPLE_REGISTER

__all__ = [
    "PEOPLE_FILE",
    "REGISTER",
    "Owner",
    "address_owners",
    "register_listing",
    "sync_extra_people",
    "sync_register",
]

REGISTER = "register"  # Person.source of people entered on the people register page
PEOPLE_FILE = "people_file"  # Person.source of people listed in the extra people file

# the notes and the error a sync of these people writes, in the school's language
_DIRECTORYS = N_(
    "%(where)s: %(email)s is in the school's directory, so the directory's details and roles "
    "are used while it lists them"
)
_TAKEN = N_(
    "%(where)s: %(email)s already belongs to someone else in the bot, so %(name)s keeps their "
    "previous address for now"
)
_ON_REGISTER = N_(
    "extra people file: %(email)s is on the people register page, so the page's entry is used"
)
_FILE_NOT_READ = N_("the extra people file could not be read: %(error)s")


@dataclass(frozen=True)
class Owner:
    """Who a stored address belongs to now."""

    person_id: int
    external_id: str | None
    source: str
    here: bool  # active and not missing


def address_owners(session: Session, school_id: str) -> dict[str, Owner]:
    """Every stored person of the school by email."""
    return {
        email: Owner(pid, ext, source, bool(active) and missing is None)
        for pid, email, ext, source, active, missing in session.execute(
            select(
                Person.id,
                Person.email,
                Person.external_id,
                Person.source,
                Person.active,
                Person.missing_since,
            ).where(Person.school_id == school_id)
        )
    }


def register_listing(entries: Iterable[ExtraPerson]) -> list[DirectoryPerson]:
    """The register's entries as directory records (an entry marked as left is not here)."""
    return [
        DirectoryPerson(
            external_id=f"{REGISTER}:{e.id}",
            email=e.email,
            display_name=e.display_name,
            active=e.left_on is None,
            job_title=e.job_title,
            roles=frozenset(e.roles),
            manager_email=e.manager_email,
            manager_external_id=e.manager_email,
            start_date=e.start_date,
            school=e.school_id,
            has_account=False,
        )
        for e in entries
    ]


def _claimable(
    listed: Sequence[DirectoryPerson], owners: dict[str, Owner], where: str, notes: list[Text]
) -> list[DirectoryPerson]:
    """The records this source may apply: not an address the directory lists as here, and not
    an address another stored person holds while the record already has its own person. A
    record left out is noted (``where``: the source's name, a catalogue word)."""
    by_external = {o.external_id: o for o in owners.values() if o.external_id}
    source = Msg(where)
    kept = []
    for item in listed:
        owner = owners.get(item.email)
        if owner is not None and owner.source == DIRECTORY and owner.here:
            notes.append(Msg(_DIRECTORYS, where=source, email=item.email))
            continue
        own = by_external.get(item.external_id)
        if owner is not None and own is not None and own.person_id != owner.person_id:
            notes.append(Msg(_TAKEN, where=source, email=item.email, name=item.display_name))
            continue
        kept.append(item)
    return kept


# whether the school's register has an entry, or a person of the register is still here:
# built once, as the sweep asks it for each school (``sync_register``)
_ANYONE_ON_REGISTER = select(
    or_(
        exists().where(ExtraPerson.school_id == bindparam("school_id")),
        exists().where(
            Person.school_id == bindparam("school_id"),
            Person.source == REGISTER,
            Person.active.is_(True),
        ),
    )
)


def sync_register(
    session: Session, school: SchoolConfig, today: date, *, default_school: bool = True
) -> DirectoryReport:
    """Apply the whole people register for one school (the page calls it after every change)."""
    if not session.execute(_ANYONE_ON_REGISTER, {"school_id": school.id}).scalar():
        # nobody to bring in and nobody of the register still here to make missing: applying
        # the empty listing changes nobody (one look, not the school row and two reads)
        return DirectoryReport()
    ensure_school(session, school)
    entries = list(session.scalars(select(ExtraPerson).where(ExtraPerson.school_id == school.id)))
    report = DirectoryReport()
    kept = _claimable(
        register_listing(entries), address_owners(session, school.id), PEOPLE_REGISTER, report.notes
    )
    report.absorb(
        apply_listing(
            session,
            school,
            DirectoryChanges(people=kept, complete=True),
            today,
            source=REGISTER,
            default_school=default_school,
            removal_check=False,
        )
    )
    return report


def _file_changes(changes: DirectoryChanges) -> DirectoryChanges:
    """The file's records under ids of their own (a file's ``id`` column is no platform id)."""
    return replace(
        changes,
        complete=True,
        people=[replace(p, external_id=f"{PEOPLE_FILE}:{p.external_id}") for p in changes.people],
        rejected_records=[
            replace(r, external_id=f"{PEOPLE_FILE}:{r.external_id}" if r.external_id else None)
            for r in changes.rejected_records
        ],
    )


def sync_extra_people(
    session: Session,
    school: SchoolConfig,
    people_file: Directory | None,
    today: date,
    *,
    default_school: bool = True,
) -> DirectoryReport:
    """The register, then the extra people file (when there is one), after the directory.

    A file that cannot be read changes none of its people (the report's ``error`` says why).
    """
    report = sync_register(session, school, today, default_school=default_school)
    if people_file is None:
        return report
    try:
        changes = _file_changes(people_file.fetch(None))
    except ConnectorError as exc:
        report.error = Msg(_FILE_NOT_READ, error=str(exc))
        return report
    ensure_school(session, school)
    registered = set(
        session.scalars(select(ExtraPerson.email).where(ExtraPerson.school_id == school.id))
    )
    notes: list[Text] = [
        Msg(_ON_REGISTER, email=item.email) for item in changes.people if item.email in registered
    ]
    listed = [p for p in changes.people if p.email not in registered]
    kept = _claimable(listed, address_owners(session, school.id), EXTRA_PEOPLE_FILE, notes)
    file_report = apply_listing(
        session,
        school,
        replace(changes, people=kept),
        today,
        source=PEOPLE_FILE,
        default_school=default_school,
        removal_check=False,
    )
    file_report.notes = notes + file_report.notes
    report.absorb(file_report)
    return report
