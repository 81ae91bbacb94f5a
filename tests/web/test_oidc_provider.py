"""Sign-in against a real, certified OpenID provider (panva's oidc-provider, tests/node), in
both its modes: claims in the ID token, and the spec-conformant default where the email is only
at the UserInfo endpoint. The product's own /signin and /auth/callback are driven over HTTP
through the provider's authorisation, login and consent steps, with PKCE required.

A head whose address the provider vouches for signs in and is tied to the provider's subject;
an unverified address, a ``preferred_username`` alone, another organisation's tenant or domain,
and a second subject for the same address are each refused with a plain 403 and audited, until
an admin unbinds the address (``compliance-bot directory unbind-signin``)."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli.main import app as cli
from bot.core.deployment.platform_settings import M365Settings
from bot.core.models import AuditEvent, Person
from tests.features.reports.test_support import Env, TestClient
from tests.support.fakes.oidc import CLIENT_ID, CLIENT_SECRET
from tests.support.helpers import SchoolBuilder
from tests.support.keys import TEST_SECRET
from tests.support.paths import REPO
from tests.web.test_signin import assert_plain_page, oidc_env, session_of

SCRIPT = REPO / "tests" / "support" / "oidc" / "provider.mjs"
HEAD = "head@oak.example"
TENANT = "8d3c1a52-3f0e-4b6a-9c1e-2b7d5e4f6a10"  # fictional
OTHER_TENANT = "0b9e6a1c-7d2f-4e3a-8b5c-6d7e8f9a0b1c"
ACCOUNTS = {
    "head": {"email": HEAD, "email_verified": True, "name": "Helen Head"},
    "twin": {"email": HEAD, "email_verified": True, "name": "Helen Head (new account)"},
    "unverified": {"email": HEAD, "email_verified": False},
    "username": {"preferred_username": HEAD},
    "tenant": {"email": HEAD, "tid": TENANT},  # the school's Entra ID: no email_verified
    "domain": {"email": HEAD, "hd": "oak.example"},  # the school's Google Workspace
    "other-tenant": {"email": HEAD, "email_verified": True, "tid": OTHER_TENANT},
    "other-domain": {"email": HEAD, "email_verified": True, "hd": "elm.example"},
}
MODES = ["id_token", "userinfo"]
SCHOOL_ORG: dict[str, Any] = {"m365": M365Settings(tenant_id=TENANT), "oidc_domain": "oak.example"}


@contextmanager
def certified_provider(
    node_modules: Path,
    mode: str,
    accounts: dict[str, dict[str, Any]] | None = None,
    *,
    entra: bool = False,
) -> Iterator[str]:
    """oidc-provider on 127.0.0.1 with ``accounts`` (default ACCOUNTS), in ``mode``; yields
    its issuer (``entra``: in Entra ID's shape, an issuer per tenant, yielding the
    tenant-independent authority: tests/support/oidc/provider.mjs)."""
    env = {
        **os.environ,
        "NODE_MODULES": str(node_modules),
        "MODE": mode,
        "ENTRA": "1" if entra else "0",
        "CLIENT_ID": CLIENT_ID,
        "CLIENT_SECRET": CLIENT_SECRET,
        "REDIRECT_URI": "http://testserver/auth/callback",
        "ACCOUNTS": json.dumps(accounts or ACCOUNTS),
    }
    process = subprocess.Popen(
        ["node", str(SCRIPT)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None and process.stderr is not None
        issuer = process.stdout.readline().strip()
        assert issuer.startswith("http://127.0.0.1:"), process.stderr.read()
        yield issuer
    finally:
        process.terminate()
        process.communicate(timeout=10)


@pytest.fixture(name="provider", scope="module", params=MODES)
def provider_fixture(request: pytest.FixtureRequest, node_modules: Path) -> Iterator[str]:
    """The provider's issuer, in each mode in turn: one provider per mode for the module, as
    each sign-in is a fresh browser session at it (its accounts never change)."""
    with certified_provider(node_modules, request.param) as issuer:
        yield issuer


def sign_in(client: TestClient, account: str) -> Any:
    """Press Sign in, sign in at the provider as ``account``, and land on our callback."""
    started = client.get("/signin", follow_redirects=False)
    url = started.headers["location"]
    assert parse_qs(urlsplit(url).query)["code_challenge_method"] == ["S256"]
    with httpx.Client(timeout=120) as browser:
        while not url.startswith("http://testserver/"):
            mark = "&" if "?" in url else "?"
            asked = f"{url}{mark}account={account}" if "/interaction/" in url else url
            answer = browser.get(asked)
            assert answer.is_redirect, answer.text
            url = urljoin(url, answer.headers["location"])
    assert "code=" in url, url  # the provider granted a code: no "error=" back
    return client.get(url, follow_redirects=False)


def refusals(env: Env) -> list[AuditEvent]:
    """The refused sign-ins in the audit log."""
    with env.context.store.session() as session:
        return list(
            session.scalars(select(AuditEvent).where(AuditEvent.action == "signin.refused")).all()
        )


def head(env: Env) -> Person:
    """The headteacher's row."""
    with env.context.store.session() as session:
        person = session.scalar(select(Person).where(Person.email == HEAD))
        assert person is not None
        return person


