"""Benchmark: a trust's quiet sweep, 40 schools in one staff file, each with ten requirements
(#44 item 3: the 100,000-staff trust's quiet sweep well under a minute).

Run with ``uv run pytest -m benchmark -n 0 -s tests/benchmarks/test_quiet_sweep_benchmark.py``
(25 staff a school, 1,000 in all; ``COMPLIANCE_BOT_BENCH=full``: 250, 10,000; PostgreSQL with
``COMPLIANCE_BOT_TEST_POSTGRES_URL``). The first sweep (Monday 07:00) brings everyone in and
opens every duty; the next, 15 minutes later, finds nothing changed; the quiet sweep measured
is the one after it (as every quiet sweep of the day).

Printed: the quiet sweep's CPU seconds (this process: on PostgreSQL the server's own work is
not in it) and wall seconds, how many times the directory was read, and where its time went (a
further, profiled quiet sweep: cumulative CPU seconds under cProfile, which inflates them); a
full recount's (every school planned again, its quiet mark forgotten), the process's peak
memory, and the machine's conditions (``conditions()``: calibration loop, load average).
Asserted (correctness only): one directory read per sweep, every duty opened once, the quiet
sweeps change nobody and open, close and queue nothing, and the full recount on the same data
agrees with them: nothing to open, close or queue (#60).
"""

from __future__ import annotations

import cProfile
import pstats
import resource
import time
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import delete, func, select

from bot.core.context import AppContext
from bot.core.models import ConnectorState, Duty, OutboxMessage
from bot.core.settings import Settings
from bot.engine.sweep import QUIET_KEY, SchoolSweep, run_sweep
from tests.benchmarks.test_trust_benchmark import SCHOOLS, SWEEP_STAFF, Counted, _trust
from tests.support.helpers import at
from tests.support.scale import REQUIREMENTS_PER_PERSON, conditions, write_school

MONDAY = date(2026, 11, 23)
# where a quiet sweep's time goes: (label, module path ending, function)
PHASES = (
    ("directory sync", "engine/directory.py", "sync_directory"),
    ("  reading the staff file", "engine/sweep.py", "fetch"),
    ("  apply_listing", "engine/directory.py", "apply_listing"),
    ("extra people", "engine/sweep.py", "_extra_people"),
    ("settings", "engine/sweep.py", "_settings"),
    ("handovers", "engine/sweep.py", "_handovers"),
    ("duties", "engine/sweep.py", "_duties"),
    ("  snapshot rebuild", "engine/snapshot.py", "rebuild"),
)


def _build(home: Path, database_url: str) -> AppContext:
    """The trust of ``_trust`` (one staff file, 40 schools), every school with the six policies
    and ten requirements of ``write_school``."""
    write_school(home, 0)
    entry = yaml.safe_load((home / "school.yaml").read_text(encoding="utf-8"))["schools"][0]
    _trust(home)
    config = yaml.safe_load((home / "school.yaml").read_text(encoding="utf-8"))
    for school in config["schools"]:
        school.update(policies=entry["policies"], requirements=entry["requirements"])
    (home / "school.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return AppContext(Settings(home=home, database_url=database_url,
                               secret_key="bench-secret-0123456789-abcdefghijklmn"))


def _sweep(context: AppContext, minutes: int, profile: cProfile.Profile | None = None
           ) -> tuple[float, float, int, list[SchoolSweep]]:
    """One sweep on Monday ``minutes`` after 07:00: CPU s, wall s, directory reads, results."""
    counted = Counted(context.connectors.directory)
    connectors = replace(context.connectors, directory=counted)
    cpu, wall = time.process_time(), time.perf_counter()
    if profile is not None:
        profile.enable()
    results, _ = run_sweep(context.store, context.settings, context.config, connectors,
                           as_of=MONDAY, now=at(MONDAY, 7) + timedelta(minutes=minutes),
                           deliver=False)
    if profile is not None:
        profile.disable()
    return time.process_time() - cpu, time.perf_counter() - wall, counted.reads, results


def _phases(profile: cProfile.Profile) -> str:
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    lines = []
    for label, path, name in PHASES:
        seconds = sum(row[3] for (file, _, func_name), row in stats.items()
                      if file.endswith(path) and func_name == name)
        lines.append(f"    {label:<26} {seconds:6.2f} s")
    return "\n".join(lines)


def _quiet_trust(context: AppContext, label: str) -> None:
    staff = SCHOOLS * SWEEP_STAFF
    cpu1, wall1, reads1, _ = _sweep(context, 0)
    with context.store.session() as session:
        duties = session.scalar(select(func.count()).select_from(Duty))
        queued = session.scalar(select(func.count()).select_from(OutboxMessage))
    cpu2, wall2, reads2, next_one = _sweep(context, 15)
    cpu, wall, reads, results = _sweep(context, 30)
    profile = cProfile.Profile(time.process_time)
    _, _, reads4, again = _sweep(context, 45, profile)
    with context.store.transaction() as session:  # a full recount on the same data
        session.execute(delete(ConnectorState).where(ConnectorState.key == QUIET_KEY))
    cpu5, wall5, reads5, recount = _sweep(context, 50)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux
    print(f"\nBENCHMARK quiet sweep of a trust of {SCHOOLS} schools x {SWEEP_STAFF:,} staff "
          f"({staff:,} in one staff file, {REQUIREMENTS_PER_PERSON} requirements each, {label}):"
          f" {cpu:.1f} CPU s, {wall:.1f} s wall, {reads} directory read; the first sweep "
          f"{cpu1:.1f} CPU s, {wall1:.1f} s wall; the next one (the first to find nothing "
          f"changed) {cpu2:.1f} CPU s, {wall2:.1f} s wall. A profiled quiet sweep's phases "
          f"(CPU s, cumulative):\n{_phases(profile)}\n  a full recount of every school on "
          f"the same data: {cpu5:.1f} CPU s, {wall5:.1f} s wall; peak memory {peak:.0f} MB\n"
          f"{conditions()}", flush=True)
    assert (reads1, reads2, reads, reads4, reads5) == (1, 1, 1, 1, 1)
    assert duties == staff * REQUIREMENTS_PER_PERSON
    for result in (*next_one, *results, *again, *recount):
        assert not result.failed, result.failed
        assert (result.opened, result.closed, result.directory.added,
                result.directory.updated) == (0, {}, 0, 0)
        assert result.directory.unchanged == SWEEP_STAFF
        assert result.open_duties == SWEEP_STAFF * REQUIREMENTS_PER_PERSON
        assert not [r for r in result.reminders if r.queued]
    with context.store.session() as session:
        assert session.scalar(select(func.count()).select_from(Duty)) == duties
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == queued
    context.store.dispose()


@pytest.mark.benchmark
@pytest.mark.slow
def test_a_trust_s_quiet_sweep_on_sqlite(tmp_path: Path) -> None:
    _quiet_trust(_build(tmp_path, f"sqlite:///{tmp_path / 'trust.db'}"), "SQLite")


@pytest.mark.benchmark
@pytest.mark.slow
@pytest.mark.postgres
def test_a_trust_s_quiet_sweep_on_postgres(tmp_path: Path, postgres_url: str) -> None:
    _quiet_trust(_build(tmp_path, postgres_url), "PostgreSQL")
