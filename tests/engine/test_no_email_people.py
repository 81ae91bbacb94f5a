"""Staff without an email address (a midday supervisor, a cleaner) stay on the register: they
owe their training, nothing is ever addressed to them, and their line manager (or, with none,
the school office) is asked on their behalf; a provider's completions find them by MIS id or
name."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli.main import app
from bot.core.guards.emails import has_mailbox
from bot.core.models import Duty, Person
from bot.engine.sweep import run_sweep
from tests.support.helpers import Row, SchoolBuilder, at, outbox_as_sent


@pytest.fixture
def no_email_school(school: SchoolBuilder) -> SchoolBuilder:
    school.people += [
        Row("", "Cleo Clean", manager="line@oak.example", title="Cleaner", id="C7"),
        Row("", "Mo Midday", title="Midday Supervisor"),
    ]
    school.school["reply_to"] = "office@oak.example"
    school.staff_train("Safeguarding", id="sg")
    return school


def test_their_training_is_owed_and_asked_of_their_manager_or_the_office(
    no_email_school: SchoolBuilder, sqlite_url: str
) -> None:
    ctx = no_email_school.context(sqlite_url)
    with time_machine.travel(at(date(2026, 11, 23)), tick=False):
        run_sweep(ctx.store, ctx.settings, ctx.config, ctx.connectors)
    with ctx.store.session() as session:
        owing = set(
            session.scalars(select(Person.display_name).join(Duty, Duty.person_id == Person.id))
        )
    assert {"Cleo Clean", "Mo Midday"} <= owing
    sent = outbox_as_sent(ctx.store, "reminder")
    assert not [a for m in sent for a in [*m.recipients, *m.cc] if not has_mailbox(a)]
    about = {
        m.recipients[0]: m.payload["text"]
        for m in sent
        if "has no email address" in m.payload["text"]
    }
    assert set(about) == {"line@oak.example", "office@oak.example"}
    assert "Dear Lena Line," in about["line@oak.example"]
    assert (
        "Cleo Clean has no email address, so the school asks you on their behalf"
        in about["line@oak.example"]
    )
    assert "Mo Midday has no email address" in about["office@oak.example"]
    assert "See my training" not in about["office@oak.example"]  # the office's own page: no


def test_a_providers_completions_find_them_by_mis_id_or_name(
    no_email_school: SchoolBuilder, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = no_email_school.context(sqlite_url)
    with time_machine.travel(at(date(2026, 11, 23)), tick=False):
        run_sweep(ctx.store, ctx.settings, ctx.config, ctx.connectors)
    export = no_email_school.home / "provider.csv"
    export.write_text(
        "Staff ID,Learner Name,Course,Completed\nC7,,Safeguarding,20/11/2026\n,mo "
        "midday,Safeguarding,20/11/2026\n,Nobody Known,Safeguarding,20/11/2026\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("COMPLIANCE_BOT_HOME", str(no_email_school.home))
    monkeypatch.setenv("COMPLIANCE_BOT_DATABASE_URL", sqlite_url)
    result = CliRunner().invoke(app, ["training", "import", str(export)])
    said = " ".join(result.output.split())
    assert "2 imported, 0 already present, 1 rejected" in said, said
    assert "provider.csv line 4: name Nobody Known is not in the directory" in said
    with time_machine.travel(at(date(2026, 11, 24)), tick=False):
        run_sweep(ctx.store, ctx.settings, ctx.config, ctx.connectors)
    with ctx.store.session() as session:
        open_for = set(
            session.scalars(
                select(Person.display_name)
                .join(Duty, Duty.person_id == Person.id)
                .where(Duty.status == "open")
            )
        )
    assert not {"Cleo Clean", "Mo Midday"} & open_for


def test_the_dashboard_shows_them_without_an_address(
    no_email_school: SchoolBuilder, sqlite_url: str
) -> None:
    import re

    from fastapi.testclient import TestClient

    from bot.core.deployment.context import AppContext
    from bot.web.app import create_app

    ctx = no_email_school.context(sqlite_url)
    with time_machine.travel(at(date(2026, 11, 23)), tick=False):
        run_sweep(ctx.store, ctx.settings, ctx.config, ctx.connectors)
    demo = AppContext(ctx.settings.model_copy(update={"demo": True}))
    client = TestClient(create_app(demo.settings, demo))
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/signin").text)
    assert token is not None
    client.post("/signin", data={"email": "head@oak.example", "csrf_token": token.group(1)})
    listed = client.get("/dashboard/people").text
    assert re.search(r">Cleo Clean</a> <span class=\"small\">\(no email address\)", listed)
    with ctx.store.session() as session:
        cleo = session.scalar(select(Person.id).where(Person.display_name == "Cleo Clean"))
    page = client.get(f"/dashboard/people/{cleo}").text
    assert "no email address: their line manager (or the office) is asked for them" in page
    assert "no-email.invalid" not in listed + page


def test_an_acknowledgement_for_them_is_recorded_by_someone_signed_in_and_said_as_such(
    no_email_school: SchoolBuilder, sqlite_url: str
) -> None:
    """The office's link for Mo Midday records nothing unsigned (no "I have read" in her name);
    signed in, the head records it on her behalf, in the third person, naming both, and the
    evidence pack and the audit say who recorded it."""
    import re

    from fastapi.testclient import TestClient

    from bot.core.days.clock import LONDON
    from bot.core.deployment.context import AppContext
    from bot.core.models import Attestation, AuditEvent
    from bot.features.evidence.service import _attestations
    from bot.web.app import create_app

    no_email_school.policy("online-safety", "2025.1", title="Online Safety Policy")
    no_email_school.staff_acknowledge()
    ctx = no_email_school.context(sqlite_url)
    with time_machine.travel(at(date(2026, 11, 23)), tick=False):
        run_sweep(ctx.store, ctx.settings, ctx.config, ctx.connectors)
    office = next(
        m
        for m in outbox_as_sent(ctx.store, "reminder")
        if "Mo Midday has no email address" in m.payload["text"]
    )
    found = re.search(r"https?://[^/\s]+(/ack/[A-Za-z0-9._~-]+)", office.payload["text"])
    assert found is not None, office.payload["text"]
    link = found.group(1)
    demo = AppContext(ctx.settings.model_copy(update={"demo": True}))
    client = TestClient(create_app(demo.settings, demo))

    def csrf(path: str) -> str:
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
        assert token is not None, path
        return token.group(1)

    unsigned = client.get(link)
    assert unsigned.status_code == 401 and "Sign in first" in unsigned.text
    assert "I have read" not in unsigned.text
    posted = client.post(link, data={"csrf_token": csrf("/signin")})
    assert posted.status_code == 401
    with ctx.store.session() as session:
        assert session.scalar(select(Attestation.id)) is None  # nothing recorded unsigned

    client.post("/signin", data={"email": "head@oak.example", "csrf_token": csrf("/signin")})
    page = client.get(link).text
    assert (
        "Recorded by Hana Head" in page
        and "on behalf of Mo Midday, who has no email "
        "address: Mo Midday has read and understood Online Safety Policy"
        in page
    )
    assert "I have read" not in page
    done = client.post(link, data={"csrf_token": csrf(link)})
    assert done.status_code == 200, done.text
    with ctx.store.session() as session:
        attestation = session.scalars(select(Attestation)).one()
        assert attestation.method == "on_behalf"
        assert attestation.statement.startswith("Recorded by Hana Head")
        assert "I have read" not in attestation.statement
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "policy.acknowledged")
        ).one()
        assert event.actor == "head@oak.example"
        rows = _attestations(session, attestation.school_id, LONDON).rows
    assert any(
        "Recorded by Hana Head" in cell and "on behalf of Mo Midday" in cell
        for row in rows
        for cell in row
    )
