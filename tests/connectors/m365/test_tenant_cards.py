"""Proactive Teams cards across two tenants (#54): Oakfield in the install's tenant with the
install's bot, Hillside in tenant B with its own bot (``connection: tenant-b``), both
Teams-first. The real sweep installs each school's app for its people through its own
tenant's Graph and hands each person's needs card to the Bot Connector through the bot of
their school's tenant: a card for a tenant B school never goes through tenant A's bot, and
when tenant B has no bot its cards are refused (their email goes), never sent through A's."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import select

import bot.wiring as wiring
from bot.core.deployment.context import AppContext, school_chats
from bot.core.deployment.settings import Connection, Settings
from bot.core.models import OutboxMessage, utcnow
from bot.core.outbox import Urgency, dispatch, enqueue_chat_card
from bot.engine.config_sync import ensure_school
from bot.engine.sweep import run_sweep
from tests.connectors.contract.kit_m365 import m365_settings
from tests.connectors.m365.test_tenants import (
    ADA,
    CLIENT_B,
    HILLSIDE,
    SECRET_B,
    SENDER_B,
    TENANT_B,
    tenant_b,
)
from tests.support.fakes.graph import CATALOG_APP_ID, CLIENT_ID, FakeClock, FakeGraph, tenants
from tests.support.helpers import SchoolBuilder, at

pytest.importorskip("msgraph", reason="msgraph-sdk is not installed (uv sync --extra m365)")

from connectors.m365.connector import build

MONDAY = date(2026, 11, 23)


def _trust(home: Path, database_url: str, *, bot_b: bool = True) -> tuple[AppContext, Any]:
    """Settings with a bot in each tenant; the connectors built by the app's wiring."""
    builder = SchoolBuilder(home)
    builder.people = []
    builder.school.update(
        id="oakfield",
        name="Oakfield Primary",
        headteacher=ADA,
        dsl=[ADA],
        deputy_dsl=[],
        teams_first=True,
    )
    builder.policy("online-safety", "2026.1", title="Online Safety Policy", published="2026-11-02")
    builder.requirement(
        id="ack-os",
        kind="acknowledge_policy",
        policy="online-safety",
        audience={"roles": ["staff"]},
    )
    builder.others = [
        {
            **builder.school,
            "id": "hillside",
            "name": "Hillside Academy",
            "headteacher": "hal.head@hillside.example",
            "dsl": ["hal.head@hillside.example"],
            "connection": "tenant-b",
        }
    ]
    builder.write()
    own_bot = {"bot_app_id": CLIENT_B, "teams_catalog_app_id": CATALOG_APP_ID} if bot_b else {}
    settings: Settings = m365_settings(
        home, bot_app_id=CLIENT_ID, teams_catalog_app_id=CATALOG_APP_ID
    ).model_copy(
        update={
            "database_url": database_url,
            "secret_key": SecretStr("test-secret-key-0123456789-abcdefghij"),
            "connections": {
                "tenant_b": Connection(
                    tenant_id=TENANT_B,
                    client_id=CLIENT_B,
                    client_secret=SecretStr(SECRET_B),
                    sender=SENDER_B,
                    **own_bot,
                )
            },
        }
    )
    return AppContext(settings), settings


def _connectors(settings: Settings, fake_a: FakeGraph, fake_b: FakeGraph, clock: FakeClock) -> Any:
    transport = tenants(fake_a, fake_b)
    real = wiring._build_platform
    wiring._build_platform = lambda s: build(s, transport=transport, clock=clock, sleep=clock.sleep)
    try:
        connectors = wiring.build_connectors(settings)
        connectors.connection("tenant-b")
    finally:
        wiring._build_platform = real
    return connectors


@pytest.fixture(scope="module")
def swept(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[AppContext, FakeGraph, FakeGraph, Any]]:
    """Both schools swept on Monday with delivery: the needs cards handed over."""
    home = tmp_path_factory.mktemp("tenant-cards") / "home"
    ctx, settings = _trust(home, f"sqlite:///{home.parent / 'bot.db'}")
    clock = FakeClock()
    fake_a, fake_b = FakeGraph(clock=clock), tenant_b(clock)
    fake_a.seed_population()
    connectors = _connectors(settings, fake_a, fake_b, clock)
    for hour in (9, 10):  # the first sweep installs the app, the second's reminders are cards
        run_sweep(
            ctx.store, ctx.settings, ctx.config, connectors, as_of=MONDAY, now=at(MONDAY, hour)
        )
    yield ctx, fake_a, fake_b, connectors
    ctx.store.dispose()


def test_each_schools_cards_go_through_its_own_tenants_bot(
    swept: tuple[AppContext, FakeGraph, FakeGraph, Any],
) -> None:
    ctx, fake_a, fake_b, connectors = swept
    b_people = {user_id for user_id in HILLSIDE}
    # each tenant's Graph installed the app for its own people only
    assert set(fake_b.installed) <= b_people and fake_b.installed
    assert not set(fake_a.installed) & b_people
    # the cards: tenant B's people through B's bot, nobody else's; A's through A's
    assert fake_b.chat_cards and {c["user"] for c in fake_b.chat_cards} <= b_people
    assert fake_a.chat_cards and not {c["user"] for c in fake_a.chat_cards} & b_people
    assert fake_a.rejected == fake_b.rejected == []
    with ctx.store.session() as session:
        cards = session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "teams")).all()
    assert {r.school_id for r in cards} == {"oakfield", "hillside"}
    assert all(r.status == "sent" for r in cards), [(r.idempotency_key, r.status) for r in cards]
    keys = [r.idempotency_key for r in cards]
    assert len(keys) == len(set(keys))  # nothing twice
    assert school_chats(ctx.config.schools, connectors) == {
        "hillside": connectors.connection("tenant-b").chat
    }


def test_a_tenant_without_a_bot_never_borrows_the_installs(tmp_path: Path) -> None:
    """Tenant B has no bot: a card queued for Hillside is refused (its email goes instead),
    and tenant A's bot posts nothing for it."""
    ctx, settings = _trust(tmp_path / "home", f"sqlite:///{tmp_path / 'bot.db'}", bot_b=False)
    clock = FakeClock()
    fake_a, fake_b = FakeGraph(clock=clock), tenant_b(clock)
    connectors = _connectors(settings, fake_a, fake_b, clock)
    assert connectors.chat is not None and connectors.connection("tenant-b").chat is None
    fake_a.user_installs("u-amy", "chat-amy")
    with ctx.store.transaction() as session:
        ensure_school(session, ctx.config.school("hillside"))
        enqueue_chat_card(
            session,
            school_id="hillside",
            key="needs:hillside:1",
            purpose="reminder",
            urgency=Urgency.ROUTINE,
            recipient="tia.teacher@hillside.example",
            title="Needs",
            text="",
            card={"type": "AdaptiveCard", "version": "1.5", "body": []},
            chat_id="chat-amy",
            service_url="https://smba.trafficmanager.net/emea/",
        )
    stats = dispatch(
        ctx.store,
        connectors.mailer,
        None,
        chat=connectors.chat,
        now=utcnow,
        chats=school_chats(ctx.config.schools, connectors),
    )
    with ctx.store.session() as session:
        row = session.scalars(select(OutboxMessage)).one()
    assert fake_a.chat_cards == [] and fake_b.chat_cards == []
    assert (row.status, stats.failed) == ("failed", 1)
    ctx.store.dispose()
