"""No way in by accident: demo sign-in only when asked (never because of a folder's name),
no start with a short or empty secret key, sign-out ends the session on the server, ``next=``
stays on this site, and OpenID Connect failures are 4xx pages in plain words."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from itsdangerous import TimestampSigner
from pydantic import ValidationError
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli.main import app as cli
from bot.core.deployment.context import AppContext
from bot.core.deployment.settings import DEMO_HOME, Settings, SettingsError, load_settings
from bot.core.models import AuditEvent
from bot.demo.builder import demo_settings
from bot.engine.web.auth import safe_next
from bot.web.app import create_app
from tests.features.reports.test_support import (  # noqa: F401 - env_fixture is ``env``
    Env,
    TestClient,
    configure,
    csrf_of,
    env_fixture,
    make_env,
    sync_people,
)
from tests.support.fakes.oidc import CLIENT_ID, CLIENT_SECRET, FakeOidc, code_for
from tests.support.helpers import SchoolBuilder

KEY = "a-long-enough-secret-key-for-these-tests-0123456789"
OFF_SITE = [
    "https://evil.example/",
    "//evil.example/x",
    "/\\evil.example",
    "/\t/evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    "http:/evil.example",
    "evil.example",
    "/%0a/evil.example\n",
]


@pytest.fixture(name="provider")
def provider_fixture(live_server: Any) -> Iterator[FakeOidc]:
    """A real (fake) OpenID Connect provider on a local port."""
    fake = FakeOidc()
    with live_server(fake.app) as server:
        fake.issuer = server.url
        yield fake


def oidc_env(builder: SchoolBuilder, issuer: str, **settings: Any) -> Env:
    """A school signing in through ``issuer`` (demo mode off)."""
    configure(builder)
    context = builder.context(
        None,
        base_url="http://testserver",
        oidc_issuer=issuer,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret=CLIENT_SECRET,
        **settings,
    )
    sync_people(context)
    return Env(context=context, app=create_app(context.settings, context), builder=builder)


def session_of(client: TestClient) -> dict[str, Any]:
    """The (signed, readable) session cookie's contents."""
    payload = client.cookies["cb_session"].split(".")[0]
    return dict(json.loads(base64.b64decode(payload + "=" * (-len(payload) % 4))))


def start_oidc(client: TestClient, next_path: str | None = None) -> dict[str, str]:
    """GET /signin; return the state and nonce our redirect to the provider carries."""
    response = client.get(
        "/signin", params={"next": next_path} if next_path else None, follow_redirects=False
    )
    assert response.status_code in (302, 303, 307), response.text
    query = parse_qs(urlsplit(response.headers["location"]).query)
    assert query["client_id"] == [CLIENT_ID]
    return {"state": query["state"][0], "nonce": query["nonce"][0]}


def assert_plain_page(response: Any, status: int, words: str) -> None:
    """A page in the school's words: the status, the sentence, no traceback or internals."""
    assert response.status_code == status, response.text
    assert words in response.text
    for internal in ("Traceback", "MismatchingState", "invalid_grant", "AADSTS", "OAuthError"):
        assert internal not in response.text


# ------------------------------------------------------------------------------ demo mode


