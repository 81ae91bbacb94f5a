"""Benchmark: a trust's sweeps, every school in one staff file with ten requirements and a
mailbox of its own (#44 item 3, #60: the 100,000-staff trust).

Run with ``uv run pytest -m benchmark -n 0 -s tests/benchmarks/test_quiet_sweep_benchmark.py``
(4 schools x 25 staff, 100 in all; ``COMPLIANCE_BOT_BENCH=full``: 200 x 500, 100,000; PostgreSQL
with ``COMPLIANCE_BOT_TEST_POSTGRES_URL``). The first sweep (Monday 07:00) brings everyone in,
opens every duty and queues everyone's first digest; the next, 15 minutes later, finds nothing
changed; the quiet sweep measured is the one after it (as every quiet sweep of the day). Then
the next school day (Tuesday: nothing due) and the digest day (the Monday the duties fall due:
a digest for everyone).

Printed: each sweep's CPU seconds (this process: on PostgreSQL the server's own work is not in
it) and wall seconds, the digests it queued, how many times the directory was read, where a
quiet sweep's time went (a further, profiled quiet sweep: cumulative CPU seconds under
cProfile, which inflates them); a full recount's (every school planned again, its quiet mark
forgotten); the process's peak memory after the first sweep of a trust of half the schools
(on PostgreSQL, swept first) and of the whole trust, and at the end; and the machine's
conditions (``conditions()``: calibration loop, load average).
Asserted (correctness only): one directory read per sweep, every duty opened once and every
member of staff's first digest queued once, the quiet sweeps change nobody and open, close and
queue nothing, the full recount on the same data agrees with them (nothing to open, close or
queue), the next school day opens, closes and queues nothing, and the digest day queues one
digest for each member of staff.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import resource
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import delete, event, func, select

from bot.core.deployment.context import AppContext
from bot.core.deployment.settings import Settings
from bot.core.models import ConnectorState, Duty, OutboxMessage
from bot.engine.duties_step import QUIET_KEY
from bot.engine.sweep import SchoolSweep, run_sweep
from tests.benchmarks.test_trust_benchmark import Counted, _trust
from tests.support.helpers import at
from tests.support.scale import REQUIREMENTS_PER_PERSON, bench_size, conditions, write_school

SCHOOLS = bench_size(4, 200)
STAFF = bench_size(25, 500)  # a school's staff
MONDAY = date(2026, 11, 23)
TUESDAY = date(2026, 11, 24)  # the next school day: nothing falls due
DIGEST_DAY = date(2026, 12, 7)  # a Monday: every duty falls due (14 days after it opened)
PG_ENV = "COMPLIANCE_BOT_TEST_POSTGRES_URL"
# where a quiet sweep's time goes: (label, module path ending, function)
PHASES = (
    ("directory sync", "engine/directory.py", "sync_directory"),
    ("  reading the staff file", "engine/sweep.py", "fetch"),
    ("  apply_listing", "engine/directory.py", "apply_listing"),
    ("extra people", "engine/sweep_people.py", "extra_people"),
    ("settings", "engine/sweep.py", "_settings"),
    ("handovers", "engine/sweep.py", "_handovers"),
    ("duties", "engine/sweep.py", "_duties"),
    ("  snapshot rebuild", "engine/snapshot.py", "rebuild"),
    ("feature steps", "engine/sweep.py", "feature"),
    ("the run's record", "engine/sweep.py", "_record"),
)


def _build(home: Path, database_url: str, schools: int = SCHOOLS) -> AppContext:
    """The trust of ``_trust`` (one staff file, ``schools`` schools of ``STAFF``), every school
    with the six policies and ten requirements of ``write_school`` and its own mailbox."""
    write_school(home, 0)
    entry = yaml.safe_load((home / "school.yaml").read_text(encoding="utf-8"))["schools"][0]
    _trust(home, schools, STAFF)
    config = yaml.safe_load((home / "school.yaml").read_text(encoding="utf-8"))
    for school in config["schools"]:
        school.update(
            policies=entry["policies"],
            requirements=entry["requirements"],
            sender=f"office@{school['id']}.example",
        )
    (home / "school.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return AppContext(
        Settings(
            home=home,
            database_url=database_url,
            secret_key="bench-secret-0123456789-abcdefghijklmn",
        )
    )


def _sweep(
    context: AppContext, day: date, minutes: int = 0, profile: cProfile.Profile | None = None
) -> tuple[float, float, int, list[SchoolSweep]]:
    """One sweep on ``day`` ``minutes`` after 07:30: CPU s, wall s, directory reads, results."""
    counted = Counted(context.connectors.directory)
    connectors = replace(context.connectors, directory=counted)
    cpu, wall = time.process_time(), time.perf_counter()
    if profile is not None:
        profile.enable()
    results, _ = run_sweep(
        context.store,
        context.settings,
        context.config,
        connectors,
        as_of=day,
        now=at(day, 7) + timedelta(minutes=minutes),
        deliver=False,
        keep_reminders=False,  # as the scheduler runs it: each school's reminders in brief
    )
    if profile is not None:
        profile.disable()
    return time.process_time() - cpu, time.perf_counter() - wall, counted.reads, results


@contextmanager
def _statements(context: AppContext) -> Iterator[list[int]]:
    """Count the statements sent to the database in the block (savepoints too)."""
    sent = [0]

    def count(*_: object) -> None:
        sent[0] += 1

    event.listen(context.store.engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        event.remove(context.store.engine, "before_cursor_execute", count)


def _phases(profile: cProfile.Profile) -> str:
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    lines = []
    for label, path, name in PHASES:
        seconds = sum(
            row[3]
            for (file, _, func_name), row in stats.items()
            if file.endswith(path) and func_name == name
        )
        lines.append(f"    {label:<26} {seconds:6.2f} s")
    return "\n".join(lines)


def _peak_mb() -> float:
    """The process's peak resident memory so far, in MB (``ru_maxrss`` is in KB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _queued(results: list[SchoolSweep]) -> int:
    return sum(result.told.queued for result in results)


