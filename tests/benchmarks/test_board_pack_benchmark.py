"""Benchmark: the trust board's termly pack for a big trust (#81).

Run with ``uv run pytest -m benchmark -n 0 -s tests/benchmarks/test_board_pack_benchmark.py``:
10 schools of 20 staff (``COMPLIANCE_BOT_BENCH=full``: 200 schools of 500, 100,000 staff; the
set-up sweeps them all first, which takes far longer than the pack). Each school asks its
staff to acknowledge a policy and to complete safeguarding training; one sweep opens their
duties; then the pack (every school's figures, the PDF, the CSV, the signature) is made once.

Printed: the pack's CPU seconds and wall seconds, and the peak memory Python allocated while
making it again (tracemalloc, untimed). Asserted (correctness only): a row per school and the
trust's, every member of staff owed their training and their reading of the policy in the
total, and the same files both times.
"""

from __future__ import annotations

import csv
import io
import time
import tracemalloc
from datetime import date
from pathlib import Path

import pytest

from bot.engine.sweep import run_sweep
from bot.features.trust.pack import gather, make_files
from tests.support.helpers import Row, SchoolBuilder, at
from tests.support.keys import TEST_SECRET
from tests.support.scale import bench_size

SCHOOLS = bench_size(10, 200)
STAFF = bench_size(20, 500)
MONDAY = date(2026, 11, 23)


def _school(n: int) -> dict[str, object]:
    sid = f"s{n:03d}"
    return {
        "id": sid,
        "name": f"School {n + 1:03d}",
        "headteacher": f"p0@{sid}.example",
        "dsl": [f"p1@{sid}.example"],
        "policies": [
            {
                "id": "conduct",
                "title": "Staff code of conduct",
                "version": "1",
                "document": "policies/conduct.md",
                "published": "2026-09-01",
            }
        ],
        "requirements": [
            {
                "id": "ack-conduct",
                "kind": "acknowledge_policy",
                "policy": "conduct",
                "audience": {"roles": ["staff"]},
                "due_days": 14,
            },
            {
                "id": "train-sg",
                "kind": "complete_training",
                "course": "Safeguarding",
                "audience": {"roles": ["staff"]},
                "due_days": 28,
            },
        ],
    }


@pytest.mark.benchmark
def test_the_pack_for_a_big_trust(tmp_path: Path) -> None:
    builder = SchoolBuilder(tmp_path / "trust")
    schools = [_school(n) for n in range(SCHOOLS)]
    builder.school, builder.others = schools[0], schools[1:]
    builder.organisation = {"name": "Big Trust"}
    builder.people = [
        Row(f"p{i}@s{n:03d}.example", f"Person {i} {n}", "staff", "All Staff", school=f"s{n:03d}")
        for n in range(SCHOOLS)
        for i in range(STAFF)
    ]
    (builder.home / "policies" / "conduct.md").write_text("# Conduct\n\nBe kind.\n")
    context = builder.context(f"sqlite:///{tmp_path / 'trust.db'}")
    run_sweep(
        context.store,
        context.settings,
        context.config,
        context.connectors,
        as_of=MONDAY,
        now=at(MONDAY, 9),
        deliver=False,
    )

    def pack() -> dict[str, bytes]:
        with context.store.transaction() as session:
            lines = gather(session, context.config, None, MONDAY, at(MONDAY, 12))
            return make_files(
                session,
                context.config,
                lines,
                secret=TEST_SECRET,
                made=at(MONDAY, 12),
                actor="bench",
                threshold=90,
            )

    cpu, wall = time.process_time(), time.perf_counter()
    files = pack()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    tracemalloc.start()  # a second pack, traced (tracing slows it: not timed)
    assert pack() == files  # the same files for the same record and moment
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    rows = list(csv.DictReader(io.StringIO(files["trust-board.csv"].decode().lstrip("\ufeff"))))
    print(
        f"\ntrust board pack: {SCHOOLS} schools, {SCHOOLS * STAFF:,} staff: "
        f"{cpu:.2f} s CPU, {wall:.2f} s wall, peak {peak / 2**20:.1f} MiB allocated, "
        f"PDF {len(files['trust-board.pdf']) / 1024:.0f} KiB"
    )
    assert len(rows) == SCHOOLS + 1 and rows[-1]["school"] == "trust"
    assert int(rows[-1]["training_required"]) == SCHOOLS * STAFF
    assert int(rows[-1]["acknowledgements_asked"]) == SCHOOLS * STAFF
    context.store.dispose()
