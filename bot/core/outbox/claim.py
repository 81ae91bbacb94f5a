"""Claiming outbox rows: many dispatch workers at once, each row by exactly one of them.

A worker claims a page of due rows in one short transaction: ``SELECT … FOR UPDATE SKIP
LOCKED`` on PostgreSQL (rows another worker is claiming are skipped, not waited for), then
``UPDATE … SET status = 'claimed' … WHERE status = 'pending' RETURNING id``, so even on SQLite
(one writer at a time, no row locks) a row taken by someone else a moment ago is never taken
twice. Email claims also take the mailbox's sending permits (``outbox.pacing``) in the same
transaction: a worker claims only what the mailbox may send now, counted across workers.

``claimed`` is not yet ``sending``: the outbox moves each row (or batch) to ``sending`` just
before the platform call, so a crash leaves only what was really in flight uncertain. Claimed
rows never attempted (the platform paused mid-page, a crash) are given back.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Table, Update, and_, bindparam, exists, func, select, true, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select, Subquery
from sqlalchemy.sql.elements import BindParameter, ColumnElement

from bot.core.database.store import Store
from bot.core.models import OutboxMessage, Urgency
from bot.core.outbox import pacing as mail_pacing
from bot.core.outbox.pause import DAILY_LIMIT_REASON, channel_of, is_paused
from bot.core.outbox.workers import this_worker
from bot.core.ports import MailPacing

__all__ = ["Claimed", "claim", "due_channels", "release", "start"]


@dataclass(frozen=True)
class Claimed:
    """Row ids now ``claimed`` for this worker, the most urgent first, and — when the mailbox's
    limits held rows back — when more may go."""

    ids: tuple[int, ...]
    paced_until: datetime | None = None
    routine_only: bool = False  # only routine mail is held back: urgent mail may still go


def _due(
    channel: str, now: datetime, up_to: Urgency, mine: ColumnElement[bool] | None = None
) -> tuple[ColumnElement[bool], ...]:
    return (
        OutboxMessage.status == "pending",
        OutboxMessage.urgency <= int(up_to),
        OutboxMessage.next_attempt_at <= now,
        OutboxMessage.channel == channel_of(channel),
        ~is_paused(channel, now),
        true() if mine is None else mine,
    )


@dataclass
class _Budget:
    """What a claim may still take: the whole allowance for urgent rows, the allowance less
    the urgent reserve for routine ones (both shrink with every row taken)."""

    urgent: mail_pacing.Allowance | None
    routine: mail_pacing.Allowance | None
    whole_day: int | None
    messages: int = 0  # taken so far
    recipients: int = 0

    def fits(self, urgency: int, count: int) -> bool:
        """Whether one more message to ``count`` recipients fits its class's allowance."""
        allowed = self.routine if urgency >= Urgency.ROUTINE else self.urgent
        if allowed is None:
            return True
        if self.messages + 1 > allowed.messages:
            return False
        if allowed.recipients is None or self.recipients + count <= allowed.recipients:
            return True
        # a message bigger than a whole day's budget is let through alone: the mailer
        # refuses it for good instead of it holding the queue back for ever
        return self.whole_day is not None and count > self.whole_day and not self.messages

    def take(self, count: int) -> None:
        """Count one message to ``count`` recipients as taken."""
        self.messages += 1
        self.recipients += count


