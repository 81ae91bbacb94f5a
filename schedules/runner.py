"""The one scheduler process: a lock (not a convention) makes a second one refuse to start,
and a scheduler that loses its lock stops before it runs anything else.

SQLite deployments lock a file beside the database; PostgreSQL deployments hold a session
advisory lock on a dedicated connection. Jobs live in memory (no shared job store, see
PLATFORM-FACTS.md) and are reconciled from ``schedules.jobs.JOBS`` at every start. Every job
run first checks that the lock is still ours (the advisory lock's session is alive and holds
it; the lock file is still the one we locked): if not, the job does not run, the scheduler
stops at once and ``run_forever`` raises so that a supervisor restarts it to compete again.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import signal
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from filelock import FileLock, Timeout
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from bot.core.days.clock import LONDON
from bot.core.deployment import scheduler_health
from bot.core.deployment.settings import Settings
from bot.core.models import SchedulerBeat, utcnow
from schedules.jobs import JOBS, JobSpec

__all__ = [
    "ADVISORY_LOCK_ID",
    "HEARTBEAT_JOB_ID",
    "RunningScheduler",
    "SchedulerAlreadyRunningError",
    "SchedulerLock",
    "SchedulerLockError",
    "SchedulerLockLostError",
    "build_scheduler",
    "heartbeat_job",
    "run_forever",
    "start_scheduler",
]

log = logging.getLogger(__name__)

ADVISORY_LOCK_ID = 0x0C0B07  # arbitrary but fixed: "compliance-bot scheduler"
LOCK_CHECK_TIMEOUT_MS = 5000  # the check is one catalogue read; a slower answer is a lost lock
LOCK_FILE_NAME = "scheduler.lock"

# Our own backend, our own key, granted: a session that reconnected behind SQLAlchemy's back
# (a new backend) or a lock released by someone else both read as "not held".
_HELD_SQL = text(
    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = "
    "pg_backend_pid() AND database = (SELECT oid FROM pg_database WHERE datname = "
    "current_database()) AND objsubid = 1 AND (classid::bigint << 32) + objid::bigint = :id)"
)


class SchedulerLockError(RuntimeError):
    """The scheduler lock stops this process from running jobs."""


class SchedulerAlreadyRunningError(SchedulerLockError):
    """Another scheduler process holds the lock: the lock ``file``, or PostgreSQL's (None)."""

    def __init__(self, file: Path | None = None) -> None:
        super().__init__(f"another scheduler holds {file or 'the PostgreSQL lock'}")
        self.file = file


class SchedulerLockLostError(SchedulerLockError):
    """This scheduler lost its lock while running and stopped."""


def _lock_engine(db_url: str) -> Engine:
    """An engine for the lock's one connection: no pool (closing it ends the session, and so
    the lock), a statement timeout and TCP keepalives so that a dead server is noticed."""
    url = make_url(db_url)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return create_engine(
        url,
        poolclass=NullPool,
        connect_args={
            "application_name": "compliance-bot scheduler lock",
            "options": f"-c statement_timeout={LOCK_CHECK_TIMEOUT_MS}",
            "keepalives": 1,
            "keepalives_idle": 30,
            "keepalives_interval": 10,
            "keepalives_count": 3,
            "tcp_user_timeout": 30_000,
        },
        hide_parameters=True,
    )


