"""The school's MIS beside its tenant: who works here, matched to who has an account.

The MIS (read-only, through ``MisSource``) is read in full once, then only its changes and
deletions (``updated_after``, the cursor kept per school); what it holds is kept as a snapshot
(``connector_state``), never written back. Its people are matched to the stored people: by
work email, else by name and start date when exactly one fits; when several fit, the
ambiguity is named and nobody is matched. Three lists follow (``reconcile``, pure):

* matched: in the MIS and in the bot (their MIS posts' roles, through the school's role
  table, join those the tenant gives: ``PersonRole.source`` ``mis_posts``);
* in the MIS with no account (supply staff, volunteers, governors): kept as people of their
  own (``Person.source`` ``mis``), without an address, asked through their line manager or the
  office as anyone without an email address is;
* in the tenant with no MIS record, or with an MIS end date passed: possible leavers, named.
  An end date passed makes the person *missing* (``bot.engine.leavers``): they keep their
  duties until the school's grace period has passed, then leave, exactly as when the directory
  stops listing them; a tenant account with no MIS record is only named, never changed.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from pydantic import TypeAdapter
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.config import SchoolConfig
from bot.core.guards.emails import no_email_key
from bot.core.guards.forms import Text
from bot.core.language.i18n import N_, Msg, nmsg
from bot.core.language.words import human_date
from bot.core.models import ConnectorState, Person, PersonRole
from bot.core.ports import DirectoryChanges, DirectoryPerson, MisChanges, MisPerson, MisSource
from bot.engine.config_sync import ensure_school
from bot.engine.directory import DIRECTORY, apply_listing, name_key
from bot.engine.directory_report import DirectoryReport
from bot.engine.job_roles import map_roles
from bot.engine.leavers import mark_missing

__all__ = [
    "MIS",
    "Account",
    "Ambiguity",
    "Match",
    "MisReport",
    "Reconciliation",
    "ended_addresses",
    "mis_error",
    "mis_lines",
    "reconcile",
    "reconciled",
    "record_mis_error",
    "sync_mis",
]

MIS = "mis"  # Person.source of people only the MIS lists (no account)
POSTS = "mis_posts"  # PersonRole.source of the roles the MIS's posts give matched people
STAFF_KEY = "mis.staff"  # connector_state: the snapshot, JSON {mis id: record}
CURSOR_KEY = "mis.cursor"  # connector_state: the MIS's updated_after for the next read
ERROR_KEY = "mis.error"  # connector_state: why the last read failed ("" once one succeeded)
MIS_LINKS = "mis.links"  # connector_state: JSON {mis id: person id}, every match kept (a move)
_TITLES = re.compile(r"^(?:mr|mrs|ms|miss|mx|dr|fr|rev|sr|prof)\.?\s+", re.IGNORECASE)
# the notes a read of the MIS writes into the sync's report, in the school's language
_POST_UNKNOWN = N_(
    "MIS: %(name)s's post '%(post)s' is not in the role table (job_titles), so it gives them no "
    "role"
)


@dataclass(frozen=True)
class Account:
    """A stored person, as matching needs them."""

    person_id: int
    email: str
    name: str
    start_date: date | None
    here: bool  # active and not missing
    has_account: bool
    source: str
    active: bool = True  # not (yet) a leaver: a missing person is still active


@dataclass(frozen=True)
class Match:
    """An MIS person and the stored person they are; ``how``: "email" or "name and start
    date"."""

    mis: MisPerson
    account: Account
    how: str


@dataclass(frozen=True)
class Ambiguity:
    """An MIS person whom several stored people could be (or who could be one that several
    MIS people could be): nobody is matched, the names are shown."""

    mis: MisPerson
    candidates: tuple[str, ...]


@dataclass
class Reconciliation:
    """The MIS against the bot's people, as of a day."""

    matched: list[Match] = field(default_factory=list)
    no_account: list[MisPerson] = field(default_factory=list)  # current, matching nobody
    no_record: list[Account] = field(default_factory=list)  # tenant accounts the MIS lacks
    ended: list[Match] = field(default_factory=list)  # matched, MIS end date passed, not left
    ambiguous: list[Ambiguity] = field(default_factory=list)


def _key(name: str, start: date | None) -> tuple[str, date] | None:
    """A name and start date as compared: case, spacing and a title ("Mrs", "Fr.") aside."""
    return (_TITLES.sub("", name_key(name)), start) if start is not None else None


