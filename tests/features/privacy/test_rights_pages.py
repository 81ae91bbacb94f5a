"""The DPO's pages of people's requests (#93 items 3 and 6): only the data protection officer
and the head read or act on them (on both databases); every read, export, change and refusal
is audited; a name that fits nobody, or two people, is refused with nothing stored."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from bot.core.models import AuditEvent, Complaint
from bot.features.privacy.access import find_person, open_request
from bot.features.privacy.service import warn
from tests.features.reports.test_support import Env, csrf_of, make_env
from tests.support.helpers import SchoolBuilder, at

REF = re.compile(r"/privacy/requests/(DP-\d{4}-[A-Z0-9]{5})$")


@pytest.fixture
def env(school: SchoolBuilder, database_url: str) -> Iterator[Env]:
    made = make_env(school, database_url)
    yield made
    made.context.store.dispose()


def _audited(env: Env) -> list[tuple[str, str]]:
    with env.context.store.session() as session:
        return [
            (e.actor, e.action)
            for e in session.scalars(
                select(AuditEvent)
                .where(AuditEvent.action.startswith("privacy."))
                .order_by(AuditEvent.seq)
            )
        ]


def _start(env: Env, who: str, person: str) -> Any:
    client = env.client(who)
    token = csrf_of(client.get("/privacy/requests").text)
    return client.post(
        "/privacy/requests", data={"csrf_token": token, "person": person}, follow_redirects=False
    )


def test_only_the_dpo_and_the_head_read_and_act_on_requests(env: Env) -> None:
    assert env.client().get("/privacy/requests").status_code == 401
    for who in ("staff", "dsl", "deputy", "chair", "admin", "governor"):
        page = env.client(who).get("/privacy/requests")
        assert page.status_code == 403, who
        assert "data protection officer and the headteacher" in page.text
    refused = [a for a in _audited(env) if a[1] == "privacy.read_refused"]
    assert len(refused) == 6
    response = _start(env, "dpo@oak.example", "amy@oak.example")
    assert response.status_code == 303
    (reference,) = REF.findall(response.headers["location"])
    for who in ("staff", "dsl", "admin"):  # nor one request, nor its zip
        assert env.client(who).get(f"/privacy/requests/{reference}").status_code == 403
        assert env.client(who).get(f"/privacy/requests/{reference}/zip").status_code == 403
    head = env.client("head")
    page = head.get(f"/privacy/requests/{reference}")
    assert page.status_code == 200 and "amy@oak.example" in page.text
    download = head.get(f"/privacy/requests/{reference}/zip")
    assert download.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(download.content))
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["person"] == "amy@oak.example" and manifest["request"] == reference
    assert "personal-data.pdf" in archive.namelist()
    # a complaint reader who is not the DPO or the head never sees it among complaints
    assert reference not in env.client("dpo@oak.example").get("/complaints").text
    assert env.client("dpo@oak.example").get(f"/complaints/{reference}").status_code == 404
    assert ("dpo@oak.example", "privacy.access_opened") in _audited(env)
    assert ("head@oak.example", "privacy.access_read") in _audited(env)
    assert ("head@oak.example", "privacy.access_exported") in _audited(env)
    assert ("dpo@oak.example", "privacy.list_read") in _audited(env)


def test_the_date_moves_within_the_laws_three_months_and_the_answer_is_recorded(env: Env) -> None:
    (reference,) = REF.findall(_start(env, "dpo@oak.example", "Amy Able").headers["location"])
    dpo = env.client("dpo@oak.example")
    path = f"/privacy/requests/{reference}"
    token = csrf_of(dpo.get(path).text)
    with env.context.store.session() as session:
        stored = session.scalar(select(Complaint).where(Complaint.reference == reference))
        assert stored is not None and stored.kind == "access"
        received = stored.received_at.date()
    far = received.replace(year=received.year + 1).isoformat()
    refused = dpo.post(path, data={"csrf_token": token, "action": "outcome_due", "due": far})
    assert refused.status_code == 422 and "two further months" in refused.text
    ok = dpo.post(
        path,
        data={"csrf_token": token, "action": "outcome_due", "due": received.isoformat()},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    done = dpo.post(path, data={"csrf_token": token, "action": "answered"}, follow_redirects=False)
    assert done.status_code == 303
    with env.context.store.session() as session:
        stored = session.scalar(select(Complaint).where(Complaint.reference == reference))
        assert stored is not None and stored.outcome_at is not None
        assert stored.outcome_due_on == received
    assert ("dpo@oak.example", "privacy.access_answered") in _audited(env)


def test_a_name_that_fits_nobody_is_refused_and_nothing_is_stored(env: Env) -> None:
    response = _start(env, "head", "Nobody Here")
    assert response.status_code == 422
    assert "No one called Nobody Here" in response.text
    with env.context.store.session() as session:
        assert not list(session.scalars(select(Complaint).where(Complaint.kind == "access")))


def test_an_access_request_is_warned_about_in_its_own_words(env: Env) -> None:
    with env.context.store.transaction() as session:
        amy = find_person(session, env.school, "amy@oak.example")
        made = open_request(
            session, env.school, amy, "access", now=at(date(2026, 11, 2), 10), actor="dpo"
        )
        assert made.outcome_due_on == date(2026, 12, 2)
        reference = made.reference
    with env.context.store.transaction() as session:
        queued = warn(
            session, env.school, at(date(2026, 11, 30), 10), base_url="http://x", write=True
        )
    assert queued == 1
    (sent,) = env.outbox("complaint_warning")
    assert sent.subject == f"Due: answer data protection request {reference}"
    assert "dpo@oak.example" in sent.recipients


def test_a_request_logged_after_midnight_shows_the_london_day(env: Env) -> None:
    """A request logged at 00:30 on 1 June (23:30 the day before in UTC) was listed as received
    on 31 May, a day before its month's clock began; the list shows the school's day."""
    with env.context.store.transaction() as session:
        amy = find_person(session, env.school, "amy@oak.example")
        made = open_request(
            session, env.school, amy, "access", now=at(date(2026, 6, 1), 0, 30), actor="dpo"
        )
        assert made.outcome_due_on == date(2026, 7, 1)
        made.outcome_at = at(date(2026, 6, 20), 0, 15)
        reference = made.reference
    page = env.client("head").get("/privacy/requests").text
    row = page[page.index(reference) :]
    row = row[: row.index("</tr>")]
    assert "01 Jun 2026" in row and "31 May 2026" not in row
    assert "Given 20 Jun 2026" in row
    detail = env.client("head").get(f"/privacy/requests/{reference}").text
    assert "01 June 2026" in detail and "Given 20 June 2026" in detail


def _erase(env: Env, who: str, person: str, reason: str, confirm: bool = True) -> Any:
    client = env.client(who)
    token = csrf_of(client.get("/privacy/requests").text)
    data = {"csrf_token": token, "erase": person, "reason": reason}
    return client.post("/privacy/erase", data={**data, **({"confirm": "yes"} if confirm else {})})


def test_the_dpo_erases_on_the_page_where_the_law_allows_and_is_told_why_not(env: Env) -> None:
    """Item 4 on the DPO's page: the box unticked or no reason erases nothing (422); someone
    still employed is refused naming the record, rule and date; a leaver is erased, the
    request kept as answered without their name; nobody else may (403)."""
    unticked = _erase(env, "dpo@oak.example", "amy@oak.example", "by letter", confirm=False)
    assert unticked.status_code == 422 and "Tick the box" in unticked.text
    unreasoned = _erase(env, "dpo@oak.example", "amy@oak.example", " ")
    assert unreasoned.status_code == 422 and "an erasure records the school" in unreasoned.text
    assert _erase(env, "staff", "amy@oak.example", "by letter").status_code == 403
    refused = _erase(env, "dpo@oak.example", "amy@oak.example", "by letter")
    said = " ".join(refused.text.split())
    assert refused.status_code == 200
    assert "Nothing was erased: the law still requires these records." in said
    assert "their staff records: IRMS" in said and "6 years after they leave" in said
    with env.context.store.transaction() as session:
        amy = find_person(session, env.school, "amy@oak.example")
        amy.active, amy.left_on = False, date(2019, 7, 31)
    erased = _erase(env, "head", "amy@oak.example", "asked by letter")
    assert erased.status_code == 200
    assert "amy@oak.example&#39;s data was erased; the reason is recorded." in erased.text
    with env.context.store.session() as session:
        requests = session.scalars(
            select(Complaint).where(Complaint.kind == "erasure").order_by(Complaint.id)
        ).all()
        assert [r.outcome for r in requests][-1] == "Erased: asked by letter"
        assert all(r.outcome_at is not None for r in requests)
        assert "amy@oak.example" not in {r.email for r in requests}
    assert ("head", "privacy.erased") in [(a[0].split("@")[0], a[1]) for a in _audited(env)]
