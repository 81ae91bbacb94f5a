"""A directory read applied before: a digest of everything applying it depends on, kept with
the report it made, so a sync of the same read to the same people reports it again without
applying it (a quiet sweep reads and writes no person)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Iterable
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.config import SchoolConfig
from bot.core.language.kept_text import text_of, to_data
from bot.core.models import ConnectorState, Person
from bot.core.ports import DirectoryChanges, DirectoryPerson
from bot.engine.changes import pending
from bot.engine.directory_report import DirectoryReport

__all__ = ["APPLIED_KEY", "as_applied", "digest_inputs", "said_again"]

# JSON: [digest of the inputs last applied, their report, the day from which applying them
# again would differ (a missing person's grace ends; null: none)]
APPLIED_KEY = "directory.applied"


def digest_inputs(
    session: Session,
    changes: DirectoryChanges,
    school: SchoolConfig,
    default_school: bool,
    not_here: Collection[str],
) -> str:
    """A digest of everything applying the read to the school depends on but the store and
    the day: its share of the read (and the people the read names no school for that it
    takes: its staff group's, and anyone it holds whom the read lists outside that group),
    the school's settings, whether it takes the unassigned, the ended addresses. (The day
    counts only when a missing person's grace ends: ``grace_ends``.) A change to another
    school's people of a shared tenant is not in it: that school is quiet."""
    group, unnamed = school.directory.staff_group, ""
    if group:
        unnamed = _group_digest(session, changes, school.id, group)
    elif default_school and None in changes.by_school:
        unnamed = _share_digest(changes, None)
    return hashlib.sha256(
        "|".join(
            (
                _share_digest(changes, school.id),
                unnamed,
                school.model_dump_json(),
                str(default_school),
                repr(sorted(not_here)),
            )
        ).encode()
    ).hexdigest()


def _share_digest(changes: DirectoryChanges, school: str | None) -> str:
    """A digest of what the read says of one school's share (``by_school``), worked out once
    a share of a read that every school takes from."""
    found = changes.digests.get(school)
    if found is None:
        found = changes.digests[school] = _digest(
            changes, changes.by_school.get(school, ()), changes.removed
        )
    return found


def _group_digest(session: Session, changes: DirectoryChanges, school_id: str, group: str) -> str:
    """A digest of the people of the school's staff group the read lists, and of those it
    lists outside the group whom the school holds (found by the addresses and ids held that
    the group's people do not have: none to unpack when nobody left the group)."""
    listed = list(changes.in_group(group))
    held = session.execute(
        select(Person.email, Person.external_id).where(Person.school_id == school_id)
    ).all()
    emails, ids = {e for e, _ in held}, {i for _, i in held if i}
    strays = [
        p
        for p in changes.found(
            emails - {p.email for p in listed}, ids - {p.external_id for p in listed}
        )
        if group not in p.groups
    ]
    return _digest(changes, [*listed, "|", *strays], set(changes.removed) & (emails | ids))


def _digest(
    changes: DirectoryChanges, people: Iterable[DirectoryPerson | str], removed: Iterable[str]
) -> str:
    """A digest of ``people`` as the read lists them, the same in every process (sets sorted)."""
    h = hashlib.sha256(f"{changes.complete}|{sorted(removed)}|".encode())
    for p in people:
        h.update(
            p.encode()
            if isinstance(p, str)
            else repr(
                (
                    p.external_id,
                    p.email,
                    p.display_name,
                    p.active,
                    p.given_name,
                    p.family_name,
                    p.job_title,
                    p.other_titles,
                    sorted(p.groups),
                    sorted(p.roles),
                    p.manager_external_id,
                    p.manager_email,
                    p.start_date,
                    p.school,
                    p.has_account,
                )
            ).encode()
        )
    h.update(repr((list(changes.rejected), list(changes.rejected_records))).encode())
    return h.hexdigest()


def said_again(report: DirectoryReport) -> dict[str, object]:
    """What a sync that applied the read reports that applying it again would report too."""
    return {
        "unchanged": report.unchanged + report.updated + report.added,
        "held": report.held,
        "rejected": [to_data(r) for r in report.rejected],
        "notes": [to_data(n) for n in report.notes],
        "unmapped": report.unmapped,
    }


def as_applied(
    session: Session, school_id: str, inputs: str, today: date, *, complete: bool
) -> DirectoryReport | None:
    """The report of applying the read again, when the last sync that changed nothing it
    could not undo applied the same inputs to the same people: nobody the directory step
    reads was written since (``pending``: the marks the duties step clears after each sweep),
    and no missing person's grace has ended since (a new day is quiet too). None: apply it."""
    row = ConnectorState.of(session, school_id, APPLIED_KEY)
    if row is None or not row.value.startswith(f'["{inputs}"'):
        return None
    kept = json.loads(row.value)
    if len(kept) < 3 or (kept[2] is not None and today.isoformat() >= kept[2]):
        return None
    if pending(session, school_id):
        return None
    said = kept[1]
    return DirectoryReport(
        unchanged=int(said["unchanged"]),
        held=int(said["held"]),
        complete=complete,
        rejected=[text_of(r) for r in said["rejected"]],
        notes=[text_of(n) for n in said["notes"]],
        unmapped={str(k): [str(n) for n in v] for k, v in said["unmapped"].items()},
    )