def _by_email(
    staff: Iterable[MisPerson], accounts: Sequence[Account], result: Reconciliation
) -> tuple[set[int], list[MisPerson]]:
    """Match by work email; returns the matched person ids and the MIS people left."""
    by_email = {a.email.casefold(): a for a in accounts}
    taken: set[int] = set()
    rest: list[MisPerson] = []
    for person in sorted(staff, key=lambda p: p.mis_id):
        account = by_email.get((person.email or "").casefold())
        if account is not None and account.person_id not in taken:
            taken.add(account.person_id)
            result.matched.append(Match(person, account, N_("email")))
        else:
            rest.append(person)
    return taken, rest


def _by_name(
    rest: Sequence[MisPerson],
    accounts: Sequence[Account],
    taken: set[int],
    result: Reconciliation,
    today: date,
) -> set[int]:
    """Match the rest by name and start date when exactly one of each fits; name the
    ambiguities; keep the current ones left as people with no account. Returns the person ids
    an ambiguity names."""
    by_name: dict[tuple[str, date], list[Account]] = defaultdict(list)
    for a in accounts:
        key = _key(a.name, a.start_date)
        if a.person_id not in taken and key is not None:
            by_name[key].append(a)
    wanted: dict[tuple[str, date] | None, int] = defaultdict(int)
    for person in rest:
        wanted[_key(person.display_name, person.start_date)] += 1
    doubted: set[int] = set()
    for person in rest:
        key = _key(person.display_name, person.start_date)
        fits = by_name.get(key, []) if key is not None else []
        if len(fits) == 1 and wanted[key] == 1:
            taken.add(fits[0].person_id)
            result.matched.append(Match(person, fits[0], N_("name and start date")))
        elif fits:
            doubted.update(a.person_id for a in fits)
            result.ambiguous.append(Ambiguity(person, tuple(sorted(a.name for a in fits))))
        elif person.end_date is None or person.end_date >= today:
            result.no_account.append(person)
    return doubted


def reconcile(
    staff: Iterable[MisPerson], accounts: Sequence[Account], today: date
) -> Reconciliation:
    """Match the MIS's people to the stored ones (pure): email first, then name and start
    date when exactly one stored person and one MIS person share them."""
    result = Reconciliation()
    taken, rest = _by_email(staff, accounts, result)
    doubted = _by_name(rest, accounts, taken, result, today)
    result.ended = [
        m
        for m in result.matched
        if m.mis.end_date is not None
        and m.mis.end_date < today
        and m.account.active
        and m.account.has_account
    ]
    result.no_record = [
        a
        for a in accounts
        if a.source == DIRECTORY
        and a.here
        and a.has_account
        and a.person_id not in taken
        and a.person_id not in doubted
    ]
    return result


# --------------------------------------------------------------------------- the snapshot


# the snapshot as stored: {mis id: the record}, dates as ISO text
_STAFF = TypeAdapter(dict[str, MisPerson])


def _snapshot(session: Session, school_id: str) -> dict[str, MisPerson] | None:
    """What the MIS held at the last read, by MIS id; None before the first."""
    row = ConnectorState.of(session, school_id, STAFF_KEY)
    return None if row is None else _STAFF.validate_json(row.value)


def _merged(before: Mapping[str, MisPerson] | None, changes: MisChanges) -> dict[str, MisPerson]:
    """The snapshot after a read: the read itself when complete, else the changes applied."""
    staff = {} if changes.complete or before is None else dict(before)
    for mis_id in changes.removed:
        staff.pop(mis_id, None)
    staff.update({p.mis_id: p for p in changes.people})
    return staff


def _accounts(session: Session, school_id: str) -> list[Account]:
    """The stored people the MIS may be matched to (not the MIS's own: they are its copies)."""
    return [
        Account(
            pid,
            email,
            name,
            start,
            bool(active) and missing is None,
            bool(account),
            source,
            bool(active),
        )
        for pid, email, name, start, active, missing, account, source in session.execute(
            select(
                Person.id,
                Person.email,
                Person.display_name,
                Person.start_date,
                Person.active,
                Person.missing_since,
                Person.has_account,
                Person.source,
            ).where(Person.school_id == school_id, Person.source != MIS)
        )
    ]


