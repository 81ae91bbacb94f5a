"""Benchmark: what a Microsoft 365 directory sync costs in Graph requests and time (target: a
second sync with no changes costs at most 2 requests).

A school tenant of 2,000 accounts (400 staff and governors in the role groups, 1,600 pupils in
none) and, with ``COMPLIANCE_BOT_BENCH=full``, a trust tenant of 20,000 (4,000 and 16,000).
Pages hold 100 users, as Graph's delta pages commonly do. Run alone with
``uv run pytest tests/benchmarks/test_m365_directory_benchmark.py -s`` to see the figures.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.connectors.contract.kit_m365 import m365_settings
from tests.support.fakes.graph import FakeClock, FakeGraph
from tests.support.scale import bench_size

pytest.importorskip("msgraph", reason="msgraph-sdk is not installed (uv sync --extra m365)")

from connectors.m365.connector import build
from connectors.m365.directory import GraphDirectory

TARGET_REQUESTS = 2


def _tenant(staff: int, pupils: int) -> FakeGraph:
    # The benchmark times the connector: the fake's conformance checks (which parse every
    # answer with the SDK's models) run in the default suite, not here.
    fake = FakeGraph(clock=FakeClock(), page_size=100, conformance=False)
    roles = {"All Staff": "staff", "Governors": "governor"}
    for number, name in enumerate(roles, start=1):
        fake.add_group(f"g-{number}", name)
    for i in range(staff):
        fake.add_user(f"s-{i}", f"Staff {i}", f"staff{i}@oakfield.example", manager="s-0")
        fake.add_member("Governors" if i % 20 == 0 else "All Staff", f"s-{i}")
    for i in range(pupils):
        fake.add_user(f"p-{i}", f"Pupil {i}", f"pupil{i}@pupils.oakfield.example")
    return fake


def _graph_requests(fake: FakeGraph, since: int) -> int:
    return sum(1 for r in fake.requests[since:] if r.url.host == fake.graph_host)


@pytest.mark.benchmark
@pytest.mark.parametrize(("staff", "pupils"), [(400, 1_600), *bench_size([], [(4_000, 16_000)])])
def test_second_sync_with_no_changes_costs_at_most_two_requests(
    tmp_path: Path, staff: int, pupils: int
) -> None:
    fake = _tenant(staff, pupils)
    settings = m365_settings(tmp_path, role_groups={"All Staff": "staff", "Governors": "governor"})
    connectors = build(settings, transport=fake.transport)
    directory = connectors.directory
    assert isinstance(directory, GraphDirectory)

    mark, started = len(fake.requests), time.perf_counter()
    first = directory.fetch(None)
    full_requests, full_seconds = _graph_requests(fake, mark), time.perf_counter() - started
    assert len(first.people) == staff  # pupils are never read into the bot

    mark, started = len(fake.requests), time.perf_counter()
    second = directory.fetch(first.cursor)
    quiet_requests, quiet_seconds = _graph_requests(fake, mark), time.perf_counter() - started
    assert not second.people and not second.removed

    for i in range(1, 11):  # a normal week: ten staff changes, and a pupil joins
        fake.update_user(f"s-{i}", jobTitle="Teaching assistant")
    fake.add_user("p-new", "Pupil New", "new@pupils.oakfield.example")
    mark = len(fake.requests)
    third = directory.fetch(second.cursor)
    changed_requests = _graph_requests(fake, mark)
    assert len(third.people) == 10

    print(
        f"\nM365 directory, {staff + pupils:,} accounts ({staff:,} in role groups): "
        f"full sync {full_requests} requests in {full_seconds:.2f} s "
        f"({full_seconds / (staff + pupils) * 1000:.2f} ms an account); "
        f"second sync, no changes: {quiet_requests} requests in {quiet_seconds * 1000:.0f} ms; "
        f"ten staff changes: {changed_requests} requests"
    )
    assert quiet_requests <= TARGET_REQUESTS
    assert changed_requests <= TARGET_REQUESTS
    connectors.mailer.client.close()  # type: ignore[attr-defined]
