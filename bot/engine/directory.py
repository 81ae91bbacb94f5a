"""Bring the store's people in line with the directory, treating what it says as evidence.

A listed person is added or updated; someone no longer listed (or listed as disabled) becomes
*missing* and keeps their duties until the grace period passes (``bot.engine.leavers``); a row
the directory could not read leaves its person exactly as they were; a sync that would make
too many people missing stops and changes nobody.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.config import OrgConfig, SchoolConfig
from bot.core.database.store import bulk_insert, bulk_set, one_of
from bot.core.models import ConnectorState, Person, PersonGroup, PersonRole, utcnow
from bot.core.ports import Directory, DirectoryChanges, DirectoryPerson
from bot.engine.config_sync import ensure_school
from bot.engine.directory_applied import APPLIED_KEY, as_applied, digest_inputs, said_again
from bot.engine.directory_kept import keep, keep_left_out, keep_unassigned
from bot.engine.directory_known import Known, known_people, signature_of
from bot.engine.directory_report import DirectoryReport
from bot.engine.job_roles import map_roles
from bot.engine.leavers import check_removals, grace_ends, make_leavers, mark_missing, restore

__all__ = [
    "CURSOR_KEY",
    "DIRECTORY",
    "apply_listing",
    "name_key",
    "share_of",
    "sync_directory",
    "takes_unnamed",
]

CURSOR_KEY = "directory.cursor"
DIRECTORY = "directory"  # Person.source of people the platform directory lists


# what a directory record says of a person, copied onto the stored one as it is
_COPIED = (
    "external_id",
    "email",
    "display_name",
    "given_name",
    "family_name",
    "job_title",
    "start_date",
    "has_account",
)


def _apply(person: Person, item: DirectoryPerson, roles: set[str], source: str) -> None:
    """Copy a directory record onto a stored person (whether they are here is not copied:
    ``bot.engine.leavers`` decides that); roles the previous source gave them go."""
    if person.source != source:
        person.replace_roles(person.source, set())
    for name in _COPIED:
        setattr(person, name, getattr(item, name))
    person.source = source
    person.replace_groups(set(item.groups))
    person.replace_roles(source, roles)


_Listed = tuple[DirectoryPerson, set[str]]  # a directory record and its roles


@dataclass
class _Sorted:
    """The directory's records sorted against the store (its people by email and by id)."""

    by_email: Mapping[str, Known]
    by_external: Mapping[str, Known]
    new: list[_Listed] = field(default_factory=list)
    changed: dict[int, _Listed] = field(default_factory=dict)  # by stored person id
    unchanged: int = 0
    listed: dict[int, bool] = field(default_factory=dict)  # stored person id -> listed as here

    def find(self, external_id: str | None, email: str | None) -> Known | None:
        """The stored person a record names: by id, else by email."""
        return self.by_external.get(external_id or "") or self.by_email.get(email or "")


def _sort_listed(
    listed: Sequence[DirectoryPerson],
    school: SchoolConfig,
    by_email: Mapping[str, Known],
    by_external: Mapping[str, Known],
    source: str,
) -> _Sorted:
    """New, changed and unchanged people (unchanged ones are recognised by column tuples).

    A record listing someone as not here says nothing about a person another source holds
    (a suspended account of a volunteer now on the people register)."""
    result = _Sorted(by_email, by_external)
    for item in listed:
        roles = set(map_roles(item, school.role_groups, school.role_table).roles)
        k = result.find(item.external_id, item.email)
        if k is None:
            result.new.append((item, roles))
            continue
        if not item.active and k.source != source:
            continue
        result.listed[k.id] = item.active
        if k.signature == signature_of(item, roles) and k.email == item.email:
            result.unchanged += 1
        else:
            result.changed[k.id] = (item, roles)
    return result


def _posts_to_map(
    listed: list[DirectoryPerson],
    school: SchoolConfig,
    report: DirectoryReport,
    trust: Collection[str] = (),
) -> None:
    """The posts (job titles, role words) the school's role table does not know, with their
    holders' names: the holders are set up with the roles the rest gives them (none: owing
    nothing) until the school says what each post gives. The trust's own people (``trust``:
    its admins and safeguarding leads) need no school post."""
    for item in listed:
        if item.email in trust:
            continue
        for word in map_roles(item, school.role_groups, school.role_table).unknown:
            report.unmapped.setdefault(word, []).append(item.display_name)


