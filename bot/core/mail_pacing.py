"""Sending permits for a mailbox, counted in the database so every dispatch worker shares them.

Exchange Online takes 30 messages a minute and 10,000 recipients a rolling 24 hours from one
mailbox (Gmail: 60 a minute, 2,000 messages a day). Each worker that wants to send first locks
the mailbox's row (an upsert: a row lock on PostgreSQL, the single write lock on SQLite), counts
the mailbox's recent sends in ``mail_sends``, takes what still fits and records it, then
commits: two workers can never both take the last permit, and a restart forgets nothing.

A send is counted from the moment it is claimed (``done`` False: inside every window, however
long it takes), and once the platform answered, at the moment it answered — never earlier than
the platform counted it, so the shared count is never more generous than the platform's. A
send the platform certainly did not make (a "not now", a refusal) is given back.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from bot.core.models import MailSend, RateLimitBucket
from bot.core.store import dialect_insert
from connectors.base import MailPacing

__all__ = [
    "DAY",
    "IN_FLIGHT_FOR",
    "PACER_SCOPE",
    "Allowance",
    "allowance",
    "finish",
    "frees_at",
    "lock",
    "prune",
    "recipient_count",
    "record",
    "usage",
]

PACER_SCOPE = "mail_pacer"
DAY = timedelta(hours=24)
# a claim older than this was interrupted (the outbox marks it delivery_unknown at the same age):
# it is counted at its claim time from then on
IN_FLIGHT_FOR = timedelta(minutes=15)


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
    """Lock the mailbox's row for the rest of ``session``'s transaction (created on first use)."""
    key = _key(pacing.mailbox)
    stmt = dialect_insert(session, RateLimitBucket).values(
        scope=PACER_SCOPE, key=key, hits=[], updated_at=now
    )
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["scope", "key"], set_={"updated_at": stmt.excluded.updated_at}
        )
    )
    session.execute(
        select(RateLimitBucket.id)
        .where(RateLimitBucket.scope == PACER_SCOPE, RateLimitBucket.key == key)
        .with_for_update()
    )


def _counted(mailbox: str, now: datetime, window: timedelta) -> ColumnElement[bool]:
    """SQL: a send of ``mailbox`` that counts in the ``window`` before ``now``."""
    in_flight = (MailSend.done.is_(False)) & (MailSend.at > now - IN_FLIGHT_FOR)
    return (MailSend.mailbox == _mailbox(mailbox)) & or_(MailSend.at > now - window, in_flight)


def _mailbox(mailbox: str) -> str:
    return mailbox.strip().lower()


def usage(session: Session, pacing: MailPacing, now: datetime) -> tuple[int, int, int]:
    """Messages in the current minute window, and messages and recipients in the last 24 hours."""
    minute = session.scalar(
        select(func.count()).where(
            _counted(pacing.mailbox, now, timedelta(seconds=pacing.window))
        )
    )
    day_messages, day_recipients = session.execute(
        select(func.count(), func.coalesce(func.sum(MailSend.recipients), 0)).where(
            _counted(pacing.mailbox, now, DAY)
        )
    ).one()
    return int(minute or 0), int(day_messages or 0), int(day_recipients or 0)


def frees_at(
    session: Session, pacing: MailPacing, now: datetime, window: timedelta
) -> datetime:
    """When the oldest send counted in ``window`` leaves it (a second from now at the least)."""
    oldest = session.scalar(
        select(func.min(MailSend.at)).where(_counted(pacing.mailbox, now, window))
    )
    if oldest is None or oldest + window <= now:
        return now + timedelta(seconds=1)
    return oldest + window


def allowance(session: Session, pacing: MailPacing, now: datetime) -> Allowance:
    """What ``pacing``'s mailbox may send at ``now`` (call :func:`lock` first to rely on it)."""
    minute, day_messages, day_recipients = usage(session, pacing, now)
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
    session: Session, pacing: MailPacing, now: datetime, sends: Sequence[tuple[int, int]]
) -> None:
    """Count claimed sends, ``(outbox id, recipients)`` each, as in flight from ``now``."""
    if sends:
        session.execute(
            insert(MailSend),
            [
                {"mailbox": _mailbox(pacing.mailbox), "at": now, "recipients": n,
                 "outbox_id": row_id, "done": False}
                for row_id, n in sends
            ],
        )


def finish(
    session: Session,
    *,
    made: Collection[int],
    not_made: Collection[int],
    at: datetime | None = None,
) -> None:
    """The platform answered: sends it made (or may have made) count from ``at``; sends it
    certainly did not make are given back."""
    if made:
        assert at is not None, "a send the platform made is counted from when it answered"
        session.execute(
            update(MailSend)
            .where(MailSend.outbox_id.in_(list(made)), MailSend.done.is_(False))
            .values(done=True, at=at)
            .execution_options(synchronize_session=False)
        )
    if not_made:
        session.execute(
            delete(MailSend)
            .where(MailSend.outbox_id.in_(list(not_made)), MailSend.done.is_(False))
            .execution_options(synchronize_session=False)
        )


def prune(session: Session, now: datetime) -> int:
    """Delete sends no window counts any more (older than a day and an hour); returns how many."""
    result = session.execute(
        delete(MailSend)
        .where(MailSend.at < now - DAY - timedelta(hours=1))
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
