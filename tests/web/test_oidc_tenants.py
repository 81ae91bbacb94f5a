"""Sign-in in a trust across two Microsoft 365 tenants (#54, #77), through one multi-tenant
app as Entra ID serves it, against the certified OpenID provider (tests/node) in Entra's shape:
the app is set up with the tenant-independent authority, whose discovery document names the
issuer ``.../{tenantid}/v2.0``, and each tenant's tokens carry that tenant's own issuer. Oak's
people sign in from the install's tenant, Elm's from its own (``connection: tenant-b``); a token
of one tenant never signs anyone in to the other tenant's school, even with an address of that
school, and a third tenant's token is refused outright (the "not completed" page, audited
without the token). On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from joserfc.jwk import RSAKey
from sqlalchemy import select

from bot.core.deployment.platform_settings import M365Settings
from bot.core.deployment.settings import Connection
from bot.core.models import AuditEvent, Person
from bot.web.app import create_app
from tests.conftest import LiveServer
from tests.features.reports.test_support import PEOPLE, Env, TestClient, configure, sync_people
from tests.support.fakes.oidc import CLIENT_ID, CLIENT_SECRET, FakeOidc, code_for
from tests.support.helpers import Row, SchoolBuilder
from tests.web.test_oidc_provider import OTHER_TENANT, TENANT, certified_provider, sign_in
from tests.web.test_signin import assert_plain_page, session_of, start_oidc

HEAD, ELM_HEAD = "head@oak.example", "elsie.head@elm.example"
THIRD_TENANT = "5c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f"  # fictional
ACCOUNTS = {
    "oak-head": {"email": HEAD, "tid": TENANT},
    "elm-head": {"email": ELM_HEAD, "tid": OTHER_TENANT},
    "elm-head-of-a": {"email": ELM_HEAD, "tid": TENANT},  # tenant A naming Elm's head
    "oak-head-of-b": {"email": HEAD, "tid": OTHER_TENANT},  # tenant B naming Oak's head
    "third": {"email": ELM_HEAD, "email_verified": True, "tid": THIRD_TENANT},
}


@pytest.fixture(name="provider", scope="module")
def provider_fixture(node_modules: Path) -> Iterator[str]:
    """The tenant-independent authority, serving ACCOUNTS each in its own tenant."""
    with certified_provider(node_modules, "id_token", ACCOUNTS, entra=True) as authority:
        assert authority.endswith("/organizations/v2.0")
        yield authority


def two_tenants(builder: SchoolBuilder, issuer: str, database_url: str | None = None) -> Env:
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
        database_url,
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
    school: SchoolBuilder, provider: str, database_url: str, account: str, address: str, home: str
) -> None:
    env = two_tenants(school, provider, database_url)
    client: TestClient = env.client()
    done = sign_in(client, account)
    assert done.status_code == 303, done.text
    assert session_of(client)["user"] == address
    assert session_of(client)["school"] == home
    assert refusals(env) == []
    tenant = TENANT if home == "oak" else OTHER_TENANT
    with env.context.store.session() as session:  # tied to its own tenant's issuer
        person = session.scalars(select(Person).where(Person.email == address)).one()
        assert (person.signin_issuer, person.signin_org) == (
            provider.replace("/organizations/", f"/{tenant}/"),
            tenant,
        )
    env.context.store.dispose()


@pytest.mark.parametrize(
    ("account", "status", "words", "reason"),
    [
        ("elm-head-of-a", 403, "belongs to another organisation", "foreign"),
        ("oak-head-of-b", 403, "belongs to another organisation", "foreign"),
        ("third", 400, "could not be completed", "id_token_iss"),  # a tenant not set up here
    ],
)
def test_a_token_of_another_tenant_never_signs_in_to_a_school(
    school: SchoolBuilder,
    provider: str,
    database_url: str,
    account: str,
    status: int,
    words: str,
    reason: str,
) -> None:
    env = two_tenants(school, provider, database_url)
    client: TestClient = env.client()
    assert_plain_page(sign_in(client, account), status, words)
    assert "user" not in session_of(client)
    assert refusals(env) == [{"reason": reason, "via": "oidc"}]
    env.context.store.dispose()


# ------------------------------------------------------------------ every ID token failure

STRANGER = RSAKey.generate_key(2048, parameters={"kid": "fake-1", "use": "sig", "alg": "RS256"})
FAILURES: dict[str, tuple[dict[str, Any], str]] = {  # the ID token's claims, the reason
    "a token for another app": ({"tid": TENANT, "aud": "another-app"}, "id_token_aud"),
    "a tenant not set up here": ({"tid": THIRD_TENANT}, "id_token_iss"),
    "another tenant's issuer": ({"tid": TENANT, "iss": "{B}"}, "id_token_iss"),
    "a tenant that is no GUID": ({"tid": "organizations"}, "id_token_iss"),
    "expired": ({"tid": TENANT, "iat": 1, "exp": 2}, "id_token_exp"),
    "another sign-in's nonce": ({"tid": TENANT, "nonce": "not-ours"}, "id_token_nonce"),
    "a forged signature": ({"tid": TENANT, "forged": True}, "id_token_bad_signature"),
}


@pytest.fixture(name="fake", scope="module")
def fake_fixture() -> Iterator[FakeOidc]:
    """The project's fake provider in Entra's shape (an issuer per tenant)."""
    fake = FakeOidc()
    with LiveServer(fake.app) as server:
        fake.issuer = server.url
        yield fake


def _callback(client: TestClient, fake: FakeOidc, email: str, claims: dict[str, Any]) -> Any:
    """Start sign-in here, and come back with a code for an ID token with ``claims``."""
    started = start_oidc(client)
    claims = dict(claims)
    nonce = claims.pop("nonce", started["nonce"])
    if claims.get("iss") == "{B}":
        claims["iss"] = fake.tenant_issuer(OTHER_TENANT)
    held = fake.key
    fake.key = STRANGER if claims.pop("forged", False) else held
    try:
        return client.get(
            "/auth/callback",
            follow_redirects=False,
            params={"code": code_for(email, nonce, **claims), "state": started["state"]},
        )
    finally:
        fake.key = held


@pytest.mark.parametrize("issuer", ["multi-tenant", "single tenant"])
def test_an_entra_shaped_flow_signs_in_each_tenants_head(
    school: SchoolBuilder, fake: FakeOidc, database_url: str, issuer: str
) -> None:
    authority = fake.organizations if issuer == "multi-tenant" else fake.tenant_issuer(TENANT)
    env = two_tenants(school, authority, database_url)
    heads = [(HEAD, TENANT, "oak"), (ELM_HEAD, OTHER_TENANT, "elm")]
    for email, tenant, home in heads[: 2 if issuer == "multi-tenant" else 1]:
        client = env.client()
        done = _callback(client, fake, email, {"tid": tenant})
        assert done.status_code == 303, done.text
        assert (session_of(client)["user"], session_of(client)["school"]) == (email, home)
    if issuer == "single tenant":  # tenant B's token where the app is tenant A's alone
        client = env.client()
        assert_plain_page(
            _callback(client, fake, ELM_HEAD, {"tid": OTHER_TENANT}), 400, "could not be completed"
        )
    env.context.store.dispose()


@pytest.mark.parametrize("case", sorted(FAILURES))
def test_every_id_token_failure_is_the_not_completed_page_audited_without_the_token(
    school: SchoolBuilder,
    fake: FakeOidc,
    database_url: str,
    case: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    env = two_tenants(school, fake.organizations, database_url)
    claims, reason = FAILURES[case]
    client = env.client()
    assert_plain_page(_callback(client, fake, HEAD, claims), 400, "could not be completed")
    assert "user" not in session_of(client)
    assert client.get("/reports").status_code == 401
    assert refusals(env) == [{"reason": reason, "via": "oidc"}]
    with env.context.store.session() as session:
        kept = " ".join(str(e.details) for e in session.scalars(select(AuditEvent)))
    assert "eyJ" not in kept and "eyJ" not in caplog.text  # no token, in the audit or the logs
    assert reason in caplog.text  # the log says which check failed
    env.context.store.dispose()
