"""Lock loss: a scheduler that loses its lock runs nothing more and stops before another starts.

The reproduction from the issue: terminate the PostgreSQL backend holding the advisory lock (or
delete/replace the lock file beside SQLite) while the first scheduler is running a job.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from apscheduler.schedulers.base import STATE_PAUSED
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.core.deployment.settings import Settings
from schedules.jobs import JOBS, JobSpec
from schedules.runner import (
    ADVISORY_LOCK_ID,
    HEARTBEAT_JOB_ID,
    RunningScheduler,
    SchedulerAlreadyRunningError,
    SchedulerLock,
    SchedulerLockLostError,
    heartbeat_job,
    run_forever,
    start_scheduler,
)

DEADLINE = 60.0  # seconds: a bound for a state change to show up, never a measured duration
JOB_ID = "compliance-bot.test.tick"


class Ticks:
    """A job that counts its runs; its first run can be held open (a job in flight)."""

    def __init__(self, *, hold_first: bool = False) -> None:
        self.runs = 0
        self.finished = 0
        self.started = threading.Event()
        self.release = threading.Event()
        if not hold_first:
            self.release.set()

    def __call__(self, home: str) -> None:
        self.runs += 1
        self.started.set()
        self.release.wait(DEADLINE)
        self.finished += 1


def _every_second(ticks: Ticks) -> Sequence[JobSpec]:
    """The tick every second, its first run as the scheduler starts (not a second later)."""
    return (JobSpec(JOB_ID, ticks, 1, 60, at_start=True),)


def _until(condition: Callable[[], bool]) -> bool:
    """Poll until ``condition`` holds or the deadline passes."""
    end = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > end:
            return False
        time.sleep(0.02)
    return True


def _is_postgres(settings: Settings) -> bool:
    return make_url(settings.db_url).get_backend_name() == "postgresql"


def _terminate_lock_backend(settings: Settings) -> None:
    """What a DBA, a failover or a proxy does: end the session that holds the advisory lock."""
    url = make_url(settings.db_url).set(drivername="postgresql+psycopg")
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            ended = (
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory'"
                        " AND granted AND objid = :id AND database ="
                        " (SELECT oid FROM pg_database WHERE datname = current_database())"
                    ),
                    {"id": ADVISORY_LOCK_ID},
                )
                .scalars()
                .all()
            )
    finally:
        engine.dispose()
    assert ended == [True]


def _break_lock(settings: Settings) -> None:
    """Take the lock away from its holder without the holder's help."""
    if _is_postgres(settings):
        _terminate_lock_backend(settings)
    else:
        (settings.home / "scheduler.lock").unlink()


def _start_when_free(settings: Settings, jobs: Sequence[JobSpec]) -> RunningScheduler:
    """Start a scheduler as a supervisor would: retry while another one holds the lock (a
    terminated backend releases its lock as it exits, a moment after it is told to)."""
    end = time.monotonic() + DEADLINE
    while True:
        try:
            return start_scheduler(settings, jobs=jobs)
        except SchedulerAlreadyRunningError:
            if time.monotonic() > end:
                raise
            time.sleep(0.05)


def test_a_scheduler_that_loses_its_lock_stops_before_another_starts(
    tmp_path: Path, database_url: str
) -> None:
    settings = Settings(home=tmp_path / "home", database_url=database_url)
    first_ticks = Ticks(hold_first=True)
    first = start_scheduler(settings, jobs=_every_second(first_ticks))
    try:
        assert first_ticks.started.wait(DEADLINE)  # a job is running under a held lock
        with pytest.raises(SchedulerAlreadyRunningError):
            SchedulerLock(settings).acquire()

        _break_lock(settings)
        first_ticks.release.set()  # the job in flight is not cut off: it finishes its work
        assert first.stopped.wait(DEADLINE)  # the next run found the lock gone and stopped
        assert first.scheduler.state == STATE_PAUSED  # scheduling stopped at once
        assert first.lost is not None
        assert (
            "connection that held its lock was lost" if _is_postgres(settings) else "was deleted"
        ) in first.lost
        assert (first_ticks.runs, first_ticks.finished) == (1, 1)
        first.shutdown()
        assert not first.scheduler.running

        second_ticks = Ticks()
        second = _start_when_free(settings, _every_second(second_ticks))
        try:
            assert _until(lambda: second_ticks.runs >= 2)  # the new holder runs its jobs
            assert second.lost is None and not second.stopped.is_set()
        finally:
            second.shutdown()
        assert first_ticks.runs == 1  # and the first ran nothing after the loss
    finally:
        first.shutdown()


