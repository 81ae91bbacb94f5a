"""Sending permits for a mailbox, counted in the database so every dispatch worker shares them.

Exchange Online takes 30 messages a minute and 10,000 recipients a rolling 24 hours from one
mailbox (Gmail: 60 a minute, 2,000 messages a day). Each worker that wants to send first locks
the mailbox's row (an upsert: a row lock on PostgreSQL, the single write lock on SQLite), counts
the mailbox's recent sends in ``mail_sends``, takes what still fits and records it, then
commits: two workers can never both take the last permit, and a restart forgets nothing.

A send is counted from the moment it is claimed (``done`` False: inside every window while it
may still be in flight), and once the platform answered, from the moment it started (its move
to ``sending``, just before the platform call), as the platform counts it: so a pass a minute
after the last finds the minute free again. A send the platform certainly did not make (a "not
now", a refusal) is given back.

Routine mail may not spend the mailbox's urgent reserve (``MailPacing.reserve``): a
safeguarding alert always finds a send free, however long the queue of digests.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import FromClause, Table, case, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import Subquery
from sqlalchemy.sql.elements import ColumnElement

from bot.core.guards.ratelimit import lock_bucket
from bot.core.models import MailSend, OutboxMessage
from bot.core.ports import MailPacing

__all__ = [
    "DAY",
    "IN_FLIGHT_FOR",
    "PACER_SCOPE",
    "Allowance",
    "allowances",
    "finish",
    "frees_at",
    "lock",
    "prune",
    "recipient_count",
    "record",
    "routine_sent_by_school",
    "started",
    "usage",
]

PACER_SCOPE = "mail_pacer"
DAY = timedelta(hours=24)
# a send still unanswered this long was interrupted (a killed worker; a live one has its answer
# or its timeout well before): it is counted at its claim time from then on, so a dead worker's
# permits stop filling every minute window (the outbox flags the row itself later)
IN_FLIGHT_FOR = timedelta(minutes=2)


@dataclass(frozen=True)
class Allowance:
    """What a mailbox may send now: messages, recipients (None: no daily recipient limit), and
    when more may go if nothing may now."""

    messages: int
    recipients: int | None
    next_at: datetime | None


def recipient_count(to: Iterable[str], cc: Iterable[str]) -> int:
    """Distinct recipients of one message, as Exchange counts them (to and cc)."""
    return len({a.strip().lower() for a in (*to, *cc)})


def _key(mailbox: str) -> str:
    return hashlib.sha256(mailbox.strip().lower().encode()).hexdigest()


def lock(session: Session, pacing: MailPacing, now: datetime) -> None:
    """Lock the mailbox's row for the rest of ``session``'s transaction (created on first use),
    as ``bot.core.guards.ratelimit.take`` locks its key's (``lock_bucket``)."""
    lock_bucket(session, PACER_SCOPE, _key(pacing.mailbox), now)


def _counted(mailbox: str, now: datetime, window: timedelta) -> ColumnElement[bool]:
    """SQL: a send of ``mailbox`` that counts in the ``window`` before ``now``."""
    in_flight = (MailSend.done.is_(False)) & (MailSend.at > now - IN_FLIGHT_FOR)
    return (MailSend.mailbox == _mailbox(mailbox)) & or_(MailSend.at > now - window, in_flight)


def _mailbox(mailbox: str) -> str:
    return mailbox.strip().lower()


def usage(
    session: Session, pacing: MailPacing, now: datetime
) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """Messages in the current minute window, and messages and recipients in the last 24 hours:
    of all mail, and of routine mail alone, in two queries."""
    routine = case((MailSend.routine.is_(True), 1), else_=0)
    minute, minute_routine = session.execute(
        select(func.count(), func.coalesce(func.sum(routine), 0)).where(
            _counted(pacing.mailbox, now, timedelta(seconds=pacing.window))
        )
    ).one()
    day, day_routine, recipients, recipients_routine = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(routine), 0),
            func.coalesce(func.sum(MailSend.recipients), 0),
            func.coalesce(func.sum(routine * MailSend.recipients), 0),
        ).where(_counted(pacing.mailbox, now, DAY))
    ).one()
    return (
        (int(minute or 0), int(day or 0), int(recipients or 0)),
        (int(minute_routine or 0), int(day_routine or 0), int(recipients_routine or 0)),
    )


def routine_sent_by_school(pacing: MailPacing, now: datetime) -> Subquery:
    """SQL: ``(school_id, sent)``, the routine messages each school sent (or is sending) from
    the mailbox in the last 24 hours: how much of a shared mailbox each school had."""
    return (
        select(OutboxMessage.school_id, func.count().label("sent"))
        .join(MailSend, MailSend.outbox_id == OutboxMessage.id)
        .where(
            MailSend.mailbox == _mailbox(pacing.mailbox),
            MailSend.routine.is_(True),
            MailSend.at > now - DAY,
        )
        .group_by(OutboxMessage.school_id)
        .subquery("sent_today")
    )