def reconciled(session: Session, school_id: str, today: date) -> Reconciliation | None:
    """The three lists as of ``today`` from the last read; None when no MIS was read yet."""
    staff = _snapshot(session, school_id)
    if staff is None:
        return None
    return reconcile(staff.values(), _accounts(session, school_id), today)


def ended_addresses(session: Session, school_id: str, today: date) -> frozenset[str]:
    """The addresses of tenant accounts whose MIS end date has passed: a directory read lists
    them as not here (they stay missing, then leave), whatever the tenant says."""
    lists = reconciled(session, school_id, today)
    if lists is None:
        return frozenset()
    return frozenset(
        m.account.email
        for m in lists.matched
        if m.mis.end_date is not None and m.mis.end_date < today and m.account.source == DIRECTORY
    )


# --------------------------------------------------------------------------- the sync


@dataclass
class MisReport:
    """What an MIS read did."""

    read: int = 0  # people the read returned (all, or the changed ones)
    removed: int = 0  # deletions applied
    complete: bool = True
    matched: int = 0
    no_account: int = 0
    no_record: int = 0
    ended: int = 0  # accounts past their MIS end date, not yet left (missing, then leavers)
    ambiguous: int = 0
    people: DirectoryReport = field(default_factory=DirectoryReport)  # the MIS's own people


def _kept_people(lists: Reconciliation, school_id: str) -> list[DirectoryPerson]:
    """The MIS's people with no account, as directory records of people without an address
    (their line manager, else the office, is asked for them)."""
    managers = {m.mis.mis_id: m.account.email for m in lists.matched}
    return [
        DirectoryPerson(
            external_id=f"{MIS}:{p.mis_id}",
            email=no_email_key(f"{MIS} {p.mis_id}"),
            display_name=p.display_name,
            given_name=p.given_name,
            family_name=p.family_name,
            job_title=p.job_title,
            other_titles=p.other_titles,
            manager_email=managers.get(p.manager_mis_id or ""),
            manager_external_id=managers.get(p.manager_mis_id or ""),
            start_date=p.start_date,
            school=school_id,
            has_account=False,
        )
        for p in lists.no_account
    ]


def sync_mis(session: Session, school: SchoolConfig, source: MisSource, today: date) -> MisReport:
    """Read the school's MIS (its changes since the last read), keep the snapshot, and apply
    the reconciliation: the MIS's people with no account kept as people, accounts whose MIS
    end date has passed made missing. A read that fails raises before anything is changed; a
    read that would make more than the school's ``max_removal_share`` of the MIS's own people
    missing (a deletions feed listing everyone) changes nothing, keeps neither the snapshot
    nor the cursor (the same read comes back) and says so in ``people.stopped``."""
    ensure_school(session, school)
    cursor = ConnectorState.of(session, school.id, CURSOR_KEY)
    changes = source.read(cursor.value if cursor else None)
    staff = _merged(_snapshot(session, school.id), changes)
    lists = reconcile(staff.values(), _accounts(session, school.id), today)
    report = MisReport(
        read=len(changes.people),
        removed=len(changes.removed),
        complete=changes.complete,
        matched=len(lists.matched),
        no_account=len(lists.no_account),
        no_record=len(lists.no_record),
        ended=len(lists.ended),
        ambiguous=len(lists.ambiguous),
    )
    report.people = apply_listing(
        session,
        school,
        DirectoryChanges(people=_kept_people(lists, school.id), complete=True),
        today,
        source=MIS,
    )
    if report.people.stopped is not None:
        return report
    ConnectorState.put(session, school.id, STAFF_KEY, _STAFF.dump_json(staff).decode())
    if changes.cursor is not None:
        ConnectorState.put(session, school.id, CURSOR_KEY, changes.cursor)
    ConnectorState.put(session, school.id, ERROR_KEY, "")
    links = ConnectorState.of(session, school.id, MIS_LINKS)
    ConnectorState.put(
        session,
        school.id,
        MIS_LINKS,
        json.dumps(
            {
                **json.loads(links.value if links else "{}"),
                **{m.mis.mis_id: m.account.person_id for m in lists.matched},
            },
            sort_keys=True,
        ),
        links,
    )
    report.people.notes += _post_roles(session, school, lists)
    if lists.no_account and not school.role_table:  # said, not guessed: no table, no role
        report.people.notes.append(
            nmsg(
                "MIS: %(num)d person with no account asked nothing until the role table "
                "(job_titles) says what their posts mean",
                "MIS: %(num)d people with no account asked nothing until the role table "
                "(job_titles) says what their posts mean",
                len(lists.no_account),
            )
        )
    newly = [m.account.person_id for m in lists.ended if m.account.here]
    mark_missing(session, school.id, newly, today)
    session.flush()
    return report


