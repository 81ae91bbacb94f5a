"""The sweep shared by worker processes: one job a school a tick, held under a lease with a
fencing number (PostgreSQL), and each school's last sweep (both databases).

On PostgreSQL the scheduler queues every school in force at each tick (``enqueue``); any number
of workers (``compliance-bot run --sweep-worker``, and the scheduler itself between ticks)
claim them, the longest waiting first (``claim``: ``FOR UPDATE SKIP LOCKED``), and sweep each
school with the engine's one school sweep (``bot.engine.sweep.sweep_one``). A claim takes a
lease, renewed while the sweep works (``renewing``), and the next fencing number: the school's
transaction is saved only while its lease still runs under that number (``finish``), so a
worker killed or stalled past its lease never saves over the sweep another worker took over,
and a killed worker's school is claimed again once its lease has passed. Leases are judged by
the database's clock, the one clock every worker shares.

Each school has one row (``SweepJob``), queued again each tick: an enqueue in a tick it was
already queued for, or while it is queued or being swept, changes nothing, and the table never
holds more rows than schools (a school no longer configured loses its row at the next enqueue).
SQLite keeps the single loop (``run_sweep``), which records each school's last sweep in the same
row (``finish`` with no lease): ``compliance-bot sweeps`` and the pages read one table.

Our own table rather than a job library: procrastinate (the reference) has no lease with a
fencing number (a stalled job is retried on its worker's missed heartbeat, and a late worker can
still commit), keeps its schema outside Alembic, and would add an asyncio worker beside the
scheduler; the outbox's claim pattern (``bot.core.outbox.claim``) already does the rest here.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from bot.core.config import SchoolConfig
from bot.core.database.store import Store, dialect_insert
from bot.core.days.clock import to_local
from bot.core.models import SweepJob, utcnow

__all__ = [
    "STALE_TICKS",
    "TICK",
    "Lease",
    "LeaseLostError",
    "QueueState",
    "claim",
    "enqueue",
    "failed_whole",
    "finish",
    "held",
    "not_swept",
    "pause",
    "queue_state",
    "queued",
    "renewing",
    "tick_of",
    "waiting_now",
    "worker_name",
]

log = logging.getLogger(__name__)

TICK = timedelta(minutes=15)  # every school is swept once a tick
STALE_TICKS = 2  # a school whose last saved sweep is older than this many ticks is shown
# the database's clock, as a naive UTC time like the columns (every worker's lease on one clock)
_DB_NOW: Any = func.timezone("UTC", func.clock_timestamp())
_ENQUEUE_BATCH = 1_000
_UNLEASED = or_(SweepJob.lease_until.is_(None), SweepJob.lease_until <= _DB_NOW)  # none runs
_NOT_PAUSED = or_(SweepJob.not_before.is_(None), SweepJob.not_before <= _DB_NOW)  # (``pause``)


class LeaseLostError(RuntimeError):
    """The school's lease ran out, or another worker claimed it since: this sweep is not saved."""


@dataclass(frozen=True)
class Lease:
    """A claimed school: its tick, the fencing number its claim took, who holds it and when the
    job was due and started."""

    school_id: str
    tick: datetime
    fence: int
    worker: str
    due_at: datetime
    started_at: datetime


@dataclass(frozen=True)
class QueueState:
    """The queue as ``compliance-bot sweeps`` shows it: schools waiting for a worker (queued
    and not held), schools being swept, and since when the longest waiting one is due."""

    waiting: int
    running: int
    oldest: datetime | None