def name_key(name: str) -> str:
    """A name as compared: case and spacing aside."""
    return re.sub(r"\s+", " ", name).strip().casefold()


def _held(changes: DirectoryChanges, known: Sequence[Known], sorted_: _Sorted) -> set[int]:
    """People whose row could not be read: by id, by email, else (on a complete read) by a
    name that only one unlisted person still here has. They are left exactly as they were."""
    unlisted: dict[str, list[Known]] = defaultdict(list)
    if changes.complete:
        for person in known:
            if person.active and person.id not in sorted_.listed:
                unlisted[name_key(person.name)].append(person)
    held: set[int] = set()
    for record in changes.rejected_records:
        k = sorted_.find(record.external_id, record.email)
        if k is None and record.display_name:
            same_name = unlisted.get(name_key(record.display_name), [])
            k = same_name[0] if len(same_name) == 1 else None
        if k is not None and k.id not in sorted_.listed:
            held.add(k.id)
    return held


def _absent(
    changes: DirectoryChanges, known: Sequence[Known], sorted_: _Sorted, source: str
) -> set[int]:
    """Stored people this read says are not here: listed as disabled, removed by a delta, or
    (on a complete read) not listed at all."""
    absent = {pid for pid, here in sorted_.listed.items() if not here}
    if changes.complete:
        absent |= {k.id for k in known if k.source == source and k.id not in sorted_.listed}
    for ref in changes.removed:
        k = sorted_.find(ref, ref)
        if k is not None and k.id not in sorted_.listed:
            absent.add(k.id)
    return absent


@dataclass
class _Moves:
    """Who changes state in this sync."""

    missing: list[int] = field(default_factory=list)  # here -> missing
    returning: list[int] = field(default_factory=list)  # missing or left -> here
    leaving: list[int] = field(default_factory=list)  # missing past the grace period -> left


def _moves(
    known: Sequence[Known],
    sorted_: _Sorted,
    absent: set[int],
    held: set[int],
    grace: int,
    today: date,
    source: str,
) -> _Moves:
    """Work out the state changes; people held by an unreadable row are left alone, and only
    this source's people can go missing or leave (another source speaks for the rest)."""
    moves = _Moves()
    for k in known:
        if k.id in held:
            continue
        listed_here = sorted_.listed.get(k.id) is True
        if listed_here:
            if not k.active or k.missing_since is not None:
                moves.returning.append(k.id)
            continue
        if not k.active or k.source != source:
            continue
        since = k.missing_since
        if since is None and k.id in absent:
            moves.missing.append(k.id)
            since = today
        # still missing (a delta that says nothing new about them leaves them missing)
        if since is not None and today >= since + timedelta(days=grace):
            moves.leaving.append(k.id)
    return moves


def _manager_ref(item: DirectoryPerson) -> str | None:
    """How a record names its manager: an email, else an external id."""
    return item.manager_email or item.manager_external_id


def _waves(new_items: Sequence[_Listed]) -> list[list[_Listed]]:
    """New people who manage other new people first, so the rest go in with their manager."""
    refs = {ref for i, _ in new_items if (ref := _manager_ref(i))}
    first: list[_Listed] = []
    rest: list[_Listed] = []
    for item, roles in new_items:
        wave = first if item.email in refs or item.external_id in refs else rest
        wave.append((item, roles))
    return [wave for wave in (first, rest) if wave]


