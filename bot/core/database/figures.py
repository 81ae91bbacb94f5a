"""A school's figures kept as things happen: its policies and requirements, its official
accounts, and its open reports with their clocks (the duty counts are ``bot.engine.snapshot``'s).

One place keeps them: every session the store hands out notes, after each flush, which
school's figure-bearing rows (``WATCHED``) it added, changed or deleted, and just before it
commits recomputes those parts of those schools from the rows (``facts``), in the same
transaction, the part's row locked first, so two writers in turn each count the other's rows.
A statement that writes such a table in bulk (``update(Report)...``) cannot tell whose rows it
wrote: it has that part recomputed for every school that keeps one. A write to other tables
that moves a figure says so itself (``note``): the duty snapshot notes the accounts when an AUP
signature's count moves, and every recount of a school (``snapshot.rebuild``: the sweep,
settings applied) notes all its parts.

Nothing kept is a judgement of a day: a policy keeps its review date, a report the day it was
made, a clock its deadline; the reader (``bot.features.dashboard.figures``) judges them against
its own ``today`` and ``now`` with the pure rules, so a review overdue today or a clock past due
now is true when read even if no sweep has run since. ``rebuild`` recomputes a school's parts
and says which changed (``compliance-bot figures rebuild``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import ORMExecuteState, Session

from bot.core.days.clock import local_today
from bot.core.models import (
    AccountHolder,
    Base,
    Duty,
    KeptFigures,
    OfficialAccount,
    Policy,
    PolicyVersion,
    Report,
    ReportClock,
    Requirement,
    School,
    utcnow,
)

__all__ = ["HOOKS", "PARTS", "facts", "kept", "note", "rebuild"]

PARTS = ("policies", "accounts", "reports")
WATCHED: dict[type[Base], str] = {
    Policy: "policies",
    PolicyVersion: "policies",
    Requirement: "policies",
    OfficialAccount: "accounts",
    AccountHolder: "accounts",
    Report: "reports",
    ReportClock: "reports",
}
_BY_TABLE = {str(model.__table__): part for model, part in WATCHED.items()}
FIGURED_KINDS = ("acknowledge_policy", "complete_training", "reading_campaign")
_NOTED = "kept_figures_noted"
_EVERY = "kept_figures_every_school"


def _policies(session: Session, school_id: str) -> dict[str, Any]:
    """The policies (by title, with their review state's dates), every version's policy and
    label, and the active requirements the figures count (acknowledgements, training, reading)."""
    policies = session.execute(
        select(Policy.id, Policy.key, Policy.title, Policy.under_review, Policy.next_review_due)
        .where(Policy.school_id == school_id, Policy.kind == "policy")
        .order_by(Policy.title, Policy.id)
    )
    versions = session.execute(
        select(PolicyVersion.id, PolicyVersion.policy_id, PolicyVersion.label)
        .where(PolicyVersion.school_id == school_id)
        .order_by(PolicyVersion.id)
    )
    requirements = session.execute(
        select(Requirement.id, Requirement.kind, Requirement.key, Requirement.title)
        .add_columns(Requirement.policy_id, Requirement.spec)
        .where(
            Requirement.school_id == school_id,
            Requirement.kind.in_(FIGURED_KINDS),
            Requirement.active.is_(True),
        )
        .order_by(Requirement.title, Requirement.id)
    )
    return {
        "policies": [
            [pid, key, title, under, due and due.isoformat()]
            for pid, key, title, under, due in policies
        ],
        "versions": [list(row) for row in versions],
        "requirements": [
            [*row[:5], *((row.spec or {}).get(name) for name in ("yearly_on", "course"))]
            for row in requirements
        ],
    }


def _accounts(session: Session, school_id: str) -> list[list[Any]]:
    """Each official account (by name): its current holders and who of them owes a signature."""
    holders = (
        select(func.count())
        .where(AccountHolder.account_id == OfficialAccount.id, AccountHolder.until.is_(None))
        .scalar_subquery()
    )
    unsigned = (
        select(func.count(func.distinct(Duty.person_id)))
        .where(
            Duty.school_id == school_id,
            Duty.kind == "sign_aup",
            Duty.status == "open",
            Duty.account_id == OfficialAccount.id,
        )
        .scalar_subquery()
    )
    return [
        list(row)
        for row in session.execute(
            select(OfficialAccount.id, OfficialAccount.name, OfficialAccount.platform)
            .add_columns(holders, unsigned, OfficialAccount.handover_needed)
            .where(OfficialAccount.school_id == school_id)
            .order_by(OfficialAccount.name, OfficialAccount.id)
        )
    ]


def _reports(session: Session, school_id: str) -> dict[str, Any]:
    """Open reports' urgency and the day each was made, and their running clocks' deadlines
    (reports about the headteacher left out: the figures reach the headteacher)."""
    shown = (
        Report.school_id == school_id,
        Report.status != "closed",
        Report.about_headteacher.is_(False),
    )
    reports = session.execute(select(Report.urgency, Report.created_at).where(*shown))
    clocks = session.execute(
        select(ReportClock.report_id, ReportClock.due_at)
        .join(Report, Report.id == ReportClock.report_id)
        .where(ReportClock.stopped_at.is_(None), *shown)
    )
    return {
        "open": sorted([urgency, local_today(made).isoformat()] for urgency, made in reports),
        "clocks": sorted([rid, due.isoformat()] for rid, due in clocks),
    }


_BUILDERS: dict[str, Callable[[Session, str], Any]] = {
    "policies": _policies,
    "accounts": _accounts,
    "reports": _reports,
}


def facts(session: Session, school_id: str, part: str) -> Any:
    """One part of a school's figures, recomputed from its rows."""
    return _BUILDERS[part](session, school_id)


def _locked(session: Session, school_id: str, part: str) -> tuple[KeptFigures, bool]:
    """The part's row, locked until the transaction ends (made if missing: True)."""
    row = session.get(KeptFigures, (school_id, part), with_for_update=True, populate_existing=True)
    if row is not None:
        return row, False
    try:
        with session.begin_nested():  # another writer may be making it too
            session.add(KeptFigures(school_id=school_id, part=part, built_at=utcnow()))
    except IntegrityError:  # it did: take its row, in turn
        return _locked(session, school_id, part)
    return _locked(session, school_id, part)[0], True


def rebuild(session: Session, school_id: str, parts: Iterable[str] = PARTS) -> list[str]:
    """Recompute ``parts`` of a school from its rows and keep them; the parts that were kept
    and differed (a part kept for the first time is no change)."""
    changed = []
    for part in parts:
        row, made = _locked(session, school_id, part)
        now = facts(session, school_id, part)
        if row.facts != now:
            changed += [] if made else [part]
            row.facts, row.built_at = now, utcnow()
    session.flush()
    return changed


def kept(session: Session, school_id: str, parts: Iterable[str] = PARTS) -> dict[str, Any]:
    """``parts`` of a school's figures as kept (a part never kept yet: from its rows)."""
    wanted = list(parts)
    found: dict[str, Any] = dict(
        session.connection().execute(_KEPT, {"school_id": school_id, "parts": wanted}).all()
    )
    return {p: facts(session, school_id, p) if found.get(p) is None else found[p] for p in wanted}


_KEPT = select(KeptFigures.part, KeptFigures.facts).where(  # built once: every view reads it
    KeptFigures.school_id == bindparam("school_id"),
    KeptFigures.part.in_(bindparam("parts", expanding=True)),
)


def note(session: Session, school_id: str, parts: Iterable[str] = PARTS) -> None:
    """Have ``parts`` of the school recomputed when this transaction commits."""
    session.info.setdefault(_NOTED, set()).update((school_id, part) for part in parts)


def _after_flush(session: Session, _context: Any) -> None:
    """Note the schools and parts whose rows this flush added, changed or deleted."""
    for obj in (*session.new, *session.dirty, *session.deleted):
        part = WATCHED.get(type(obj))
        if part is not None and (
            obj not in session.dirty or session.is_modified(obj, include_collections=False)
        ):
            note(session, obj.school_id, [part])


def _bulk(state: ORMExecuteState) -> None:
    """Note the part whose table a bulk statement writes, for every school."""
    if state.is_update or state.is_delete or state.is_insert:
        part = _BY_TABLE.get(getattr(getattr(state.statement, "table", None), "name", ""))
        if part is not None:
            state.session.info.setdefault(_EVERY, set()).add(part)


def _before_commit(session: Session) -> None:
    """Recompute the noted parts, in school and part order (as concurrent writers lock them)."""
    if session.in_nested_transaction():
        return
    session.flush()
    for part in session.info.pop(_EVERY, ()):
        schools = session.scalars(select(KeptFigures.school_id).where(KeptFigures.part == part))
        for school_id in schools.all():
            note(session, school_id, [part])
    for school_id, part in sorted(session.info.pop(_NOTED, ())):
        if session.get(School, school_id) is not None:  # no school row yet: nothing to keep
            rebuild(session, school_id, [part])


def _forget(session: Session, *_args: Any) -> None:
    """A rolled-back transaction changed nothing to keep (a savepoint's rollback is no end)."""
    if not session.in_nested_transaction():
        session.info.pop(_NOTED, None)
        session.info.pop(_EVERY, None)


# what sessions do to keep the figures of what they write (``bot.core.database.store`` listens them)
HOOKS: dict[str, Callable[..., Any]] = {
    "after_flush": _after_flush,
    "before_commit": _before_commit,
    "after_rollback": _forget,
    "do_orm_execute": _bulk,
}
