"""Who changed since the duties step last planned: the set the database keeps itself.

Every insert, change or deletion of what the duties step and its reminders read (the tables in
``WATCHED``) records, by a trigger of migration 0049, the person it is about in
``changed_people``, or the whole school (``WHOLE``) for what is not one person's: settings,
requirements, policies and versions, official accounts and their holders, recurring tasks, a
line manager. No writer can go round it (the ORM, bulk statements and hand-written SQL alike).
A duty's reminder stage is not watched (migration 0052): only the duties step writes it, while
it plans, and its own writes are not changes.
The duties step then plans only those people (``start``/``finish``), and a quiet sweep costs one
indexed look (``pending``) instead of reading every row.

What the step reads beyond the database (the school's settings, whether it sends, the chat
route) is compared by ``context``: any difference plans everyone. The day is not in it: a new
day plans, besides the marked, the people whose date has come (``bot.engine.attention``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    bindparam,
    column,
    delete,
    func,
    insert,
    literal,
    select,
    table,
)
from sqlalchemy.orm import Session

from bot.core.config import SchoolConfig

__all__ = [
    "PLANNING",
    "WATCHED",
    "WHOLE",
    "Changes",
    "context",
    "everyone",
    "finish",
    "pending",
    "start",
]

# person_id 0: every person; -1: this transaction's duties step is writing (its own writes
# are what it planned, not changes)
WHOLE, PLANNING = 0, -1

# the tables whose writes are recorded (migration 0049 puts the triggers on them; a test checks
# that the duties step reads no other table of the school's)
WATCHED = frozenset(
    {
        "people",
        "person_roles",
        "person_groups",
        "duties",
        "attestations",
        "training_records",
        "account_holders",
        "official_accounts",
        "requirements",
        "policies",
        "policy_versions",
        "task_completions",
    }
)

_CHANGED = table(
    "changed_people", column("id"), column("school_id"), column("person_id"), column("txid")
)
# built once (the duties step asks them each school each sweep): ``pending``'s look (twice),
# the marks ``start`` reads, and ``finish``'s end of planning
_ANY_CHANGED = select(_CHANGED.c.id).where(_CHANGED.c.school_id == bindparam("school_id")).limit(1)
_MARKS = select(_CHANGED.c.id, _CHANGED.c.person_id).where(
    _CHANGED.c.school_id == bindparam("school_id"), _CHANGED.c.person_id != PLANNING
)
_END_PLANNING = delete(_CHANGED).where(
    _CHANGED.c.school_id == bindparam("school_id"), _CHANGED.c.person_id == PLANNING
)


@dataclass(frozen=True)
class Changes:
    """The marks a duties step read: who to plan (None: everyone) and the rows to clear."""

    people: frozenset[int] | None
    rows: tuple[int, ...]


def context(school: SchoolConfig, sending: bool, chat: bool) -> str:
    """A digest of what the duties step reads that is not in the database (nor the day)."""
    return hashlib.sha256(f"{sending}|{chat}|{school.model_dump_json()}".encode()).hexdigest()


def pending(session: Session, school_id: str) -> bool:
    """Whether anything the duties step reads changed since it last planned (one index look)."""
    session.flush()
    return session.execute(_ANY_CHANGED, {"school_id": school_id}).first() is not None


def _txid(session: Session) -> ColumnElement[Any]:
    """What a mark of this transaction carries: its id on PostgreSQL (whose triggers skip only
    their own transaction's repeats), nothing on SQLite (one writer at a time)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.txid_current()
    return literal(None)


def _mark(session: Session, school_id: str, person_id: int) -> None:
    session.execute(
        insert(_CHANGED).from_select(
            ["school_id", "person_id", "txid"],
            select(literal(school_id), literal(person_id), _txid(session)),
        )
    )


def everyone(session: Session, school_id: str) -> None:
    """Have the next duties step plan everyone (what this one wrote is not its fixed point)."""
    _mark(session, school_id, WHOLE)


def start(session: Session, school_id: str) -> Changes:
    """Begin planning: from here this transaction's writes are the step's own (not marked), and
    the marks so far say whom to plan. On SQLite the first write takes the write lock, so no
    other writer's mark can come between the read and ``finish``."""
    session.flush()
    _mark(session, school_id, PLANNING)
    found = session.execute(_MARKS, {"school_id": school_id}).all()
    people = {person for _, person in found}
    return Changes(None if WHOLE in people else frozenset(people), tuple(row for row, _ in found))


def finish(session: Session, school_id: str, changes: Changes) -> None:
    """The step planned what ``start`` read: clear those marks (not any made since by another
    transaction) and stop treating this transaction's writes as the step's own."""
    session.flush()
    rows = sorted(changes.rows)
    for at in range(0, len(rows), 1000):
        session.execute(delete(_CHANGED).where(_CHANGED.c.id.in_(rows[at : at + 1000])))
    session.execute(_END_PLANNING, {"school_id": school_id})