def _insert_people(
    session: Session,
    school_id: str,
    new_items: Sequence[_Listed],
    ids: dict[str, int],
    known: Sequence[Known],
    source: str,
) -> dict[int, int | None]:
    """Bulk-insert new people with their roles and groups; their ids go into ``ids``.

    Set-based (COPY on PostgreSQL): a first run writes every person, and a row-by-row INSERT
    there costs the server one statement per role and group. Each goes in with the manager
    already stored or written in an earlier wave (returned by person id, so that only the
    rest are updated afterwards).
    """
    session.flush()  # the school row and anything else pending go first: COPY skips the ORM
    lookup: dict[str, int] = dict(ids)
    lookup.update({k.external_id: k.id for k in known if k.external_id})
    among, chunk = one_of(session, Person.email, "emails")
    read_back = select(Person.email, Person.id).where(Person.school_id == school_id, among)
    given: dict[str, int | None] = {}
    now = utcnow()
    for wave in _waves(new_items):
        rows = []
        for i, _ in wave:
            ref = _manager_ref(i)
            given[i.email] = lookup.get(ref) if ref else None
            rows.append(
                {
                    "school_id": school_id,
                    **{name: getattr(i, name) for name in _COPIED},
                    "active": i.active,
                    "source": source,
                    "manager_id": given[i.email],
                    "session_version": 0,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        bulk_insert(session, Person, rows)
        emails = [i.email for i, _ in wave]
        for start in range(0, len(emails), chunk):
            ids.update(session.execute(read_back, {"emails": emails[start : start + chunk]}).all())
        lookup.update({i.email: ids[i.email] for i, _ in wave})
        lookup.update({i.external_id: ids[i.email] for i, _ in wave if i.external_id})
    bulk_insert(
        session,
        PersonRole,
        [
            {"school_id": school_id, "person_id": ids[i.email], "role": r, "source": source}
            for i, roles in new_items
            for r in sorted(roles)
        ],
    )
    bulk_insert(
        session,
        PersonGroup,
        [
            {"school_id": school_id, "person_id": ids[i.email], "name": g}
            for i, _ in new_items
            for g in sorted(i.groups)
        ],
    )
    return {ids[email]: manager for email, manager in given.items()}


def _update_people(
    session: Session, changed: Mapping[int, _Listed], ids: dict[str, int], source: str
) -> None:
    """Load only the changed people and copy their records on."""
    changed_ids = list(changed)
    for chunk_start in range(0, len(changed_ids), 500):
        chunk = changed_ids[chunk_start : chunk_start + 500]
        for person in session.scalars(select(Person).where(Person.id.in_(chunk))):
            item, roles = changed[person.id]
            _apply(person, item, roles, source)
            ids[item.email] = person.id


def _manager_updates(
    listed: Sequence[DirectoryPerson],
    known: Sequence[Known],
    ids: Mapping[str, int],
    inserted: Mapping[int, int | None],
) -> dict[int, int | None]:
    """Managers that change (person id -> manager id or None), resolved by email or external
    id across everyone we know now; ``inserted`` holds the managers new people were given."""
    lookup: dict[str, int] = dict(ids)
    lookup.update({k.external_id: k.id for k in known if k.external_id})
    lookup.update({i.external_id: ids[i.email] for i in listed if i.email in ids})
    current_manager = {k.id: k.manager_id for k in known} | dict(inserted)
    updates: dict[int, int | None] = {}
    for item in listed:
        pid = ids.get(item.email)
        ref = _manager_ref(item)
        want = lookup.get(ref) if ref else None
        if want == pid:
            want = None  # nobody manages themselves
        if pid is not None and current_manager.get(pid) != want:
            updates[pid] = want
    return updates


def sync_directory(
    session: Session,
    school: SchoolConfig,
    directory: Directory,
    today: date,
    *,
    default_school: bool = True,
    not_here: Collection[str] = (),
    staff_groups: Collection[str] = (),
    trust: Collection[str] = (),
) -> DirectoryReport:
    """Fetch people (full or delta) and upsert them; absent or disabled people become missing,
    and leavers once the school's grace period has passed.

    ``not_here`` are addresses listed as not here whatever the directory says (accounts whose
    MIS end date has passed: ``bot.engine.mis``), so a tenant account left open never brings
    a leaver back.

    ``staff_groups`` are the staff groups of every school sharing the directory (a tenant or
    domain of several schools, each naming its ``directory.staff_group``): a person in the
    school's group is the school's, and one in no school's group is no school's, named as
    unassigned for the school's admins (``unassigned``), never guessed into a school.
    ``trust``: the trust's own people, who need no school post (``_hold_unmapped``).

    A sync that would make more than the school's ``max_removal_share`` missing changes
    nobody and returns a report whose ``stopped`` says so (the cursor is kept, so a delta's
    removals come back next time). Unchanged people are recognised from column tuples; new
    people are bulk-inserted; only changed people are loaded as ORM objects.
    """
    ensure_school(session, school)
    state = ConnectorState.of(session, school.id, CURSOR_KEY)
    changes = directory.fetch(state.value if state else None)
    inputs = digest_inputs(
        session, changes, school, default_school, [*not_here, "|", *sorted(trust)]
    )
    report = as_applied(session, school.id, inputs, today, complete=changes.complete)
    if report is None:
        if not_here:
            changes = replace(
                changes,
                people=[
                    replace(p, active=False) if p.email in not_here else p for p in changes.people
                ],
            )
        report = apply_listing(
            session, school, changes, today, default_school=default_school, trust=trust
        )
        grace = school.directory.leaver_grace_days  # a stop forgets what was applied before
        keep(
            session,
            school.id,
            APPLIED_KEY,
            []
            if report.stopped
            else [inputs, said_again(report), grace_ends(session, school.id, DIRECTORY, grace)],
        )
    if report.stopped is None:
        if changes.cursor is not None:  # the delta cursor, for the next read
            ConnectorState.put(session, school.id, CURSOR_KEY, changes.cursor, row=state)
        if changes.left_out is not None:
            keep_left_out(session, school.id, changes.left_out, changes.no_mailbox)
        if staff_groups:
            keep_unassigned(session, school.id, changes, frozenset(staff_groups))
        session.flush()
    return report


def takes_unnamed(config: OrgConfig, school: SchoolConfig) -> bool:
    """Whether ``school`` takes the people its connection's read names no school for: when
    none of the connection's schools names a staff group, its first school does."""
    sharing = [s for s in config.schools if s.connection == school.connection]
    return not any(s.directory.staff_group for s in sharing) and sharing[0].id == school.id


def share_of(
    changes: DirectoryChanges, school: SchoolConfig, default_school: bool = True
) -> list[DirectoryPerson]:
    """The people a read lists for the school: those it names the school for, and of those it
    names no school for, the school's staff group's, or (no group named) everyone when the
    school takes them (``default_school``)."""
    listed = list(changes.by_school.get(school.id, ()))
    if school.directory.staff_group:
        listed += changes.in_group(school.directory.staff_group)
    elif default_school:
        listed += changes.by_school.get(None, ())
    return listed


def apply_listing(
    session: Session,
    school: SchoolConfig,
    changes: DirectoryChanges,
    today: date,
    *,
    source: str = DIRECTORY,
    default_school: bool = True,
    removal_check: bool = True,
    trust: Collection[str] = (),
) -> DirectoryReport:
    """Bring the people of one source (``Person.source``) in line with what it listed.

    Only that source's people can become missing; anyone it lists is matched by id or email
    among everyone stored and from then on belongs to it (the roles the previous source gave
    them go). ``removal_check`` stops a sync that would make too many people missing.
    """
    report = DirectoryReport(rejected=list(changes.rejected), complete=changes.complete)
    known = known_people(session, school.id, source)
    by_email = {k.email: k for k in known}
    by_external = {k.external_id: k for k in known if k.external_id}
    group = school.directory.staff_group
    listed = share_of(changes, school, default_school)
    if group:  # someone the read lists outside the school's group is not here (a delta too)
        listed += [
            replace(p, active=False)
            for p in changes.found(by_email, by_external)
            if group not in p.groups
        ]
    _posts_to_map(listed, school, report, trust)
    sorted_ = _sort_listed(listed, school, by_email, by_external, source)
    held = _held(changes, known, sorted_)
    absent = _absent(changes, known, sorted_, source) - held
    rules = school.directory
    moves = _moves(known, sorted_, absent, held, rules.leaver_grace_days, today, source)
    if removal_check:
        active = sum(1 for k in known if k.active and k.source == source)
        report.stopped = check_removals(
            session, school.id, moves.missing, active, rules.max_removal_share, today, source
        )
    if report.stopped is not None:
        session.flush()
        return report
    report.unchanged, report.held = sorted_.unchanged, len(held)
    ids = {k.email: k.id for k in known}
    inserted: dict[int, int | None] = {}
    if sorted_.new:
        inserted = _insert_people(session, school.id, sorted_.new, ids, known, source)
        report.added = len(sorted_.new)
    _update_people(session, sorted_.changed, ids, source)
    report.updated = len(sorted_.changed)
    session.flush()
    bulk_set(session, Person.manager_id, _manager_updates(listed, known, ids, inserted))
    report.reopened = restore(session, school.id, moves.returning, today)
    mark_missing(session, school.id, moves.missing, today)
    make_leavers(session, school.id, moves.leaving, today)
    report.returned, report.left = len(moves.returning), len(moves.leaving)
    report.missing = len(set(moves.missing) - set(moves.leaving))  # grace 0: straight to left
    session.flush()
    session.expire_all()
    return report
