"""The duty snapshot: summary rows the dashboard, the people list and the digest read.

``rebuild`` counts a school's duties with a few set-based statements (the end of every
``plan_and_apply``: the sweep, settings applied, the people register, setup), which changes
duties inside ``recounted``. Between sweeps every change of a duty's status, or of who is
active, happens inside ``changing`` in the same transaction (``close_done`` for evidence): it
writes only the difference the change made (an atomic upsert, so concurrent attestations never
lose a count) and recounts the people's own rows. ``ensure`` builds the snapshot once if none
exists yet (a fresh install before its first sweep).

The rule is kept in code: a duty's status changed anywhere else — an ORM change flushed, an
UPDATE of the duties' status (built or written as SQL text), or a duty deleted (by the ORM, a
DELETE statement or SQL text) — fails with :class:`DutyCountsBypassed` before it is written, so
the dashboard can never silently drift from the duties.

Tallies are kept per due date, so "overdue" on any day is a sum; only the people list's
per-person overdue count is as of one day, and ``roll_forward`` moves it to today by
recounting the few people whose duties fell due in between.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from typing import Any, cast

from sqlalchemy import (
    Delete,
    Engine,
    Select,
    Table,
    TextClause,
    Update,
    case,
    delete,
    event,
    func,
    inspect,
    literal,
    select,
    union,
)
from sqlalchemy.orm import Session

from bot.core.models import (
    AccountHolder,
    AudienceSize,
    Duty,
    DutySnapshot,
    DutyTally,
    Person,
    PersonGroup,
    PersonRole,
    PersonTally,
    Requirement,
    School,
    utcnow,
)
from bot.core.store import dialect_insert

__all__ = [
    "TALLIED",
    "DutyCountsBypassed",
    "audience_ids",
    "changing",
    "close_done",
    "ensure",
    "rebuild",
    "recounted",
    "refresh_audiences",
    "roll_forward",
]

TALLIED = ("open", "done")  # the statuses the figures count
_BATCH = 500
# a tally row's columns: its key (the first six), then what the key's duties share, and the count
_TALLY_COLUMNS = ("school_id", "requirement_id", "cycle", "due_on", "status", "active", "kind",
                  "policy_version_id", "duties")
_TALLY_KEY = _TALLY_COLUMNS[:6]


def _header(session: Session, school_id: str, today: date) -> tuple[DutySnapshot, bool]:
    """The school's snapshot row, locked until the transaction ends (created if missing: True)."""
    result = session.execute(
        dialect_insert(session, DutySnapshot)
        .values(school_id=school_id, as_of=today, built_at=utcnow(), people=0)
        .on_conflict_do_nothing(index_elements=["school_id"])
    )
    inserted = int(result.rowcount or 0)  # type: ignore[attr-defined]
    row = session.get(
        DutySnapshot, school_id, with_for_update=True, populate_existing=True
    )
    assert row is not None  # inserted above or already there
    return row, bool(inserted)


def audience_ids(school_id: str, audience: dict[str, Any]) -> Any:
    """A subquery of the person ids a requirement's audience matches (None: nobody)."""
    roles = audience.get("roles", [])
    named = [r for r in roles if r != "account_holder"]
    groups, people = audience.get("groups") or [], audience.get("people") or []
    parts = [
        select(pid.label("pid")).where(pid.class_.school_id == school_id, condition)
        for pid, wanted, condition in (
            (PersonRole.person_id, named, PersonRole.role.in_(named)),
            # account holders: derived from current holdings
            (AccountHolder.person_id, "account_holder" in roles, AccountHolder.until.is_(None)),
            (PersonGroup.person_id, groups, PersonGroup.name.in_(groups)),
            (Person.id, people, Person.email.in_(people)),
        )
        if wanted
    ]
    return union(*parts).subquery() if parts else None


def refresh_audiences(session: Session, school_id: str) -> None:
    """Recount how many active people each active training requirement's audience holds."""
    session.execute(delete(AudienceSize).where(AudienceSize.school_id == school_id))
    for rid, spec in session.execute(
        select(Requirement.id, Requirement.spec).where(
            Requirement.school_id == school_id,
            Requirement.kind == "complete_training",
            Requirement.active.is_(True),
        )
    ):
        audience = (spec or {}).get("audience") or {}
        ids = audience_ids(school_id, audience)
        size = 0
        if ids is not None:
            size = (
                session.scalar(
                    select(func.count())
                    .select_from(Person)
                    .join(ids, ids.c.pid == Person.id)
                    .where(
                        Person.school_id == school_id,
                        Person.active.is_(True),
                        Person.email.not_in(audience.get("exclude") or [""]),
                    )
                )
                or 0
            )
        session.add(AudienceSize(school_id=school_id, requirement_id=rid, people=size))
    session.flush()