def _counts(context: AppContext) -> tuple[int, int]:
    """The duties and the queued digests (a Monday also queues each head's summary)."""
    with context.store.session() as session:
        return (
            session.scalar(select(func.count()).select_from(Duty)) or 0,
            session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.purpose == "reminder")
            )
            or 0,
        )


def _nothing_changed(results: list[SchoolSweep]) -> None:
    """Every school swept, nobody changed, nothing opened, closed or queued."""
    for result in results:
        assert not result.failed, result.failed
        assert (result.opened, result.closed, result.directory.added, result.directory.updated) == (
            0,
            {},
            0,
            0,
        )
        assert result.directory.unchanged == STAFF
        assert result.open_duties == STAFF * REQUIREMENTS_PER_PERSON
        assert result.told.queued == 0


def _first_sweep_peak(home: Path, database_url: str, schools: int) -> tuple[float, float]:
    """A trust of ``schools`` swept once: its first sweep's CPU s and the peak memory after."""
    context = _build(home, database_url, schools)
    cpu, _, reads, results = _sweep(context, MONDAY)
    assert reads == 1 and not [r.failed for r in results if r.failed]
    context.store.dispose()
    return cpu, _peak_mb()


def _say(line: str) -> None:
    """One figure, printed as soon as it is measured (a long run cut short keeps its figures)."""
    print(line, flush=True)


