"""Sign-in by emailed link and code, for a school without Microsoft or Google sign-in: one email
through the outbox (both parts), single use, 15 minutes, wrong codes limited, no answer that
tells who is in the directory, rate limits per address and per sender, ``next`` kept on this
site, and every request, use and refusal in the audit log without a stranger's address."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from sqlalchemy import select, update

from bot.core.models import AuditEvent, Person, SignInLink, utcnow
from bot.core.outbox import Urgency
from bot.features.signin.rules import MAX_CODE_ATTEMPTS
from bot.features.signin.web import ADDRESS_RATE, CODE_RATE, SENDER_RATE
from bot.web.app import create_app
from tests.features.reports.test_support import Env, TestClient, configure, csrf_of, sync_people
from tests.support.helpers import SchoolBuilder, outbox_as_sent

LINK = re.compile(r"http://testserver/signin/link/([A-Za-z0-9_-]+)")
CODE = re.compile(r"\b([A-Z0-9]{4}-[A-Z0-9]{4})\b")
SAME_ANSWER = "If that address belongs to someone at the school, a sign-in link is on its way."


@pytest.fixture(name="env")
def env_fixture(school: SchoolBuilder, database_url: str) -> Iterator[Env]:
    """A school with no Microsoft or Google sign-in, not the demo (SQLite and PostgreSQL)."""
    configure(school)
    context = school.context(database_url, base_url="http://testserver")
    sync_people(context)
    made = Env(context=context, app=create_app(context.settings, context), builder=school)
    yield made
    context.store.dispose()


def ask(client: TestClient, email: str, next_path: str = "") -> Any:
    """Ask for a sign-in link for ``email`` from the sign-in page, as a person would."""
    page = client.get("/signin" + (f"?next={next_path}" if next_path else ""))
    assert page.status_code == 200 and "Email me a sign-in link" in page.text
    data = {"email": email, "csrf_token": csrf_of(page.text)}
    hidden = re.search(r'name="next" value="([^"]*)"', page.text)
    data["next"] = hidden.group(1) if hidden else ""
    return client.post("/signin/email", data=data)


def emailed(env: Env, to: str) -> tuple[str, str]:
    """The token and code in the newest sign-in email to ``to``."""
    rows = [r for r in outbox_as_sent(env.context.store, "signin_link") if r.recipients == [to]]
    text = rows[-1].payload["text"]
    [token] = LINK.findall(text)
    [code] = CODE.findall(text)
    return token, code


def use_link(client: TestClient, token: str) -> Any:
    """Open the emailed link and press its button."""
    page = client.get(f"/signin/link/{token}")
    assert page.status_code == 200 and "Sign in" in page.text
    return client.post(
        "/signin/link",
        data={"token": token, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )


def type_code(client: TestClient, email: str, code: str) -> Any:
    """Type the address and a code on the code page."""
    page = client.get("/signin/code")
    return client.post(
        "/signin/code",
        data={"email": email, "code": code, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )


def actions(env: Env) -> list[tuple[str, str, Any]]:
    """The audit log's sign-in entries: action, actor and details."""
    with env.context.store.session() as session:
        rows = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        return [
            (r.action, r.actor, r.details)
            for r in rows
            if r.action.startswith("signin") or r.action == "signed_in"
        ]


