"""Sign-in in a trust across two Google Workspace domains (#54), against the certified OpenID
provider (tests/node): Oak's people sign in from the install's domain (``OIDC_DOMAIN``), Elm's
from its own (``connection: elm-domain``); a token whose ``hd`` is one domain never signs
anyone in to the other domain's school, and a third domain is refused outright."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from bot.core.deployment.settings import Connection
from bot.web.app import create_app
from tests.features.reports.test_support import PEOPLE, Env, TestClient, configure, sync_people
from tests.support.fakes.oidc import CLIENT_ID, CLIENT_SECRET
from tests.support.helpers import Row, SchoolBuilder
from tests.web.test_oidc_provider import certified_provider, sign_in
from tests.web.test_oidc_tenants import refusals
from tests.web.test_signin import assert_plain_page, session_of

HEAD, ELM_HEAD = "head@oak.example", "elsie.head@elm.example"
ACCOUNTS = {  # Google's ID token: a verified address and the Workspace domain (hd)
    "oak-head": {"email": HEAD, "email_verified": True, "hd": "oak.example"},
    "elm-head": {"email": ELM_HEAD, "email_verified": True, "hd": "elm.example"},
    "elm-head-of-oak": {"email": ELM_HEAD, "email_verified": True, "hd": "oak.example"},
    "oak-head-of-elm": {"email": HEAD, "email_verified": True, "hd": "elm.example"},
    "third": {"email": ELM_HEAD, "email_verified": True, "hd": "ash.example"},
}


@pytest.fixture(name="provider")
def provider_fixture(node_modules: Path) -> Iterator[str]:
    """The provider's issuer, serving ACCOUNTS."""
    with certified_provider(node_modules, "id_token", ACCOUNTS) as issuer:
        yield issuer


def two_domains(builder: SchoolBuilder, issuer: str) -> Env:
    """Oak (the install's domain) and Elm (its own domain) on one install."""
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
            "connection": "elm-domain",
        }
    ]
    context = builder.context(
        None,
        base_url="http://testserver",
        oidc_issuer=issuer,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret=CLIENT_SECRET,
        oidc_domain="oak.example",
        connections={"elm-domain": Connection(domain="elm.example")},
    )
    sync_people(context)
    return Env(context=context, app=create_app(context.settings, context), builder=builder)


@pytest.mark.parametrize(
    ("account", "address", "home"), [("oak-head", HEAD, "oak"), ("elm-head", ELM_HEAD, "elm")]
)
def test_each_domain_signs_its_own_school_in(
    school: SchoolBuilder, provider: str, account: str, address: str, home: str
) -> None:
    env = two_domains(school, provider)
    client: TestClient = env.client()
    done = sign_in(client, account)
    assert done.status_code == 303, done.text
    assert (session_of(client)["user"], session_of(client)["school"]) == (address, home)
    assert refusals(env) == []
    env.context.store.dispose()


@pytest.mark.parametrize("account", ["elm-head-of-oak", "oak-head-of-elm", "third"])
def test_a_token_of_another_domain_never_signs_in_to_a_school(
    school: SchoolBuilder, provider: str, account: str
) -> None:
    env = two_domains(school, provider)
    client: TestClient = env.client()
    assert_plain_page(sign_in(client, account), 403, "belongs to another organisation")
    assert "user" not in session_of(client)
    assert refusals(env) == [{"reason": "foreign", "via": "oidc"}]
    env.context.store.dispose()