def _choose(
    session: Session,
    channel: str,
    now: datetime,
    want: int,
    up_to: Urgency,
    budget: _Budget,
    *,
    mine: ColumnElement[bool] | None = None,
    pacing: MailPacing | None = None,
) -> tuple[list[tuple[int, int, bool]], int | None]:
    """Up to ``want`` due rows (id, recipients, routine), the most urgent first, locked, that fit
    ``budget``; and the urgency of the first due row the budget held back (None: none was).

    Within an urgency the schools take turns (``_turns``): a mailbox many schools share sends
    each school's first message before any school's second."""
    turns = _turns(channel, now, up_to, mine, pacing)
    rows = session.execute(
        select(OutboxMessage.id, OutboxMessage.recipients, OutboxMessage.cc, OutboxMessage.urgency)
        .join(turns, turns.c.id == OutboxMessage.id)
        .order_by(
            OutboxMessage.urgency, turns.c.turn, OutboxMessage.next_attempt_at, OutboxMessage.id
        )
        .limit(want)
        .with_for_update(skip_locked=True, of=OutboxMessage)
    ).all()
    chosen: list[tuple[int, int, bool]] = []
    for row_id, to, cc, urgency in rows:
        count = mail_pacing.recipient_count(to or [], cc or [])
        if not budget.fits(urgency, count):
            # rows come most urgent first: whatever follows is no more urgent than this one
            return chosen, urgency
        budget.take(count)
        chosen.append((row_id, count, urgency >= Urgency.ROUTINE))
    return chosen, None


def _turns(
    channel: str,
    now: datetime,
    up_to: Urgency,
    mine: ColumnElement[bool] | None,
    pacing: MailPacing | None,
) -> Subquery:
    """The due rows' ids with each one's turn: its place in its school's queue (of its
    urgency), after the routine messages its school sent from the mailbox in the last day.

    Ordered by turn, a shared mailbox goes round the schools: forty schools' Monday digests
    leave one school's each in turn, not school by school in the order they were queued, and
    a school that had its share today waits behind one that had none (``mail_sends`` counts
    a paced mailbox's sends; the rows themselves are the count's keys)."""
    place = func.row_number().over(
        partition_by=(OutboxMessage.school_id, OutboxMessage.urgency),
        order_by=(OutboxMessage.next_attempt_at, OutboxMessage.id),
    )
    turn: ColumnElement[int] = place
    query = select(OutboxMessage.id).where(*_due(channel, now, up_to, mine))
    if pacing is not None:
        sent = mail_pacing.routine_sent_by_school(pacing, now)
        query = query.outerjoin(
            sent,
            and_(
                sent.c.school_id == OutboxMessage.school_id,
                OutboxMessage.urgency >= int(Urgency.ROUTINE),
            ),
        )
        turn = place + func.coalesce(sent.c.sent, 0)
    return query.add_columns(turn.label("turn")).subquery("turns")


def claim(
    store: Store,
    channel: str,
    now: datetime,
    want: int,
    pacing: MailPacing | None = None,
    *,
    up_to: Urgency = Urgency.ROUTINE,
    mine: ColumnElement[bool] | None = None,
) -> Claimed:
    """Claim up to ``want`` due rows of ``channel`` (or of email, when it is a school's own
    mailbox: its address) no more routine than ``up_to``, none while it is paused, the most
    urgent first, the schools in turn, for this worker (paced when ``pacing``: routine rows
    never spend the mailbox's urgent reserve, and never hold back a more urgent row); only
    rows ``mine`` selects when given (the schools whose mail this mailbox sends)."""
    if want <= 0:
        return Claimed(())
    with store.transaction() as session:
        budget = _Budget(None, None, None)
        if pacing is not None:
            mail_pacing.lock(session, pacing, now)
            urgent, routine = mail_pacing.allowances(session, pacing, now)
            if urgent.messages <= 0:
                has_due = session.scalar(
                    select(OutboxMessage.id).where(*_due(channel, now, up_to, mine)).limit(1)
                )
                return Claimed((), urgent.next_at if has_due is not None else None)
            want = min(want, urgent.messages)
            budget = _Budget(urgent, routine, pacing.daily_recipients)
        chosen, held_back = _choose(
            session, channel, now, want, up_to, budget, mine=mine, pacing=pacing
        )
        paced_until, routine_only = None, False
        if held_back is not None and pacing is not None:
            paced_until, routine_only = _frees(session, pacing, now, budget, held_back)
        if not chosen:
            return Claimed((), paced_until, routine_only)
        taken = set(
            session.scalars(
                update(OutboxMessage)
                .where(
                    OutboxMessage.id.in_([i for i, _, _ in chosen]),
                    OutboxMessage.status == "pending",
                )
                .values(status="claimed", claimed_at=now, claimed_by=this_worker().id)
                .returning(OutboxMessage.id)
                .execution_options(synchronize_session=False)
            )
        )
        if pacing is not None:
            mail_pacing.record(session, pacing, now, [c for c in chosen if c[0] in taken])
    return Claimed(tuple(i for i, _, _ in chosen if i in taken), paced_until, routine_only)


