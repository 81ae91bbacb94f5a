"""Sweep workers as real processes on PostgreSQL (#83): ``compliance-bot sweep --queue`` queues
a 20-school trust, two ``run --sweep-worker --until-idle`` processes sweep every school exactly
once between them (``sweeps --json``), queueing what the single loop queues on a copy; a worker
killed with SIGKILL in the middle of a school's sweep saves nothing of it, and the other worker
sweeps the school again once its lease (5 s here) has passed: no message twice, none lost."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

from bot.core.models import SweepJob, SweepRun
from bot.engine.sweep import run_sweep
from tests.engine.test_sweep_jobs import emails, outbox_keys, trust
from tests.support.helpers import TEST_SECRET, SchoolBuilder
from tests.support.served import started, wait_for

pytestmark = pytest.mark.postgres

CLI = str(Path(sys.executable).parent / "compliance-bot")
SCHOOLS = 20


LEASE_SECONDS = 5


def _env(school: SchoolBuilder, url: str) -> dict[str, str]:
    return {
        **os.environ,
        "COMPLIANCE_BOT_HOME": str(school.home),
        "COMPLIANCE_BOT_DATABASE_URL": url,
        "COMPLIANCE_BOT_SECRET_KEY": TEST_SECRET,
        "COMPLIANCE_BOT_SWEEP_LEASE_SECONDS": str(LEASE_SECONDS),
    }


def _cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [CLI, *args], env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _waiting_on_locks(store: Any) -> int:
    """Backends of this database waiting for a lock (a worker's claim or its school's save)."""
    with store.session() as session:
        return int(
            session.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND wait_event_type = 'Lock'"
                )
            )
        )


def _single_loop(school: SchoolBuilder, tmp_path: Path) -> list[tuple[Any, ...]]:
    """What the single loop queues for the same trust (a copy, on SQLite)."""
    single = school.context(f"sqlite:///{tmp_path / 'copy.db'}")
    run_sweep(single.store, single.settings, single.config, single.connectors, deliver=False)
    queued = emails(single.store)
    single.store.dispose()
    return queued


def test_two_worker_processes_sweep_each_school_once(
    school: SchoolBuilder, postgres_url: str, tmp_path: Path
) -> None:
    ids = trust(school, SCHOOLS)
    ctx = school.context(postgres_url)
    _ = ctx.store  # the school's database, made as `init` makes it
    env, log = _env(school, postgres_url), tmp_path / "workers.log"
    assert f"sweep workers: {SCHOOLS} " in _cli(env, "sweep", "--queue")
    with ctx.store.transaction() as session:  # both workers start before either claims
        session.execute(text("LOCK TABLE sweep_jobs IN EXCLUSIVE MODE"))
        workers = [
            started([CLI, "run", "--sweep-worker", "--until-idle"], env=env, log=log)
            for _ in range(2)
        ]
        wait_for(lambda: _waiting_on_locks(ctx.store) == 2, workers[0], log=log)
    for worker in workers:
        assert worker.wait(timeout=600) == 0, log.read_text(errors="replace")
    table = _cli(env, "sweeps")
    assert "Each school's last sweep" in table and "waiting: 0, being swept: 0" in table
    shown = json.loads(_cli(env, "sweeps", "--json"))
    assert sorted(s["school_id"] for s in shown["schools"]) == sorted(ids)
    assert {s["outcome"] for s in shown["schools"]} == {"swept"}
    host = socket.gethostname()[:100]
    assert {s["worker"] for s in shown["schools"]} == {f"{host}:{w.pid}" for w in workers}
    assert shown["queue"] == {"waiting": 0, "running": 0, "oldest_wait_seconds": None}
    with ctx.store.session() as session:
        assert set(session.scalars(select(SweepJob.fence))) == {1}  # each claimed once
        assert session.scalar(select(func.count()).select_from(SweepRun)) == SCHOOLS
    assert emails(ctx.store) == _single_loop(school, tmp_path)
    assert "Schools swept by this worker" in log.read_text(errors="replace")
    ctx.store.dispose()


def test_a_worker_killed_mid_sweep_loses_nothing_and_sends_nothing_twice(
    school: SchoolBuilder, postgres_url: str, tmp_path: Path
) -> None:
    ids = trust(school, SCHOOLS)
    ctx = school.context(postgres_url)
    _ = ctx.store  # the school's database, made as `init` makes it
    env, log = _env(school, postgres_url), tmp_path / "workers.log"
    _cli(env, "sweep", "--queue")
    first = started([CLI, "run", "--sweep-worker", "--until-idle"], env=env, log=log)
    name = f"{socket.gethostname()[:100]}:{first.pid}"
    held = ctx.store.session()
    held.begin()
    caught: list[str] = []

    def catch() -> bool:
        """Hold the school the worker is sweeping, so that its save waits: mid-sweep."""
        if not caught:
            caught.extend(
                held.scalars(
                    select(SweepJob.school_id)
                    .where(SweepJob.worker == name, SweepJob.due_at.is_not(None))
                    .with_for_update(skip_locked=True)
                    .limit(1)
                )
            )
        return bool(caught) and _waiting_on_locks(ctx.store) >= 1

    try:
        wait_for(catch, first, log=log)
        first.send_signal(signal.SIGKILL)
        first.wait()
        killed_at = time.time()
        # the other worker starts at once: it sweeps the rest, then waits for the dead lease
        second = started([CLI, "run", "--sweep-worker", "--until-idle"], env=env, log=log)
    finally:
        held.rollback()
        held.close()
    (killed,) = caught
    assert second.wait(timeout=600) == 0, log.read_text(errors="replace")
    with ctx.store.session() as session:
        row = session.get(SweepJob, killed)
        assert row is not None and (row.fence, row.outcome) == (2, "swept")
        assert row.worker == f"{socket.gethostname()[:100]}:{second.pid}"
        assert row.started_at is not None
        again = row.started_at.timestamp() - killed_at
        assert session.scalar(select(func.count()).select_from(SweepRun)) == SCHOOLS
        assert sorted(
            session.scalars(select(SweepJob.school_id).where(SweepJob.outcome == "swept"))
        ) == sorted(ids)
    keys = outbox_keys(ctx.store)
    assert len(keys) == len(set(keys))
    assert emails(ctx.store) == _single_loop(school, tmp_path)  # none lost, none twice
    print(
        f"\nschool {killed} swept again by the other worker {again:.1f} s after the kill "
        f"(lease {LEASE_SECONDS} s, renewed every third)"
    )
    assert again >= 0
    ctx.store.dispose()
