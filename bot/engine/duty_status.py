"""Where a duty's status changes, and the rule that it changes nowhere else.

Outside the sweep every change of a duty's status, or of who is active, happens inside
``changing`` in the transaction that makes it (``close_done`` for evidence: an attestation, a
completed task, recorded training); the sweep changes many inside ``recounted``. Either way the
dashboard's counts (``bot.engine.snapshot``) follow in the same transaction.

The rule is kept in code: a duty's status changed anywhere else — an ORM change flushed, an
UPDATE of the duties' status (built or written as SQL text), or a duty deleted (by the ORM, a
DELETE statement or SQL text) — fails with :class:`DutyCountsBypassed` before it is written, so
the dashboard can never silently drift from the duties.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from sqlalchemy import Delete, Engine, Table, TextClause, Update, event, inspect
from sqlalchemy.orm import Session

from bot.core.models import Duty, DutySnapshot
from bot.engine.snapshot import count_difference, rebuild, roll_forward, tallies_of

__all__ = ["DutyCountsBypassed", "Recount", "changing", "close_done", "recounted"]


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
    before = tallies_of(session, school_id, ids)
    with _keeping():
        yield
        session.flush()
    after = tallies_of(session, school_id, ids)
    after.subtract(before)
    count_difference(session, snap, ids, after, people=people)


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


@dataclass
class Recount:
    """What a ``recounted`` block tells it: whether it wrote any duty (it did, unless it says)."""

    wrote: bool = True


@contextmanager
def recounted(
    session: Session, school_id: str, today: date, *, kept: bool = False
) -> Iterator[Recount]:
    """Change many of the school's duties in the block (the sweep's plan), then count the
    school afresh (``rebuild``) in the same transaction.

    With ``kept`` (nothing the snapshot counts has changed since it was last made true: no
    duty, person, role, group, holding or requirement, ``bot.engine.changes``) and a block that
    wrote no duty (``Recount.wrote`` False), the counts are still true: only each person's
    overdue count moves to today (``roll_forward``), as a recount would have it."""
    recount = Recount()
    with _keeping():
        yield recount
        if kept and not recount.wrote:
            roll_forward(session, school_id, today)
        else:
            rebuild(session, school_id, today)


_DUTIES = cast(Table, Duty.__table__)
_BYPASS = (
    "a duty's status changed outside bot.engine.duty_status.changing/close_done/recounted: "
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
    return (
        getattr(table, "metadata", None) is _DUTIES.metadata
        and getattr(table, "name", None) == _DUTIES.name
    )


@event.listens_for(Session, "before_flush")
def _refuse_orm_bypass(session: Session, _context: Any, _instances: Any) -> None:
    if _KEPT.get():
        return
    for obj in session.dirty:
        if isinstance(obj, Duty) and inspect(obj).attrs.status.history.has_changes():
            raise DutyCountsBypassed(_BYPASS)
    if any(isinstance(obj, Duty) for obj in session.deleted):
        raise DutyCountsBypassed(_BYPASS)


_MAY_BYPASS = (TextClause, Update, Delete)


@event.listens_for(Engine, "before_execute")
def _refuse_core_bypass(
    conn: Any, statement: Any, multiparams: Any, params: Any, execution_options: Any
) -> None:
    # every statement passes here: most (SELECT, INSERT) go at the first test
    if not isinstance(statement, _MAY_BYPASS) or _KEPT.get():
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