def _trust_sweeps(context: AppContext, label: str, smaller: tuple[float, float] | None) -> None:
    staff = SCHOOLS * STAFF
    _say(
        f"\nBENCHMARK sweeps of a trust of {SCHOOLS} schools x {STAFF:,} staff ({staff:,} in "
        f"one staff file, {REQUIREMENTS_PER_PERSON} requirements each, a mailbox each, {label})"
    )
    if smaller is not None:
        _say(
            f"  a trust of {SCHOOLS // 2} schools first: its first sweep {smaller[0]:.1f} CPU s,"
            f" peak memory after it {smaller[1]:.0f} MB"
        )
    cpu1, wall1, reads1, first = _sweep(context, MONDAY)
    peak1 = _peak_mb()
    duties, queued = _counts(context)
    _say(
        f"  first sweep {cpu1:.1f} CPU s, {wall1:.1f} s wall ({duties:,} duties opened, "
        f"{_queued(first):,} digests queued); peak memory after it {peak1:.0f} MB"
    )
    cpu2, wall2, reads2, next_one = _sweep(context, MONDAY, 15)
    with _statements(context) as statements:
        cpu, wall, reads, results = _sweep(context, MONDAY, 30)
    _say(
        f"  quiet sweep {cpu:.1f} CPU s, {wall:.1f} s wall (the one before it, the first to "
        f"find nothing changed: {cpu2:.1f} CPU s, {wall2:.1f} s wall); {statements[0]:,} "
        f"statements, {statements[0] / SCHOOLS:.1f} a school (a figure no load changes)"
    )
    profile = cProfile.Profile(time.process_time)
    _, _, reads4, again = _sweep(context, MONDAY, 45, profile)
    _say(f"  a profiled quiet sweep's phases (CPU s, cumulative):\n{_phases(profile)}")
    with context.store.transaction() as session:  # a full recount on the same data
        session.execute(delete(ConnectorState).where(ConnectorState.key == QUIET_KEY))
    cpu5, wall5, reads5, recount = _sweep(context, MONDAY, 50)
    _say(f"  a full recount of every school on the same data: {cpu5:.1f} CPU s, {wall5:.1f} s wall")
    assert _counts(context) == (duties, queued)
    # the new day's first sweep, 00:30: before the day's full sweep (01:00), it plans from the
    # next-attention dates
    cpu6, wall6, reads6, tuesday = _sweep(context, TUESDAY, -420)
    after_tuesday = _counts(context)
    _say(
        f"  next school day ({TUESDAY:%a %d %b}, 00:30) {cpu6:.1f} CPU s, {wall6:.1f} s wall "
        f"({_queued(tuesday):,} digests queued; planned: "
        f"{', '.join(sorted({r.planned for r in tuesday}))})"
    )
    cpu7, wall7, reads7, digest_day = _sweep(context, DIGEST_DAY)
    digests = _queued(digest_day)
    _say(
        f"  digest day ({DIGEST_DAY:%a %d %b}) {cpu7:.1f} CPU s, {wall7:.1f} s wall "
        f"({digests:,} digests queued)"
    )
    _say(
        f"  directory reads per sweep: {reads1}, {reads2}, {reads}, {reads4}, {reads5}, "
        f"{reads6}, {reads7}; peak memory at the end {_peak_mb():.0f} MB\n{conditions()}"
    )
    assert (reads1, reads2, reads, reads4, reads5, reads6, reads7) == (1,) * 7
    assert duties == staff * REQUIREMENTS_PER_PERSON
    assert _queued(first) == staff == queued and not [r.failed for r in first if r.failed]
    _nothing_changed([*next_one, *results, *again, *recount, *tuesday])
    assert after_tuesday == (duties, queued)
    assert not [r.failed for r in digest_day if r.failed]
    assert digests == staff and _counts(context) == (duties, queued + staff)
    context.store.dispose()


@pytest.mark.benchmark
@pytest.mark.slow
def test_a_trust_s_sweeps_on_sqlite(tmp_path: Path) -> None:
    _trust_sweeps(_build(tmp_path, f"sqlite:///{tmp_path / 'trust.db'}"), "SQLite", None)


@pytest.fixture
def smaller_postgres_url() -> Iterator[str]:
    """A second empty PostgreSQL database, for the trust of half the schools."""
    from tests.support.migrated import DATABASES

    url = DATABASES.take(os.environ[PG_ENV])
    try:
        yield url
    finally:
        DATABASES.drop(url)


@pytest.mark.benchmark
@pytest.mark.slow
@pytest.mark.postgres
def test_a_trust_s_sweeps_on_postgres(
    tmp_path: Path, postgres_url: str, smaller_postgres_url: str
) -> None:
    smaller = _first_sweep_peak(tmp_path / "half", smaller_postgres_url, SCHOOLS // 2)
    _trust_sweeps(_build(tmp_path / "trust", postgres_url), "PostgreSQL", smaller)