def _people(session: Session, school_id: str, as_of: date, ids: Sequence[int] | None) -> None:
    """Recount the person rows of ``ids`` (None: everyone), overdue as of ``as_of``."""
    counts = (
        select(
            Duty.person_id.label("pid"),
            func.count().label("open"),
            func.sum(case((Duty.due_on < as_of, 1), else_=0)).label("overdue"),
        )
        .where(Duty.school_id == school_id, Duty.status == "open")
        .group_by(Duty.person_id)
    )
    person_filter = [Person.school_id == school_id, Person.active.is_(True)]
    if ids is not None:
        counts = counts.where(Duty.person_id.in_(ids))
        person_filter.append(Person.id.in_(ids))
        session.execute(
            delete(PersonTally).where(
                PersonTally.school_id == school_id,
                PersonTally.person_id.in_(
                    select(Person.id).where(Person.id.in_(ids), Person.active.is_(False))
                ),
            )
        )
    sub = counts.subquery()
    rows = select(
        literal(school_id),
        Person.id,
        Person.display_name,
        func.coalesce(sub.c.open, 0),
        func.coalesce(sub.c.overdue, 0),
    ).outerjoin(sub, sub.c.pid == Person.id).where(*person_filter)
    stmt = dialect_insert(session, PersonTally).from_select(
        ["school_id", "person_id", "name", "open", "overdue"], rows
    )
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["school_id", "person_id"],
            set_={
                "name": stmt.excluded.name,
                "open": stmt.excluded.open,
                "overdue": stmt.excluded.overdue,
            },
        )
    )


def _active_people(session: Session, school_id: str) -> int:
    """How many active people the school has."""
    return (
        session.scalar(
            select(func.count())
            .select_from(Person)
            .where(Person.school_id == school_id, Person.active.is_(True))
        )
        or 0
    )


def rebuild(session: Session, school_id: str, today: date) -> DutySnapshot:
    """Count the school's duties afresh into its snapshot (per-person overdue as of ``today``)."""
    session.flush()
    snap, _ = _header(session, school_id, today)
    session.execute(delete(DutyTally).where(DutyTally.school_id == school_id))
    session.execute(
        dialect_insert(session, DutyTally).from_select(_TALLY_COLUMNS, _tallies(school_id))
    )
    session.execute(delete(PersonTally).where(PersonTally.school_id == school_id))
    _people(session, school_id, today, None)
    refresh_audiences(session, school_id)
    snap.as_of = today
    snap.built_at = utcnow()
    snap.people = _active_people(session, school_id)
    session.flush()
    return snap


def ensure(session: Session, school_id: str, today: date) -> tuple[DutySnapshot, bool]:
    """The school's snapshot, built now if it has none yet (True: this call built it)."""
    snap = session.get(DutySnapshot, school_id)
    if snap is not None:
        return snap, False
    if session.get(School, school_id) is None:  # never swept: no people, nothing to count
        return DutySnapshot(school_id=school_id, as_of=today, people=0), False
    snap, created = _header(session, school_id, today)
    if not created:  # another worker built it while we looked
        return snap, False
    return rebuild(session, school_id, today), True


def roll_forward(session: Session, school_id: str, today: date) -> tuple[DutySnapshot, bool]:
    """Per-person overdue counts as of ``today`` (True: some rows were recounted)."""
    snap, built = ensure(session, school_id, today)
    if snap.as_of == today:
        return snap, built
    snap, _ = _header(session, school_id, today)
    if snap.as_of == today:  # another worker moved it while we waited
        return snap, False
    low, high = sorted((snap.as_of, today))
    ids = list(
        session.scalars(
            select(Duty.person_id)
            .where(
                Duty.school_id == school_id,
                Duty.status == "open",
                Duty.due_on >= low,
                Duty.due_on < high,
            )
            .distinct()
        )
    )
    for start in range(0, len(ids), _BATCH):
        _people(session, school_id, today, ids[start : start + _BATCH])
    snap.as_of = today
    session.flush()
    return snap, True


def _tallies(school_id: str) -> Select[*tuple[Any, ...]]:
    """The school's duties counted as tally rows (``_TALLY_COLUMNS``, in that order)."""
    return (
        select(
            literal(school_id),
            Duty.requirement_id,
            Duty.cycle,
            Duty.due_on,
            Duty.status,
            Person.active,
            func.max(Duty.kind),
            func.max(Duty.policy_version_id),
            func.count(),
        )
        .join(Person, Person.id == Duty.person_id)
        .where(Duty.school_id == school_id, Duty.status.in_(TALLIED))
        .group_by(Duty.requirement_id, Duty.cycle, Duty.due_on, Duty.status, Person.active)
    )


def _tallies_of(session: Session, school_id: str, ids: Sequence[int]) -> Counter[tuple[Any, ...]]:
    """What these people add to the school's tallies now (the tally row but its count)."""
    found: Counter[tuple[Any, ...]] = Counter()
    for *key, n in session.execute(_tallies(school_id).where(Duty.person_id.in_(ids))):
        found[tuple(key)] += n
    return found


