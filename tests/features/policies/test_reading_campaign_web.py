"""A reading campaign's edition is acknowledged on the same page as a policy: nothing is
recorded on view, exactly one attestation (bound to the file's SHA-256) is kept, it is audited,
and the edition never reaches the policy register or the governors' reviews."""

from __future__ import annotations

import hashlib
import re
from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bot.core.guards.links import make_token
from bot.core.models import Attestation, AuditEvent, Duty, Person, Policy
from bot.engine.sweep import run_sweep
from bot.features.policies.register import register
from bot.features.reading.service import register_edition
from bot.web.app import create_app
from tests.support.helpers import SchoolBuilder, at

TODAY = date(2026, 9, 1)
PART_ONE = (
    b"# Keeping children safe in education 2026\n\n## Part one\nWhat all staff should know.\n"
)


def test_staff_acknowledge_an_edition_once_on_the_ack_page(
    school: SchoolBuilder, sqlite_url: str
) -> None:
    school.requirement(
        id="read-kcsie",
        kind="reading_campaign",
        title="Keeping children safe in education",
        due_days=30,
        audiences={"part-1": {"roles": ["staff"]}},
    )
    ctx = school.context(sqlite_url, demo=True)
    sweep = dict(as_of=TODAY, now=at(TODAY), deliver=False)
    run_sweep(ctx.store, ctx.settings, ctx.config, ctx.connectors, **sweep)  # type: ignore[arg-type]
    edition = school.home / "kcsie-2026-part-one.md"
    edition.write_bytes(PART_ONE)
    with ctx.store.transaction() as session:
        registered = register_edition(
            session,
            ctx.config.school(),
            "read-kcsie",
            "part-1",
            title="Keeping children safe in education 2026: Part one",
            edition="2026",
            path=edition,
            in_force=TODAY,
            actor="cli",
        )
        version_id = registered.version.id
    run_sweep(ctx.store, ctx.settings, ctx.config, ctx.connectors, **sweep)  # type: ignore[arg-type]
    with ctx.store.session() as session:
        amy = session.scalar(select(Person).where(Person.email == "amy@oak.example"))
        assert amy is not None
        duty = session.scalar(
            select(Duty).where(Duty.person_id == amy.id, Duty.kind == "reading_campaign")
        )
        assert duty is not None and duty.policy_version_id == version_id
        assert duty.status == "open" and duty.due_on == date(2026, 10, 1)
        link = "/ack/" + make_token(ctx.settings.signing_key(), "ack", amy.id, duty.id, version_id)
        duty_id = duty.id
        # not a policy: not in the register, and no review date for governors to be chased on
        assert [row.policy.key for row in register(session, "oak", TODAY)] == []
        stored = session.scalar(select(Policy).where(Policy.key == "read-kcsie/part-1"))
        assert stored is not None and stored.kind == "reading" and stored.next_review_due is None

    client = TestClient(create_app(ctx.settings, ctx))
    page = client.get(link)
    assert page.status_code == 200
    assert "Keeping children safe in education 2026: Part one" in page.text
    assert "What all staff should know." in page.text

    def attestations() -> list[Attestation]:
        with ctx.store.session() as session:
            return list(
                session.scalars(
                    select(Attestation).where(Attestation.policy_version_id == version_id)
                )
            )

    assert attestations() == []  # nothing recorded on view
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    first = client.post(link, data={"csrf_token": token.group(1)})
    again = client.post(link, data={"csrf_token": token.group(1)})
    assert first.status_code == 200 and again.status_code == 200
    kept = attestations()
    assert len(kept) == 1
    assert kept[0].kind == "acknowledgement" and kept[0].duty_id == duty_id
    assert kept[0].document_sha256 == hashlib.sha256(PART_ONE).hexdigest()
    assert "Keeping children safe in education 2026: Part one" in kept[0].statement
    with ctx.store.session() as session:
        closed = session.get(Duty, duty_id)
        assert closed is not None and closed.status == "done"
        assert (
            session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "policy.acknowledged")
            )
            == 1
        )
        assert (
            session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "reading.edition.registered")
            )
            == 1
        )


def test_a_campaign_asking_for_proof_of_reading_waits_for_every_section(
    school: SchoolBuilder, sqlite_url: str
) -> None:
    school.requirement(
        id="read-kcsie",
        kind="reading_campaign",
        title="Keeping children safe in education",
        due_days=30,
        audiences={"part-1": {"roles": ["staff"]}},
        proof_of_reading={"every_page": True},
    )
    ctx = school.context(sqlite_url, demo=True)
    sweep = dict(as_of=TODAY, now=at(TODAY), deliver=False)
    edition = school.home / "kcsie.md"
    edition.write_bytes(PART_ONE + b"\n## Annex\nMore to read.\n")
    with ctx.store.transaction() as session:
        version_id = register_edition(
            session,
            ctx.config.school(),
            "read-kcsie",
            "part-1",
            title="KCSIE 2026: Part one",
            edition="2026",
            path=edition,
            in_force=TODAY,
            actor="cli",
        ).version.id
    run_sweep(ctx.store, ctx.settings, ctx.config, ctx.connectors, **sweep)  # type: ignore[arg-type]
    with ctx.store.session() as session:
        amy = session.scalars(select(Person).where(Person.email == "amy@oak.example")).one()
        duty = session.scalars(
            select(Duty).where(Duty.person_id == amy.id, Duty.kind == "reading_campaign")
        ).one()
        link = "/ack/" + make_token(ctx.settings.signing_key(), "ack", amy.id, duty.id, version_id)
    client = TestClient(create_app(ctx.settings, ctx))
    first = client.get(link)
    assert "1 of 3" in first.text and 'id="acknowledge"' not in first.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/signin").text)
    assert token
    assert client.post(link, data={"csrf_token": token.group(1)}).status_code == 400
    client.get(f"{link}?page=3")
    assert 'id="acknowledge"' in client.get(f"{link}?page=2").text
    assert "Thank you" in client.post(link, data={"csrf_token": token.group(1)}).text
    with ctx.store.session() as session:
        kept = session.scalars(select(Attestation)).one()
        assert (kept.pages_seen, kept.pages_total) == (3, 3)
