"""Teams tab single sign-on across two tenants (#54, #77): Oak in the install's tenant, Elm in
tenant B (``connection: tenant-b``, its own app). Tokens in Entra's shape, minted by the
project's fake, each carrying its own tenant's issuer; the install set up with tenant A's
authority (tenant B's keys and issuer then from tenant B's own document) or with the
tenant-independent one (``organizations``, issuer ``.../{tenantid}/v2.0``). A tenant B token for
tenant B's app signs Elm's head in; the same person's token for the install's app, a tenant A
token naming Elm's head, a tenant B token naming Oak's head and a tenant B token under tenant A's
issuer are each refused (401 for a token not meant for the tenant's app, 403 for a person of
another tenant's school), with no session."""

from __future__ import annotations

from typing import Any

import pytest

from bot.core.deployment.settings import Connection
from tests.features.reports.test_support import Env
from tests.support.fakes.oidc import FakeOidc
from tests.support.helpers import Row, SchoolBuilder
from tests.web.test_signin import assert_plain_page, session_of
from tests.web.test_teams_sso import (
    HEAD,
    SSO_CLIENT,
    TAB,
    TENANT,
    claims,
    now_fixture,  # noqa: F401 (a fixture)
    open_tab,
    provider_fixture,  # noqa: F401 (a fixture)
    sso_env,
)

TENANT_B = "2f6c0b7e-5a4d-4c3b-9e8f-1a2b3c4d5e6f"  # fictional
CLIENT_B = "9c8b7a6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"  # tenant B's app (its webApplicationInfo)
ELM_HEAD = "head@elm.example"


@pytest.fixture(name="env", params=["tenant A's authority", "organizations"])
def env_fixture(
    request: pytest.FixtureRequest,
    school: SchoolBuilder,
    provider: FakeOidc,
    monkeypatch: pytest.MonkeyPatch,
) -> Env:
    monkeypatch.setenv("COMPLIANCE_BOT_CONNECTIONS__TENANT_B__TENANT_ID", TENANT_B)
    monkeypatch.setenv("COMPLIANCE_BOT_CONNECTIONS__TENANT_B__CLIENT_ID", CLIENT_B)
    real_write = school.write

    def write() -> Any:  # Elm, in tenant B, beside the configured Oak
        if not school.others:
            school.others = [
                {
                    "id": "elm",
                    "name": "Elm Academy",
                    "headteacher": ELM_HEAD,
                    "dsl": [ELM_HEAD],
                    "connection": "tenant-b",
                }
            ]
            school.people = [
                *(Row(**{**r.__dict__, "school": "oak"}) for r in school.people),
                Row(ELM_HEAD, "Elle Head", "staff", "All Staff", school="elm"),
            ]
        return real_write()

    monkeypatch.setattr(school, "write", write)
    authority = (
        provider.organizations
        if request.param == "organizations"
        else provider.tenant_issuer(TENANT)
    )
    env = sso_env(school, provider, oidc_issuer=authority)
    assert env.context.settings.connections == {
        "tenant_b": Connection(tenant_id=TENANT_B, client_id=CLIENT_B)
    }
    return env


def _post(env: Env, token: str) -> tuple[Any, Any]:
    client = env.client()
    csrf = open_tab(client)
    answer = client.post(
        "/auth/teams",
        data={"token": token, "csrf_token": csrf, "next": TAB},
        follow_redirects=False,
    )
    return answer, client


def test_a_tenant_b_token_signs_in_its_own_schools_person(
    env: Env, provider: FakeOidc, now: int
) -> None:
    token = provider.sign(
        claims(
            now,
            iss=provider.tenant_issuer(TENANT_B),
            aud=CLIENT_B,
            tid=TENANT_B,
            preferred_username=ELM_HEAD,
        )
    )
    answer, client = _post(env, token)
    assert answer.status_code == 303, answer.text
    assert (session_of(client)["user"], session_of(client)["school"]) == (ELM_HEAD, "elm")
    # the install's own tenant still signs Oak's head in
    answer, client = _post(
        env, provider.sign(claims(now, iss=provider.tenant_issuer(TENANT), aud=SSO_CLIENT))
    )
    assert answer.status_code == 303 and session_of(client)["user"] == HEAD


CROSSED = {
    # tenant B's person, on a token for the install's app: not meant for tenant B's app
    "tenant B token for tenant A's app": (
        dict(aud=SSO_CLIENT, tid=TENANT_B, preferred_username=ELM_HEAD),
        401,
    ),
    # tenant A's token (its own app) naming Elm's head: a person of another tenant's school
    "tenant A token naming Elm's head": (
        dict(aud=SSO_CLIENT, tid=TENANT, preferred_username=ELM_HEAD),
        403,
    ),
    # tenant B's token (its own app) naming Oak's head
    "tenant B token naming Oak's head": (
        dict(aud=CLIENT_B, tid=TENANT_B, preferred_username=HEAD),
        403,
    ),
    # tenant A's token for tenant B's app
    "tenant A token for tenant B's app": (dict(aud=CLIENT_B, tid=TENANT), 401),
    "a third tenant": (dict(aud=CLIENT_B, tid="33333333-4444-4555-8666-777777777777"), 401),
    # tenant B's token for its app and person, under tenant A's issuer (Entra never issues it)
    "tenant B token under tenant A's issuer": (
        dict(aud=CLIENT_B, tid=TENANT_B, preferred_username=ELM_HEAD, iss=TENANT),
        401,
    ),
}


@pytest.mark.parametrize("case", sorted(CROSSED))
def test_a_token_never_crosses_tenants(env: Env, provider: FakeOidc, now: int, case: str) -> None:
    given, status = CROSSED[case]
    changes = dict(given)
    issuer = provider.tenant_issuer(changes.pop("iss", changes["tid"]))  # its own tenant's
    answer, client = _post(env, provider.sign(claims(now, iss=issuer, **changes)))
    assert answer.status_code == status, answer.text
    if status == 401:
        assert_plain_page(answer, 401, "Microsoft Teams could not sign you in here.")
    assert "user" not in session_of(client)
