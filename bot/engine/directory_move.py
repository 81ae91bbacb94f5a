"""An admin's operations on how the school's directory is read: read it whole again
(``drop_cursor``), and move the school to another tenant or domain keeping its people
(``plan_move``, ``carry``).

A school that moves (new object ids, new addresses) would otherwise look as if everyone had
left and everyone new had joined: the sync holds it (``bot.engine.leavers``), and confirming
the removals would make each person a second record, asked again for what they had done. A
move instead carries each stored person to their record in the new directory, in this order:
the same id (a domain renamed in the same tenant), the old address through the admin's domain
map, the same address (the domain moved with the school), the address the MIS now gives the
person it was matched to (``bot.engine.mis``); those are certain. Then a name and start date
only one stored person and one new record share: *proposed*, shown for the admin to confirm.
A carried person keeps their row, so their duties, acknowledgements, training and history stay
theirs; their sign-in binding is cleared (the new tenant signs them in anew). Nobody is ever
carried by a guess: whoever is not found stays as they are, and the next sync treats them as
it treats anyone the directory no longer lists.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import String, cast, delete, select, update
from sqlalchemy.orm import Session

from bot.core import audit
from bot.core.config import OrgConfig, SchoolConfig
from bot.core.language.i18n import N_
from bot.core.models import ConnectorState, Person, StepFailure
from bot.core.ports import Connectors, DirectoryPerson
from bot.engine.directory import CURSOR_KEY, DIRECTORY, name_key, share_of, takes_unnamed
from bot.engine.directory_applied import APPLIED_KEY
from bot.engine.leavers import removals_key, school_event
from bot.engine.mis import MIS, MIS_LINKS, STAFF_KEY
from bot.engine.step_failures import HELD

__all__ = [
    "Carried",
    "MovePlan",
    "Stored",
    "carry",
    "domain_map",
    "drop_cursor",
    "mis_addresses",
    "plan_move",
    "read_plan",
    "stored_people",
]

# what a move starts afresh: the delta cursor, the last read applied, the directory's hold
_FORGOTTEN = (CURSOR_KEY, APPLIED_KEY, removals_key(DIRECTORY))

SAME_ID = N_("the same directory id")
BY_MAP = N_("the address map")
SAME_ADDRESS = N_("the same address")
BY_MIS = N_("the MIS record")
BY_NAME = N_("name and start date")


@dataclass(frozen=True)
class Stored:
    """A stored person of the directory, as a move needs them."""

    id: int
    email: str
    external_id: str | None
    name: str
    start_date: date | None


@dataclass(frozen=True)
class Carried:
    """A stored person and their record in the new directory; ``how`` (``N_``) they were
    found; ``proposed`` when only a name and start date say so."""

    person: Stored
    record: DirectoryPerson
    how: str

    @property
    def proposed(self) -> bool:
        """Found by name and start date alone: the admin confirms it."""
        return self.how == BY_NAME


@dataclass
class MovePlan:
    """Who is carried where, who is not found in the new directory, and who is new there."""

    carried: list[Carried] = field(default_factory=list)
    not_found: list[Stored] = field(default_factory=list)
    new: list[DirectoryPerson] = field(default_factory=list)


def _mapped(email: str, domains: Mapping[str, str]) -> str | None:
    """``email`` with its domain replaced by the map's, when the map names it."""
    local, _, domain = email.rpartition("@")
    new = domains.get(domain.casefold())
    return f"{local}@{new}" if new else None


def domain_map(given: Sequence[str]) -> dict[str, str] | None:
    """``old=new`` domain pairs as a map (lower case); None when one is not such a pair."""
    pairs: dict[str, str] = {}
    for item in given:
        old, _, new = item.strip().lower().partition("=")
        if not old or not new or "@" in item or " " in item.strip() or "=" in new:
            return None
        pairs[old] = new
    return pairs


def _matched(
    person: Stored,
    by_id: Mapping[str, DirectoryPerson],
    by_email: Mapping[str, DirectoryPerson],
    domains: Mapping[str, str],
    mis_emails: Mapping[int, str],
    taken: Collection[str],
) -> tuple[DirectoryPerson | None, str]:
    """The first record not yet taken that fits ``person``: the same id, the address by the
    domain map, the same address, then the address the MIS gives (and how it was found)."""
    for how, record in (
        (SAME_ID, by_id.get(person.external_id or "")),
        (BY_MAP, by_email.get(_mapped(person.email, domains) or "")),
        (SAME_ADDRESS, by_email.get(person.email)),
        (BY_MIS, by_email.get(mis_emails.get(person.id, ""))),
    ):
        if record is not None and record.email not in taken:
            return record, how
    return None, ""


def _by_name(
    rest: Sequence[Stored], left: Sequence[DirectoryPerson]
) -> list[tuple[Stored, DirectoryPerson | None]]:
    """Each person still unmatched with the one record left of their name and start date,
    where exactly one record and one person share them (else None: never a guess)."""
    keys: dict[object, list[DirectoryPerson]] = {}
    for record in left:
        if record.start_date is not None:
            keys.setdefault((name_key(record.display_name), record.start_date), []).append(record)
    wanted = Counter((name_key(person.name), person.start_date) for person in rest)
    found: list[tuple[Stored, DirectoryPerson | None]] = []
    for person in rest:
        key = (name_key(person.name), person.start_date)
        fits = keys.get(key, []) if person.start_date is not None else []
        found.append((person, fits[0] if len(fits) == 1 and wanted[key] == 1 else None))
    return found


