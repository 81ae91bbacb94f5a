"""Benchmark: a sweep's memory against the number of schools sharing one Google Workspace
domain, each naming its staff group (#60: memory flat in the number of schools).

Run with ``uv run pytest -m benchmark -n 0 -s tests/benchmarks/test_memory_by_schools_benchmark.py``
(CI size: 2, 4 and 8 schools of 10 staff; ``COMPLIANCE_BOT_BENCH=full``: 20, 40 and 80 of 500;
PostgreSQL with ``COMPLIANCE_BOT_TEST_POSTGRES_URL``). For each trust, in an empty database of
its own, the first sweep (everyone brought in, every duty opened) and a quiet sweep (the third:
nothing changed) are measured, after a trust of one school swept unmeasured (what a process
makes once, on its first sweep).

Printed, for each trust: the peak memory Python allocated during each sweep (tracemalloc,
started once the fake domain holds its users, so the fake's own store is not counted; what the
fake makes while answering, a page at a time, is), and the slope per school and per person
between the smallest and the largest trust. The domain's users are read by ``users.list``
pages (``all_users``): read by the role groups' ``users.get`` batches, the fake parses each
batch with the email package, whose garbage (a class per header), kept between collections
at the sweep's thresholds, was most of what was measured. Asserted (correctness only):
everyone is stored at their own school's, the quiet sweep adds and updates nobody.
"""

from __future__ import annotations

import tracemalloc
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.core.deployment.context import AppContext
from bot.core.models import Person
from bot.core.ports import Directory
from bot.engine.sweep import SchoolSweep, run_sweep
from tests.support.fakes.google import FakeGoogle, domain_settings
from tests.support.helpers import SchoolBuilder, at
from tests.support.migrated import copy_database, drop_copy
from tests.support.scale import bench_size

pytest.importorskip("googleapiclient", reason="the google extra is not installed")

pytestmark = pytest.mark.benchmark

TRUSTS = bench_size((2, 4, 8), (20, 40, 80))  # schools on the domain
STAFF = bench_size(10, 500)  # a school's staff
MONDAY = date(2026, 11, 23)
DOMAIN = "vale.example"
MB = 1024 * 1024


def _address(n: int, school: str) -> str:
    return f"p{n}.{school}@{DOMAIN}"


def _trust(home: Path, database_url: str, schools: int) -> tuple[AppContext, Directory]:
    """``schools`` schools of ``STAFF`` on one domain (the fake), each naming its staff group,
    with two policies to acknowledge; the school's context and the domain's directory."""
    from connectors.google.connector import build

    ids = [f"s{i:03d}" for i in range(schools)]
    builder = SchoolBuilder(home / "school")
    builder.people = []
    fake = FakeGoogle()
    fake.add_user(f"it.admin@{DOMAIN}", "IT Admin", admin=True)
    fake.add_user(f"bot@{DOMAIN}", "Compliance Bot")
    for school in ids:
        staff = [_address(n, school) for n in range(STAFF)]
        for n, email in enumerate(staff):
            fake.add_user(email, f"Person{n} {school.title()}", manager=staff[0] if n else None)
        fake.add_group(f"staff-{school}@{DOMAIN}", f"{school} staff", staff)
    for pid in ("online-safety", "child-protection"):
        builder.policy(pid, "2026.1", published="2026-09-01", next_review="2027-09-01")
        builder.requirement(
            id=f"ack-{pid}",
            kind="acknowledge_policy",
            policy=pid,
            audience={"roles": ["staff"]},
            due_days=14,
        )
    schools_config = [
        {
            **builder.school,
            "id": school,
            "name": f"School {school}",
            "headteacher": _address(0, school),
            "dsl": [_address(0, school)],
            "deputy_dsl": [],
            "directory": {"staff_group": f"staff-{school}@{DOMAIN}"},
        }
        for school in ids
    ]
    builder.school, builder.others = schools_config[0], schools_config[1:]
    context = builder.context(database_url)
    settings = domain_settings(
        home,
        DOMAIN,
        {f"staff-{school}@{DOMAIN}": "staff" for school in ids},
        all_users=True,  # read by users.list pages (see the module's docstring)
    )
    return context, build(settings, http=fake).directory


def _sweep(
    context: AppContext, directory: Directory, minutes: int
) -> tuple[list[SchoolSweep], float]:
    """One sweep of the trust at Monday 08:00 + ``minutes``, and the peak MB Python allocated
    while it ran."""
    connectors = replace(context.connectors, directory=directory, extra_people=None)
    tracemalloc.start()
    try:
        results, _ = run_sweep(
            context.store,
            context.settings,
            context.config,
            connectors,
            as_of=MONDAY,
            deliver=False,
            now=at(MONDAY, 8) + timedelta(minutes=minutes),
            keep_reminders=False,  # as the scheduler runs it: each school's reminders in brief
        )
        peak = tracemalloc.get_traced_memory()[1] / MB
    finally:
        tracemalloc.stop()
    assert not [r.failed for r in results if r.failed]
    return results, peak


def test_memory_by_number_of_schools(tmp_path: Path, database_url: str) -> None:
    """The first and a quiet sweep's peak memory for each trust, and the slopes."""
    peaks: dict[int, tuple[float, float]] = {}
    for warm, schools in ((True, 1), *((False, n) for n in TRUSTS)):
        # a school swept first, unmeasured: what any first sweep of a process makes once;
        # each trust in an empty database of its own, so its first sweep brings everyone in
        home = tmp_path / f"trust-{warm}-{schools}"
        home.mkdir()
        url = copy_database(database_url, home)
        context, directory = _trust(home, url, schools)
        try:
            _results, first = _sweep(context, directory, 0)
            _sweep(context, directory, 15)
            quiet_results, quiet = _sweep(context, directory, 30)
            with context.store.session() as session:
                by_school: Any = dict(
                    session.execute(
                        select(Person.school_id, func.count()).group_by(Person.school_id)
                    ).all()
                )
        finally:
            context.store.dispose()
            drop_copy(url)
        assert by_school == {f"s{i:03d}": STAFF for i in range(schools)}
        assert all(r.directory.added == r.directory.updated == 0 for r in quiet_results)
        if warm:
            continue
        peaks[schools] = (first, quiet)
        print(
            f"{schools:>4} schools x {STAFF} staff ({schools * STAFF:,} people): peak "
            f"{first:7.1f} MB first sweep, {quiet:7.1f} MB quiet sweep",
            flush=True,
        )
    low, high = min(peaks), max(peaks)
    for n, label in ((0, "first"), (1, "quiet")):
        slope = (peaks[high][n] - peaks[low][n]) / (high - low)
        print(
            f"{label} sweep: {slope * 1024:,.0f} KB a school more, "
            f"{slope * MB / STAFF:,.0f} bytes a person",
            flush=True,
        )
