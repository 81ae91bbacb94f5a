"""Claiming outbox rows: many dispatch workers at once, each row by exactly one of them.

A worker claims a page of due rows in one short transaction: ``SELECT … FOR UPDATE SKIP
LOCKED`` on PostgreSQL (rows another worker is claiming are skipped, not waited for), then
``UPDATE … SET status = 'claimed' … WHERE status = 'pending' RETURNING id``, so even on SQLite
(one writer at a time, no row locks) a row taken by someone else a moment ago is never taken
twice. Email claims also take the mailbox's sending permits (``mail_pacing``) in the same
transaction: a worker claims only what the mailbox may send now, counted across workers.

``claimed`` is not yet ``sending``: the outbox moves each row (or batch) to ``sending`` just
before the platform call, so a crash leaves only what was really in flight uncertain. Claimed
rows never attempted (the platform paused mid-page, a crash) are given back.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table, Update, bindparam, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from bot.core import mail_pacing
from bot.core.models import OutboxMessage
from bot.core.outbox_pause import DAILY_LIMIT_REASON, is_paused
from bot.core.store import Store
from connectors.base import MailPacing

__all__ = ["Claimed", "claim", "release", "start", "start_statement"]


@dataclass(frozen=True)
class Claimed:
    """Row ids now ``sending`` for this worker, oldest first, and — when the mailbox's limits
    held rows back — when more may go."""

    ids: tuple[int, ...]
    paced_until: datetime | None = None


def _due(channel: str, now: datetime) -> tuple[ColumnElement[bool], ...]:
    return (
        OutboxMessage.status == "pending",
        OutboxMessage.next_attempt_at <= now,
        OutboxMessage.channel == channel,
        ~is_paused(channel, now),
    )


def _choose(
    session: Session, channel: str, now: datetime, want: int, pacing: MailPacing | None,
    budget: int | None,
) -> tuple[list[tuple[int, int]], bool]:
    """Up to ``want`` due rows (id, recipients), locked, that fit a recipient ``budget``;
    and whether a due row was held back by that budget."""
    rows = session.execute(
        select(OutboxMessage.id, OutboxMessage.recipients, OutboxMessage.cc)
        .where(*_due(channel, now))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(want)
        .with_for_update(skip_locked=True)
    ).all()
    whole_day = pacing.daily_recipients if pacing is not None else None
    chosen: list[tuple[int, int]] = []
    for row_id, to, cc in rows:
        count = mail_pacing.recipient_count(to or [], cc or [])
        # a message bigger than a whole day's budget is let through alone: the mailer
        # refuses it for good instead of it holding the queue back for ever
        too_big = whole_day is not None and count > whole_day and not chosen
        if budget is not None and count > budget and not too_big:
            return chosen, True
        if budget is not None:
            budget -= count
        chosen.append((row_id, count))
    return chosen, False


def claim(
    store: Store, channel: str, now: datetime, want: int, pacing: MailPacing | None = None
) -> Claimed:
    """Claim up to ``want`` due rows of ``channel`` for this worker (paced when ``pacing``)."""
    if want <= 0:
        return Claimed(())
    with store.transaction() as session:
        budget: int | None = None
        if pacing is not None:
            mail_pacing.lock(session, pacing, now)
            allowed = mail_pacing.allowance(session, pacing, now)
            if allowed.messages <= 0:
                has_due = session.scalar(
                    select(OutboxMessage.id).where(*_due(channel, now)).limit(1)
                )
                return Claimed((), allowed.next_at if has_due is not None else None)
            want, budget = min(want, allowed.messages), allowed.recipients
        chosen, held_back = _choose(session, channel, now, want, pacing, budget)
        if not chosen:
            if held_back and pacing is not None:
                return Claimed((), mail_pacing.frees_at(session, pacing, now, mail_pacing.DAY))
            return Claimed(())
        taken = set(
            session.scalars(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_([i for i, _ in chosen]),
                       OutboxMessage.status == "pending")
                .values(status="claimed", claimed_at=now)
                .returning(OutboxMessage.id)
                .execution_options(synchronize_session=False)
            )
        )
        if pacing is not None:
            mail_pacing.record(session, pacing, now, [(i, n) for i, n in chosen if i in taken])
    return Claimed(tuple(i for i, _ in chosen if i in taken))


def release(store: Store, ids: Sequence[int]) -> int:
    """Give back claimed rows that were never attempted: pending again, their permits too."""
    if not ids:
        return 0
    with store.transaction() as session:
        result = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(list(ids)), OutboxMessage.status == "claimed")
            .values(status="pending", claimed_at=None)
            .execution_options(synchronize_session=False)
        )
        mail_pacing.finish(session, made=(), not_made=ids)
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


@functools.cache
def start_statement(channel: str) -> Update:
    """The UPDATE that moves claimed rows to ``sending``, built once per channel on the table
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
            start_statement(channel), {"ids": list(ids), "now": now}
        )
        return set(moved.scalars())
