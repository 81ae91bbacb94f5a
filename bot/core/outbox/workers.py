"""Dispatch workers' liveness: a dead worker's claims go back as soon as its death is known.

Each dispatch worker (``compliance-bot run --dispatch-only``) keeps a row in
``dispatch_workers`` while it runs: a thread renews ``beat_at`` every ``BEAT_EVERY`` (a long
platform call does not stop it), and a clean stop deletes the row. Every row it claims carries
its id (``OutboxMessage.claimed_by``). A worker is dead when

- its process is gone from this host (checked at once: same host name, and no process with
  that id started at that moment), or
- its row has gone quiet for ``LEASE`` (a worker on another host, or one frozen).

Its rows are then taken back by whichever dispatcher looks first (each pass looks, and a long
pass every 10 s): ``claimed`` rows (never attempted) are queued again, and the one it was
sending is queued again when resending is harmless, else marked ``delivery_unknown`` — where
the lookup in the mailbox's sent items (``outbox.lookup``) settles it without a person when
the platform can say. Rows claimed by a process that keeps no heartbeat (the scheduler's
pass, a web request's hand-over) still go back after the outbox's timeouts.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from bot.core.database.store import Store, dialect_insert
from bot.core.models import DispatchWorker, OutboxMessage, Urgency, utcnow
from bot.core.outbox import pacing as mail_pacing

__all__ = ["BEAT_EVERY", "LEASE", "Worker", "heartbeat", "release_dead", "take_back", "this_worker"]

log = logging.getLogger(__name__)

BEAT_EVERY = timedelta(seconds=5)
LEASE = timedelta(seconds=20)  # four beats missed: dead, or frozen (either way, not sending)
INTERRUPTED = "interrupted while sending: its dispatcher stopped"


@dataclass(frozen=True)
class Worker:
    """This process as a dispatcher: host, process id and when the process started."""

    id: str
    host: str
    pid: int


def _started(pid: int) -> str:
    """When process ``pid`` started (clock ticks since boot, from /proc), "" if unknown: with
    the pid it names one process, so a reused pid is not mistaken for the dead one."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


_this: Worker | None = None
_this_lock = threading.Lock()


def this_worker() -> Worker:
    """This process's identity (made afresh in a forked child)."""
    global _this
    with _this_lock:
        if _this is None or _this.pid != os.getpid():
            host, pid = socket.gethostname()[:100], os.getpid()
            _this = Worker(f"{host}:{pid}:{_started(pid)}:{secrets.token_hex(4)}", host, pid)
        return _this


