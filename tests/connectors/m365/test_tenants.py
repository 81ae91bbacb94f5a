"""A trust across two Microsoft 365 tenants on one install (#54): Oakfield and Elmwood in the
install's tenant, Hillside in a tenant of its own (``connection: tenant-b``). The real sweep
and outbox against the fake Graph serving both tenants (``tenants``): each tenant's directory
is read once per sweep, each school's people come from its own tenant, and its mail leaves
from its own tenant's mailbox to its own people only; a connection that is not set up holds
its school alone."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import select

import bot.wiring as wiring
from bot.core.deployment.context import AppContext
from bot.core.deployment.settings import Connection, Settings
from bot.core.models import Person, SweepRun
from bot.engine.sweep import run_sweep
from tests.connectors.contract.kit_m365 import m365_settings
from tests.support.fakes.graph import FakeClock, FakeGraph, tenants
from tests.support.helpers import SchoolBuilder, at

pytest.importorskip("msgraph", reason="msgraph-sdk is not installed (uv sync --extra m365)")

from connectors.m365.connector import build

MONDAY = date(2026, 11, 23)
ADA = "ada.head@oakfield.example"
TENANT_B = "00000000-0000-4000-8000-00000000b001"  # fictional
CLIENT_B = "00000000-0000-4000-8000-00000000b002"
SECRET_B = "fake-secret-of-tenant-b"  # fictional
SENDER_B = "compliance-bot@hillside.example"
HILLSIDE = {  # Hillside's people, in tenant B: id -> (address, name, groups)
    "b-1": ("hal.head@hillside.example", "Hal Head", ("All Staff", "Leadership")),
    "b-2": ("tia.teacher@hillside.example", "Tia Teacher", ("All Staff",)),
    "b-3": ("gus.governor@hillside.example", "Gus Governor", ("Governors",)),
}


def tenant_b(clock: FakeClock) -> FakeGraph:
    """Hillside's own tenant: its app, its shared mailbox, its people and role groups."""
    fake = FakeGraph(clock=clock, tenant_id=TENANT_B, client_id=CLIENT_B, sender=SENDER_B)
    fake.client_secret = SECRET_B
    fake.add_user("b-bot", "Compliance Bot", SENDER_B, account_enabled=False, licensed=False)
    for user_id, (address, name, _) in HILLSIDE.items():
        fake.add_user(user_id, name, address)
    for number, group in enumerate(
        ("All Staff", "Leadership", "Official Account Holders", "Governors"), start=1
    ):
        fake.add_group(f"bg-{number}", group)
        for user_id, (_, _, groups) in HILLSIDE.items():
            if group in groups:
                fake.add_member(f"bg-{number}", user_id)
    return fake


def trust(
    tmp_path: Path, database_url: str, *, connection: str = "tenant-b"
) -> tuple[AppContext, FakeGraph, FakeGraph, Any]:
    """The trust's install: school.yaml with three schools, the settings with tenant B as a
    connection, the connectors built by the app's wiring over one transport for both tenants."""
    builder = SchoolBuilder(tmp_path / "home")
    builder.people = []  # the people come from the tenants
    builder.school.update(
        id="oakfield", name="Oakfield Primary", headteacher=ADA, dsl=[ADA], deputy_dsl=[]
    )
    builder.policy("online-safety", "2026.1", title="Online Safety Policy", published="2026-11-02")
    builder.requirement(
        id="ack-os",
        kind="acknowledge_policy",
        policy="online-safety",
        audience={"roles": ["staff"]},
    )
    hillside = {
        **builder.school,
        "id": "hillside",
        "name": "Hillside Academy",
        "headteacher": "hal.head@hillside.example",
        "dsl": ["hal.head@hillside.example"],
        "connection": connection,
    }
    elmwood = {**builder.school, "id": "elmwood", "name": "Elmwood Infants"}  # tenant A too
    builder.others = [hillside, elmwood]
    home = builder.write()
    settings: Settings = m365_settings(home).model_copy(
        update={
            "database_url": database_url,
            "secret_key": SecretStr("test-secret-key-0123456789-abcdefghij"),
            "connections": {
                "tenant_b": Connection(
                    tenant_id=TENANT_B,
                    client_id=CLIENT_B,
                    client_secret=SecretStr(SECRET_B),
                    sender=SENDER_B,
                )
            },
        }
    )
    clock = FakeClock()
    fake_a, fake_b = FakeGraph(clock=clock), tenant_b(clock)
    fake_a.seed_population()
    transport = tenants(fake_a, fake_b)
    real = wiring._build_platform
    wiring._build_platform = lambda s: build(s, transport=transport, clock=clock, sleep=clock.sleep)
    try:
        connectors = wiring.build_connectors(settings)
        connectors.connection("tenant-b")  # built now, over the two tenants' transport
    finally:
        wiring._build_platform = real
    return AppContext(settings), fake_a, fake_b, connectors


def recipients(fake: FakeGraph) -> set[str]:
    """Every address the fake's sendMail calls went to."""
    from tests.connectors.m365.test_end_to_end import _recipients

    return {a for mail in fake.sent if mail.mime is not None for a in _recipients(mail.mime)}