def plan_move(
    stored: Sequence[Stored],
    listed: Sequence[DirectoryPerson],
    domains: Mapping[str, str],
    mis_emails: Mapping[int, str],
) -> MovePlan:
    """Match each stored person to one record of the new directory (pure; the module says in
    what order). ``domains``: old domain -> new (lower case); ``mis_emails``: person id -> the
    work address the MIS now gives the record they were matched to."""
    by_email = {r.email: r for r in listed}
    by_id = {r.external_id: r for r in listed if r.external_id}
    plan, taken, rest = MovePlan(), set[str](), list[Stored]()
    for person in stored:
        record, how = _matched(person, by_id, by_email, domains, mis_emails, taken)
        if record is None:
            rest.append(person)
            continue
        taken.add(record.email)
        plan.carried.append(Carried(person, record, how))
    left = [r for r in listed if r.email not in taken]
    for person, record in _by_name(rest, left):
        if record is None:
            plan.not_found.append(person)
            continue
        taken.add(record.email)
        plan.carried.append(Carried(person, record, BY_NAME))
    plan.new = [r for r in left if r.email not in taken]
    return plan


def read_plan(
    session: Session,
    config: OrgConfig,
    school: SchoolConfig,
    connectors: Connectors,
    domains: Mapping[str, str],
) -> MovePlan:
    """The move's plan: the school's share of a whole read of its connection's directory
    (as a sweep takes it) against its people of the directory (``plan_move``)."""
    listed = share_of(
        connectors.connection(school.connection).directory.fetch(None),
        school,
        takes_unnamed(config, school),
    )
    return plan_move(
        stored_people(session, school.id, DIRECTORY),
        listed,
        domains,
        mis_addresses(session, school.id),
    )


def stored_people(session: Session, school_id: str, source: str) -> list[Stored]:
    """The school's people of ``source`` who have not left, as a move needs them."""
    return [
        Stored(*row)
        for row in session.execute(
            select(
                Person.id, Person.email, Person.external_id, Person.display_name, Person.start_date
            )
            .where(Person.school_id == school_id, Person.source == source, Person.active.is_(True))
            .order_by(Person.display_name, Person.id)
        )
    ]


def mis_addresses(session: Session, school_id: str) -> dict[int, str]:
    """Person id -> the work address the last MIS read gives the record they were matched to
    (``MIS_LINKS``, kept by ``bot.engine.mis``)."""
    links = ConnectorState.of(session, school_id, MIS_LINKS)
    staff = ConnectorState.of(session, school_id, STAFF_KEY)
    if links is None or staff is None:
        return {}
    records = json.loads(staff.value)
    return {
        int(pid): str(records[mis_id]["email"]).lower()
        for mis_id, pid in json.loads(links.value).items()
        if records.get(mis_id, {}).get("email")
    }


def carry(
    session: Session, school_id: str, plan: MovePlan, actor: str, details: Mapping[str, object]
) -> int:
    """Carry the plan's people to their new addresses and ids (their rows, so all they did
    stays theirs; their sign-in binding cleared), audited person by person and for the school
    (``details``: the connection and the map) as ``actor``'s act; the directory is read whole
    at the next sweep and its hold ends. Returns how many were carried."""
    moved = [
        c
        for c in plan.carried
        if (c.person.email, c.person.external_id) != (c.record.email, c.record.external_id)
    ]
    ids = [c.person.id for c in moved]
    if ids:  # through a unique placeholder first: two people may swap addresses
        session.execute(
            update(Person)
            .where(Person.id.in_(ids))
            .values(
                email="moving:" + cast(Person.id, String),
                signin_issuer=None,
                signin_subject=None,
                signin_org=None,
            ),
            execution_options={"synchronize_session": False},
        )
    for c in moved:
        session.execute(
            update(Person)
            .where(Person.id == c.person.id)
            .values(email=c.record.email, external_id=c.record.external_id),
            execution_options={"synchronize_session": False},
        )
    audit.record_many(
        session,
        [
            audit.Entry(
                actor,
                "person.moved",
                "person",
                c.person.id,
                school_id,
                {"from": c.person.email, "to": c.record.email, "how": c.how},
            )
            for c in moved
        ],
    )
    session.execute(
        delete(ConnectorState).where(
            ConnectorState.school_id == school_id, ConnectorState.key.in_(_FORGOTTEN)
        )
    )
    if ConnectorState.of(session, school_id, removals_key(MIS)) is None:  # nothing else holds
        session.execute(
            delete(StepFailure).where(StepFailure.school_id == school_id, StepFailure.step == HELD)
        )
    school_event(
        session,
        school_id,
        "directory.moved",
        {
            **details,
            "carried": len(plan.carried),
            "moved": len(moved),
            "not_found": len(plan.not_found),
            "new": len(plan.new),
        },
        actor,
    )
    session.expire_all()
    return len(plan.carried)


def drop_cursor(session: Session, school_id: str, actor: str) -> bool:
    """Forget the directory's delta cursor (audited): the next sync reads the whole directory.
    Returns whether there was one."""
    state = ConnectorState.of(session, school_id, CURSOR_KEY)
    if state is not None:
        session.delete(state)
    school_event(
        session, school_id, "directory.resync", {"had_cursor": state is not None}, f"cli:{actor}"
    )
    return state is not None