def _alive_here(worker_id: str, pid: int) -> bool:
    """Whether the process a worker id on this host names is still running."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process with that id: alive, if it is the one
        pass
    started = worker_id.split(":")[2] if worker_id.count(":") >= 3 else ""
    return not started or _started(pid) in ("", started)


_WORKERS = select(*(DispatchWorker.__table__.c[name] for name in ("id", "host", "pid", "beat_at")))


def _dead(session: Session, now: datetime) -> list[str]:
    """Ids of workers known to be dead (never this process)."""
    me = this_worker()
    workers = session.execute(_WORKERS)
    return [
        worker_id
        for worker_id, host, pid, beat_at in workers
        if worker_id != me.id
        and (beat_at < now - LEASE or (host == me.host and not _alive_here(worker_id, pid)))
    ]


def release_dead(
    store: Store,
    now: datetime,
    *,
    idempotent_mailer: bool,
    max_attempts: int,
    up_to: Urgency | None = None,
) -> int:
    """Take back the rows of every dead worker; returns how many rows changed (a message
    already attempted ``max_attempts`` times is flagged rather than sent once more).

    With ``up_to`` (a web request's hand-over of urgent mail) only the dead workers' claimed
    rows that urgent are given back, at once: an alert a killed worker held goes with the
    request that stores the next report, not a minute later with the scheduler's pass, which
    takes back the rest."""
    with store.session() as session:  # a look first: most passes find everyone alive
        if not _dead(session, now):
            return 0
    with store.transaction() as session:
        dead = _dead(session, now)
        if not dead:
            return 0
        urgent = () if up_to is None else (OutboxMessage.urgency <= int(up_to),)
        theirs = (OutboxMessage.claimed_by.in_(dead),)
        changed = take_back(
            session,
            (*theirs, *urgent),
            None if up_to is not None else theirs,
            idempotent_mailer=idempotent_mailer,
            max_attempts=max_attempts,
            error=INTERRUPTED,
            forget_worker=True,
        )
        if up_to is not None:
            return changed
        session.execute(delete(DispatchWorker).where(DispatchWorker.id.in_(dead)))
    log.warning(
        "outbox: %d dispatch worker(s) stopped; %d of their messages taken back", len(dead), changed
    )
    return changed


def take_back(
    session: Session,
    claimed: Sequence[ColumnElement[bool]],
    sending: Sequence[ColumnElement[bool]] | None,
    *,
    idempotent_mailer: bool,
    max_attempts: int,
    error: str,
    forget_worker: bool = False,
) -> int:
    """Give back the ``claimed`` rows these conditions select (never attempted: pending again,
    their permits too) and, unless ``sending`` is None, the ``sending`` ones: queued again when
    resending is harmless and they have attempts left, else ``delivery_unknown``, with
    ``error`` (and, with ``forget_worker``, no worker named); how many rows changed."""
    cleared = {"claimed_by": None} if forget_worker else {}
    given = list(
        session.scalars(
            update(OutboxMessage)
            .where(*claimed, OutboxMessage.status == "claimed")
            .values(status="pending", claimed_at=None, claimed_by=None)
            .returning(OutboxMessage.id)
            .execution_options(synchronize_session=False)
        )
    )
    mail_pacing.finish(session, made=(), not_made=given)
    changed = len(given)
    if sending is None:
        return changed
    where = (*sending, OutboxMessage.status == "sending")
    if idempotent_mailer:  # the platform drops a second copy: simply send it again
        result = session.execute(
            update(OutboxMessage)
            .where(*where, OutboxMessage.attempts < max_attempts)
            .values(status="pending", last_error=error, **cleared)
            .execution_options(synchronize_session=False)
        )
        changed += int(result.rowcount or 0)  # type: ignore[attr-defined]
    result = session.execute(
        update(OutboxMessage)
        .where(*where)
        .values(status="delivery_unknown", last_error=error, **cleared)
        .execution_options(synchronize_session=False)
    )
    return changed + int(result.rowcount or 0)  # type: ignore[attr-defined]


def _beat(store: Store, worker: Worker, now: datetime) -> None:
    """Write (or renew) this worker's row."""
    with store.transaction() as session:
        session.execute(
            dialect_insert(session, DispatchWorker)
            .values(id=worker.id, host=worker.host, pid=worker.pid, started_at=now, beat_at=now)
            .on_conflict_do_update(index_elements=["id"], set_={"beat_at": now})
        )


@contextlib.contextmanager
def heartbeat(store: Store, now: Callable[[], datetime] = utcnow) -> Iterator[Worker]:
    """Keep this process's worker row fresh while the block runs (a thread beats every
    ``BEAT_EVERY``); the row is removed when the block ends.

    Example::

        with heartbeat(ctx.store, now) as me:
            while not stop.is_set():
                dispatch(...)  # rows it claims carry me.id
    """
    worker = this_worker()
    _beat(store, worker, now())
    stopped = threading.Event()

    def beat() -> None:
        while not stopped.wait(BEAT_EVERY.total_seconds()):
            try:
                _beat(store, worker, now())
            except Exception:  # a database blip: the next beat tries again (LEASE allows 3)
                log.warning("dispatch worker: heartbeat not written; trying again")

    thread = threading.Thread(target=beat, name="dispatch-heartbeat", daemon=True)
    thread.start()
    try:
        yield worker
    finally:
        stopped.set()
        thread.join()
        with contextlib.suppress(Exception), store.transaction() as session:
            session.execute(delete(DispatchWorker).where(DispatchWorker.id == worker.id))