class SchedulerLock:
    """Exclusive, process-wide lock for the scheduler."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.path = settings.home / LOCK_FILE_NAME
        self._file: FileLock | None = None
        self._identity: tuple[int, int] | None = None  # (device, inode) of the file we locked
        self._engine: Engine | None = None
        self._conn: Connection | None = None
        self._using_conn = threading.Lock()  # job threads check concurrently; one connection

    def acquire(self) -> None:
        """Take the lock or raise SchedulerAlreadyRunningError."""
        if make_url(self.settings.db_url).get_backend_name() == "postgresql":
            self._acquire_advisory()
        else:
            self._acquire_file()

    def _acquire_advisory(self) -> None:
        self._engine = _lock_engine(self.settings.db_url)
        # autocommit: a session-level lock needs no transaction, and an idle-in-transaction
        # session could be ended by the server's idle_in_transaction_session_timeout
        self._conn = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        got = self._conn.execute(
            text("SELECT pg_try_advisory_lock(:id)"), {"id": ADVISORY_LOCK_ID}
        ).scalar()
        if not got:
            self._close_connection()
            raise SchedulerAlreadyRunningError()

    def _acquire_file(self) -> None:
        self.settings.home.mkdir(parents=True, exist_ok=True)
        # thread_local=False: job threads check the hold the main thread took; the hook records
        # which file we locked, so a deleted or replaced lock file is noticed
        self._file = FileLock(
            str(self.path),
            thread_local=False,
            preserve_lock_file=True,
            on_acquired=self._remember_file,
        )
        try:
            self._file.acquire(timeout=0)
        except Timeout:
            self._file = None
            raise SchedulerAlreadyRunningError(self.path) from None

    def _remember_file(self, fd: int) -> None:
        stat = os.fstat(fd)
        self._identity = (stat.st_dev, stat.st_ino)

    def lost_reason(self) -> str | None:
        """None while the lock is still ours; otherwise why it is not, in plain words."""
        if self._conn is not None:
            return self._advisory_lost_reason()
        if self._file is not None:
            return self._file_lost_reason()
        return "it does not hold the lock"

    def _advisory_lost_reason(self) -> str | None:
        assert self._conn is not None
        try:
            with self._using_conn:
                held = self._conn.execute(_HELD_SQL, {"id": ADVISORY_LOCK_ID}).scalar()
        except SQLAlchemyError as exc:
            detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
            why = f" ({detail[0]})" if detail else ""
            return f"the database connection that held its lock was lost{why}"
        return None if held else "the database no longer shows its lock as held"

    def _file_lost_reason(self) -> str | None:
        assert self._file is not None
        if not self._file.is_locked:
            return f"it no longer holds {self.path}"
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            return f"its lock file {self.path} was deleted"
        if (stat.st_dev, stat.st_ino) != self._identity:
            return f"its lock file {self.path} was replaced by another file"
        return None

    def keep_beat(self, now: datetime, every: float) -> None:
        """Keep the beat in the database, through the advisory lock's own connection (so only
        while it holds the lock), for web processes without a scheduler to judge; nothing on
        SQLite. A beat that cannot be written is logged, and judged by them as missed."""
        if self._conn is None:
            return
        seconds = max(1, round(every))
        seal = scheduler_health.beat_seal(self.settings.audit_keyring(), now, seconds)
        values = {"beat_at": now, "every_seconds": seconds, "seal": seal}
        upsert = pg_insert(SchedulerBeat).values(id=1, **values)
        upsert = upsert.on_conflict_do_update(index_elements=["id"], set_=values)
        try:
            with self._using_conn:
                self._conn.execute(upsert)
        except SQLAlchemyError as exc:
            log.warning(
                "The scheduler could not keep its beat in the database (%s).", type(exc).__name__
            )

    def release(self) -> None:
        """Give the lock back (also after losing it: nothing of another holder's is touched)."""
        if self._conn is not None:
            # a lost session took its lock with it: nothing to give back, and no new session
            if not self._conn.invalidated:
                with contextlib.suppress(SQLAlchemyError), self._using_conn:
                    self._conn.execute(
                        text("SELECT pg_advisory_unlock(:id)"), {"id": ADVISORY_LOCK_ID}
                    )
            self._close_connection()
        if self._file is not None:
            self._file.release()  # unlocks our own descriptor; never deletes the path
            self._file = None

    def _close_connection(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(SQLAlchemyError):
                self._conn.close()
            self._conn = None
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


JobWrapper = Callable[[Callable[..., object]], Callable[..., None]]


def build_scheduler(
    settings: Settings, *, jobs: Sequence[JobSpec] = JOBS, wrap: JobWrapper | None = None
) -> BackgroundScheduler:
    """A scheduler with every job registered under its fixed id (not started).

    ``wrap(func)`` may put a guard around each job function (see ``start_scheduler``).
    """
    scheduler = BackgroundScheduler(timezone=LONDON)
    home = str(settings.home.resolve())
    for job in jobs:
        scheduler.add_job(
            wrap(job.func) if wrap else job.func,
            IntervalTrigger(seconds=job.seconds, timezone=LONDON),
            id=job.id,
            name=job.id,
            kwargs={"home": home, **job.kwargs},
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=job.grace,
            **({"next_run_time": datetime.now(LONDON)} if job.at_start else {}),
        )
    return scheduler


HEARTBEAT_JOB_ID = "compliance-bot.heartbeat"


def heartbeat_job(
    home: str | None = None, lock: SchedulerLock | None = None, every: float = 0
) -> None:
    """The scheduler runs (its guard found the lock still ours): ``/readyz`` and the dashboard
    know it (``bot.core.deployment.scheduler_health``), on PostgreSQL in every process (the beat
    kept
    in the database through ``lock``)."""
    now = utcnow()
    scheduler_health.beat(now)
    if lock is not None:
        lock.keep_beat(now, every)


class RunningScheduler:
    """A started scheduler and its lock: every job run first checks the lock is still ours,
    and a heartbeat job does so every ``scheduler_beat_seconds`` even when no job is due."""

    def __init__(
        self, settings: Settings, lock: SchedulerLock, jobs: Sequence[JobSpec] = JOBS
    ) -> None:
        self.lock = lock
        self.lost: str | None = None  # why the lock was lost, once it was
        self.stopped = threading.Event()  # set when no further job may start
        self._losing = threading.Lock()
        self.beat_seconds = settings.scheduler_beat_seconds
        every = self.beat_seconds
        beat = JobSpec(
            HEARTBEAT_JOB_ID, heartbeat_job, every, every, kwargs={"lock": lock, "every": every}
        )
        self.scheduler = build_scheduler(settings, jobs=(*jobs, beat), wrap=self.guard)

    def guard(self, func: Callable[..., object]) -> Callable[..., None]:
        """``func`` wrapped so that it runs only while the lock is still ours."""

        @functools.wraps(func)
        def guarded(**kwargs: Any) -> None:
            if self.may_run():
                func(**kwargs)

        return guarded

    def may_run(self) -> bool:
        """Check the lock before a job run; on loss, stop scheduling and say so."""
        if self.stopped.is_set():
            return False
        reason = self.lock.lost_reason()
        if reason is None:
            return True
        self._lose(reason)
        return False

    def _lose(self, reason: str) -> None:
        with self._losing:
            first = self.lost is None
            if first:
                self.lost = reason
        if first:
            log.error(
                "The scheduler has stopped running jobs because %s. It stops so that two "
                "schedulers never run the same jobs at once; restart compliance-bot to run them "
                "again (it takes the lock once no other scheduler holds it).",
                reason,
            )
        self.stopped.set()
        with contextlib.suppress(SchedulerNotRunningError):
            self.scheduler.pause()  # at once, from this job thread: nothing new is submitted

    def shutdown(self) -> None:
        """Stop scheduling, let a job already running finish, then give the lock back."""
        self.stopped.set()
        scheduler_health.ended()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        self.lock.release()


def start_scheduler(settings: Settings, *, jobs: Sequence[JobSpec] = JOBS) -> RunningScheduler:
    """Take the lock and start the (guarded) jobs in background threads."""
    lock = SchedulerLock(settings)
    lock.acquire()
    try:
        running = RunningScheduler(settings, lock, jobs)
        now = utcnow()
        scheduler_health.started(running.beat_seconds, now)
        lock.keep_beat(now, running.beat_seconds)
        running.scheduler.start()
    except BaseException:
        lock.release()
        raise
    return running


def run_forever(settings: Settings, *, jobs: Sequence[JobSpec] = JOBS) -> None:
    """The scheduler-only process: run until SIGTERM/SIGINT, or raise SchedulerLockLostError
    (a non-zero exit) once the lock is lost, so that a supervisor restarts it."""
    running = start_scheduler(settings, jobs=jobs)
    requested: list[int] = []  # the handler only appends: it must not take a lock
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda signum, _frame: requested.append(signum))
    try:
        while not requested and not running.stopped.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        running.shutdown()
    if running.lost is not None:
        raise SchedulerLockLostError(
            f"the scheduler stopped because {running.lost}; it exits so that it can be "
            "started again (it takes the lock once no other scheduler holds it)"
        )