@pytest.mark.parametrize("account", ["head", "tenant", "domain"])
def test_a_vouched_for_head_signs_in_and_is_tied_to_the_subject(
    school: SchoolBuilder, provider: str, account: str
) -> None:
    env = oidc_env(school, provider, **SCHOOL_ORG)
    client = env.client()
    done = sign_in(client, account)
    assert done.status_code == 303, done.text
    assert session_of(client)["user"] == HEAD
    assert client.get("/me").status_code == 200
    person = head(env)
    org = {"tenant": TENANT, "domain": "oak.example"}.get(account)
    assert (person.signin_issuer, person.signin_subject, person.signin_org) == (
        provider,
        account,
        org,
    )
    with env.context.store.session() as session:
        entry = session.scalars(select(AuditEvent).where(AuditEvent.action == "signed_in")).one()
    assert entry.details == {"via": "oidc", "bound": True}
    assert refusals(env) == []
    env.context.store.dispose()


REFUSED = {
    "unverified": ("unverified", "did not confirm that this email address is yours"),
    "username": ("no_email", "did not include an email address"),
    "other-tenant": ("foreign", "belongs to another organisation"),
    "other-domain": ("foreign", "belongs to another organisation"),
}


@pytest.mark.parametrize("account", sorted(REFUSED))
def test_an_address_the_provider_does_not_vouch_for_is_refused_and_audited(
    school: SchoolBuilder, provider: str, account: str
) -> None:
    env = oidc_env(school, provider, **SCHOOL_ORG)
    client = env.client()
    reason, words = REFUSED[account]
    assert_plain_page(sign_in(client, account), 403, words)
    assert "user" not in session_of(client)
    assert client.get("/reports").status_code == 401
    person = head(env)
    assert person.signin_subject is None  # nobody is tied to the head by a refusal
    [entry] = refusals(env)
    # the head is named when the address is theirs; a username is never read as an address
    named = None if account == "username" else str(person.id)
    assert (entry.object_id, entry.details) == (named, {"reason": reason, "via": "oidc"})
    env.context.store.dispose()


def test_a_second_subject_for_the_address_is_refused_until_an_admin_unbinds_it(
    school: SchoolBuilder, node_modules: Path
) -> None:
    with certified_provider(node_modules, "userinfo") as issuer:
        env = oidc_env(school, issuer)
        assert sign_in(env.client(), "head").status_code == 303
        stranger = env.client()
        assert_plain_page(sign_in(stranger, "twin"), 403, "signs in here with a different account")
        assert "user" not in session_of(stranger)
        [entry] = refusals(env)
        assert entry.details == {"reason": "another_subject", "via": "oidc"}
        assert entry.object_id == str(head(env).id)

        run = CliRunner().invoke(
            cli,
            ["directory", "unbind-signin", HEAD.upper(), "--as", "admin@oak.example"],
            env={
                "COMPLIANCE_BOT_HOME": str(school.home),
                "COMPLIANCE_BOT_SECRET_KEY": TEST_SECRET,
                "COLUMNS": "200",
            },
        )
        assert run.exit_code == 0, run.output
        assert "no longer tied to a sign-in account (recorded" in run.output
        with env.context.store.session() as session:
            unbound = session.scalars(
                select(AuditEvent).where(AuditEvent.action == "signin.unbound")
            ).one()
        assert (unbound.actor, unbound.object_id) == ("admin@oak.example", str(head(env).id))

        replaced = env.client()
        assert sign_in(replaced, "twin").status_code == 303
        assert session_of(replaced)["user"] == HEAD
        assert head(env).signin_subject == "twin"
        assert sign_in(env.client(), "head").status_code == 403  # the old account, now
    env.context.store.dispose()