def test_the_guard_runs_nothing_once_the_lock_is_lost(tmp_path: Path, database_url: str) -> None:
    """The job function the scheduler calls checks the lock on every run, in the job thread."""
    settings = Settings(home=tmp_path / "home", database_url=database_url)
    ticks = Ticks()
    running = start_scheduler(settings, jobs=(JobSpec(JOB_ID, ticks, 3600, 60),))
    try:
        guarded = running.scheduler.get_job(JOB_ID).func
        home = str(settings.home.resolve())
        guarded(home=home)
        guarded(home=home)
        assert ticks.runs == 2 and running.lock.lost_reason() is None

        _break_lock(settings)
        guarded(home=home)
        assert ticks.runs == 2
        assert running.stopped.is_set() and running.scheduler.state == STATE_PAUSED
        assert running.lock.lost_reason() is not None  # asking again (a new session) agrees
        guarded(home=home)  # stopped stays stopped, even if the lock could be taken again
        assert ticks.runs == 2
    finally:
        running.shutdown()


def test_run_forever_exits_with_an_error_when_the_lock_is_lost(
    tmp_path: Path, database_url: str
) -> None:
    """A non-zero exit (the CLI turns the error into exit code 2) so a supervisor restarts it."""
    settings = Settings(home=tmp_path / "home", database_url=database_url)
    ticks = Ticks(hold_first=True)
    raised: list[BaseException] = []

    def scheduler_process() -> None:
        try:
            run_forever(settings, jobs=_every_second(ticks))
        except BaseException as exc:  # handed to the test thread
            raised.append(exc)

    thread = threading.Thread(target=scheduler_process, daemon=True)
    thread.start()
    assert ticks.started.wait(DEADLINE)
    _break_lock(settings)
    ticks.release.set()
    thread.join(DEADLINE)
    assert not thread.is_alive()
    assert len(raised) == 1 and isinstance(raised[0], SchedulerLockLostError)
    assert "it exits so that it can be started again" in str(raised[0])
    assert (ticks.runs, ticks.finished) == (1, 1)
    again = _start_when_free(settings, _every_second(Ticks()))  # the lock was left free
    again.shutdown()


def test_a_replaced_lock_file_is_a_lost_lock_and_release_leaves_the_new_one(tmp_path: Path) -> None:
    """SQLite: someone swaps the lock file; a second scheduler locks the new file. The first
    sees its lock is gone, and giving back its old lock does not free the second's."""
    settings = Settings(home=tmp_path)
    first = SchedulerLock(settings)
    first.acquire()
    assert first.lost_reason() is None
    spare = tmp_path / "spare.lock"
    spare.write_text("")
    os.replace(spare, tmp_path / "scheduler.lock")
    lock_file = tmp_path / "scheduler.lock"
    assert first.lost_reason() == f"its lock file {lock_file} was replaced by another file"

    second = SchedulerLock(settings)
    second.acquire()
    first.release()
    assert (tmp_path / "scheduler.lock").exists()
    with pytest.raises(SchedulerAlreadyRunningError):
        SchedulerLock(settings).acquire()
    second.release()


def test_every_job_of_the_timetable_is_guarded(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    lock = SchedulerLock(settings)
    lock.acquire()
    try:
        running = RunningScheduler(settings, lock)  # built, not started
        jobs = {job.id: job for job in running.scheduler.get_jobs()}
        assert set(jobs) == {spec.id for spec in JOBS} | {HEARTBEAT_JOB_ID}
        for spec in JOBS:
            assert jobs[spec.id].func is not spec.func
            assert jobs[spec.id].func.__wrapped__ is spec.func
        assert jobs[HEARTBEAT_JOB_ID].func.__wrapped__ is heartbeat_job  # beats only if ours
    finally:
        lock.release()
