"""#83 item 4: Graph's directory reads are counted per app per tenant, against the resource
units Graph publishes ("Service-specific throttling limits", identity and access: per
application+tenant pair each 10 seconds; GET users 2 units, group members 3, transitive
members 5, $select 1 less). The fake Graph enforces the same budget with 429 and Retry-After.

A big tenant's read is paced under the budget (no 429, the clock waits); two workers whose
pacers share one database keep the budget together (two pacers of their own do not); a tenant
whose budget is spent delays only its own reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.database.store import Store
from bot.core.guards.ratelimit import DatabasePacer
from connectors.base import LocalPacer
from tests.connectors.contract.kit_m365 import m365_settings
from tests.support.fakes.graph import FakeClock, FakeGraph, tenants

pytest.importorskip("msgraph", reason="msgraph-sdk is not installed (uv sync --extra m365)")

from connectors.m365.client_pipeline import directory_cost
from connectors.m365.connector import build
from connectors.m365.directory import GraphDirectory
from tests.connectors.m365.test_tenants import CLIENT_B, SECRET_B, TENANT_B, tenant_b

UNITS = 12  # a small budget, so that a school-sized read needs it several times over


def _big(clock: FakeClock, staff: int = 0) -> FakeGraph:
    fake = FakeGraph(clock=clock, page_size=10)
    fake.seed_population()
    for n in range(staff):
        fake.add_user(f"big-{n}", f"Staff {n}", f"staff{n}@oakfield.example")
        fake.add_member(fake.group_id("All Staff"), f"big-{n}")
    fake.directory_units = UNITS
    return fake


def _directory(
    tmp_path: Path, transport: object, clock: FakeClock, **m365: object
) -> GraphDirectory:
    connectors = build(
        m365_settings(tmp_path, **m365),
        transport=transport,  # type: ignore[arg-type]
        clock=clock,
        sleep=clock.sleep,
    )
    assert isinstance(connectors.directory, GraphDirectory)
    connectors.directory.client.directory_units = UNITS
    return connectors.directory


def test_the_cost_of_each_read_is_the_published_one() -> None:
    assert directory_cost("GET", "/users", {}) == 2
    assert directory_cost("GET", "/users/delta()", {"$select": "id"}) == 1
    assert directory_cost("GET", "/groups/g/members", {"$select": "id"}) == 2
    assert directory_cost("GET", "/groups/g/transitiveMembers", {"$select": "id"}) == 4
    assert directory_cost("GET", "/users", {"$select": "id", "$expand": "manager"}) == 2
    assert directory_cost("GET", "/groups/g/members", {"$select": "id", "$top": "1"}) == 1
    assert directory_cost("POST", "/users/a/sendMail", {}) == 0  # mail: Outlook's limits
    assert directory_cost("GET", "/users/a/messages", {}) == 0


def test_a_big_tenant_is_read_page_by_page_under_its_budget(tmp_path: Path) -> None:
    clock = FakeClock()
    fake = _big(clock, staff=300)
    directory = _directory(tmp_path, fake.transport, clock)
    started = clock()
    try:
        changes = directory.fetch(None)
    finally:
        directory.client.close()
    assert sum(p.email.startswith("staff") for p in changes.people) == 300
    assert fake.throttled == 0
    spent = sum(units for _, units in fake.directory_spent)
    assert 0 < spent <= UNITS
    assert clock() - started >= 10.0 * 3  # 30-odd pages of 1-2 units: waited several windows


def _two_workers(
    tmp_path: Path, fake: FakeGraph, clock: FakeClock, pacers: tuple[object, object]
) -> None:
    for n, pacer in enumerate(pacers):
        directory = _directory(tmp_path / str(n), fake.transport, clock)
        directory.client.pacer = pacer  # type: ignore[assignment]
        try:
            directory.fetch(None)
        finally:
            directory.client.close()


def test_two_workers_sharing_the_database_keep_the_budget_together(
    tmp_path: Path, store: Store, retry_sleeps: list[float]
) -> None:
    clock = FakeClock()
    fake = _big(clock, staff=40)
    _two_workers(
        tmp_path,
        fake,
        clock,
        (DatabasePacer(lambda: store, clock), DatabasePacer(lambda: store, clock)),
    )
    assert fake.throttled == 0 and retry_sleeps == []
    # the control: each worker counting alone passes the budget (Graph answers 429)
    alone = _big(clock, staff=40)
    clock.advance(60)
    with pytest.raises(Exception):  # noqa: B017  # throttled past the SDK's retries
        _two_workers(tmp_path, alone, clock, (LocalPacer(clock), LocalPacer(clock)))
    assert alone.throttled > 0


def test_a_tenant_whose_budget_is_spent_delays_only_its_own_reads(
    tmp_path: Path, store: Store
) -> None:
    clock = FakeClock()
    a, b = _big(clock, staff=40), tenant_b(clock)
    b.directory_units = UNITS
    both = tenants(a, b)
    pacer = DatabasePacer(lambda: store, clock)
    first = _directory(tmp_path / "a", both, clock)
    other = _directory(
        tmp_path / "b",
        both,
        clock,
        tenant_id=TENANT_B,
        client_id=CLIENT_B,
        client_secret=SECRET_B,
        sender="compliance-bot@hillside.example",
        role_groups={"All Staff": "staff", "Governors": "governor"},
    )
    first.client.pacer = other.client.pacer = pacer
    try:
        first.fetch(None)  # tenant A's budget now spent to its last units
        before = clock()
        changes = other.fetch(None)
        assert clock() == before  # tenant B read at once
        assert {p.email for p in changes.people} >= {"hal.head@hillside.example"}
        assert clock() - before == 0 and a.throttled == b.throttled == 0
        waited = clock()
        first.fetch(None)
        assert clock() > waited  # tenant A's own next read waits for its budget
    finally:
        first.client.close()
        other.client.close()
