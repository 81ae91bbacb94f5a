"""Benchmark: a county's schools swept by 1, 2 and 4 sweep workers on PostgreSQL, beside the
single loop (#83).

Run with ``COMPLIANCE_BOT_TEST_POSTGRES_URL=... uv run pytest -m benchmark -n 0 -s
tests/benchmarks/test_sweep_workers_benchmark.py`` (CI size: 16 schools of 5 staff;
``COMPLIANCE_BOT_BENCH=full``: 2,000 schools of 25, 50,000 staff).

Each layout has a database of its own and sweeps two ticks: the first, on a Friday (every
person made, every duty opened and asked for), and Monday's first (the digest day: reminders and
the week's digests queued). The single loop is ``run_sweep``; the workers are processes forked
from this one (``bot.engine.sweep_worker.work``, as ``run --sweep-worker --until-idle`` runs
it), each on the test's clock, after the tick's schools were queued.

Printed per layout and tick: wall time, schools swept per minute, p99 wait from due to a
worker's claim (the sweep run's ``waited_s``), the processes' CPU s per school, and the
database's CPU s (its backends for this database, sampled every 0.2 s). Asserted (correctness
only): each school swept exactly once a tick (one sweep run, one claim: its fencing number is the
tick's), and the workers queue exactly the emails the single loop queues.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import resource
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from sqlalchemy import func, select, text

from bot.core.database.store import Store
from bot.core.deployment.context import AppContext
from bot.core.deployment.settings import Settings
from bot.core.models import SweepJob, SweepRun
from bot.engine import sweep_jobs
from bot.engine.sweep import run_sweep
from bot.engine.sweep_worker import work
from bot.wiring import install
from tests.engine.test_sweep_jobs import Throttled, emails
from tests.support.helpers import Row, SchoolBuilder, at
from tests.support.keys import TEST_SECRET
from tests.support.migrated import DATABASES
from tests.support.scale import bench_size

pytestmark = [pytest.mark.benchmark, pytest.mark.postgres]

SCHOOLS = bench_size(16, 2_000)
STAFF = bench_size(5, 25)
WORKERS = (1, 2, 4)
FRIDAY, MONDAY = date(2026, 11, 20), date(2026, 11, 23)
TICKS = (at(FRIDAY, 9, 0), at(MONDAY, 9, 0))


def _trust(home: Path, schools: int, staff: int, tenant_b: int = 0) -> list[str]:
    """``schools`` schools of ``staff``, each owing one policy's acknowledgement; with
    ``tenant_b``, every ``tenant_b``-th school reads a second tenant's directory."""
    school = SchoolBuilder(home)
    school.policy("online-safety", "2026.1", title="Online Safety Policy", published="2026-09-01")
    school.requirement(
        id="ack-os",
        kind="acknowledge_policy",
        policy="online-safety",
        audience={"roles": ["staff"]},
        due_days=14,
    )
    ids = [f"s{n:04d}" for n in range(schools)]
    school.school = {
        **school.school,
        "id": ids[0],
        "name": "School 0",
        "headteacher": f"p0@{ids[0]}.example",
        "dsl": [f"p0@{ids[0]}.example"],
        "deputy_dsl": [],
    }
    school.others = [
        {
            **school.school,
            "id": s,
            "name": f"School {n}",
            "headteacher": f"p0@{s}.example",
            "dsl": [f"p0@{s}.example"],
            **({"connection": "tenant-b"} if tenant_b and n % tenant_b == 1 else {}),
        }
        for n, s in enumerate(ids)
        if n
    ]
    school.people = [
        Row(f"p{i}@{s}.example", f"Person {i} {s}", "staff", "All Staff", school=s)
        for s in ids
        for i in range(staff)
    ]
    school.write()
    return ids


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _sweep_here(
    home: str, url: str, moment: datetime, workers: int, throttled: bool | None, out: Any
) -> None:
    """A forked process: the single loop (``workers`` 0) or one sweep worker, on the test's
    clock from ``moment``; puts its CPU seconds. ``throttled`` (not None): a second tenant,
    reading the same staff file, or answering every read with 429 (``Throttled``)."""
    install()
    with time_machine.travel(moment, tick=True):
        ctx = AppContext(Settings(home=Path(home), database_url=url, secret_key=TEST_SECRET))
        if throttled is not None:
            ctx.connectors.connections["tenant-b"] = replace(
                ctx.connectors, connections={}, **({"directory": Throttled()} if throttled else {})
            )
        start = _cpu()
        if workers:
            work(ctx.store, ctx.settings, lambda: ctx.config, ctx.connectors)
        else:
            run_sweep(
                ctx.store,
                ctx.settings,
                ctx.config,
                ctx.connectors,
                deliver=False,
                keep_reminders=False,
            )
        out.put(_cpu() - start)
        ctx.store.dispose()


