"""Proof of reading, where the school asks for it: the acknowledgement is refused on the server
until every page (PDF) or section (Word, Markdown) has been shown, then until the school's check
is passed (a failed attempt is kept and they retry); "pages seen of total" is kept with the
acknowledgement; the Teams card opens the reading page instead of acknowledging; the evidence
pack reports coverage and pass rate per version on each database."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

import pytest
import time_machine
from pydantic import ValidationError
from sqlalchemy import select

from bot.core.config import ReadingProof, RequirementConfig
from bot.core.deployment.context import AppContext
from bot.core.guards.links import make_token
from bot.core.models import Attestation, Duty, Person, PolicyVersion, ReadingCheck
from bot.demo.documents import mobile_phones_pdf
from bot.engine.sweep import run_sweep
from bot.features.evidence.service import gather, school_reports
from bot.features.policies.proof import sections
from bot.features.teamsbot.cards import ACK_VERB
from bot.features.teamsbot.service import open_needs, press
from bot.web.app import create_app
from tests.features.decisions.test_support import csrf_of
from tests.support.helpers import SchoolBuilder, at

TODAY = date(2026, 11, 23)
POLICY = """# Child Protection Policy

Our promise to every child.

# Who to tell

Tell the DSL at once, the same day.

# Secrets

Never promise a child to keep a secret.
"""
PROOF = {
    "questions": [
        {"question": "Who do you tell?", "choices": ["A friend", "The DSL"], "answer": 2},
        {"question": "Can you promise to keep a secret?", "choices": ["Yes", "No"], "answer": 2},
    ],
    "pass_mark": 2,
}

ME = "https://oak.example/me"  # a person's own page (the needs card's "more" link)


def _school(
    school: SchoolBuilder, database_url: str | None = None, proof: dict[str, Any] | None = None
) -> tuple[AppContext, str, int]:
    school.policy("cp", "2026.1", POLICY, title="Child Protection Policy")
    school.requirement(
        id="ack-cp",
        kind="acknowledge_policy",
        policy="cp",
        audience={"roles": ["staff"]},
        proof_of_reading=proof or PROOF,
    )
    ctx = school.context(database_url, demo=True)
    run_sweep(
        ctx.store,
        ctx.settings,
        ctx.config,
        ctx.connectors,
        as_of=TODAY,
        now=at(TODAY),
        deliver=False,
    )
    with ctx.store.session() as session:
        amy = session.scalars(select(Person).where(Person.email == "amy@oak.example")).one()
        duty = session.scalars(
            select(Duty).where(Duty.person_id == amy.id, Duty.kind == "acknowledge_policy")
        ).one()
        assert duty.policy_version_id is not None
        token = make_token(
            ctx.settings.signing_key(), "ack", amy.id, duty.id, duty.policy_version_id
        )
    return ctx, f"/ack/{token}", duty.id


def _client(ctx: AppContext) -> Any:
    from fastapi.testclient import TestClient

    return TestClient(create_app(ctx.settings, ctx))


def test_acknowledge_waits_for_every_section_then_the_check(school: SchoolBuilder) -> None:
    ctx, link, duty_id = _school(school)
    client = _client(ctx)
    first = client.get(link)
    assert (
        first.status_code == 200 and 'you have seen <strong id="seen">1</strong> of 3' in first.text
    )
    assert "Our promise to every child." in first.text and 'id="acknowledge"' not in first.text
    # a hand-made POST (no button on the page yet) is refused by the server
    early = client.post(link, data={"csrf_token": csrf_of(client.get("/signin").text)})
    assert early.status_code == 400 and "Please read every page first" in early.text
    client.get(f"{link}?page=3")
    last = client.get(f"{link}?page=2")
    assert "Tell the DSL at once" in last.text and 'id="check"' in last.text
    token = csrf_of(last.text)
    skipped = client.post(link, data={"csrf_token": token})
    assert skipped.status_code == 400 and "short check" in skipped.text
    wrong = client.post(f"{link}/check", data={"csrf_token": token, "q1": "2", "q2": "1"})
    assert wrong.status_code == 422 and "1 of 2 right; 2 are needed" in wrong.text
    assert 'id="check"' in wrong.text and "Attempts so far: 1" in wrong.text
    right = client.post(f"{link}/check", data={"csrf_token": token, "q1": "2", "q2": "2"})
    assert right.status_code == 200 and 'id="acknowledge"' in right.text
    done = client.post(link, data={"csrf_token": token})
    assert done.status_code == 200 and "Thank you" in done.text
    with ctx.store.session() as session:
        attestation = session.scalars(select(Attestation)).one()
        assert (attestation.pages_seen, attestation.pages_total) == (3, 3)
        checks = session.scalars(select(ReadingCheck).order_by(ReadingCheck.id)).all()
        assert [(c.right, c.passed) for c in checks] == [(1, False), (2, True)]
        assert session.get(Duty, duty_id).status == "done"  # type: ignore[union-attr]


def test_pdf_pages_are_the_reading_pages_with_their_text() -> None:
    data = mobile_phones_pdf()
    version = PolicyVersion(
        document_name="phones.pdf", document=data, sha256=hashlib.sha256(data).hexdigest()
    )
    pages = sections(version)
    assert [p.title for p in pages] == ["Page 1", "Page 2"]
    assert "Mobile Phones" in pages[0].html and "Breaches" in pages[1].html


def test_a_check_has_two_to_five_questions_and_a_reachable_pass_mark() -> None:
    one = {"questions": PROOF["questions"][:1]}
    with pytest.raises(ValidationError, match="2 to 5 questions"):
        ReadingProof.model_validate(one)
    with pytest.raises(ValidationError, match="only 2 questions"):
        ReadingProof.model_validate({**PROOF, "pass_mark": 3})
    with pytest.raises(ValidationError, match="only 2 choices"):
        ReadingProof.model_validate(
            {"questions": [{"question": "?", "choices": ["a", "b"], "answer": 3}] * 2}
        )
    with pytest.raises(ValidationError, match="proof_of_reading"):
        RequirementConfig.model_validate(
            {"id": "t", "kind": "complete_training", "course": "x", "proof_of_reading": PROOF}
        )
    assert ReadingProof.model_validate({**PROOF, "pass_mark": None}).needed == 2


@time_machine.travel(at(TODAY, 9), tick=False)  # both links signed in the same second
def test_teams_card_opens_the_reading_page_and_refuses_a_direct_press(
    school: SchoolBuilder,
) -> None:
    ctx, link, duty_id = _school(school)
    with ctx.store.transaction() as session:
        amy = session.scalars(select(Person).where(Person.email == "amy@oak.example")).one()
        [item] = open_needs(session, ctx.settings, amy, TODAY)
        assert item.read_first and item.read_url.endswith(link)
        from bot.features.teamsbot.cards import needs_card

        card = needs_card("Oak", "Amy", [item], user_id=None, me_url=ME)
        actions = [a for a in _walk(card) if a.get("type", "").startswith("Action.")]
        assert [a["title"] for a in actions if a["type"] == "Action.OpenUrl"] == [
            "Read and acknowledge"
        ]
        assert not any(a.get("verb") == ACK_VERB for a in actions)
        version = session.get(
            PolicyVersion, item.duty_id and session.get(Duty, duty_id).policy_version_id
        )  # type: ignore[union-attr]
        assert version is not None
        pressed = press(
            session,
            ctx.settings,
            "Oak",
            amy,
            ACK_VERB,
            {"duty": duty_id, "sha256": version.sha256},
            at(TODAY, 10),
        )
        assert not pressed.recorded
        assert "Please read every page first" in str(pressed.card)
        assert session.scalars(select(Attestation)).first() is None


def _walk(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, dict):
        return [node] + [x for v in node.values() for x in _walk(v)]
    if isinstance(node, list):
        return [x for v in node for x in _walk(v)]
    return []


def test_evidence_pack_reports_coverage_and_pass_rate(
    school: SchoolBuilder, database_url: str
) -> None:
    from zoneinfo import ZoneInfo

    ctx, link, _ = _school(school, database_url)
    client = _client(ctx)
    for page in (1, 2, 3):
        shown = client.get(f"{link}?page={page}")
    token = csrf_of(shown.text)
    client.post(f"{link}/check", data={"csrf_token": token, "q1": "1", "q2": "2"})
    client.post(f"{link}/check", data={"csrf_token": token, "q1": "2", "q2": "2"})
    assert client.post(link, data={"csrf_token": token}).status_code == 200
    with ctx.store.session() as session:
        facts = gather(
            session,
            "oak",
            "Oak",
            now=at(TODAY, 15),
            tz=ZoneInfo("Europe/London"),
            reports=school_reports("oak"),
            made_by="the command line",
            reports_scope="Every report.",
        )
    assert facts.reading_proof.rows == (
        ("Child Protection Policy", "2026.1", "1", "1", "100%", "2", "1", "1", "100%"),
    )
