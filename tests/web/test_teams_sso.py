"""Teams tab single sign-on against a real (fake) Entra tenant: tokens signed with a locally
generated RSA key that the fake serves as its JWKS, each carrying its own tenant's issuer
(``<fake>/<tid>/v2.0``), as Entra's do. A valid token signs the person in (the
ordinary session, audited as Teams sign-in); a wrong audience, wrong issuer, expired, forged
or other-tenant token is refused with a 401 in plain words and no session."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from joserfc.jwk import RSAKey
from sqlalchemy import select

from bot.core.deployment.platform_settings import M365Settings
from bot.core.models import AuditEvent
from bot.web.app import create_app
from tests.features.reports.test_support import Env, TestClient, configure, csrf_of, sync_people
from tests.support.clock import FrozenClock
from tests.support.fakes.oidc import CLIENT_SECRET, FakeOidc
from tests.support.helpers import SchoolBuilder
from tests.web.test_signin import assert_plain_page, session_of

TENANT = "8d3c1a52-3f0e-4b6a-9c1e-2b7d5e4f6a10"  # fictional
SSO_CLIENT = "5b1d2c3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e"  # the Entra app in webApplicationInfo
API_URI = f"api://testserver/{SSO_CLIENT}"
HEAD = "head@oak.example"
OUTSIDER = "11111111-2222-4333-8444-555555555555"  # a tenant not set up here
TAB = "/dashboard?theme=dark&inTeams=1"
STRANGER = RSAKey.generate_key(2048, parameters={"kid": "fake-1", "use": "sig", "alg": "RS256"})


@pytest.fixture(name="provider")
def provider_fixture(live_server: Any) -> Iterator[FakeOidc]:
    """The tenant's OpenID provider (discovery document and JWKS) on a local port."""
    fake = FakeOidc()
    with live_server(fake.app) as server:
        fake.issuer = server.url
        yield fake


def sso_env(builder: SchoolBuilder, provider: FakeOidc, **settings: Any) -> Env:
    """A school signing in through the fake tenant, with Teams SSO for ``SSO_CLIENT``."""
    configure(builder)
    values: dict[str, Any] = {
        "base_url": "http://testserver",
        "oidc_issuer": provider.tenant_issuer(TENANT),
        "oidc_client_id": SSO_CLIENT,
        "oidc_client_secret": CLIENT_SECRET,
        "m365": M365Settings(tenant_id=TENANT),
        **settings,
    }
    context = builder.context(None, **values)
    sync_people(context)
    return Env(context=context, app=create_app(context.settings, context), builder=builder)


def claims(now: int, **changes: Any) -> dict[str, Any]:
    """An access token Entra issues to the Teams tab (v2.0 form), with ``changes``."""
    base: dict[str, Any] = {
        "iss": "",
        "aud": API_URI,
        "tid": TENANT,
        "preferred_username": HEAD.upper(),
        "name": "Helen Head",
        "scp": "access_as_user",
        "iat": now - 60,
        "nbf": now - 60,
        "exp": now + 3600,
        "oid": "0c2b9a1e-0000-4000-8000-000000000001",
    }
    base.update(changes)
    return base


def open_tab(client: TestClient) -> str:
    """The tab loads the dashboard unsigned: the sign-in page with the SSO form; its token."""
    page = client.get(TAB)
    assert page.status_code == 401
    assert '<form id="teams-sso" method="post" action="/auth/teams" hidden>' in page.text
    assert 'name="next" value="/dashboard?theme=dark&amp;inTeams=1"' in page.text
    assert "Sign in</a>" in page.text  # the ordinary sign-in stays as the fallback
    return csrf_of(page.text)


@pytest.fixture(name="now")
def now_fixture(frozen_clock: FrozenClock) -> int:
    """A fixed moment for issuing and checking tokens."""
    frozen_clock.at(date(2026, 10, 19), 9, 0)
    return int(time.time())


@pytest.mark.parametrize("form", ["v2.0 token", "v1.0 token"])
def test_a_valid_token_signs_the_person_in(
    form: str, school: SchoolBuilder, provider: FakeOidc, now: int
) -> None:
    env = sso_env(school, provider)
    client = env.client()
    csrf = open_tab(client)
    if form == "v2.0 token":  # accessTokenAcceptedVersion 2: the client id as audience
        token = provider.sign(claims(now, iss=provider.tenant_issuer(TENANT), aud=SSO_CLIENT))
    else:  # the default: the Application ID URI as audience, the v1.0 issuer, upn
        token = provider.sign(
            claims(now, iss=f"https://sts.windows.net/{TENANT}/", preferred_username=None, upn=HEAD)
        )
    response = client.post(
        "/auth/teams",
        data={"token": token, "csrf_token": csrf, "next": "/dashboard?theme=dark&inTeams=1"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/dashboard?theme=dark&inTeams=1"
    assert session_of(client)["user"] == HEAD
    dashboard = client.get(TAB)
    assert dashboard.status_code == 200 and "teams-sso" not in dashboard.text
    with env.context.store.session() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "signed_in")).one()
    assert (event.actor, event.details) == (HEAD, {"via": "teams_sso"})
    assert token not in str(event.details)