class DatabaseCpu:
    """The CPU seconds of this database's backends (``/proc``), sampled every 0.2 s."""

    def __init__(self, store: Any) -> None:
        self.store, self.seen, self.done = store, dict[int, float](), threading.Event()
        self.tick = os.sysconf("SC_CLK_TCK")

    def _sample(self) -> None:
        with self.store.engine.connect() as conn:
            pids = conn.execute(
                text(
                    "SELECT pid FROM pg_stat_activity WHERE datname ="
                    " current_database() AND pid <> pg_backend_pid()"
                )
            ).scalars()
            for pid in pids:
                try:
                    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                self.seen[pid] = (int(fields[11]) + int(fields[12])) / self.tick

    def __enter__(self) -> DatabaseCpu:
        def run() -> None:
            while not self.done.wait(0.2):
                self._sample()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.thread.join()

    @property
    def seconds(self) -> float:
        return sum(self.seen.values())


def _run(processes: int, target: Callable[..., None], *args: Any) -> list[float]:
    """Fork ``processes`` children running ``target(*args, out)``; their CPU seconds."""
    fork = multiprocessing.get_context("fork")
    out = fork.Queue()
    children = [fork.Process(target=target, args=(*args, out)) for _ in range(processes)]
    for child in children:
        child.start()
    cpu = [out.get(timeout=3600) for _ in children]
    for child in children:
        child.join()
        assert child.exitcode == 0
    return cpu


def _waits(store: Any, after: int, of: set[str] | None = None) -> list[float]:
    """The waits from due to claim of the sweeps since run ``after`` (of the schools ``of``)."""
    with store.session() as session:
        return sorted(
            r.stats.get("waited_s", 0.0)
            for r in session.scalars(select(SweepRun).where(SweepRun.id > after))
            if of is None or r.school_id in of
        )


def _p99(waits: list[float]) -> float:
    return waits[min(len(waits) - 1, int(len(waits) * 0.99))]


def _last_run(store: Any) -> int:
    with store.session() as session:
        return int(session.scalar(select(func.coalesce(func.max(SweepRun.id), 0))) or 0)


def _layouts(home: Path, schools: int, staff: int, layouts: tuple[int, ...]) -> None:
    """Sweep a first tick and a digest day in each layout (0: the single loop; else that many
    workers), each on a database of its own; print the figures, check each school swept once a
    tick and the same emails queued by every layout."""
    server = os.environ.get("COMPLIANCE_BOT_TEST_POSTGRES_URL")
    if not server:
        pytest.skip("PostgreSQL not configured: set COMPLIANCE_BOT_TEST_POSTGRES_URL")
    ids = _trust(home, schools, staff)
    queued: dict[int, list[tuple[Any, ...]]] = {}
    print(f"\n{schools} schools x {staff} staff; a first sweep (Friday), then a digest day")
    for workers in layouts:
        url = DATABASES.take(server)
        try:
            ctx = AppContext(Settings(home=home, database_url=url, secret_key=TEST_SECRET))
            for n, moment in enumerate(TICKS, 1):
                after = _last_run(ctx.store)
                if workers:
                    assert sweep_jobs.enqueue(ctx.store, dict.fromkeys(ids, ""), moment) == schools
                ctx.store.engine.dispose()  # nothing of this process's pool crosses a fork
                wall = time.perf_counter()
                with DatabaseCpu(ctx.store) as database:
                    cpu = _run(workers or 1, _sweep_here, str(home), url, moment, workers, None)
                wall = time.perf_counter() - wall
                waits = _waits(ctx.store, after)
                assert len(waits) == schools  # every school swept once this tick
                p99 = _p99(waits)
                print(
                    f"{'single loop' if not workers else f'{workers} worker(s)':>12}, "
                    f"{'first' if n == 1 else 'digest day'}: {wall:6.1f} s wall,"
                    f" {schools / wall * 60:7.0f} schools/min, p99 wait {p99:5.1f} s,"
                    f" CPU {sum(cpu):.1f} s in {len(cpu)} process(es)"
                    f" ({sum(cpu) / schools * 1000:.1f} ms/school),"
                    f" database CPU {database.seconds:.1f} s",
                    flush=True,
                )
            with ctx.store.session() as session:
                fences = set(session.scalars(select(SweepJob.fence)))
                assert fences == ({len(TICKS)} if workers else {0})  # one claim a tick
            queued[workers] = emails(ctx.store)
            ctx.store.dispose()
        finally:
            DATABASES.drop(url)
    assert queued[layouts[0]]  # the emails of a first sweep and a digest day
    assert all(queued[workers] == queued[layouts[0]] for workers in layouts)


