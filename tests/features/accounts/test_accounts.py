"""Official accounts and AUP signatures: re-sign on a new version, handover when a holder
leaves, and the register in the web UI (roles, audit, config-managed accounts)."""

from __future__ import annotations

import re
from datetime import date

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bot.core.deployment.context import AppContext
from bot.core.models import AuditEvent, Duty, OfficialAccount, Person, Policy, PolicyVersion
from bot.engine.sweep import run_sweep
from bot.features.policies.attest import sign_aup
from bot.web.app import create_app
from tests.support.helpers import Row, SchoolBuilder, at

MONDAY = date(2026, 11, 23)


def _school(school: SchoolBuilder) -> None:
    school.people.append(Row("admin@oak.example", "Ada Admin", title="Business manager"))
    school.school["admins"] = ["admin@oak.example"]
    school.policy("aup", "2026.1", title="Social Media AUP", published="2026-11-02", aup=True)
    school.requirement(id="sign-aup", kind="sign_aup", policy="aup", due_days=10)
    school.school["official_accounts"] = [
        {
            "id": "facebook",
            "platform": "Facebook",
            "name": "School Facebook page",
            "custodian": "head@oak.example",
            "holders": ["amy@oak.example", "ben@oak.example"],
            "aup_policy": "aup",
        }
    ]


def _sweep(ctx: AppContext, day: date) -> None:
    with time_machine.travel(at(day), tick=False):
        run_sweep(ctx.store, ctx.settings, ctx.config, ctx.connectors)


def _sign_all(ctx: AppContext, day: date) -> None:
    with ctx.store.transaction() as session:
        policy = session.scalar(select(Policy).where(Policy.key == "aup"))
        assert policy is not None and policy.current_version is not None
        for email in ("amy@oak.example", "ben@oak.example"):
            person = session.scalar(select(Person).where(Person.email == email))
            assert person is not None
            sign_aup(
                session,
                person,
                policy.current_version,
                policy.title,
                person.display_name,
                method="link",
                ip=None,
                user_agent="test",
                now=at(day, 12),
            )


def _open_aup(ctx: AppContext) -> list[tuple[str, str]]:
    with ctx.store.session() as session:
        return sorted(
            session.execute(
                select(Person.email, PolicyVersion.label)
                .join(Duty, Duty.person_id == Person.id)
                .join(PolicyVersion, PolicyVersion.id == Duty.policy_version_id)
                .where(Duty.kind == "sign_aup", Duty.status == "open")
            ).all()
        )


def test_new_aup_version_asks_every_holder_again_and_a_leaver_flags_handover(
    school: SchoolBuilder, database_url: str
) -> None:
    _school(school)
    ctx = school.context(database_url)
    _sweep(ctx, MONDAY)
    assert _open_aup(ctx) == [("amy@oak.example", "2026.1"), ("ben@oak.example", "2026.1")]
    _sign_all(ctx, MONDAY)
    _sweep(ctx, date(2026, 11, 24))
    assert _open_aup(ctx) == []
    # version 2 of the AUP: every holder is asked again
    school.policy(
        "aup",
        "2027.1",
        title="Social Media AUP",
        published="2027-01-05",
        aup=True,
        text="# AUP\n\nVersion 2027.1 with a new rule.\n",
    )
    school.write()
    ctx.forget_config()
    _sweep(ctx, date(2027, 1, 5))
    assert _open_aup(ctx) == [("amy@oak.example", "2027.1"), ("ben@oak.example", "2027.1")]
    # Ben leaves: missing from the directory first (he keeps his AUP duty for the grace
    # period), then his AUP duty closes as "left" and the account needs a handover
    for row in school.people:
        if row.email == "ben@oak.example":
            row.active = "no"
    school.write()
    _sweep(ctx, date(2027, 1, 6))
    assert _open_aup(ctx) == [("amy@oak.example", "2027.1"), ("ben@oak.example", "2027.1")]
    _sweep(ctx, date(2027, 1, 13))
    assert _open_aup(ctx) == [("amy@oak.example", "2027.1")]
    with ctx.store.session() as session:
        account = session.scalars(select(OfficialAccount)).one()
        assert account.handover_needed and "Ben Brook has left" in account.handover_said()
        actions = set(session.scalars(select(AuditEvent.action)))
        assert "account.handover.flagged" in actions
    ctx.store.dispose()


def _client(ctx: AppContext, email: str | None) -> TestClient:
    demo = AppContext(ctx.settings.model_copy(update={"demo": True}))  # demo sign-in picker
    client = TestClient(create_app(demo.settings, demo))
    if email:
        page = client.get("/signin")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token is not None
        client.post("/signin", data={"email": email, "csrf_token": token.group(1)})
    return client


def _csrf(client: TestClient, url: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get(url).text)
    assert match is not None
    return match.group(1)