@functools.cache
def _due_look(channels: tuple[str, ...]) -> Select[*tuple[bool, ...]]:
    """``due_channels``'s one look at ``channels``, built once (it runs at every pass)."""
    table = OutboxMessage.__table__
    assert isinstance(table, Table)
    now: BindParameter[datetime] = bindparam("now")
    up_to: BindParameter[int] = bindparam("up_to")
    return select(
        *(
            exists().where(
                table.c.status == "pending",
                table.c.channel == channel,
                table.c.urgency <= up_to,
                table.c.next_attempt_at <= now,
            )
            for channel in channels
        )
    )


def due_channels(store: Store, now: datetime, up_to: Urgency, channels: set[str]) -> set[str]:
    """Those of ``channels`` with a row due at ``now`` no more routine than ``up_to``, paused or
    not, in one look: a lane of any other has nothing to claim (most passes, after a sweep)."""
    if not channels:
        return set()
    named = tuple(sorted(channels))
    with store.session() as session:
        found = session.execute(_due_look(named), {"now": now, "up_to": int(up_to)}).one()
    return {channel for channel, due in zip(named, found, strict=True) if due}


def _frees(
    session: Session, pacing: MailPacing, now: datetime, budget: _Budget, held_back: int
) -> tuple[datetime, bool]:
    """When the allowance that held back a row of urgency ``held_back`` lets it go, and
    whether only routine mail is held (urgent mail may still go meanwhile)."""
    routine = held_back >= Urgency.ROUTINE
    allowed = budget.routine if routine else budget.urgent
    assert allowed is not None
    if allowed.next_at is not None:
        return allowed.next_at, routine
    window = timedelta(seconds=pacing.window)
    over = budget.messages >= allowed.messages  # the minute, else the day's recipients
    return mail_pacing.frees_at(session, pacing, now, window if over else mail_pacing.DAY), routine


def release(store: Store, ids: Sequence[int]) -> int:
    """Give back claimed rows that were never attempted: pending again, their permits too."""
    if not ids:
        return 0
    with store.transaction() as session:
        result = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(list(ids)), OutboxMessage.status == "claimed")
            .values(status="pending", claimed_at=None, claimed_by=None)
            .execution_options(synchronize_session=False)
        )
        mail_pacing.finish(session, made=(), not_made=ids)
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


@functools.cache
def _start_statement(channel: str) -> Update:
    """The UPDATE that moves claimed rows to ``sending`` unless ``channel`` (or the mailbox
    whose address it is) is paused, built once per channel on the table
    (no ORM): it runs before every send, and on SQLite building and routing a statement costs
    more than running it."""
    table = OutboxMessage.__table__
    assert isinstance(table, Table)
    now = bindparam("now", type_=table.c.claimed_at.type)
    return (
        update(table)
        .where(
            table.c.id.in_(bindparam("ids", expanding=True)),
            table.c.status == "claimed",
            # a platform's pause stops rows already claimed; the mailbox's own daily
            # limit does not: their permits were taken within it
            ~is_paused(channel, now, unless=DAILY_LIMIT_REASON),
        )
        .values(status="sending", claimed_at=now, attempts=table.c.attempts + 1)
        .returning(table.c.id)
    )


def start(store: Store, ids: Sequence[int], channel: str, now: datetime) -> set[int]:
    """Move claimed rows to ``sending`` just before the platform call (one attempt each);
    returns those moved: none if the channel was paused by another worker meanwhile."""
    if not ids:
        return set()
    with store.transaction() as session:
        moved = session.connection().execute(
            _start_statement(channel), {"ids": list(ids), "now": now}
        )
        return set(moved.scalars())
