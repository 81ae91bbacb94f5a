"""The one scheduler process: a lock (not a convention) makes a second one refuse to start.

SQLite deployments lock a file beside the database; PostgreSQL deployments hold a session
advisory lock on a dedicated connection. Jobs live in memory (no shared job store, see
PLATFORM-FACTS.md) and are reconciled from ``schedules.jobs.JOBS`` at every start.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from filelock import FileLock, Timeout
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.core.clock import LONDON
from bot.core.settings import Settings
from bot.core.store import make_engine
from schedules.jobs import JOBS

__all__ = ["ADVISORY_LOCK_ID", "SchedulerAlreadyRunningError", "SchedulerLock", "build_scheduler",
           "run_forever", "start_scheduler"]

ADVISORY_LOCK_ID = 0x0C0B07  # arbitrary but fixed: "compliance-bot scheduler"


class SchedulerAlreadyRunningError(RuntimeError):
    """Another scheduler process holds the lock."""


class SchedulerLock:
    """Exclusive, process-wide lock for the scheduler."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._file: FileLock | None = None
        self._conn: Any = None

    def acquire(self) -> None:
        """Take the lock or raise SchedulerAlreadyRunningError."""
        url = make_url(self.settings.db_url)
        if url.get_backend_name() == "postgresql":
            engine = make_engine(self.settings.db_url)
            self._conn = engine.connect()
            got = self._conn.execute(
                text("SELECT pg_try_advisory_lock(:id)"), {"id": ADVISORY_LOCK_ID}
            ).scalar()
            if not got:
                self._conn.close()
                self._conn = None
                raise SchedulerAlreadyRunningError("another scheduler holds the PostgreSQL lock")
            return
        self.settings.home.mkdir(parents=True, exist_ok=True)
        self._file = FileLock(str(self.settings.home / "scheduler.lock"))
        try:
            self._file.acquire(timeout=0)
        except Timeout:
            self._file = None
            raise SchedulerAlreadyRunningError(
                f"another scheduler holds {self.settings.home / 'scheduler.lock'}"
            ) from None

    def release(self) -> None:
        """Give the lock back."""
        if self._conn is not None:
            self._conn.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": ADVISORY_LOCK_ID})
            self._conn.close()
            self._conn = None
        if self._file is not None:
            self._file.release()
            self._file = None


def build_scheduler(settings: Settings) -> BackgroundScheduler:
    """A scheduler with every job registered under its fixed id (not started)."""
    scheduler = BackgroundScheduler(timezone=LONDON)
    home = str(settings.home.resolve())
    for job in JOBS:
        scheduler.add_job(
            job.func, IntervalTrigger(seconds=job.seconds, timezone=LONDON), id=job.id,
            name=job.id, kwargs={"home": home}, replace_existing=True, coalesce=True,
            max_instances=1, misfire_grace_time=job.grace,
        )
    return scheduler


class _Running:
    """A started scheduler and its lock, stopped together."""

    def __init__(self, scheduler: BackgroundScheduler, lock: SchedulerLock) -> None:
        self.scheduler, self.lock = scheduler, lock

    def shutdown(self) -> None:
        self.scheduler.shutdown(wait=True)
        self.lock.release()


def start_scheduler(settings: Settings) -> _Running:
    """Take the lock and start the jobs in background threads."""
    lock = SchedulerLock(settings)
    lock.acquire()
    scheduler = build_scheduler(settings)
    scheduler.start()
    return _Running(scheduler, lock)


def run_forever(settings: Settings) -> None:
    """The scheduler-only process: run until SIGTERM/SIGINT."""
    running = start_scheduler(settings)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        running.shutdown()
