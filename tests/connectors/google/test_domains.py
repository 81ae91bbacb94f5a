"""A trust across two Google Workspace domains (#54): Oakfield on the install's domain, Elm on
its own (``connection: elm-domain``: its service account, admin subject, sender and role
groups). The real sweep and outbox against two fake Workspaces: each domain's directory is
read once per sweep (its one role group's members once), each school's people come from its
own domain, and each school's mail leaves from its own domain's sender to its own people."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import select

import bot.wiring as wiring
from bot.core.deployment.context import AppContext
from bot.core.deployment.platform_settings import GoogleSettings
from bot.core.deployment.settings import Connection, Settings
from bot.core.models import Person
from bot.engine.sweep import run_sweep
from tests.support.fakes.google import FakeGoogle, service_account_info
from tests.support.helpers import SchoolBuilder, at

pytest.importorskip("googleapiclient", reason="the google extra is not installed")

from connectors.google.connector import build

MONDAY = date(2026, 11, 23)
DOMAINS = {  # domain -> its people (address, name): every one fictional
    "oakfield.example": [
        ("ada.head@oakfield.example", "Ada Head"),
        ("ben.teacher@oakfield.example", "Ben Teacher"),
    ],
    "elm.example": [
        ("eve.head@elm.example", "Eve Head"),
        ("ian.teacher@elm.example", "Ian Teacher"),
    ],
}


def _workspace(domain: str) -> FakeGoogle:
    """One domain: its admin, its sender, its people in its all-staff group."""
    fake = FakeGoogle()
    fake.add_user(f"it.admin@{domain}", "IT Admin", admin=True)
    fake.add_user(f"bot@{domain}", "Compliance Bot")
    for address, name in DOMAINS[domain]:
        fake.add_user(address, name)
    fake.add_group(f"staff@{domain}", "All Staff", [a for a, _ in DOMAINS[domain]])
    return fake


@pytest.fixture(scope="module")
def trust(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[AppContext, dict[str, FakeGoogle], Any]]:
    home = tmp_path_factory.mktemp("google-domains") / "home"
    builder = SchoolBuilder(home)
    builder.people = []
    builder.school.update(
        id="oakfield",
        name="Oakfield Primary",
        headteacher="ada.head@oakfield.example",
        dsl=["ada.head@oakfield.example"],
        deputy_dsl=[],
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
            "id": "elm",
            "name": "Elm Academy",
            "headteacher": "eve.head@elm.example",
            "dsl": ["eve.head@elm.example"],
            "connection": "elm-domain",
        }
    ]
    builder.write()
    keys = {}
    for domain in DOMAINS:
        keys[domain] = home / f"{domain}.json"
        keys[domain].write_text(json.dumps(service_account_info()), encoding="utf-8")
    settings = Settings(
        _env_file=None,
        home=home,
        connector="google",
        database_url=f"sqlite:///{home.parent / 'bot.db'}",
        secret_key=SecretStr("test-secret-key-0123456789-abcdefghij"),
        google=GoogleSettings(
            service_account_file=keys["oakfield.example"],
            admin_subject="it.admin@oakfield.example",
            sender="bot@oakfield.example",
            role_groups={"staff@oakfield.example": "staff"},
        ),
        connections={
            "elm-domain": Connection(
                domain="elm.example",
                service_account_file=keys["elm.example"],
                admin_subject="it.admin@elm.example",
                sender="bot@elm.example",
                role_groups={"staff@elm.example": "staff"},
            )
        },
    )
    fakes = {domain: _workspace(domain) for domain in DOMAINS}

    def platform(s: Settings) -> Any:  # each domain's settings reach that domain's Workspace
        fake = fakes[str(s.google.admin_subject).split("@")[1]]
        return build(s, http=fake, chat_transport=fake.chat_transport())

    real = wiring._build_platform
    wiring._build_platform = platform
    try:
        connectors = wiring.build_connectors(settings)
        connectors.connection("elm-domain")
    finally:
        wiring._build_platform = real
    ctx = AppContext(settings)
    yield ctx, fakes, connectors
    ctx.store.dispose()


def _reads(fake: FakeGoogle) -> int:
    """How many times the domain's staff group was read (its directory's one role group)."""
    return len(fake.calls("directory.members.list"))


def test_each_domain_is_read_once_and_mails_its_own_school(
    trust: tuple[AppContext, dict[str, FakeGoogle], Any],
) -> None:
    ctx, fakes, connectors = trust
    oak, elm = fakes["oakfield.example"], fakes["elm.example"]
    results, stats = run_sweep(
        ctx.store, ctx.settings, ctx.config, connectors, as_of=MONDAY, now=at(MONDAY)
    )
    assert [r.failed for r in results] == [[], []]
    assert stats is not None and stats.failed == stats.delivery_unknown == 0
    assert (_reads(oak), _reads(elm)) == (1, 1)
    with ctx.store.session() as session:
        people = {(p.school_id, p.email) for p in session.scalars(select(Person))}
    assert people == {("oakfield", a) for a, _ in DOMAINS["oakfield.example"]} | {
        ("elm", a) for a, _ in DOMAINS["elm.example"]
    }
    # each domain's Gmail sent its own school's mail, as its own sender, to its own people
    assert oak.sent and {m.mailbox for m in oak.sent} == {"bot@oakfield.example"}
    assert elm.sent and {m.mailbox for m in elm.sent} == {"bot@elm.example"}
    for fake, domain in ((oak, "oakfield.example"), (elm, "elm.example")):
        to = {m.message["To"].split("<")[-1].rstrip(">") for m in fake.sent}
        assert all(a.endswith("@" + domain) for a in to), to
    keys = [m.message["Message-ID"] for f in fakes.values() for m in f.sent]
    assert len(keys) == len(set(keys))
    # the next sweep reads each domain once again, and sends nothing twice
    sent = (len(oak.sent), len(elm.sent))
    run_sweep(ctx.store, ctx.settings, ctx.config, connectors, as_of=MONDAY, now=at(MONDAY, 11))
    assert (_reads(oak), _reads(elm)) == (2, 2)
    assert (len(oak.sent), len(elm.sent)) == sent