def frees_at(session: Session, pacing: MailPacing, now: datetime, window: timedelta) -> datetime:
    """When the oldest send counted in ``window`` leaves it (a second from now at the least)."""
    oldest = session.scalar(
        select(func.min(MailSend.at)).where(_counted(pacing.mailbox, now, window))
    )
    if oldest is None or oldest + window <= now:
        return now + timedelta(seconds=1)
    return oldest + window


def allowances(session: Session, pacing: MailPacing, now: datetime) -> tuple[Allowance, Allowance]:
    """What the mailbox may send now for urgent mail (its whole limits) and for routine mail
    (that, and routine sends within the limits less ``pacing.reserve``), from one count (call
    :func:`lock` first to rely on it)."""
    used, used_routine = usage(session, pacing, now)
    urgent = _allowance(session, pacing, now, used)
    keep = pacing.reserve
    if keep.per_minute <= 0 and keep.per_day <= 0:
        return urgent, urgent
    share = replace(
        pacing,
        per_minute=pacing.per_minute - keep.per_minute,
        daily_recipients=(
            pacing.daily_recipients - keep.per_day if pacing.daily_recipients is not None else None
        ),
        daily_messages=(
            pacing.daily_messages - keep.per_day
            if pacing.daily_messages is not None and pacing.daily_recipients is None
            else pacing.daily_messages
        ),
    )
    own = _allowance(session, share, now, used_routine)
    recipients = (
        None
        if urgent.recipients is None or own.recipients is None
        else min(urgent.recipients, own.recipients)
    )
    messages = min(urgent.messages, own.messages)
    next_at = None
    if messages <= 0:
        next_at = max(t for t in (urgent.next_at, own.next_at, now) if t is not None)
    return urgent, Allowance(messages, recipients, next_at)


def _allowance(
    session: Session, pacing: MailPacing, now: datetime, used: tuple[int, int, int]
) -> Allowance:
    """What ``pacing``'s limits leave after ``used`` sends (minute, day's messages, day's
    recipients)."""
    minute, day_messages, day_recipients = used
    window = timedelta(seconds=pacing.window)
    messages = pacing.per_minute - minute
    next_at = frees_at(session, pacing, now, window) if messages <= 0 else None
    if pacing.daily_messages is not None and day_messages >= pacing.daily_messages:
        messages, next_at = 0, frees_at(session, pacing, now, DAY)
    recipients = None
    if pacing.daily_recipients is not None:
        recipients = pacing.daily_recipients - day_recipients
        if recipients <= 0:
            messages, next_at = 0, frees_at(session, pacing, now, DAY)
    if pacing.daily_messages is not None:
        messages = min(messages, pacing.daily_messages - day_messages)
    return Allowance(max(messages, 0), recipients, next_at)


def record(
    session: Session, pacing: MailPacing, now: datetime, sends: Sequence[tuple[int, int, bool]]
) -> None:
    """Count claimed sends, ``(outbox id, recipients, routine)`` each, as in flight from
    ``now``."""
    if sends:
        session.execute(
            insert(MailSend),
            [
                {
                    "mailbox": _mailbox(pacing.mailbox),
                    "at": now,
                    "recipients": n,
                    "outbox_id": row_id,
                    "done": False,
                    "routine": routine,
                }
                for row_id, n, routine in sends
            ],
        )


def finish(
    session: Session,
    *,
    made: Collection[int],
    not_made: Collection[int],
    at: datetime | None = None,
) -> None:
    """The platform answered: sends it made (or may have made) count from when each started
    (``at`` if that is not recorded); sends it certainly did not make are given back."""
    if made:
        assert at is not None, "a send the platform made is counted, at the latest from now"
        session.execute(
            update(MailSend)
            .where(MailSend.outbox_id.in_(list(made)), MailSend.done.is_(False))
            .values(done=True, at=started(MailSend.__table__, at))
            .execution_options(synchronize_session=False)
        )
    if not_made:
        session.execute(
            delete(MailSend)
            .where(MailSend.outbox_id.in_(list(not_made)), MailSend.done.is_(False))
            .execution_options(synchronize_session=False)
        )


def started(sends: FromClause, answered: Any) -> ColumnElement[datetime]:
    """SQL: when the send of each row of ``sends`` started (its outbox row's move to
    ``sending``), else ``answered``.

    Counted from the start, a send leaves the minute window a minute after it began, as the
    platform counts it (to within the request's travel): counted from the answer, a pass
    exactly a minute after the last found the minute still full, and a paced mailbox sent
    half its limit.
    """
    outbox = OutboxMessage.__table__
    assert isinstance(outbox, Table)
    began = select(outbox.c.claimed_at).where(outbox.c.id == sends.c.outbox_id)
    return func.coalesce(began.scalar_subquery(), answered)


def prune(session: Session, now: datetime) -> int:
    """Delete sends no window counts any more (older than a day and an hour); returns how many."""
    result = session.execute(
        delete(MailSend)
        .where(MailSend.at < now - DAY - timedelta(hours=1))
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