def test_one_email_with_link_and_code_signs_in_once(env: Env) -> None:
    client = env.client()
    answer = ask(client, "DSL@oak.example ")
    assert answer.status_code == 200 and SAME_ANSWER in answer.text
    [row] = outbox_as_sent(env.context.store, "signin_link")
    assert row.recipients == ["dsl@oak.example"] and row.urgency == int(Urgency.WAITING)
    text, html = row.payload["text"], row.payload["html"]
    token, code = emailed(env, "dsl@oak.example")
    assert f"/signin/link/{token}" in html and code in html and code in text
    with env.context.store.session() as session:
        link = session.scalars(select(SignInLink)).one()
        assert token not in (link.token_hash, link.code_hash) and code not in link.code_hash
    assert row.status == "sent"  # handed to the school's mailer at once (the .eml outbox)

    signed = use_link(client, token)
    assert signed.status_code == 303 and signed.headers["location"] == "/me"
    assert client.get("/reports").status_code == 200  # the DSL reads the tracked list
    assert client.get("/me").status_code == 200

    other = env.client()
    replay = use_link(other, token)
    assert replay.status_code == 400 and "cannot be used" in replay.text
    assert other.get("/me", follow_redirects=False).status_code == 303  # still signed out
    assert type_code(other, "dsl@oak.example", code).status_code == 400  # the code went too
    done = actions(env)
    assert [a for a, _, _ in done] == [
        "signin.requested",
        "signin.used",
        "signed_in",
        "signin.refused",
        "signin.refused",
    ]
    assert done[3][2] == {"reason": "used"}


def test_an_expired_link_or_code_is_refused(env: Env) -> None:
    client = env.client()
    ask(client, "amy@oak.example")
    token, code = emailed(env, "amy@oak.example")
    with time_machine.travel(utcnow() + timedelta(minutes=16), tick=False):
        assert use_link(client, token).status_code == 400
        assert type_code(client, "amy@oak.example", code).status_code == 400
    assert client.get("/me", follow_redirects=False).status_code == 303
    assert ("signin.refused", "someone", {"reason": "expired"}) in actions(env)


def test_the_code_signs_in_on_another_device_and_wrong_codes_are_limited(env: Env) -> None:
    phone, desk = env.client(), env.client()
    ask(phone, "amy@oak.example")
    _, code = emailed(env, "amy@oak.example")
    signed = type_code(desk, "amy@oak.example", code.lower().replace("-", " "))
    assert signed.status_code == 303 and desk.get("/me").status_code == 200

    ask(phone, "gov@oak.example")
    _, code = emailed(env, "gov@oak.example")
    for _ in range(MAX_CODE_ATTEMPTS):
        wrong = type_code(desk, "gov@oak.example", "AAAA-AAAA")
        assert wrong.status_code == 400 and "cannot be used" in wrong.text
    assert type_code(desk, "gov@oak.example", code).status_code == 400  # closed for good
    with env.context.store.session() as session:
        link = session.scalars(select(SignInLink).order_by(SignInLink.id.desc())).first()
        assert link is not None and link.closed_reason == "too_many_codes"


def test_a_newer_link_replaces_the_older_one(env: Env) -> None:
    client = env.client()
    ask(client, "amy@oak.example")
    old, _ = emailed(env, "amy@oak.example")
    ask(client, "amy@oak.example")
    new, _ = emailed(env, "amy@oak.example")
    assert use_link(client, old).status_code == 400
    assert use_link(client, new).status_code == 303


@pytest.mark.parametrize("who", ["nobody@oak.example", "nobody@elsewhere.example"])
def test_an_unknown_address_gets_the_same_page_and_no_email(env: Env, who: str) -> None:
    client = env.client()
    known, unknown = ask(client, "amy@oak.example"), ask(client, who)
    assert unknown.status_code == known.status_code == 200
    mask = re.compile(r'value="[^"]*"')  # the CSRF token and the typed address differ
    assert mask.sub("", unknown.text) == mask.sub("", known.text)
    assert [r.recipients for r in outbox_as_sent(env.context.store)] == [["amy@oak.example"]]
    with env.context.store.session() as session:
        assert len(session.scalars(select(SignInLink)).all()) == 1
        stored = [str(r.details) for r in session.scalars(select(AuditEvent))]
    assert not any(who in s or who.split("@")[0] in s for s in stored)
    assert type_code(client, who, "AAAA-AAAA").status_code == 400


def test_someone_who_has_left_gets_no_email(env: Env) -> None:
    with env.context.store.transaction() as session:
        session.execute(
            update(Person).where(Person.email == "amy@oak.example").values(active=False)
        )
    answer = ask(env.client(), "amy@oak.example")
    assert SAME_ANSWER in answer.text
    assert outbox_as_sent(env.context.store, "signin_link") == []


