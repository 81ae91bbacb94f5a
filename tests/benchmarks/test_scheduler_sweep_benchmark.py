"""Benchmark: a trust's sweeps in the scheduler's own sweep job (#91 item 2: the 100,000-staff
trust's quiet sweep, target under 3 CPU s).

Run with ``uv run pytest -m benchmark -n 0 -s tests/benchmarks/test_scheduler_sweep_benchmark.py``
and ``COMPLIANCE_BOT_TEST_POSTGRES_URL`` set (4 schools x 25 staff; ``COMPLIANCE_BOT_BENCH=full``:
200 x 500, 100,000 staff in one staff file, the trust of ``test_quiet_sweep_benchmark``).

``schedules.jobs.sweep_job`` runs as the scheduler runs it on PostgreSQL (the tick queues every
school, the job's worker claims and sweeps each): Monday 07:00 the first sweep brings everyone
in and queues everyone's first digest; 07:15 the first to find nothing changed; 07:30 the quiet
sweep measured; 07:45 a profiled quiet sweep, whose costliest product functions are printed.

Printed: each run's CPU seconds in this process (the server's own work is not in it) and wall
seconds, the statements the quiet sweep sent, the profile. Asserted (correctness only): every
school swept each run, every duty opened and every first digest queued once, and the quiet runs
open and queue nothing.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import func, select

from bot.core.models import Duty, OutboxMessage
from schedules import jobs
from tests.benchmarks.test_quiet_sweep_benchmark import SCHOOLS, STAFF, _build, _statements
from tests.support.scale import REQUIREMENTS_PER_PERSON, conditions

MONDAY_7 = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)


def _counts(home: Path) -> tuple[int, int]:
    """The duties and the queued reminders (the head's Monday summary may come meanwhile)."""
    with jobs._context(str(home)).store.session() as session:
        return (
            session.scalar(select(func.count()).select_from(Duty)) or 0,
            session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.purpose == "reminder")
            )
            or 0,
        )


def _run(home: Path, minutes: int, profile: cProfile.Profile | None = None) -> tuple[float, float]:
    """The scheduler's sweep job ``minutes`` after Monday 07:00: CPU s and wall s."""
    with time_machine.travel(MONDAY_7 + timedelta(minutes=minutes), tick=True):
        cpu, wall = time.process_time(), time.perf_counter()
        if profile is not None:
            profile.enable()
        jobs.sweep_job(str(home))
        if profile is not None:
            profile.disable()
        return time.process_time() - cpu, time.perf_counter() - wall


def _top(profile: cProfile.Profile, count: int = 40) -> str:
    """The product's own costliest functions (cumulative CPU s under cProfile, inflated)."""
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out).sort_stats("cumulative")
    stats.print_stats(r"(bot|schedules)/", count)
    return out.getvalue()


@pytest.mark.benchmark
@pytest.mark.slow
@pytest.mark.postgres
def test_a_trust_s_quiet_sweep_in_the_scheduler(
    tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "trust"
    context = _build(home, postgres_url)
    monkeypatch.setitem(jobs._contexts, str(home.resolve()), context)  # the job's own context
    staff = SCHOOLS * STAFF
    print(f"\nBENCHMARK the scheduler's sweep job, a trust of {SCHOOLS} x {STAFF:,} staff")
    cpu1, wall1 = _run(home, 0)
    duties, queued = _counts(home)
    print(f"  first run {cpu1:.1f} CPU s, {wall1:.1f} s wall ({duties:,} duties)", flush=True)
    assert duties == staff * REQUIREMENTS_PER_PERSON and queued == staff
    cpu2, wall2 = _run(home, 15)
    with _statements(context) as statements:
        cpu3, wall3 = _run(home, 30)
    print(
        f"  quiet run {cpu3:.2f} CPU s, {wall3:.1f} s wall, {statements[0]:,} statements "
        f"(the first to find nothing changed: {cpu2:.2f} CPU s, {wall2:.1f} s wall)",
        flush=True,
    )
    profile = cProfile.Profile(time.process_time)
    _run(home, 45, profile)
    print(f"  a profiled quiet run:\n{_top(profile)}\n{conditions()}", flush=True)
    assert _counts(home) == (duties, queued)  # the quiet runs opened and queued nothing
    context.store.dispose()