def tick_of(moment: datetime) -> datetime:
    """The tick ``moment`` falls in (UTC, on the quarter hour)."""
    step = TICK.total_seconds()
    return datetime.fromtimestamp(moment.timestamp() // step * step, UTC)


def worker_name() -> str:
    """This process, as the sweep records name it ("host:pid")."""
    return f"{socket.gethostname()[:100]}:{os.getpid()}"


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def enqueue(store: Store, tenants: Mapping[str, str], now: datetime) -> int:
    """Queue each school of ``tenants`` (its id: its tenant, the connection it reads) for the
    tick ``now`` falls in, unless it is queued or being swept or was already queued for that
    tick; how many were queued. Rows of schools not given and not queued go (a school no longer
    configured)."""
    tick, queued, school_ids = tick_of(now), 0, list(tenants)
    with store.transaction() as session:
        for start in range(0, len(school_ids), _ENQUEUE_BATCH):
            insert = dialect_insert(session, SweepJob).values(
                [
                    {
                        "school_id": school_id,
                        "tenant": tenants[school_id],
                        "tick": tick,
                        "due_at": _DB_NOW,
                        "not_before": None,
                        "fence": 0,
                        "failed": [],
                    }
                    for school_id in school_ids[start : start + _ENQUEUE_BATCH]
                ]
            )
            queued += len(
                session.execute(
                    insert.on_conflict_do_update(
                        index_elements=["school_id"],
                        set_={
                            "tick": insert.excluded.tick,
                            "due_at": insert.excluded.due_at,
                            "tenant": insert.excluded.tenant,
                            "not_before": None,
                        },
                        where=SweepJob.due_at.is_(None) & (SweepJob.tick < insert.excluded.tick),
                    ).returning(SweepJob.school_id)
                ).all()
            )
        session.execute(
            delete(SweepJob).where(SweepJob.school_id.not_in(school_ids), SweepJob.due_at.is_(None))
        )
    return queued


def waiting_now() -> tuple[Any, ...]:
    """SQL: the school is queued, no lease runs on it and its tenant has not asked us to wait
    (a claim's choice)."""
    return SweepJob.due_at.is_not(None), _UNLEASED, _NOT_PAUSED


def queued(store: Store) -> bool:
    """Whether any school is queued, waiting or held by a lease (not one whose tenant asked us
    to wait)."""
    with store.session() as session:
        return (
            session.scalar(
                select(SweepJob.school_id).where(SweepJob.due_at.is_not(None), _NOT_PAUSED).limit(1)
            )
            is not None
        )


def pause(store: Store, tenant: str, seconds: float) -> int:
    """The tenant asked us to wait (429, Retry-After): its queued schools are claimed only once
    ``seconds`` have passed, while every other tenant's are claimed meanwhile; how many wait."""
    with store.transaction() as session:
        result = session.execute(
            update(SweepJob)
            .where(SweepJob.tenant == tenant, SweepJob.due_at.is_not(None))
            .values(not_before=_DB_NOW + timedelta(seconds=seconds))
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]


def claim(store: Store, worker: str, length: timedelta) -> Lease | None:
    """Claim the school waiting longest (``waiting_now``) for ``length``, under the next fencing
    number; None when none waits."""
    waiting = (
        select(SweepJob.school_id)
        .where(*waiting_now())
        .order_by(SweepJob.due_at)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    with store.transaction() as session:
        row = session.execute(
            update(SweepJob)
            .where(SweepJob.school_id == waiting)
            .values(
                fence=SweepJob.fence + 1,
                worker=worker,
                lease_until=_DB_NOW + length,
                started_at=_DB_NOW,
            )
            .returning(
                SweepJob.school_id,
                SweepJob.tick,
                SweepJob.fence,
                SweepJob.due_at,
                SweepJob.started_at,
            )
            .execution_options(synchronize_session=False)
        ).one_or_none()
    if row is None:
        return None
    school_id, tick, fence, due_at, started_at = row
    assert due_at is not None and started_at is not None  # a claimed job is queued and started
    return Lease(school_id, tick, fence, worker, due_at, started_at)


def held(lease: Lease) -> tuple[Any, ...]:
    """SQL: the school's row is still ``lease``'s (its number) and its lease still runs."""
    return (
        SweepJob.school_id == lease.school_id,
        SweepJob.fence == lease.fence,
        SweepJob.due_at.is_not(None),
        SweepJob.lease_until > _DB_NOW,
    )


def _renew(store: Store, lease: Lease, length: timedelta) -> bool:
    """Run the lease ``length`` from now, if it still runs; whether it did."""
    with store.transaction() as session:
        result = session.execute(
            update(SweepJob)
            .where(*held(lease))
            .values(lease_until=_DB_NOW + length)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


@contextmanager
def renewing(store: Store, lease: Lease, length: timedelta) -> Iterator[threading.Event]:
    """Renew ``lease`` every third of ``length`` while the block runs (a thread: a long
    directory read does not stop it); the event is set once the lease is lost."""
    done, lost = threading.Event(), threading.Event()

    def renew() -> None:
        while not done.wait(length.total_seconds() / 3):
            try:
                if not _renew(store, lease, length):
                    lost.set()
                    log.warning(
                        "sweep of school %s: its lease was lost; the sweep will not be"
                        " saved (another worker sweeps the school)",
                        lease.school_id,
                    )
                    return
            except Exception:  # a database blip: the next renewal tries again
                log.warning("sweep of school %s: lease not renewed; trying again", lease.school_id)

    thread = threading.Thread(target=renew, name="sweep-lease", daemon=True)
    thread.start()
    try:
        yield lost
    finally:
        done.set()
        thread.join()


def finish(
    session: Session,
    school_id: str,
    *,
    lease: Lease | None,
    started: datetime,
    failed: Sequence[str],
    swept: bool = True,
) -> None:
    """Record the school's sweep in ``session``'s transaction: with ``lease``, only while it
    still holds (``LeaseLostError`` otherwise: roll back); with none (the single loop), as this
    process's sweep, ``started`` in its tick. ``swept``: its work was saved (else it failed)."""
    values: dict[str, Any] = {
        "due_at": None,
        "lease_until": None,
        "failed": list(failed),
        "outcome": "swept" if swept else "failed",
    }
    if lease is not None:
        values |= {"finished_at": _DB_NOW, **({"swept_at": _DB_NOW} if swept else {})}
        result = session.execute(
            update(SweepJob)
            .where(*held(lease))
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            log.warning("school %s: its sweep was not saved: its lease was lost", school_id)
            raise LeaseLostError(f"the lease on school {school_id} was lost")
        return
    end = utcnow()
    values |= {
        "tick": tick_of(started),
        "worker": worker_name(),
        "started_at": started,
        "finished_at": end,
        **({"swept_at": end} if swept else {}),
    }
    insert = dialect_insert(session, SweepJob).values(school_id=school_id, fence=0, **values)
    session.execute(insert.on_conflict_do_update(index_elements=["school_id"], set_=values))


def failed_whole(store: Store, school_id: str, lease: Lease | None, started: datetime) -> None:
    """Record that the school's sweep failed whole (its work rolled back), in a transaction of
    its own (while its lease holds); a failure to record is logged."""
    try:
        with store.transaction() as session:
            finish(session, school_id, lease=lease, started=started, failed=["school"], swept=False)
    except Exception as exc:  # a lost lease, a database still failing: the next school runs
        log.warning(
            "school %s: its failed sweep was not recorded (%s)", school_id, type(exc).__name__
        )


def queue_state(session: Session) -> QueueState:
    """How many schools wait for a worker, how many are being swept, and since when the longest
    waiting one is due."""
    if session.get_bind().dialect.name != "postgresql":  # the single loop queues nothing
        return QueueState(0, 0, None)
    waiting, running, oldest = session.execute(
        select(
            func.count().filter(_UNLEASED),
            func.count().filter(SweepJob.lease_until > _DB_NOW),
            func.min(SweepJob.due_at).filter(_UNLEASED),
        ).where(SweepJob.due_at.is_not(None))
    ).one()
    return QueueState(int(waiting), int(running), _aware(oldest) if oldest else None)


def not_swept(
    session: Session, schools: Sequence[SchoolConfig], now: datetime
) -> list[tuple[str, datetime | None]]:
    """The schools not swept for ``STALE_TICKS`` ticks, by name, each with its last saved sweep
    in London time (None: never, though queued that long); a school never queued is not judged."""
    since, names = now - STALE_TICKS * TICK, {school.id: school.name for school in schools}
    rows = session.execute(
        select(SweepJob.school_id, SweepJob.swept_at)
        .where(
            SweepJob.school_id.in_(names),
            or_(SweepJob.swept_at < since, SweepJob.swept_at.is_(None) & (SweepJob.due_at < since)),
        )
        .order_by(SweepJob.school_id)
    ).all()
    return [
        (names[school_id], to_local(_aware(swept)) if swept else None) for school_id, swept in rows
    ]