def test_sweep_workers_share_a_county_s_sweep(tmp_path: Path) -> None:
    """2,000 schools of 25 (CI: 40 of 5): the single loop, then 1, 2 and 4 workers."""
    _layouts(tmp_path / "county", SCHOOLS, STAFF, (0, *WORKERS))


def test_a_100k_staff_trust_s_digest_day_by_two_workers(tmp_path: Path) -> None:
    """The 100,000-staff trust of 200 schools (CI: 8 of 20): the single loop, then two
    workers."""
    _layouts(tmp_path / "trust", *bench_size((8, 20), (200, 500)), (0, 2))


HELD_ROUNDS = bench_size(30, 60)  # ticks queued and claimed while a transaction stays open
CLEAN_ROUNDS = 5


def _claim_pages(store: Any) -> int:
    """The pages a claim reads to find the longest waiting school (EXPLAIN ANALYZE, BUFFERS),
    the queue as it is: what dead row versions cost, whatever the machine's load."""
    query = (
        select(SweepJob.school_id)
        .where(*sweep_jobs.waiting_now())
        .order_by(SweepJob.due_at)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    with store.session() as session:
        connection = session.connection()
        sql = query.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True})
        plan = connection.execute(text(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")).scalars().all()
        session.rollback()
    buffers = next(line for line in plan if "Buffers:" in line)
    return sum(int(n) for n in re.findall(r"(?:hit|read)=(\d+)", buffers))


def _round(store: Any, ids: list[str], n: int) -> tuple[float, int]:
    """One tick queued, then every school claimed and its sweep saved at once; claims a second,
    and the pages the first claim read."""
    start = datetime(2026, 11, 23, tzinfo=UTC) + n * sweep_jobs.TICK
    assert sweep_jobs.enqueue(store, dict.fromkeys(ids, ""), start) == len(ids)
    pages = _claim_pages(store)
    began = time.perf_counter()
    for _ in ids:
        lease = sweep_jobs.claim(store, "bench", timedelta(minutes=2))
        assert lease is not None
        with store.transaction() as session:
            sweep_jobs.finish(session, lease.school_id, lease=lease, started=start, failed=[])
    assert sweep_jobs.claim(store, "bench", timedelta(minutes=2)) is None  # each once
    return len(ids) / (time.perf_counter() - began), pages


def _size(store: Any) -> str:
    with store.session() as session:
        heap, index = session.execute(
            text("SELECT pg_relation_size('sweep_jobs'), pg_indexes_size('sweep_jobs')")
        ).one()
    return f"table {heap / 1024:.0f} KiB, indexes {index / 1024:.0f} KiB"


def test_claims_recover_after_a_transaction_held_open(tmp_path: Path) -> None:
    """#83 item 5: the job table holds one row a school, whatever the ticks, but each tick
    leaves dead row versions that nothing can remove while any transaction keeps an older
    snapshot open: the claims slow down. Closed, the table is vacuumed (autovacuum's threshold
    is 200 dead rows here; run at once in the test) and the claim rate comes back."""
    server = os.environ.get("COMPLIANCE_BOT_TEST_POSTGRES_URL")
    if not server:
        pytest.skip("PostgreSQL not configured: set COMPLIANCE_BOT_TEST_POSTGRES_URL")
    ids = [f"s{n:04d}" for n in range(SCHOOLS)]
    url = DATABASES.take(server)
    try:
        store = Store(url)
        store.upgrade()
        rounds = iter(range(1_000))

        def measured(count: int, when: str) -> list[int]:
            rates, pages = zip(
                *(_round(store, ids, next(rounds)) for _ in range(count)), strict=True
            )
            print(
                f"{when}: {min(rates):.0f}-{max(rates):.0f} claims/s, a claim read "
                f"{pages[0]}..{pages[-1]} pages; {_size(store)}"
            )
            return list(pages)

        print(f"\n{SCHOOLS} schools, {HELD_ROUNDS} ticks with a transaction held open:")
        before = measured(CLEAN_ROUNDS, "before")
        with store.engine.connect() as held:  # a report left open, a long backup's snapshot
            held.execute(text("BEGIN ISOLATION LEVEL REPEATABLE READ"))
            held.execute(text("SELECT count(*) FROM sweep_jobs")).scalar()
            during = measured(HELD_ROUNDS, "held open")
            held.execute(text("ROLLBACK"))
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM sweep_jobs"))  # what autovacuum does after 200 dead rows
        after = measured(CLEAN_ROUNDS, "closed, vacuumed")
        assert during[-1] > before[-1] and after[-1] < during[-1]  # the dead versions went
        with store.session() as session:  # one row a school, each claimed once a tick
            fences = session.execute(select(SweepJob.fence)).scalars().all()
        assert sorted(fences) == [2 * CLEAN_ROUNDS + HELD_ROUNDS] * SCHOOLS
        store.dispose()
    finally:
        DATABASES.drop(url)


def test_one_throttled_tenant_delays_only_its_own_schools(tmp_path: Path) -> None:
    """A tenant answering 429 for the whole run (one school in ten, CI: 40 schools of 5; full:
    2,000 of 25), two workers, a first sweep: the other schools' p99 wait beside the same run
    with the tenant answering. Asserted: every other school swept once; the tenant read once a
    worker at most (then paused for all of them), its other schools left queued."""
    server = os.environ.get("COMPLIANCE_BOT_TEST_POSTGRES_URL")
    if not server:
        pytest.skip("PostgreSQL not configured: set COMPLIANCE_BOT_TEST_POSTGRES_URL")
    home = tmp_path / "county"
    ids = _trust(home, SCHOOLS, STAFF, tenant_b=10)
    tenant_b = {s for n, s in enumerate(ids) if n % 10 == 1}
    others = set(ids) - tenant_b
    p99: dict[bool, float] = {}
    for throttled in (False, True):
        url = DATABASES.take(server)
        try:
            ctx = AppContext(Settings(home=home, database_url=url, secret_key=TEST_SECRET))
            tenants = {s.id: s.connection or "" for s in ctx.config.schools}
            assert sweep_jobs.enqueue(ctx.store, tenants, TICKS[0]) == SCHOOLS
            ctx.store.engine.dispose()
            _run(2, _sweep_here, str(home), url, TICKS[0], 2, throttled)
            waits = _waits(ctx.store, 0, others)
            assert len(waits) == len(others)  # every other school swept, once
            p99[throttled] = _p99(waits)
            with ctx.store.session() as session:
                swept_b = session.scalar(
                    select(func.count())
                    .select_from(SweepRun)
                    .where(SweepRun.school_id.in_(tenant_b))
                )
            assert swept_b == (len(tenant_b) if not throttled else swept_b)
            assert not throttled or 1 <= swept_b <= 2  # one read a worker, then paused
            ctx.store.dispose()
        finally:
            DATABASES.drop(url)
    print(
        f"\n{SCHOOLS} schools, {len(tenant_b)} on a tenant answering 429 throughout, 2 workers:"
        f" the other schools' p99 wait {p99[True]:.1f} s, {p99[False]:.1f} s with the tenant"
        f" answering ({(p99[True] / p99[False] - 1) * 100:+.0f} %)"
    )
