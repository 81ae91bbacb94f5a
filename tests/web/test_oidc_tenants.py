"""Sign-in in a trust across two Microsoft 365 tenants (#54), against the certified OpenID
provider (tests/node): Oak's people sign in from the install's tenant, Elm's from its own
(``connection: tenant-b``); a token of one tenant never signs anyone in to the other tenant's
school, even with an address of that school, and a third tenant is refused outright."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.core.models import AuditEvent
from bot.core.settings import Connection, M365Settings
from bot.web.app import create_app
from tests.features.reports.test_support import PEOPLE, Env, TestClient, configure, sync_people
from tests.support.fakes.oidc import CLIENT_ID, CLIENT_SECRET
from tests.support.helpers import Row, SchoolBuilder
from tests.web.test_oidc_provider import OTHER_TENANT, TENANT, certified_provider, sign_in
from tests.web.test_signin import assert_plain_page, session_of

HEAD, ELM_HEAD = "head@oak.example", "elsie.head@elm.example"
THIRD_TENANT = "5c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f"  # fictional
ACCOUNTS = {
    "oak-head": {"email": HEAD, "tid": TENANT},
    "elm-head": {"email": ELM_HEAD, "tid": OTHER_TENANT},
    "elm-head-of-a": {"email": ELM_HEAD, "tid": TENANT},  # tenant A naming Elm's head
    "oak-head-of-b": {"email": HEAD, "tid": OTHER_TENANT},  # tenant B naming Oak's head
    "third": {"email": ELM_HEAD, "email_verified": True, "tid": THIRD_TENANT},
}


@pytest.fixture(name="provider")
def provider_fixture(node_modules: Path) -> Iterator[str]:
    """The provider's issuer, serving ACCOUNTS."""
    with certified_provider(node_modules, "id_token", ACCOUNTS) as issuer:
        yield issuer


def two_tenants(builder: SchoolBuilder, issuer: str) -> Env:
    """Oak (the install's tenant) and Elm (tenant B) on one install signing in through
    ``issuer``."""
    configure(builder)
    builder.people = [replace(row, school="oak") for row in PEOPLE] + [
        Row(ELM_HEAD, "Elsie Head", "staff", "All Staff;Leadership", school="elm")
    ]
    builder.others = [
        {
            "id": "elm",
            "name": "Elm Academy",
            "headteacher": ELM_HEAD,
            "dsl": [ELM_HEAD],
            "connection": "tenant-b",
        }
    ]
    context = builder.context(
        None,
        base_url="http://testserver",
        oidc_issuer=issuer,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret=CLIENT_SECRET,
        m365=M365Settings(tenant_id=TENANT),
        connections={"tenant-b": Connection(tenant_id=OTHER_TENANT)},
    )
    sync_people(context)
    return Env(context=context, app=create_app(context.settings, context), builder=builder)


def refusals(env: Env) -> list[dict[str, Any] | None]:
    """The details of the refused sign-ins in the audit log."""
    with env.context.store.session() as session:
        return [
            e.details
            for e in session.scalars(
                select(AuditEvent).where(AuditEvent.action == "signin.refused")
            )
        ]


@pytest.mark.parametrize(
    ("account", "address", "home"), [("oak-head", HEAD, "oak"), ("elm-head", ELM_HEAD, "elm")]
)
def test_each_tenant_signs_its_own_school_in(
    school: SchoolBuilder, provider: str, account: str, address: str, home: str
) -> None:
    env = two_tenants(school, provider)
    client: TestClient = env.client()
    done = sign_in(client, account)
    assert done.status_code == 303, done.text
    assert session_of(client)["user"] == address
    assert session_of(client)["school"] == home
    assert refusals(env) == []
    env.context.store.dispose()


@pytest.mark.parametrize("account", ["elm-head-of-a", "oak-head-of-b", "third"])
def test_a_token_of_another_tenant_never_signs_in_to_a_school(
    school: SchoolBuilder, provider: str, account: str
) -> None:
    env = two_tenants(school, provider)
    client: TestClient = env.client()
    assert_plain_page(sign_in(client, account), 403, "belongs to another organisation")
    assert "user" not in session_of(client)
    assert refusals(env) == [{"reason": "foreign", "via": "oidc"}]
    env.context.store.dispose()