def _post_roles(session: Session, school: SchoolConfig, lists: Reconciliation) -> list[Text]:
    """Give matched people the roles their MIS posts (the post and every additional one) give
    through the school's role table, beside their own (``PersonRole.source`` ``mis_posts``);
    a post the table does not know gives none and is named. Nothing without a table."""
    notes: list[Text] = []
    wanted: dict[int, set[str]] = {}
    if school.role_table:
        for m in lists.matched:
            posts = DirectoryPerson(
                external_id=m.mis.mis_id,
                email=m.account.email,
                display_name=m.account.name,
                job_title=m.mis.job_title,
                other_titles=m.mis.other_titles,
            )
            mapped = map_roles(posts, {}, school.role_table)
            wanted[m.account.person_id] = set(mapped.roles)
            notes += [Msg(_POST_UNKNOWN, name=m.account.name, post=word) for word in mapped.unknown]
    held: dict[int, set[str]] = defaultdict(set)
    for pid, role in session.execute(
        select(PersonRole.person_id, PersonRole.role).where(
            PersonRole.school_id == school.id, PersonRole.source == POSTS
        )
    ):
        held[pid].add(role)
    changed = [pid for pid in set(wanted) | set(held) if wanted.get(pid, set()) != held[pid]]
    for start in range(0, len(changed), 500):
        for person in session.scalars(
            select(Person).where(Person.id.in_(changed[start : start + 500]))
        ):
            person.replace_roles(POSTS, wanted.get(person.id, set()))
    return notes


def record_mis_error(session: Session, school_id: str, problem: str) -> None:
    """Keep why the MIS could not be read (a connector's message: no content, no secret)."""
    ConnectorState.put(session, school_id, ERROR_KEY, problem)


def mis_error(session: Session, school_id: str) -> str | None:
    """Why the last MIS read failed, or None when it succeeded (or none was tried)."""
    row = ConnectorState.of(session, school_id, ERROR_KEY)
    return row.value if row is not None and row.value else None


# --------------------------------------------------------------------------- in words


def _names(people: Sequence[str], limit: int) -> list[str]:
    shown = [f"  {n}" for n in people[:limit]]
    if len(people) > limit:
        shown.append(f"  … and {len(people) - limit} more")
    return shown


def mis_lines(lists: Reconciliation | None, problem: str | None, limit: int = 50) -> list[str]:
    """The three lists (and any ambiguity or failure) in plain words, for ``mis status``."""
    lines: list[str] = []
    if problem:
        lines.append(f"The MIS could not be read at the last sweep: {problem}")
    if lists is None:
        lines.append("The MIS has not been read yet: the next sweep reads it.")
        return lines
    lines.append(f"Matched: {len(lists.matched)} people are in the MIS and in the bot.")
    lines.append(
        f"In the MIS with no account: {len(lists.no_account)} (kept as people without "
        "an email address; their line manager, or the office, is asked for them)"
    )
    lines += _names(
        [p.display_name + (f", {p.job_title}" if p.job_title else "") for p in lists.no_account],
        limit,
    )
    leavers = [
        f"{m.account.name} <{m.account.email}>: the MIS gives {human_date(m.mis.end_date)} "
        "as their last day (their duties close after the grace period)"
        for m in lists.ended
    ]
    leavers += [f"{a.name} <{a.email}>: no MIS record" for a in lists.no_record]
    lines.append(
        f"Possible leavers, still with an account: {len(leavers)} (nobody is removed; "
        "close an account in the tenant, or correct the MIS)"
    )
    lines += _names(leavers, limit)
    if lists.ambiguous:
        lines.append(f"Not matched, more than one person fits: {len(lists.ambiguous)}")
        lines += _names(
            [
                f"{a.mis.display_name} (MIS): could be {', '.join(a.candidates)}"
                for a in lists.ambiguous
            ],
            limit,
        )
    return lines
