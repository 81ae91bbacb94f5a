"""Recording what the platform answered on outbox rows, and what one dispatch pass counted.

The dispatcher (``outbox``) calls :func:`settle` once per send or batch: every answer and the
channel's pause (or its end) are written in one transaction. Rows the platform took are
recorded with one UPDATE, without loading them; any other answer goes row by row.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlalchemy import Table, Update, bindparam, select, text, update
from sqlalchemy.orm import Session

from bot.core.database.store import Store
from bot.core.models import OutboxMessage
from bot.core.outbox import pacing as mail_pacing
from bot.core.outbox.pause import pause, resume
from bot.core.outbox.queue import fall_back
from bot.core.ports import (
    ConnectorError,
    DeliveryUnknownError,
    RetryableError,
    SendResult,
    SetupError,
)

__all__ = ["DispatchStats", "FailureAlerts", "Outcome", "settle"]

log = logging.getLogger("bot.core.outbox")


class FailureAlerts(Protocol):
    """Tells a school's admins about refused messages (``bot.core.outbox.delivery.AdminAlerts``)."""

    def queue(self, session: Session, now: datetime) -> int:
        """Queue alerts for every ``failed`` message not yet alerted about; returns how many."""
        ...


@dataclass
class DispatchStats:
    """What one dispatch pass did, and the channels it found or left paused."""

    sent: int = 0
    retry_later: int = 0
    failed: int = 0
    fell_back: int = 0  # Teams cards refused for good whose email went instead
    delivery_unknown: int = 0
    recovered: int = 0
    found_sent: int = 0  # unknown outcomes found in the mailbox's sent items (outbox.lookup)
    alerts: int = 0
    sent_keys: list[str] = field(default_factory=list)
    paused: dict[str, datetime] = field(default_factory=dict)  # channel -> paused until
    # when the sending mailbox's limits (per minute, per day) let more go, if they held any back
    paced_until: datetime | None = None


Outcome = SendResult | ConnectorError


def _settle_row(
    session: Session, row: OutboxMessage, outcome: Outcome, now: datetime, stats: DispatchStats
) -> None:
    """Record one provider answer on its row (a Teams card refused for good falls back to its
    email: ``outbox.queue.fall_back``)."""
    if isinstance(outcome, SendResult):
        row.status, row.sent_at, row.provider_id = "sent", now, outcome.provider_id
        row.last_error = None
        stats.sent += 1
        stats.sent_keys.append(row.idempotency_key)
    elif isinstance(outcome, RetryableError):
        # "not now" (a 429, a quota, an unreachable or misconfigured platform) is about the
        # platform, not this message: the attempt is given back and the row keeps its place
        row.attempts = max(row.attempts - 1, 0)
        row.status = "pending"
        row.last_error = str(outcome)[:500]
        stats.retry_later += 1
        if isinstance(outcome, SetupError):
            log.error("outbox: %s", outcome)
    elif isinstance(outcome, DeliveryUnknownError):
        row.status, row.last_error = "delivery_unknown", str(outcome)[:500]
        stats.delivery_unknown += 1
    elif fall_back(session, row, now):
        row.last_error = str(outcome)[:500]
        stats.fell_back += 1
    else:
        row.status, row.last_error = "failed", str(outcome)[:500]
        stats.failed += 1


@functools.cache
def _delivered_statement() -> Update:
    """The UPDATE recording one delivered row, built once (it runs after every send)."""
    table = OutboxMessage.__table__
    assert isinstance(table, Table)
    return (
        update(table)
        .where(table.c.id == bindparam("row_id"))
        .values(
            status="sent",
            sent_at=bindparam("at"),
            provider_id=bindparam("provider_id"),
            last_error=None,
        )
    )


def _record_delivered(
    session: Session,
    answers: Sequence[tuple[int, str, Outcome]],
    now: datetime,
    stats: DispatchStats,
) -> None:
    """Record rows the platform took, without loading them (one UPDATE, many parameters).

    On PostgreSQL this commit does not wait for the disk (``synchronous_commit = off``): the
    next row's move to ``sending`` is a normal commit, and PostgreSQL writes its log in order,
    so this record is on disk before the next message is handed over. Only the last record of
    a pass may wait for the server's log writer (a fraction of a second); were the *database
    server* to crash in that moment, those rows would read ``sending`` again and be flagged
    ``delivery_unknown`` for a person — never sent twice.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL synchronous_commit = off"))
    session.connection().execute(
        _delivered_statement(),
        [
            {
                "row_id": row_id,
                "at": now,
                "provider_id": outcome.provider_id if isinstance(outcome, SendResult) else None,
            }
            for row_id, _, outcome in answers
        ],
    )
    stats.sent += len(answers)
    stats.sent_keys.extend(key for _, key, _ in answers)


def _record_answers(
    session: Session,
    answers: Sequence[tuple[int, str, Outcome]],
    now: datetime,
    stats: DispatchStats,
) -> None:
    """Record every answer on its row: deliveries in one UPDATE, anything else row by row."""
    if all(isinstance(outcome, SendResult) for _, _, outcome in answers):
        _record_delivered(session, answers, now, stats)
        return
    rows = {
        row.id: row
        for row in session.scalars(
            select(OutboxMessage).where(OutboxMessage.id.in_([i for i, _, _ in answers]))
        )
    }
    for row_id, _, outcome in answers:
        _settle_row(session, rows[row_id], outcome, now, stats)


def settle(
    store: Store,
    channel: str,
    answers: Sequence[tuple[int, str, Outcome]],
    now: datetime,
    stats: DispatchStats,
    alerts: FailureAlerts | None,
    *,
    troubled_before: bool,
    paced: bool = False,
) -> datetime | None:
    """Record a send's (or a batch's) answers and the channel's pause in one transaction.

    Returns when the channel may resume if the platform said "not now" or may have failed.
    ``troubled_before``: the channel was paused since its last delivery, so an answer ends that.
    ``paced``: the sends hold the mailbox's permits, counted from now (or given back).
    """
    with store.transaction() as session:
        _record_answers(session, answers, now, stats)
        if paced:
            made = [i for i, _, o in answers if isinstance(o, SendResult | DeliveryUnknownError)]
            mail_pacing.finish(
                session, made=made, not_made=[i for i, _, _ in answers if i not in made], at=now
            )
        outcomes = [outcome for _, _, outcome in answers]
        troubled = [o for o in outcomes if isinstance(o, RetryableError | DeliveryUnknownError)]
        refused = [o for o in outcomes if not isinstance(o, SendResult | RetryableError)]
        if alerts is not None and any(not isinstance(o, DeliveryUnknownError) for o in refused):
            session.flush()  # the failed rows, for the admins' alert in this same transaction
            stats.alerts += alerts.queue(session, now)
        if troubled:
            waits = [o.retry_after for o in troubled if o.retry_after is not None]
            return pause(
                session,
                channel,
                now,
                retry_after=max(waits) if waits else None,
                reason=str(troubled[0]),
                unknown=any(isinstance(o, DeliveryUnknownError) for o in troubled),
            )
        if troubled_before:
            resume(session, channel, now)
    return None