@pytest.mark.parametrize(
    ("who", "status"),
    [
        (None, 401),
        ("amy@oak.example", 403),
        ("gov@oak.example", 403),
        ("line@oak.example", 200),
        ("head@oak.example", 200),
        ("admin@oak.example", 200),
    ],
)
def test_register_access(
    school: SchoolBuilder, sqlite_url: str, who: str | None, status: int
) -> None:
    _school(school)
    ctx = school.context(sqlite_url)
    _sweep(ctx, MONDAY)
    client = _client(ctx, who)
    with ctx.store.session() as session:
        account_id = session.scalars(select(OfficialAccount.id)).one()
    assert client.get("/accounts").status_code == status
    assert client.get(f"/accounts/{account_id}").status_code == status


def test_web_managed_account_holders_and_handover(school: SchoolBuilder, database_url: str) -> None:
    _school(school)
    ctx = school.context(database_url)
    _sweep(ctx, MONDAY)
    head = _client(ctx, "head@oak.example")
    token = _csrf(head, "/accounts/new")
    bad = head.post(
        "/accounts/new",
        data={"csrf_token": token, "platform": "", "name": "X", "url": "javascript:alert(1)"},
    )
    assert bad.status_code == 422 and "Platform is required" in bad.text
    created = head.post(
        "/accounts/new",
        data={
            "csrf_token": token,
            "platform": "Tapestry",
            "name": "Tapestry journal",
            "url": "",
            "purpose": "Early years",
        },
        follow_redirects=False,
    )
    assert created.status_code == 303
    url = created.headers["location"]
    with ctx.store.session() as session:
        amy = session.scalar(select(Person.id).where(Person.email == "amy@oak.example"))
        aup_id = session.scalar(select(Policy.id).where(Policy.key == "aup"))
        account = session.scalar(
            select(OfficialAccount).where(OfficialAccount.key == "tapestry-journal")
        )
        assert account is not None
        account.aup_policy_id = aup_id
        session.commit()
    # no such person (a superscript two is a digit to Python, not a number; the long one is past
    # what PostgreSQL's integer holds): refused by name, nothing changed
    for nobody in ("99999", "nope", "", "²", "99999999999"):
        refused = head.post(f"{url}/holders", data={"csrf_token": token, "person_id": nobody})
        assert refused.status_code == 422 and "Please choose a person." in refused.text
    told = "Your login was stolen: ring 0800 000 000"  # a crafted link says nothing on the page
    assert told not in head.get(url, params={"error": told}).text
    head.post(f"{url}/holders", data={"csrf_token": token, "person_id": str(amy)})
    page = head.get(url).text
    assert "Amy Able" in page and "Not signed yet" in page
    _sweep(ctx, date(2026, 11, 24))  # the next sweep asks the new holder to sign
    with ctx.store.session() as session:
        assert (
            session.scalar(
                select(func.count())
                .select_from(Duty)
                .where(Duty.account_id == account.id, Duty.status == "open")
            )
            == 1
        )
    head.post(f"{url}/holders/remove", data={"csrf_token": token, "person_id": str(amy)})
    assert "Handover needed" in head.get(url).text
    short = head.post(f"{url}/handover", data={"csrf_token": token, "note": "ok"})
    assert short.status_code == 422 and "Please say what was done" in short.text
    head.post(f"{url}/handover", data={"csrf_token": token, "note": "Password changed"})
    assert "Handover needed" not in head.get(url).text
    with ctx.store.session() as session:
        actions = list(
            session.scalars(
                select(AuditEvent.action).where(AuditEvent.object_type == "official_account")
            )
        )
    for action in (
        "account.created",
        "account.holder.added",
        "account.holder.removed",
        "account.handover.resolved",
        "account.viewed",
    ):
        assert action in actions


def test_config_managed_holders_cannot_be_changed_in_the_web(
    school: SchoolBuilder, sqlite_url: str
) -> None:
    _school(school)
    ctx = school.context(sqlite_url)
    _sweep(ctx, MONDAY)
    admin = _client(ctx, "admin@oak.example")
    with ctx.store.session() as session:
        account_id = session.scalars(select(OfficialAccount.id)).one()
        line = session.scalar(select(Person.id).where(Person.email == "line@oak.example"))
    token = _csrf(admin, f"/accounts/{account_id}")
    page = admin.post(
        f"/accounts/{account_id}/holders", data={"csrf_token": token, "person_id": str(line)}
    )
    assert "which your IT provider manages" in page.text
    missing_csrf = admin.post(f"/accounts/{account_id}/holders", data={"person_id": str(line)})
    assert missing_csrf.status_code == 403
    staff = _client(ctx, "amy@oak.example")
    assert "School Facebook page" in staff.get("/me").text  # what I hold, on my own page