@contextmanager
def changing(
    session: Session, school_id: str, person_ids: Iterable[int], *, people: bool = False
) -> Iterator[None]:
    """Keep the snapshot true while the block changes these people's duties or whether they are
    active: their counts are taken before and after, and only the difference is written (an
    atomic upsert per changed row, so concurrent attestations never lose a count). Use it in the
    transaction that makes the change. ``people``: the block may change who is active (the
    head count and training audiences are recounted too).

    Example::

        with changing(session, person.school_id, [person.id]):
            duty.status = "done"
    """
    ids = sorted(set(person_ids))
    session.flush()
    snap = session.get(DutySnapshot, school_id) if ids else None
    if snap is None:  # nothing to keep (none yet: ``ensure`` will count everything)
        with _keeping():
            yield
            session.flush()
        return
    before = _tallies_of(session, school_id, ids)
    with _keeping():
        yield
        session.flush()
    after = _tallies_of(session, school_id, ids)
    after.subtract(before)
    for key, n in sorted(after.items(), key=lambda item: str(item[0])):
        if not n:
            continue
        row = dict(zip(_TALLY_COLUMNS, (*key, n), strict=True))
        stmt = dialect_insert(session, DutyTally).values(row)
        session.execute(
            stmt.on_conflict_do_update(
                index_elements=list(_TALLY_KEY), set_={"duties": DutyTally.duties + n}
            )
        )
    for start in range(0, len(ids), _BATCH):
        _people(session, school_id, snap.as_of, ids[start : start + _BATCH])
    if people:
        snap.people = _active_people(session, school_id)
        refresh_audiences(session, school_id)
    session.flush()


def close_done(session: Session, duties: Sequence[Duty], ref: str, today: date) -> int:
    """Mark these duties done on ``today`` with ``ref`` as evidence, the counts kept in step.

    The one way an attestation, a completed task or recorded training closes duties outside
    the sweep; returns how many. Evidence given before a duty opened (a new starter reading the
    policy before their first day) satisfies it: it is closed on the day it opens, never before.
    """
    if not duties:
        return 0
    with changing(session, duties[0].school_id, [d.person_id for d in duties]):
        for duty in duties:
            closed_on = max(today, duty.opened_on) if duty.opened_on else today
            duty.status, duty.closed_on, duty.closed_reason = "done", closed_on, "done"
            duty.evidence_ref = ref
    return len(duties)


# --------------------------------------------------------------------------- the rule, kept


class DutyCountsBypassed(RuntimeError):
    """A duty's status changed outside ``changing``/``close_done``/``recounted``."""


_KEPT: ContextVar[bool] = ContextVar("duty_counts_kept", default=False)


@contextmanager
def _keeping() -> Iterator[None]:
    token = _KEPT.set(True)
    try:
        yield
    finally:
        _KEPT.reset(token)


@contextmanager
def recounted(session: Session, school_id: str, today: date) -> Iterator[None]:
    """Change many of the school's duties in the block (the sweep's plan), then count the
    school afresh (``rebuild``) in the same transaction."""
    with _keeping():
        yield
        rebuild(session, school_id, today)


_DUTIES = cast(Table, Duty.__table__)
_BYPASS = (
    "a duty's status changed outside bot.engine.snapshot.changing/close_done/recounted: "
    "the dashboard's counts would drift from the duties"
)


# SQL written by hand: an UPDATE that sets the duties' status, or a DELETE of duties
_TEXTUAL_BYPASS = re.compile(
    r"\bUPDATE\s+\"?duties\"?\s+SET\b[^;]*?\bstatus\s*=|\bDELETE\s+FROM\s+\"?duties\"?(?=[\s;]|$)",
    re.IGNORECASE,
)


def _is_duties(table: Any) -> bool:
    """The bot's own duties table (the same name in another schema object, as someone outside
    the bot would write it, is not the bot's write)."""
    return (getattr(table, "metadata", None) is _DUTIES.metadata
            and getattr(table, "name", None) == _DUTIES.name)


@event.listens_for(Session, "before_flush")
def _refuse_orm_bypass(session: Session, _context: Any, _instances: Any) -> None:
    if _KEPT.get():
        return
    for obj in session.dirty:
        if isinstance(obj, Duty) and inspect(obj).attrs.status.history.has_changes():
            raise DutyCountsBypassed(_BYPASS)
    if any(isinstance(obj, Duty) for obj in session.deleted):
        raise DutyCountsBypassed(_BYPASS)


@event.listens_for(Engine, "before_execute")
def _refuse_core_bypass(
    conn: Any, statement: Any, multiparams: Any, params: Any, execution_options: Any
) -> None:
    if _KEPT.get():
        return
    if isinstance(statement, TextClause):
        if _TEXTUAL_BYPASS.search(statement.text):
            raise DutyCountsBypassed(_BYPASS)
        return
    if isinstance(statement, Delete) and _is_duties(statement.table):
        raise DutyCountsBypassed(_BYPASS)
    # the bot's own duties table only (the same table in another schema object, as someone
    # outside the bot would write it, is not the bot's write)
    if not isinstance(statement, Update) or not _is_duties(statement.table):
        return
    keys = {getattr(k, "key", k) for k in statement._values or ()}
    for given in (params, *(multiparams if isinstance(multiparams, list | tuple) else ())):
        if isinstance(given, dict):
            keys |= set(given)
        elif isinstance(given, list | tuple):
            keys |= {k for row in given if isinstance(row, dict) for k in row}
    if "status" in keys:
        raise DutyCountsBypassed(_BYPASS)