def delta_reads(fake: FakeGraph, since: int = 0) -> int:
    """The directory rounds the tenant served (a users delta without a page's skip token
    starts each)."""
    return sum(
        1
        for r in fake.requests[since:]
        if r.url.path == "/v1.0/users/delta()" and "skiptoken" not in r.url.query.decode().lower()
    )


def test_each_school_reads_and_mails_its_own_tenant_only(tmp_path: Path, database_url: str) -> None:
    ctx, fake_a, fake_b, connectors = trust(tmp_path, database_url)
    results, stats = run_sweep(
        ctx.store, ctx.settings, ctx.config, connectors, as_of=MONDAY, now=at(MONDAY)
    )
    assert [r.failed for r in results] == [[], [], []]
    assert stats is not None and stats.failed == stats.delivery_unknown == 0
    # one directory read per tenant, though two schools share tenant A
    assert (delta_reads(fake_a), delta_reads(fake_b)) == (1, 1)
    with ctx.store.session() as session:
        people = {(p.school_id, p.email.rsplit("@", 1)[1]) for p in session.scalars(select(Person))}
    assert people == {("oakfield", "oakfield.example"), ("hillside", "hillside.example")}
    # each tenant's mailbox sent its own school's mail to its own people, nobody else's
    assert {m.mailbox for m in fake_a.sent} == {"compliance-bot@oakfield.example"}
    assert {m.mailbox for m in fake_b.sent} == {SENDER_B}
    assert recipients(fake_b) == {"hal.head@hillside.example", "tia.teacher@hillside.example"}
    assert recipients(fake_a) and all(a.endswith("@oakfield.example") for a in recipients(fake_a))
    assert all((m.key or "").find(":hillside:") < 0 for m in fake_a.sent)
    assert fake_a.rejected == fake_b.rejected == []
    # a token of one tenant reads nothing of the other (the transport is Graph's, not ours)
    assert all(
        r.headers["Authorization"].removeprefix("Bearer ") in fake_b.tokens
        for r in fake_b.requests
        if r.url.host == fake_b.graph_host
    )

    mark_a, mark_b = len(fake_a.requests), len(fake_b.requests)
    run_sweep(ctx.store, ctx.settings, ctx.config, connectors, as_of=MONDAY, now=at(MONDAY, 11))
    assert (delta_reads(fake_a, mark_a), delta_reads(fake_b, mark_b)) == (1, 1)
    assert set(fake_a.keys_sent().values()) | set(fake_b.keys_sent().values()) == {1}
    ctx.store.dispose()


def test_a_connection_not_set_up_holds_its_school_alone(tmp_path: Path, sqlite_url: str) -> None:
    ctx, fake_a, fake_b, connectors = trust(tmp_path, sqlite_url, connection="tenant-c")
    results, _ = run_sweep(
        ctx.store, ctx.settings, ctx.config, connectors, as_of=MONDAY, now=at(MONDAY)
    )
    failed = {r.school_id: [f.step for f in r.failed] for r in results}
    assert failed == {"oakfield": [], "hillside": ["directory"], "elmwood": []}
    assert "tenant-c" in (results[1].directory.error or "")
    assert fake_b.sent == [] and fake_a.sent  # Hillside's mail never leaves from tenant A
    assert all(":hillside:" not in (m.key or "") for m in fake_a.sent)
    with ctx.store.session() as session:
        runs = {r.school_id for r in session.scalars(select(SweepRun))}
    assert runs == {"oakfield", "hillside", "elmwood"}  # the report clocks ran for all three
    ctx.store.dispose()


def test_check_m365_checks_every_connection_and_names_a_sender_outside_the_scope(
    tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import connectors.m365.check as check_module

    ctx, fake_a, fake_b, _ = trust(tmp_path, sqlite_url)
    office = "office@hillside.example"  # Hillside's own mailbox, in tenant B
    fake_b.add_user("b-office", "Hillside office", office, account_enabled=False, licensed=False)
    transport = tenants(fake_a, fake_b)
    real = check_module.run_checks
    monkeypatch.setattr(
        check_module, "run_checks", lambda settings, **kw: real(settings, transport=transport, **kw)
    )
    config = ctx.config
    hillside = config.school("hillside").model_copy(update={"sender": office})
    rows = wiring.platform_checks("m365")(ctx.settings, schools={}, trust=[hillside])
    named = {row.name: row for row in rows}
    assert named["token"].ok and named["tenant-b: token"].ok  # each tenant's own app
    assert f"tenant {TENANT_B}" in named["tenant-b: settings"].detail
    assert named["tenant-b: Mail.Send"].ok and SENDER_B in named["tenant-b: Mail.Send"].detail
    row = named["tenant-b: Mail.Send (Hillside Academy)"]  # outside tenant B's scope
    assert not row.ok and f"{office} is outside the app's Mail.Send scope" in row.detail
    assert row.fix is not None and f"PrimarySmtpAddress -eq '{office}'" in row.fix
    assert f"PrimarySmtpAddress -eq '{SENDER_B}'" in row.fix
    fake_b.send_scope = {SENDER_B, office}  # the scope widened as the fix says
    rows = wiring.platform_checks("m365")(ctx.settings, schools={}, trust=[hillside])
    assert {r.name: r for r in rows}["tenant-b: Mail.Send (Hillside Academy)"].ok
    assert fake_a.sent == fake_b.sent == []  # probes only
    ctx.store.dispose()