@pytest.mark.parametrize("how", ["found in the working folder", "named by COMPLIANCE_BOT_HOME"])
def test_a_folder_named_like_the_demo_never_turns_on_password_free_sign_in(
    how: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, provider: FakeOidc
) -> None:
    builder = configure(SchoolBuilder(tmp_path / DEMO_HOME))
    builder.write()
    monkeypatch.setenv("COMPLIANCE_BOT_DEMO", "false")
    monkeypatch.setenv("COMPLIANCE_BOT_SECRET_KEY", KEY)
    monkeypatch.setenv("COMPLIANCE_BOT_OIDC_ISSUER", provider.issuer)
    monkeypatch.setenv("COMPLIANCE_BOT_OIDC_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("COMPLIANCE_BOT_OIDC_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("COMPLIANCE_BOT_DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    if how.startswith("named"):
        monkeypatch.setenv("COMPLIANCE_BOT_HOME", str(tmp_path / DEMO_HOME))
    settings = load_settings()
    assert settings.home.name == DEMO_HOME.name and settings.demo is False
    monkeypatch.delenv("COMPLIANCE_BOT_DEMO")
    assert load_settings().demo is False  # unset is off too
    context = AppContext(settings)
    sync_people(context)
    client = TestClient(create_app(settings, context))
    start_oidc(client)  # the sign-in page sends people to the school's provider, no picker
    token = session_of(client)["csrf"]
    picked = client.post(
        "/signin", data={"email": "dsl@oak.example", "csrf_token": token}, follow_redirects=False
    )
    assert picked.status_code == 404
    assert client.get("/reports").status_code == 401
    context.store.dispose()


def test_demo_mode_comes_only_from_the_demo_command_or_the_explicit_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert demo_settings(tmp_path).demo is True  # what `compliance-bot demo` serves with
    monkeypatch.setenv("COMPLIANCE_BOT_DEMO", "true")
    assert load_settings().demo is True


# ------------------------------------------------------------------------------ the secret key


@pytest.mark.parametrize("value", ["", "short", "x" * 31])
def test_run_refuses_to_start_with_a_short_or_empty_secret_key(
    value: str, school: SchoolBuilder, monkeypatch: pytest.MonkeyPatch
) -> None:
    school.write()
    monkeypatch.setenv("COMPLIANCE_BOT_HOME", str(school.home))
    monkeypatch.setenv("COMPLIANCE_BOT_SECRET_KEY", value)
    result = CliRunner().invoke(cli, ["run", "--web-only"])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert lines[0].startswith(
        "error: COMPLIANCE_BOT_SECRET_KEY: the secret key is shorter than 32 bytes"
    )
    assert "Traceback" not in result.output
    with pytest.raises(SettingsError, match="COMPLIANCE_BOT_SECRET_KEY"):
        load_settings()
    with pytest.raises(ValidationError):
        Settings(secret_key=value)


def test_run_refuses_a_short_key_file_and_naming_it(
    school: SchoolBuilder, monkeypatch: pytest.MonkeyPatch
) -> None:
    school.installed()  # the school's database: commands never start one
    (school.home / "secret.key").write_text("tiny\n", encoding="utf-8")
    monkeypatch.setenv("COMPLIANCE_BOT_HOME", str(school.home))
    result = CliRunner().invoke(cli, ["run", "--scheduler-only"])
    assert result.exit_code == 2, result.output
    assert "secret.key: the secret key in this file is shorter than 32 bytes" in result.output
    assert "Traceback" not in result.output


def test_a_cookie_signed_with_the_empty_key_opens_nothing(school: SchoolBuilder) -> None:
    env = make_env(school)
    forged = (
        TimestampSigner("")
        .sign(
            base64.b64encode(
                json.dumps({"user": "dsl@oak.example", "school": "oak", "sv": 0}).encode()
            )
        )
        .decode()
    )
    client = env.client()
    client.cookies.set("cb_session", forged)
    assert client.get("/reports").status_code == 401
    unsafe = env.context.settings.model_copy(update={"secret_key": None})
    (unsafe.home / "secret.key").write_text("", encoding="utf-8")
    with pytest.raises(SettingsError):
        create_app(unsafe, AppContext(unsafe))
    env.context.store.dispose()


def test_the_demo_makes_its_own_strong_key(tmp_path: Path) -> None:
    key = demo_settings(tmp_path).signing_key()
    assert len(key.encode()) >= 32
    assert demo_settings(tmp_path).signing_key() == key  # kept, so emailed links keep working


# ------------------------------------------------------------------------------ sign-out


def test_a_cookie_saved_before_sign_out_does_not_work_after_it(env: Env) -> None:
    client = env.client("dsl")
    assert client.get("/reports").status_code == 200
    saved = client.cookies["cb_session"]
    page = client.get("/reports").text
    out = client.post("/signout", data={"csrf_token": csrf_of(page)}, follow_redirects=False)
    assert out.status_code == 303
    assert client.get("/reports").status_code == 401
    replay = env.client()
    replay.cookies.set("cb_session", saved)
    assert replay.get("/reports").status_code == 401
    assert "Sign out" not in replay.get("/me").text  # shown the sign-in page instead
    again = env.client("dsl")  # signing in again works, and the old cookie stays dead
    assert again.get("/reports").status_code == 200
    assert replay.get("/reports").status_code == 401
    with env.context.store.session() as session:
        actions = session.scalars(select(AuditEvent.action)).all()
    assert actions.count("signed_out") == 1


# ------------------------------------------------------------------------------ next=


@pytest.mark.parametrize("target", OFF_SITE)
def test_safe_next_keeps_people_on_this_site(target: str) -> None:
    assert safe_next(target) == "/me"


def test_safe_next_keeps_a_path_here() -> None:
    assert safe_next("/reports?status=open") == "/reports?status=open"
    assert safe_next(None) == "/me"


@pytest.mark.parametrize("target", OFF_SITE[:4])
def test_demo_sign_in_never_redirects_off_site(env: Env, target: str) -> None:
    client = env.client()
    token = csrf_of(client.get("/signin").text)
    response = client.post(
        "/signin",
        params={"next": target},
        data={"email": "dsl@oak.example", "csrf_token": token},
        follow_redirects=False,
    )
    if any(ord(c) < 32 for c in target):  # refused outright by the control-character guard
        assert response.status_code == 400 and "location" not in response.headers
    else:
        assert response.status_code == 303 and response.headers["location"] == "/me"
    kept = env.client()
    response = kept.post(
        "/signin",
        params={"next": "/reports"},
        data={"email": "dsl@oak.example", "csrf_token": csrf_of(kept.get("/signin").text)},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/reports"


# ------------------------------------------------------------------------------ OIDC


def test_oidc_sign_in_returns_to_a_path_here_never_off_site(
    school: SchoolBuilder, provider: FakeOidc
) -> None:
    env = oidc_env(school, provider.issuer)
    client = env.client()
    started = start_oidc(client, "/reports")
    done = client.get(
        "/auth/callback",
        params={"code": code_for("dsl@oak.example", started["nonce"]), "state": started["state"]},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/reports"
    assert client.get("/reports").status_code == 200
    other = env.client()
    started = start_oidc(other, "https://evil.example/phish")
    done = other.get(
        "/auth/callback",
        params={"code": code_for("dsl@oak.example", started["nonce"]), "state": started["state"]},
        follow_redirects=False,
    )
    assert done.headers["location"] == "/me"
    assert provider.tokens_issued == 2
    env.context.store.dispose()


def test_oidc_failures_are_plain_4xx_pages(school: SchoolBuilder, provider: FakeOidc) -> None:
    env = oidc_env(school, provider.issuer)
    client = env.client()
    assert_plain_page(
        client.get("/auth/callback", params={"code": "x"}), 400, "started in another browser"
    )
    start_oidc(client)
    assert_plain_page(
        client.get("/auth/callback", params={"code": "x", "state": "forged"}),
        400,
        "started in another browser",
    )
    started = start_oidc(client)
    assert_plain_page(
        client.get(
            "/auth/callback",
            params={
                "error": "access_denied",
                "error_description": "AADSTS50105: not assigned",
                "state": started["state"],
            },
        ),
        403,
        "did not sign you in",
    )
    started = start_oidc(client)
    assert_plain_page(
        client.get("/auth/callback", params={"code": "refused", "state": started["state"]}),
        400,
        "could not be completed",
    )
    assert client.get("/reports").status_code == 401
    env.context.store.dispose()


def test_userinfo_about_another_subject_is_refused_and_audited(
    school: SchoolBuilder, provider: FakeOidc
) -> None:
    env = oidc_env(school, provider.issuer)
    provider.userinfo = {
        "sub": "sub-someone-else",
        "email": "head@oak.example",
        "email_verified": True,
    }
    client = env.client()
    started = start_oidc(client)
    assert_plain_page(
        client.get(
            "/auth/callback",
            params={"code": code_for("", started["nonce"]), "state": started["state"]},
        ),
        400,
        "could not be completed",
    )
    assert client.get("/reports").status_code == 401
    with env.context.store.session() as session:
        refused = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "signin.refused")
        ).one()
    assert refused.details == {"reason": "userinfo_subject", "via": "oidc"}
    env.context.store.dispose()


def test_an_unreachable_provider_is_a_page_not_a_crash(
    school: SchoolBuilder, live_server: Any
) -> None:
    fake = FakeOidc()
    with live_server(fake.app) as server:
        fake.issuer = server.url
        env = oidc_env(school, fake.issuer)
        client = env.client()
        started = start_oidc(client)
    # the provider has gone away between the redirect and the callback
    assert_plain_page(
        client.get(
            "/auth/callback",
            params={
                "code": code_for("dsl@oak.example", started["nonce"]),
                "state": started["state"],
            },
        ),
        400,
        "could not be completed",
    )
    assert_plain_page(client.get("/signin"), 503, "did not answer")
    assert re.search(r"Sign in", client.get("/").text)
    env.context.store.dispose()


# ------------------------------------------------------------------------------ the event loop


@contextmanager
def _statements_on_the_loop(env: Env) -> Iterator[list[str]]:
    """The SQL statements run while an event loop runs in their thread (the web's loop): a
    transaction there holds every other request of the process until it ends."""
    import asyncio

    from sqlalchemy import event

    found: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return
        found.append(" ".join(statement.split())[:80])

    engine = env.context.store.engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        yield found
    finally:
        event.remove(engine, "before_cursor_execute", seen)


def test_sign_in_does_its_database_work_off_the_event_loop(
    school: SchoolBuilder, provider: FakeOidc
) -> None:
    """The callback's lookup, binding and audit entry, and a refusal's audit entry, run on a
    page thread, never on the loop (two people signing in held other pages up before)."""
    env = oidc_env(school, provider.issuer)
    with _statements_on_the_loop(env) as found:
        client = env.client()
        started = start_oidc(client)
        done = client.get(
            "/auth/callback",
            params={
                "code": code_for("dsl@oak.example", started["nonce"]),
                "state": started["state"],
            },
            follow_redirects=False,
        )
        assert done.status_code == 303
        stranger = env.client()
        started = start_oidc(stranger)
        refused = stranger.get(
            "/auth/callback",
            params={
                "code": code_for("nobody@oak.example", started["nonce"]),
                "state": started["state"],
            },
        )
        assert refused.status_code == 403
    assert found == []
    env.context.store.dispose()


def test_the_demo_people_list_is_read_off_the_event_loop(env: Env) -> None:
    with _statements_on_the_loop(env) as found:
        page = env.client().get("/signin")
    assert page.status_code == 200 and "dsl@oak.example" in page.text
    assert found == []


def test_the_demo_people_list_names_the_leads_in_two_plain_reads(env: Env) -> None:
    """Everyone active is listed, the leads with their roles, read as two plain reads (the
    people, the leads' roles) whatever the school's size: each person loaded as a record with
    its roles and groups, 500 at a time, cost a 10,000-staff school's demo seconds a view."""
    from sqlalchemy import event

    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(env.context.store.engine, "before_cursor_execute", record)
    try:
        page = env.client().get("/signin")
    finally:
        event.remove(env.context.store.engine, "before_cursor_execute", record)
    assert page.status_code == 200
    options = re.findall(r'<option value="([^"]+)">([^<]*)</option>', page.text)
    named = dict(options)
    assert "(DSL)" in named["dsl@oak.example"] and "(" not in named["amy@oak.example"]
    assert len([s for s in seen if "FROM people" in s or "FROM person_" in s]) == 2
