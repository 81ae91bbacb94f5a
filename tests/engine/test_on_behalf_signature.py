"""A signature is never given on someone's behalf: an account holder kept without an email
address has her AUP link refuse to record anything, whoever opens it (unsigned, or the head)."""

from __future__ import annotations

import re
from datetime import date

import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.core.deployment.context import AppContext
from bot.core.guards.emails import no_email_key
from bot.core.guards.links import make_token
from bot.core.models import Attestation, Duty, Person
from bot.engine.sweep import run_sweep
from bot.web.app import create_app
from tests.support.helpers import SchoolBuilder, at

MONDAY = date(2026, 11, 23)


def test_an_aup_is_signed_by_the_person_themselves(school: SchoolBuilder, sqlite_url: str) -> None:
    school.policy("aup", "2026.1", title="Social Media AUP", published="2026-11-02", aup=True)
    school.requirement(id="sign-aup", kind="sign_aup", policy="aup", due_days=10)
    school.school["official_accounts"] = [
        {
            "id": "facebook",
            "platform": "Facebook",
            "name": "School Facebook page",
            "custodian": "head@oak.example",
            "holders": ["amy@oak.example"],
            "aup_policy": "aup",
        }
    ]
    ctx = school.context(sqlite_url)
    with time_machine.travel(at(MONDAY), tick=False):
        run_sweep(ctx.store, ctx.settings, ctx.config, ctx.connectors)
    with ctx.store.transaction() as session:
        amy = session.scalars(select(Person).where(Person.email == "amy@oak.example")).one()
        amy.email = no_email_key("amy")  # the school keeps no address for her any more
        duty = session.scalars(select(Duty).where(Duty.person_id == amy.id)).one()
        link = "/aup/" + make_token(
            ctx.settings.signing_key(), "aup", amy.id, duty.id, duty.policy_version_id
        )
        amy_id = amy.id
    demo = AppContext(ctx.settings.model_copy(update={"demo": True}))
    client = TestClient(create_app(demo.settings, demo))
    page = client.get(link)
    assert page.status_code == 403 and "Nothing was recorded" in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/signin").text)
    assert token is not None
    client.post("/signin", data={"email": "head@oak.example", "csrf_token": token.group(1)})
    form = {"csrf_token": token.group(1), "consent": "yes", "typed_name": "Amy Able"}
    assert client.get(link).status_code == 403
    assert client.post(link, data=form).status_code == 403
    with ctx.store.session() as session:
        assert session.scalar(select(Attestation.id).where(Attestation.person_id == amy_id)) is None
