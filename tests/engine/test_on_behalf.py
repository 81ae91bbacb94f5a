"""On behalf, said as such, for readings and training too, and one message a day to whoever is
asked: five people without an email address (a sixth asked through her line manager) owe a
training and a reading; the office gets one message that day listing all five, each item with
its own link, and none more that day or the next; the line manager gets hers. A reading and a
training recorded through those links need the recorder signed in (401 unsigned, 403 for
someone not asked), name both in the third person, and show so in the evidence pack."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.core.days.clock import LONDON
from bot.core.deployment.context import AppContext
from bot.core.models import Attestation, AuditEvent, OutboxMessage, Person, TrainingRecord
from bot.engine.sweep import run_sweep
from bot.features.evidence.service import _attestations, _training
from bot.features.reading.service import register_edition
from bot.web.app import create_app
from tests.conftest import _postgres_database
from tests.support.helpers import Row, SchoolBuilder, at, outbox_as_sent

MONDAY = date(2026, 11, 23)
WITHOUT = ["Mo Midday", "Nell Night", "Olu Oak", "Pat Pine", "Quin Quay"]
OFFICE = "office@oak.example"


@dataclass
class World:
    ctx: AppContext
    office: list[OutboxMessage]  # the office's messages after Monday's sweep


def _sweep(ctx: AppContext, day: date) -> None:
    with time_machine.travel(at(day), tick=False):
        run_sweep(ctx.store, ctx.settings, ctx.config, ctx.connectors)


def _to_office(ctx: AppContext) -> list[OutboxMessage]:
    return [m for m in outbox_as_sent(ctx.store, "reminder") if m.recipients == [OFFICE]]


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    home: Path = tmp_path_factory.mktemp("on-behalf")
    databases = _postgres_database() if request.param == "postgres" else None
    url = next(databases) if databases else f"sqlite:///{home / 'test.db'}"
    school = SchoolBuilder(home / "school")
    school.people += [Row("", name, title="Midday Supervisor") for name in WITHOUT]
    school.people.append(Row("", "Cleo Clean", manager="line@oak.example", title="Cleaner"))
    school.school["reply_to"] = OFFICE
    school.staff_train("Safeguarding", id="sg")
    school.requirement(
        id="read-kcsie",
        kind="reading_campaign",
        title="Keeping children safe in education",
        due_days=30,
        audiences={"part-1": {"roles": ["staff"]}},
    )
    ctx = school.context(url)
    edition = home / "kcsie-2026-part-one.md"
    edition.write_bytes(b"# Keeping children safe in education 2026\n\n## Part one\nFor all.\n")
    with ctx.store.transaction() as session:
        register_edition(
            session,
            ctx.config.school(),
            "read-kcsie",
            "part-1",
            title="KCSIE 2026: Part one",
            edition="2026",
            path=edition,
            in_force=date(2026, 11, 2),
            actor="cli",
        )
    _sweep(ctx, MONDAY)
    yield World(ctx, _to_office(ctx))
    ctx.store.dispose()
    if databases:
        databases.close()


def test_the_office_gets_one_message_a_day_for_everyone_it_answers_for(world: World) -> None:
    ctx = world.ctx
    assert len(world.office) == 1, [m.subject for m in world.office]
    text = world.office[0].payload["text"]
    assert "5 people have no email address, so the school asks you on their behalf" in text
    assert all(f"{name}: Safeguarding" in text for name in WITHOUT)
    assert all(f"{name}: KCSIE 2026: Part one" in text for name in WITHOUT)
    training = set(re.findall(r"Record their training: \S+/training/(\S+)", text))
    reading = set(re.findall(r"Read and acknowledge: \S+/ack/(\S+)", text))
    assert len(training) == len(reading) == 5  # each person's own link for each item
    assert "Cleo Clean" not in text  # her line manager is asked for her
    # said to the office, not to the person: no "your page", no "confirm you have"
    assert "your page" not in text and "See my training" not in text and "confirm you" not in text
    lena = [
        m for m in outbox_as_sent(ctx.store, "reminder") if m.recipients == ["line@oak.example"]
    ]
    assert any("Cleo Clean has no email address" in m.payload["text"] for m in lena)
    with ctx.store.session() as session:
        merged = session.scalars(
            select(OutboxMessage.status).where(OutboxMessage.purpose == "reminder_merged")
        ).all()
    assert merged == ["merged"] * 6  # each person's reminder taken once, sent inside another's

    _sweep(ctx, MONDAY)  # a later sweep the same day
    _sweep(ctx, date(2026, 11, 24))  # and the next day: nothing falls due
    assert len(_to_office(ctx)) == 1


def _client(ctx: AppContext) -> TestClient:
    demo = AppContext(ctx.settings.model_copy(update={"demo": True}))
    return TestClient(create_app(demo.settings, demo))


def _csrf(client: TestClient, path: str) -> str:
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert token is not None, path
    return token.group(1)


def _sign_in(client: TestClient, email: str) -> None:
    client.post("/signin", data={"email": email, "csrf_token": _csrf(client, "/signin")})


def _link(world: World, button: str, name: str) -> str:
    text = world.office[0].payload["text"]
    found = re.search(rf"\* {name}: .*?\n(?:.*\n)*?  {button}: https?://[^/\s]+(/\S+)", text)
    assert found is not None, text
    return found.group(1)


def test_a_training_is_recorded_on_their_behalf_by_someone_signed_in(world: World) -> None:
    ctx, link = world.ctx, _link(world, "Record their training", "Nell Night")
    client = _client(ctx)
    unsigned = client.get(link)
    assert unsigned.status_code == 401 and "Sign in first" in unsigned.text
    assert (
        client.post(
            link, data={"csrf_token": _csrf(client, "/signin"), "completed_on": "2026-11-20"}
        ).status_code
        == 401
    )
    _sign_in(client, "amy@oak.example")  # not her line manager, not the office, not the head
    assert client.get(link).status_code == 403
    with ctx.store.session() as session:
        assert session.scalar(select(TrainingRecord.id)) is None  # nothing recorded

    _sign_in(client, "head@oak.example")
    page = client.get(link).text
    assert (
        "Recorded by Hana Head, Headteacher, on behalf of Nell Night, who has no email "
        "address: Nell Night completed Safeguarding" in page
    )
    done = client.post(link, data={"csrf_token": _csrf(client, link), "completed_on": "2026-11-20"})
    assert done.status_code == 200, done.text
    assert "Nell Night completed Safeguarding on Friday 20 November 2026." in done.text
    with ctx.store.session() as session:
        record = session.scalars(select(TrainingRecord)).one()
        head = session.scalar(select(Person.id).where(Person.email == "head@oak.example"))
        assert (record.source, record.recorded_by_id) == ("on_behalf", head)
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "training.recorded")
        ).one()
        assert event.actor == "head@oak.example" and event.details["recorded_by"] == head
        matrix = _training(session, record.school_id, MONDAY)
    nell = [r for r in matrix.rows if r[0] == "Nell Night"]
    assert matrix.headers[-1] == "Recorded by" and nell[0][-1] == "Hana Head, Headteacher"
    assert {r[-1] for r in matrix.rows if r[0] != "Nell Night"} == {""}  # none recorded yet


def test_a_reading_is_recorded_on_their_behalf_in_the_third_person(world: World) -> None:
    ctx, link = world.ctx, _link(world, "Read and acknowledge", "Olu Oak")
    client = _client(ctx)
    assert client.get(link).status_code == 401
    _sign_in(client, "head@oak.example")
    page = client.get(link).text
    said = (
        "Recorded by Hana Head, Headteacher, on behalf of Olu Oak, who has no email "
        "address: Olu Oak has read and understood KCSIE 2026: Part one (edition 2026)."
    )
    assert said in page and "I have read" not in page
    assert client.post(link, data={"csrf_token": _csrf(client, link)}).status_code == 200
    with ctx.store.session() as session:
        attestation = session.scalars(select(Attestation)).one()
        head = session.scalar(select(Person.id).where(Person.email == "head@oak.example"))
        assert attestation.statement == said and attestation.method == "on_behalf"
        assert attestation.recorded_by_id == head
        pack = _attestations(session, attestation.school_id, LONDON)
    assert pack.headers[7] == "Recorded by"
    (row,) = pack.rows
    assert row[3] == "Olu Oak" and row[7] == "Hana Head, Headteacher"
    assert row[6].startswith("Recorded by Hana Head")
