"""Several schools in one Microsoft 365 tenant (#54): each school names its all-staff group
(``directory.staff_group``) and the tenant's people are split by membership, against the fake
Graph. The tenant is read once per sweep; someone in two schools' groups is a person of both;
someone in no school's group is named as unassigned on each school's people page, never
guessed into a school; moving a person between groups moves them at the next (delta) read."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from bot.core.deployment.context import AppContext
from bot.core.models import Person
from bot.engine.directory_kept import unassigned
from bot.engine.sweep import run_sweep
from bot.web.app import create_app
from tests.connectors.contract.kit_m365 import m365_settings
from tests.connectors.m365.test_tenants import delta_reads
from tests.features.reports.test_support import TestClient, sign_in
from tests.support.fakes.graph import SENDER, SENDER_ID, FakeClock, FakeGraph
from tests.support.helpers import SchoolBuilder, at

pytest.importorskip("msgraph", reason="msgraph-sdk is not installed (uv sync --extra m365)")

from connectors.m365.connector import build

MONDAY = date(2026, 11, 23)
OAK, ELM = "Oakfield All Staff", "Elmwood All Staff"
PEOPLE = {  # id -> (address, name, groups): every one fictional
    "u-1": ("olive@vale.example", "Olive Oak", (OAK,)),
    "u-2": ("owen@vale.example", "Owen Oak", (OAK,)),
    "u-3": ("ella@vale.example", "Ella Elm", (ELM,)),
    "u-4": ("sam@vale.example", "Sam Shared", (OAK, ELM)),  # works at both schools
    "u-5": ("una@vale.example", "Una Nowhere", ("Trust Office",)),  # in no school's group
}


def _people(ctx: AppContext) -> set[tuple[str, str, bool]]:
    with ctx.store.session() as session:
        return {
            (p.school_id, p.email.split("@")[0], p.missing_since is None)
            for p in session.scalars(select(Person))
        }


@pytest.fixture(scope="module")
def tenant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[AppContext, FakeGraph]]:
    """Oakfield and Elmwood in one tenant, each naming its staff group; swept once."""
    builder = SchoolBuilder(tmp_path_factory.mktemp("staff-groups") / "home")
    builder.people = []
    builder.school.update(
        id="oak",
        name="Oakfield Primary",
        headteacher="olive@vale.example",
        dsl=["olive@vale.example"],
        deputy_dsl=[],
        directory={"staff_group": OAK},
    )
    builder.others = [
        {
            **builder.school,
            "id": "elm",
            "name": "Elmwood Infants",
            "headteacher": "ella@vale.example",
            "dsl": ["ella@vale.example"],
            "directory": {"staff_group": ELM},
        }
    ]
    home = builder.write()
    settings = m365_settings(
        home, role_groups={OAK: "staff", ELM: "staff", "Trust Office": "staff"}
    ).model_copy(
        update={
            "database_url": f"sqlite:///{home / 'bot.db'}",
            "secret_key": SecretStr("test-secret-key-0123456789-abcdefghij"),
            "base_url": "http://testserver",
            "demo": True,
        }
    )
    clock = FakeClock()
    fake = FakeGraph(clock=clock)
    fake.add_user(SENDER_ID, "Compliance Bot", SENDER, account_enabled=False, licensed=False)
    for user_id, (address, name, _) in PEOPLE.items():
        fake.add_user(user_id, name, address)
    for group in (OAK, ELM, "Trust Office"):
        fake.add_group(group, group)
        for user_id, (_, _, groups) in PEOPLE.items():
            if group in groups:
                fake.add_member(group, user_id)
    ctx = AppContext(settings)
    ctx.__dict__["connectors"] = build(
        settings, transport=fake.transport, clock=clock, sleep=clock.sleep
    )
    run_sweep(ctx.store, ctx.settings, ctx.config, ctx.connectors, as_of=MONDAY, now=at(MONDAY))
    yield ctx, fake
    ctx.store.dispose()


def test_each_school_has_the_people_of_its_own_staff_group(
    tenant: tuple[AppContext, FakeGraph],
) -> None:
    ctx, fake = tenant
    assert delta_reads(fake) == 1  # one read of the tenant for both schools
    assert _people(ctx) == {
        ("oak", "olive", True),
        ("oak", "owen", True),
        ("oak", "sam", True),
        ("elm", "ella", True),
        ("elm", "sam", True),
    }
    with ctx.store.session() as session:
        assert (
            unassigned(session, "oak")
            == unassigned(session, "elm")
            == ["Una Nowhere <una@vale.example>"]
        )


def test_the_people_page_names_the_unassigned(tenant: tuple[AppContext, FakeGraph]) -> None:
    ctx, _ = tenant
    client = TestClient(create_app(ctx.settings, ctx))
    sign_in(client, "ella@vale.example")
    page = client.get("/admin/people").text
    section = page[page.index('id="unassigned"') :]
    assert "Una Nowhere &lt;una@vale.example&gt;" in section and ELM in section


def test_a_person_moved_between_groups_moves_at_the_next_read(
    tenant: tuple[AppContext, FakeGraph],
) -> None:
    ctx, fake = tenant
    fake.remove_member(OAK, "u-2")
    fake.add_member(ELM, "u-2")
    fake.add_member(OAK, "u-5")
    mark = len(fake.requests)
    run_sweep(ctx.store, ctx.settings, ctx.config, ctx.connectors, as_of=MONDAY, now=at(MONDAY, 11))
    assert delta_reads(fake, mark) == 1
    people = _people(ctx)
    assert ("oak", "owen", False) in people and ("elm", "owen", True) in people
    assert ("oak", "una", True) in people and not any(
        p[0] == "elm" and p[1] == "una" for p in people
    )
    with ctx.store.session() as session:
        assert unassigned(session, "oak") == unassigned(session, "elm") == []