REFUSALS = {
    "wrong audience": lambda p, now: p.sign(
        claims(now, iss=p.tenant_issuer(TENANT), aud="api://testserver/another-app")
    ),
    "another school's app": lambda p, now: p.sign(
        claims(now, iss=p.tenant_issuer(TENANT), aud="0f8fad5b-d9cb-469f-a165-70867728950e")
    ),
    "wrong issuer": lambda p, now: p.sign(claims(now, iss="https://login.evil.example/v2.0")),
    "one issuer for every tenant": lambda p, now: p.sign(claims(now, iss=p.issuer)),
    "expired": lambda p, now: p.sign(
        claims(now, iss=p.tenant_issuer(TENANT), iat=now - 7200, nbf=now - 7200, exp=now - 600)
    ),
    "bad signature": lambda p, now: p.sign(claims(now, iss=p.tenant_issuer(TENANT)), key=STRANGER),
    "tampered": lambda p, now: _tampered(p.sign(claims(now, iss=p.tenant_issuer(TENANT)))),
    "another tenant": lambda p, now: p.sign(
        claims(now, iss=p.tenant_issuer(OUTSIDER), tid=OUTSIDER)
    ),
    "no expiry": lambda p, now: p.sign(claims(now, iss=p.tenant_issuer(TENANT), exp=None)),
    "not a token": lambda p, now: "not-a-token",
}


def _tampered(token: str) -> str:
    """The same signature over a payload that names someone else."""
    import base64
    import json

    header, payload, signature = token.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data["preferred_username"] = "dsl@oak.example"
    forged = base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")
    return f"{header}.{forged}.{signature}"


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_a_bad_token_is_refused_with_401_and_no_session(
    case: str, school: SchoolBuilder, provider: FakeOidc, now: int
) -> None:
    env = sso_env(school, provider)
    client = env.client()
    csrf = open_tab(client)
    token = REFUSALS[case](provider, now)
    response = client.post(
        "/auth/teams",
        data={"token": token, "csrf_token": csrf, "next": TAB},
        follow_redirects=False,
    )
    assert_plain_page(response, 401, "Microsoft Teams could not sign you in here.")
    assert "user" not in session_of(client)
    assert client.get(TAB).status_code == 401  # still asked to sign in
    with env.context.store.session() as session:
        assert (
            session.scalars(select(AuditEvent).where(AuditEvent.action == "signed_in")).all() == []
        )
        refused = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "signin.refused")
        ).one()
    assert refused.details == {"reason": "teams_token", "via": "teams_sso"}


def test_the_token_needs_the_pages_csrf_and_a_person_in_the_directory(
    school: SchoolBuilder, provider: FakeOidc, now: int
) -> None:
    env = sso_env(school, provider)
    client = env.client()
    csrf = open_tab(client)
    token = provider.sign(claims(now, iss=provider.tenant_issuer(TENANT)))
    assert (
        client.post(
            "/auth/teams", data={"token": token, "csrf_token": "forged"}, follow_redirects=False
        ).status_code
        == 403
    )
    stranger = provider.sign(
        claims(
            now, iss=provider.tenant_issuer(TENANT), preferred_username="someone@elsewhere.example"
        )
    )
    refused = client.post(
        "/auth/teams", data={"token": stranger, "csrf_token": csrf}, follow_redirects=False
    )
    assert_plain_page(refused, 403, "Your account is not in the school")
    assert "user" not in session_of(client)


def test_without_sso_set_up_the_tab_offers_the_ordinary_sign_in(
    school: SchoolBuilder, provider: FakeOidc, now: int
) -> None:
    env = sso_env(school, provider, oidc_issuer=None)
    client = env.client()
    page = client.get(TAB)
    assert page.status_code == 401 and "teams-sso" not in page.text
    response = client.post(
        "/auth/teams", data={"token": "x.y.z", "csrf_token": session_of(client)["csrf"]}
    )
    assert_plain_page(response, 404, "Signing in through Microsoft Teams is not set up here.")


def test_the_manifest_and_the_server_agree_on_the_audience(tmp_path: Any) -> None:
    from bot.core.deployment.settings import Settings
    from bot.engine.web.teams_sso import sso_setup
    from bot.features.dashboard.teams_package import build_manifest

    app_id = "0f8fad5b-d9cb-469f-a165-70867728950e"
    manifest = build_manifest("school.example.org", app_id, entra_client_id=SSO_CLIENT)
    settings = Settings(
        home=tmp_path,
        base_url="https://school.example.org",
        oidc_issuer=f"https://login.microsoftonline.com/{TENANT}/v2.0",
        oidc_client_id="7c0e5f7a-1111-4222-8333-944445555666",
        teams_sso_client_id=SSO_CLIENT,
    )
    setup = sso_setup(settings)
    assert setup is not None
    assert manifest["webApplicationInfo"] == {"id": setup.client_id, "resource": setup.audiences[0]}
    assert setup.tenant == TENANT  # read from the issuer when no m365 tenant is set
    # without a separate id the sign-in app's client id is the SSO app
    assert sso_setup(settings.model_copy(update={"teams_sso_client_id": None})) is not None
    # no tenant known (not an Entra issuer, no m365 tenant id): no single sign-on at all
    assert (
        sso_setup(settings.model_copy(update={"oidc_issuer": "https://accounts.google.com"}))
        is None
    )