def test_requests_are_limited_per_address_and_per_sender(env: Env) -> None:
    client = env.client()
    for _ in range(ADDRESS_RATE.limit):
        assert ask(client, "amy@oak.example").status_code == 200
    refused = ask(client, "amy@oak.example")
    assert refused.status_code == 429 and "wait 15 minutes" in refused.text
    # every request from this sender counted, the refused one too
    room = SENDER_RATE.limit - ADDRESS_RATE.limit - 1
    answers = [ask(client, f"stranger{n}@oak.example").status_code for n in range(room + 1)]
    assert answers == [200] * room + [429]
    assert len(outbox_as_sent(env.context.store)) == ADDRESS_RATE.limit
    assert ("signin.refused", "someone", {"reason": "too_many_requests"}) in actions(env)
    with time_machine.travel(utcnow() + timedelta(minutes=16), tick=False):
        assert ask(client, "amy@oak.example").status_code == 200


def test_codes_are_limited_per_sender(env: Env) -> None:
    client = env.client()
    for n in range(CODE_RATE.limit):
        assert type_code(client, f"guess{n}@oak.example", "AAAA-AAAA").status_code == 400
    assert type_code(client, "amy@oak.example", "AAAA-AAAA").status_code == 429


NOT_THIS_SITE = (
    "//evil.example/x",
    "https://evil.example/",
    "/\\evil.example",
    "javascript:alert(1)",
)


def test_next_never_leaves_the_site(env: Env) -> None:
    """Each target on one school (a school built per target before): a quarter of an hour
    apart, so each asks within the per-address and per-sender limits."""
    start = utcnow()
    for n, target in enumerate(NOT_THIS_SITE):
        with time_machine.travel(start + timedelta(minutes=16 * n), tick=False):
            client = env.client()
            ask(client, "amy@oak.example", target)
            token, _ = emailed(env, "amy@oak.example")
            assert use_link(client, token).headers["location"] == "/me", target
            # posted straight to the form, past the page
            other = env.client()
            page = other.get("/signin/email")
            other.post(
                "/signin/email",
                data={"email": "dsl@oak.example", "next": target, "csrf_token": csrf_of(page.text)},
            )
            token, _ = emailed(env, "dsl@oak.example")
            assert use_link(other, token).headers["location"] == "/me", target


def test_the_link_lands_on_the_page_asked_for(env: Env) -> None:
    client = env.client()
    assert client.get("/reports", follow_redirects=False).status_code == 401
    ask(client, "dsl@oak.example", "/reports")
    token, _ = emailed(env, "dsl@oak.example")
    assert use_link(client, token).headers["location"] == "/reports"


def test_bad_input_is_a_plain_4xx(env: Env) -> None:
    client = env.client()
    page = client.get("/signin/email")
    bad = client.post(
        "/signin/email", data={"email": "not an address", "csrf_token": csrf_of(page.text)}
    )
    assert bad.status_code == 400 and "Please type your email address" in bad.text
    assert client.post("/signin/email", data={"email": "amy@oak.example"}).status_code == 403
    assert client.get(f"/signin/link/{'x' * 500}").status_code == 400
    assert (
        client.post(
            "/signin/link", data={"token": "x" * 500, "csrf_token": csrf_of(page.text)}
        ).status_code
        == 422
    )


def test_closed_where_microsoft_or_google_sign_in_is_set_up(
    school: SchoolBuilder, sqlite_url: str
) -> None:
    configure(school)
    context = school.context(sqlite_url, oidc_issuer="https://login.example/tenant/v2.0")
    client = TestClient(create_app(context.settings, context))
    assert client.get("/signin/email").status_code == 404
    assert client.get("/signin/code").status_code == 404
    context.store.dispose()


def test_the_headteacher_reaches_every_page_of_a_local_install(env: Env) -> None:
    client = env.client()
    ask(client, "head@oak.example")
    token, _ = emailed(env, "head@oak.example")
    assert use_link(client, token).status_code == 303
    for page in ("/me", "/dashboard", "/reports", "/setup"):
        assert client.get(page).status_code == 200, page
