"""The duty snapshot: summary rows the dashboard, the people list and the digest read.

``rebuild`` counts a school's duties with a few set-based statements (the end of every
``plan_and_apply`` of everyone: the sweep, settings applied, the people register, setup; but a
sweep's when nothing counted changed since the last and its plan wrote no duty, whose counts
are still true: ``duty_status.recounted``). Between sweeps a
change of a duty's status, or of who is active (``bot.engine.duty_status``, where the rule that
statuses change nowhere else is kept), writes only the difference it made here
(``count_difference``: an atomic upsert, so concurrent attestations never lose a count) and
recounts the people's own rows. The rest of a school's figures are kept beside these
(``bot.core.database.figures``): a recount notes them all, an AUP signature's count its
accounts. ``ensure`` builds the snapshot once if none exists yet (a fresh
install before its first sweep).

Tallies are kept per due date, so "overdue" on any day is a sum; only the people list's
per-person overdue count is as of one day, and ``roll_forward`` moves it to today by
recounting the few people whose duties fell due in between.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import BindParameter, String, bindparam, case, delete, func, select, union
from sqlalchemy.orm import Session

from bot.core.database import figures
from bot.core.database.store import dialect_insert
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

__all__ = [
    "TALLIED",
    "audience_ids",
    "count_difference",
    "ensure",
    "rebuild",
    "refresh_audiences",
    "roll_forward",
    "tallies_of",
]

TALLIED = ("open", "done")  # the statuses the figures count
_BATCH = 500
# a tally row's columns: its key (the first six), then what the key's duties share, and the count
_TALLY_COLUMNS = (
    "school_id",
    "requirement_id",
    "cycle",
    "due_on",
    "status",
    "active",
    "kind",
    "policy_version_id",
    "duties",
)
_TALLY_KEY = _TALLY_COLUMNS[:6]
# the statements below are built once: their joins, coercions and cache keys cost more than
# running them (an acknowledgement ran five, each built afresh)
_SCHOOL = bindparam("school_id", type_=String())
_IDS: BindParameter[Any] = bindparam("ids", expanding=True)
_BUILT: dict[tuple[str, str], Any] = {}


def _built(session: Session, name: str, build: Callable[[Session], Any]) -> Any:
    """The statement ``build`` makes for this database, made once."""
    key = (session.get_bind().dialect.name, name)
    if key not in _BUILT:
        _BUILT[key] = build(session)
    return _BUILT[key]


def _header(session: Session, school_id: str, today: date) -> tuple[DutySnapshot, bool]:
    """The school's snapshot row, locked until the transaction ends (created if missing: True)."""
    result = session.execute(
        dialect_insert(session, DutySnapshot)
        .values(school_id=school_id, as_of=today, built_at=utcnow(), people=0)
        .on_conflict_do_nothing(index_elements=["school_id"])
    )
    inserted = int(result.rowcount or 0)  # type: ignore[attr-defined]
    row = session.get(DutySnapshot, school_id, with_for_update=True, populate_existing=True)
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


def _people_upsert(session: Session, some: bool) -> Any:
    """Recount person rows (``some``: those in ``ids``) with overdue as of ``as_of``."""
    counts = (
        select(
            Duty.person_id.label("pid"),
            func.count().label("open"),
            func.sum(case((Duty.due_on < bindparam("as_of"), 1), else_=0)).label("overdue"),
        )
        .where(Duty.school_id == _SCHOOL, Duty.status == "open")
        .group_by(Duty.person_id)
    )
    person_filter = [Person.school_id == _SCHOOL, Person.active.is_(True)]
    if some:
        counts = counts.where(Duty.person_id.in_(_IDS))
        person_filter.append(Person.id.in_(_IDS))
    sub = counts.subquery()
    rows = (
        select(
            _SCHOOL,
            Person.id,
            Person.display_name,
            func.coalesce(sub.c.open, 0),
            func.coalesce(sub.c.overdue, 0),
        )
        .outerjoin(sub, sub.c.pid == Person.id)
        .where(*person_filter)
    )
    stmt = dialect_insert(session, PersonTally.__table__).from_select(
        ["school_id", "person_id", "name", "open", "overdue"], rows
    )
    return stmt.on_conflict_do_update(
        index_elements=["school_id", "person_id"],
        set_={
            "name": stmt.excluded.name,
            "open": stmt.excluded.open,
            "overdue": stmt.excluded.overdue,
        },
    )


_GONE_PEOPLE = delete(PersonTally).where(
    PersonTally.school_id == _SCHOOL,
    PersonTally.person_id.in_(
        select(Person.id).where(Person.id.in_(_IDS), Person.active.is_(False))
    ),
)


