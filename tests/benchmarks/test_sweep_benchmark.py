"""Benchmark: one school of 10,000 people x 10 requirements on SQLite (#60: the digest day under
5 CPU s, the next school day under 2); 1,000 people unless ``COMPLIANCE_BOT_BENCH=full``.

Run alone with ``uv run pytest -m benchmark -n 0 -s tests/benchmarks/test_sweep_benchmark.py``.
Three sweeps of the school of ``write_school``: the first (Monday: everyone brought in, a duty
per person and requirement opened, everyone's first digest queued), the next school day
(Tuesday: nothing due) and the digest day (the Monday the duties fall due, 14 days on: a digest
for everyone). Printed: each sweep's CPU seconds (this process) beside its wall seconds, and the
machine's conditions (``conditions()``: calibration loop, load average);
``COMPLIANCE_BOT_PROFILE=1`` adds the digest day's cProfile (top 30, cumulative CPU).
Asserted (correctness only): every duty opened once, one digest each on the first day and the
digest day, none on Tuesday.
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import time
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.core.deployment.context import AppContext
from bot.core.deployment.settings import Settings
from bot.core.models import Duty, OutboxMessage
from bot.engine.sweep import run_sweep
from tests.support.helpers import at
from tests.support.scale import bench_size, conditions, write_school

PEOPLE = bench_size(1_000, 10_000)
MONDAY = date(2026, 11, 23)
TUESDAY = date(2026, 11, 24)  # the next school day: nothing falls due
DIGEST_DAY = date(2026, 12, 7)  # a Monday: every duty falls due (14 days after it opened)
PROFILE = os.environ.get("COMPLIANCE_BOT_PROFILE", "").lower() in ("1", "true", "yes")


def _build(home: Path) -> AppContext:
    write_school(home, PEOPLE)
    return AppContext(Settings(home=home, secret_key="bench-secret-0123456789-abcdefghijklmn"))


def _queued(ctx: AppContext) -> tuple[int, int]:
    """The duties, and the digests queued (a Monday also queues the head's summary)."""
    with ctx.store.session() as session:
        duties = session.scalar(select(func.count()).select_from(Duty))
        queued = session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.purpose == "reminder")
        )
    return duties or 0, queued or 0


@pytest.mark.benchmark
@pytest.mark.slow
def test_sweep_people_10_requirements(tmp_path: Path) -> None:
    ctx = _build(tmp_path / "bench")
    _ = ctx.store
    figures, counts, profiled = [], [], ""
    for day in (MONDAY, TUESDAY, DIGEST_DAY):
        profile = cProfile.Profile(time.process_time) if PROFILE and day == DIGEST_DAY else None
        start, started = time.perf_counter(), time.process_time()
        if profile is not None:
            profile.enable()
        run_sweep(
            ctx.store,
            ctx.settings,
            ctx.config,
            ctx.connectors,
            as_of=day,
            now=at(day),
            deliver=False,
        )
        if profile is not None:
            profile.disable()
            out = io.StringIO()
            pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(30)
            profiled = "\n  the digest day's profile (CPU s, cumulative):\n" + out.getvalue()
        figures.append((time.process_time() - started, time.perf_counter() - start))
        counts.append(_queued(ctx))
    (duties, first), (_, tuesday), (_, digest_day) = counts
    assert duties == PEOPLE * 10 and first == PEOPLE
    assert tuesday == first and digest_day == first + PEOPLE
    (cpu1, wall1), (cpu2, wall2), (cpu3, wall3) = figures
    print(
        f"\nBENCHMARK sweep {PEOPLE:,} people x 10 requirements (SQLite) {conditions()}\n"
        f"  first sweep ({MONDAY:%a %d %b}) {cpu1:.2f} CPU s, {wall1:.2f} s wall "
        f"({duties:,} duties opened, {first:,} digests queued)\n"
        f"  next school day ({TUESDAY:%a %d %b}) {cpu2:.2f} CPU s, {wall2:.2f} s wall "
        f"(target < 2 CPU s)\n"
        f"  digest day ({DIGEST_DAY:%a %d %b}) {cpu3:.2f} CPU s, {wall3:.2f} s wall "
        f"({digest_day - tuesday:,} digests queued; target < 5 CPU s){profiled}"
    )
    # the figures above are the report: no wall-clock assertion (machines differ, CI is busy)
