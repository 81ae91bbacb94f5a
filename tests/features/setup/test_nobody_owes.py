"""A school that asks for acknowledgements while nobody in its directory has a role they ask
(a roles column in the school's own words mapped to nothing staff-like): /setup says so loudly.
A reading with no edition asks nobody: /setup and the dashboard say so, and their alert's link
registers the edition in the browser."""

from __future__ import annotations

import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.core.deployment import setup_state
from bot.core.models import AuditEvent
from bot.engine.sweep import run_sweep
from bot.web.app import create_app
from tests.features.setup.conftest import TODAY, Site
from tests.support.helpers import Row, SchoolBuilder, at


def test_setup_warns_when_nobody_owes_anything(school: SchoolBuilder, database_url: str) -> None:
    school.people = [
        Row("head@oak.example", "Hana Head", "governor", ""),
        Row("gov@oak.example", "Gail Gov", "governor", ""),
    ]
    school.policy("online-safety", "2025.1", title="Online Safety Policy")
    school.requirement(
        id="ack-online-safety",
        kind="acknowledge_policy",
        policy="online-safety",
        audience={"roles": ["staff"]},
    )
    ctx = school.context(database_url, demo=True)
    try:
        run_sweep(
            ctx.store,
            ctx.settings,
            ctx.config,
            ctx.connectors,
            as_of=TODAY,
            now=at(TODAY),
            deliver=False,
        )
        with ctx.store.transaction() as session:
            setup_state.begin_setup(session, source="file", by="it@oak.example", now=at(TODAY))
        with (
            time_machine.travel(at(TODAY), tick=True),
            TestClient(create_app(ctx.settings, ctx), base_url="http://testserver") as client,
        ):
            site = Site(ctx, client)
            site.sign_in("head@oak.example")
            page = client.get("/setup").text
            assert 'id="nobody-owes"' in page and "Nobody owes anything" in page
    finally:
        ctx.store.dispose()


def test_a_reading_without_an_edition_asks_nobody_and_setup_and_dashboard_say_so(
    school: SchoolBuilder, sqlite_url: str
) -> None:
    from bot.features.setup.owed import OwedPerson, who_owes

    school.requirement(
        id="read-kcsie",
        kind="reading_campaign",
        title="Keeping children safe in education",
        yearly_on="09-01",
        due_days=30,
        audiences={"part-1": {"roles": ["staff"]}},
    )
    ctx = school.context(sqlite_url, demo=True)
    people = [OwedPerson("amy@oak.example", "Amy Able", frozenset({"staff"}))]
    line = who_owes(ctx.config.schools[0], people, editions=set(), today=TODAY)[0].line()
    assert line == (
        "Keeping children safe in education: nobody; no edition registered for "
        "Part 1, so nobody there is asked until one is (compliance-bot campaign add)"
    )
    assert (
        who_owes(ctx.config.schools[0], people, editions={"read-kcsie/part-1"}, today=TODAY)[
            0
        ].count
        == 1
    )
    try:
        run_sweep(
            ctx.store,
            ctx.settings,
            ctx.config,
            ctx.connectors,
            as_of=TODAY,
            now=at(TODAY),
            deliver=False,
        )
        with ctx.store.transaction() as session:
            setup_state.begin_setup(session, source="file", by="it@oak.example", now=at(TODAY))
        with (
            time_machine.travel(at(TODAY), tick=True),
            TestClient(create_app(ctx.settings, ctx), base_url="http://testserver") as client,
        ):
            site = Site(ctx, client)
            site.sign_in("head@oak.example")
            for path in ("/setup", "/dashboard"):
                page = client.get(path).text
                assert 'id="no-edition"' in page, path
                assert "Keeping children safe in education (Part 1)" in page, path
                assert '<a href="/admin/editions">Register this year' in page, path
                assert "compliance-bot" not in page.split('id="no-edition"')[1][:600], path
            # the alert's link: the edition registered in the browser, checked as a policy
            # upload is (a file that is not what its name says is refused, nothing stored)
            token = site.csrf("/admin/editions")
            fields = {
                "csrf_token": token,
                "reading": "read-kcsie/part-1",
                "title": "Keeping children safe in education 2026",
                "edition": "2026",
                "in_force": TODAY.isoformat(),
            }
            refused = client.post(
                "/admin/editions",
                data=fields,
                files={"document": ("kcsie.pdf", b"not a PDF at all")},
            )
            assert refused.status_code == 422 and "Nothing was registered" in refused.text
            assert 'id="no-edition"' in refused.text
            done = client.post(
                "/admin/editions",
                data=fields,
                files={
                    "document": ("kcsie.md", b"# Keeping children safe\n\nWhat staff must know.\n")
                },
            )
            assert done.status_code == 200, done.text
            assert (
                "Registered</strong> Keeping children safe in education 2026 (edition 2026)"
                in done.text
            )
            for path in ("/setup", "/dashboard", "/admin/editions"):
                assert 'id="no-edition"' not in client.get(path).text, path
            with ctx.store.session() as session:
                event = session.scalars(
                    select(AuditEvent).where(AuditEvent.action == "reading.edition.registered")
                ).one()
                assert event.actor == "head@oak.example"
    finally:
        ctx.store.dispose()