def _people(session: Session, school_id: str, as_of: date, ids: Sequence[int] | None) -> None:
    """Recount the person rows of ``ids`` (None: everyone), overdue as of ``as_of``."""
    given = {"school_id": school_id, "as_of": as_of}
    if ids is not None:
        given["ids"] = list(ids)
        session.execute(_GONE_PEOPLE, {"school_id": school_id, "ids": given["ids"]})
    some = ids is not None
    stmt = _built(session, f"people:{some}", lambda s: _people_upsert(s, some))
    session.execute(stmt, given)


_ACTIVE_PEOPLE = (
    select(func.count())
    .select_from(Person)
    .where(Person.school_id == _SCHOOL, Person.active.is_(True))
)


def _active_people(session: Session, school_id: str) -> int:
    """How many active people the school has."""
    return session.scalar(_ACTIVE_PEOPLE, {"school_id": school_id}) or 0


def rebuild(session: Session, school_id: str, today: date) -> DutySnapshot:
    """Count the school's duties afresh into its snapshot (per-person overdue as of ``today``)."""
    session.flush()
    snap, _ = _header(session, school_id, today)
    session.execute(delete(DutyTally).where(DutyTally.school_id == school_id))
    session.execute(
        dialect_insert(session, DutyTally.__table__).from_select(_TALLY_COLUMNS, _TALLIES),
        {"school_id": school_id},
    )
    session.execute(delete(PersonTally).where(PersonTally.school_id == school_id))
    _people(session, school_id, today, None)
    refresh_audiences(session, school_id)
    snap.as_of = today
    snap.built_at = utcnow()
    snap.people = _active_people(session, school_id)
    figures.note(session, school_id)  # and the rest of its figures, at commit
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
    ids = list(session.scalars(_FELL_DUE, {"school_id": school_id, "low": low, "high": high}))
    for start in range(0, len(ids), _BATCH):
        _people(session, school_id, today, ids[start : start + _BATCH])
    snap.as_of = today
    session.flush()
    return snap, True


# who has an open duty that fell due between the snapshot's day and today (``roll_forward``)
_FELL_DUE = (
    select(Duty.person_id)
    .where(
        Duty.school_id == _SCHOOL,
        Duty.status == "open",
        Duty.due_on >= bindparam("low"),
        Duty.due_on < bindparam("high"),
    )
    .distinct()
)


# the school's duties counted as tally rows (``_TALLY_COLUMNS``, in that order)
_TALLIES = (
    select(
        _SCHOOL,
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
    .where(Duty.school_id == _SCHOOL, Duty.status.in_(TALLIED))
    .group_by(Duty.requirement_id, Duty.cycle, Duty.due_on, Duty.status, Person.active)
)
_TALLIES_OF = _TALLIES.where(Duty.person_id.in_(_IDS))


def tallies_of(session: Session, school_id: str, ids: Sequence[int]) -> Counter[tuple[Any, ...]]:
    """What these people add to the school's tallies now (the tally row but its count)."""
    found: Counter[tuple[Any, ...]] = Counter()
    for *key, n in session.execute(_TALLIES_OF, {"school_id": school_id, "ids": list(ids)}):
        found[tuple(key)] += n
    return found


def _tally_upsert(session: Session) -> Any:
    """Add a tally row's ``duties`` to the row with its key (made if missing)."""
    stmt = dialect_insert(session, DutyTally.__table__)
    return stmt.on_conflict_do_update(
        index_elements=list(_TALLY_KEY),
        set_={"duties": DutyTally.__table__.c.duties + stmt.excluded.duties},
    )


_EMPTIED = delete(DutyTally).where(DutyTally.school_id == _SCHOOL, DutyTally.duties == 0)


def count_difference(
    session: Session,
    snap: DutySnapshot,
    ids: Sequence[int],
    difference: Counter[tuple[Any, ...]],
    *,
    people: bool,
) -> None:
    """Write what a change did to these people's counts: ``difference`` is their tallies after
    it less before (an atomic upsert per changed row, so concurrent attestations never lose a
    count); their own rows are recounted, and with ``people`` the head count and training
    audiences too (``bot.engine.duty_status.changing``)."""
    rows = [
        dict(zip(_TALLY_COLUMNS, (*key, n), strict=True))
        for key, n in sorted(difference.items(), key=lambda item: str(item[0]))
        if n
    ]
    if rows:  # one statement for them all, in key order as concurrent writers take them
        session.execute(_built(session, "tally", _tally_upsert), rows)
    if any(key[6] == "sign_aup" for key in difference):  # the accounts' unsigned holders
        figures.note(session, snap.school_id, ["accounts"])
    if any(n < 0 for n in difference.values()):  # a row counted down to none goes, as in
        session.execute(_EMPTIED, {"school_id": snap.school_id})  # a recount (``rebuild``)
    for start in range(0, len(ids), _BATCH):
        _people(session, snap.school_id, snap.as_of, ids[start : start + _BATCH])
    if people:
        snap.people = _active_people(session, snap.school_id)
        refresh_audiences(session, snap.school_id)
    session.flush()
