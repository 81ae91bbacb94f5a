"""The trust's safeguarding oversight (bot.features.trust, #54 item 4): the trust's safeguarding
lead sees every school's headline counts on /trust and in one weekly email through the outbox
(keyed by the week), never a report's content, subject or reference; a school's head keeps only
their own school's pages; a teacher is refused."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
import time_machine
import yaml
from sqlalchemy import select, update

from bot.core.days.clock import to_local
from bot.core.deployment.context import AppContext
from bot.core.deployment.setup_state import begin_setup, start_sending
from bot.core.models import OutboxMessage, SweepJob, utcnow
from bot.engine.sweep import run_sweep
from bot.features.reports.intake import submit_report
from bot.web.app import create_app
from tests.features.reports.test_support import REF, TestClient, sign_in, submission, sync_people
from tests.support.helpers import Row, SchoolBuilder, at

MONDAY = date(2026, 11, 23)
LEAD = "lead@oak.example"
SECRET = "Messages about a pupil were shared in the staff room."
NAMES = {"oak": "Oakfield Primary", "hill": "Hillside Academy"}


def _school(sid: str) -> dict[str, Any]:
    domain = f"{sid}.example"
    return {
        "id": sid,
        "name": NAMES[sid],
        "headteacher": f"head@{domain}",
        "dsl": [f"dsl@{domain}"],
        "admins": [f"admin@{domain}"],
        "policies": [],
        "requirements": [],
    }


@pytest.fixture(scope="module")
def trust(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[AppContext, TestClient]]:
    """Oakfield (sending) and Hillside (in preview, one open report), one safeguarding lead;
    swept on Monday morning, when the week's digests are due."""
    builder = SchoolBuilder(tmp_path_factory.mktemp("trust") / "school")
    builder.school = _school("oak")
    builder.others = [_school("hill")]
    builder.organisation = {"name": "Vale Trust", "trust_safeguarding_leads": [LEAD]}
    builder.people = [
        Row(
            f"{who}@{sid}.example", f"{who.title()} {sid.title()}", "staff", "All Staff", school=sid
        )
        for sid in NAMES
        for who in ("head", "dsl", "admin", "amy")
    ] + [Row(LEAD, "Lee Lead", "staff", "All Staff", school="oak")]
    context = builder.context(
        f"sqlite:///{builder.home / 'trust.db'}", demo=True, base_url="http://testserver"
    )
    sync_people(context, MONDAY)
    with context.store.transaction() as session:
        begin_setup(session, source="file", by="cli:init", now=at(MONDAY, 7))
        start_sending(session, "oak", by="head@oak.example", now=at(MONDAY, 7))
        submit_report(
            session,
            context.config.school("hill"),
            submission(category="staff_concern", what_happened=SECRET),
            now=at(MONDAY, 8),
            base_url="http://testserver",
            actor="public-link",
        )
    for hour in (9, 10):  # the second sweep of the week queues no second overview
        run_sweep(
            context.store,
            context.settings,
            context.config,
            context.connectors,
            as_of=MONDAY,
            now=at(MONDAY, hour),
            deliver=False,
        )
    yield context, TestClient(create_app(context.settings, context))
    context.store.dispose()


def test_the_trust_lead_sees_every_schools_counts_and_no_reports_content(
    trust: tuple[AppContext, TestClient],
) -> None:
    _, client = trust
    sign_in(client, LEAD)
    page = client.get("/trust")
    assert page.status_code == 200
    assert "Oakfield Primary" in page.text and "Hillside Academy" in page.text
    assert "<script" not in page.text
    hill = page.text[page.text.index("Hillside Academy</th>") :].split("</tr>")[0]
    cells = [c.split(">")[-1] for c in hill.split("</td>")[:-1]]
    # sending, settings, overdue duties, open reports, deadline passed, running, none running
    assert cells[0] == "in preview" and cells[3] == "1"
    assert SECRET not in page.text and not REF.search(page.text)
    assert "member of staff" not in page.text.lower()


@pytest.mark.parametrize("who", ["head@hill.example", "amy@oak.example", "admin@oak.example"])
def test_nobody_else_opens_the_trust_page(trust: tuple[AppContext, TestClient], who: str) -> None:
    _, client = trust
    sign_in(client, who)
    assert client.get("/trust").status_code == 403
    if who == "head@hill.example":  # their own school's dashboard, as before; not Oakfield's
        assert client.get("/dashboard").status_code == 200
        assert "Oakfield Primary" not in client.get("/dashboard").text


def test_the_weekly_overview_goes_once_to_the_leads_with_counts_only(
    trust: tuple[AppContext, TestClient],
) -> None:
    context, _ = trust
    with context.store.session() as session:
        rows = session.scalars(
            select(OutboxMessage).where(OutboxMessage.purpose == "trust_digest")
        ).all()
    assert [(r.idempotency_key, r.recipients) for r in rows] == [("trust-digest:2026-W48", [LEAD])]
    body = json.dumps(rows[0].payload) + rows[0].subject
    assert "Oakfield Primary" in body and "Hillside Academy" in body
    assert "1 open report (0 with a deadline passed, 1 running, 0 without one)" in body, body
    assert "in preview" in body
    assert SECRET not in body and not REF.search(body)
    assert "member of staff" not in body.lower()


def test_a_school_on_its_last_good_settings_is_counted_as_held(
    trust: tuple[AppContext, TestClient],
) -> None:
    """The per-school settings check's record (#54 item 2) is what the trust page counts."""
    from bot.core.models import SchoolSettings

    context, client = trust
    with context.store.transaction() as session:
        row = session.query(SchoolSettings).filter_by(school_id="hill").one()
        row.problem = "school.yaml line 9: schools[1].terms[0]: ends before it starts"
    try:
        sign_in(client, LEAD)
        page = client.get("/trust").text
        hill = page[page.index("Hillside Academy</th>") :].split("</tr>")[0]
        oak = page[page.index("Oakfield Primary</th>") :].split("</tr>")[0]
        assert "held on the last good settings" in hill and "in force" in oak
        assert "line 9" not in page  # counts and states only: the fix is for the school
    finally:
        with context.store.transaction() as session:
            session.query(SchoolSettings).filter_by(school_id="hill").one().problem = None


def test_a_school_whose_settings_never_passed_is_shown_held_with_its_problem(
    trust: tuple[AppContext, TestClient],
) -> None:
    """A third school whose entry has never passed the check (#54): not in the configuration
    in force, yet on /trust and in the overview as held, with the problem's file, line and
    field, and its counts not stated (never zero)."""
    from bot.core.models import SchoolSettings
    from bot.features.trust.service import queue_trust_digest

    context, client = trust
    path = context.settings.home / "school.yaml"
    before = path.read_text(encoding="utf-8")
    data = yaml.safe_load(before)
    data["schools"].append({**_school("hill"), "id": "ash", "name": "Ash Academy"})
    data["schools"][-1]["headteacher"] = "nobody"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    context.forget_config()
    try:
        assert [s.id for s in context.config.schools] == ["oak", "hill"]
        run_sweep(
            context.store,
            context.settings,
            context.config,
            context.connectors,
            as_of=MONDAY,
            now=at(MONDAY, 11),
            deliver=False,
        )
        sign_in(client, LEAD)
        page = client.get("/trust").text
        row = page[page.index("Ash Academy</th>") :].split("</tr>")[0]
        assert "held: its settings have never passed the check" in row
        assert "school.yaml line" in row and "schools[2].headteacher" in row, row
        assert row.count("<td>not stated</td>") == 6 and "<td>0</td>" not in row
        with context.store.session() as session:  # next week's overview, not committed
            queue_trust_digest(
                session,
                context.config,
                "oak",
                MONDAY.replace(day=30),
                at(MONDAY, 11),
                base_url="http://testserver",
            )
            (mail,) = session.scalars(
                select(OutboxMessage).where(
                    OutboxMessage.idempotency_key == "trust-digest:2026-W49"
                )
            ).all()
            body = json.dumps(mail.payload)
            session.rollback()
        assert "1 held with settings that have never passed the check" in body, body
        assert "schools[2].headteacher" in body and "its counts are not stated" in body
    finally:
        path.write_text(before, encoding="utf-8")
        context.forget_config()
        with context.store.transaction() as session:
            session.query(SchoolSettings).filter_by(school_id="ash").delete()


def test_a_school_not_swept_for_two_ticks_is_shown_to_the_lead_and_its_head(
    trust: tuple[AppContext, TestClient],
) -> None:
    """#83: the trust page and the head's dashboard name a school the bot has not checked for
    two rounds of its checks (its sweep workers stopped or far behind), with when it last was."""
    context, client = trust
    sign_in(client, LEAD)
    assert 'id="not-swept"' not in client.get("/trust").text  # both swept just now
    hour_ago = utcnow() - timedelta(hours=1)
    with context.store.transaction() as session:
        session.execute(
            update(SweepJob).where(SweepJob.school_id == "hill").values(swept_at=hour_ago)
        )
    try:
        page = client.get("/trust").text
        assert 'id="not-swept"' in page
        assert "Hillside Academy: last checked" in page and "Oakfield Primary:" not in page
        assert to_local(hour_ago).strftime("%H:%M") in page
        sign_in(client, "head@hill.example")
        assert "Hillside Academy: last checked" in client.get("/dashboard").text
        sign_in(client, "amy@hill.example")  # staff are not told
        assert 'id="not-swept"' not in client.get("/dashboard").text
    finally:
        with context.store.transaction() as session:
            session.execute(update(SweepJob).values(swept_at=utcnow()))


def test_the_overview_goes_on_monday_morning_not_the_evening_a_school_starts(tmp_path: Any) -> None:
    """The email says "every Monday morning in term time" (#77): a school that starts sending
    on Wednesday evening sends no overview that evening nor the rest of the week; the next
    Monday morning's sweep does."""
    builder = SchoolBuilder(tmp_path / "school")
    builder.school, builder.others = _school("oak"), [_school("hill")]
    builder.organisation = {"name": "Vale Trust", "trust_safeguarding_leads": [LEAD]}
    builder.people = [
        Row(f"head@{sid}.example", "Head", "staff", "All Staff", school=sid) for sid in NAMES
    ]
    builder.people.append(Row(LEAD, "Lee Lead", "staff", "All Staff", school="oak"))
    context = builder.context(f"sqlite:///{tmp_path / 'trust.db'}", demo=True)
    sync_people(context, MONDAY)
    wednesday, next_monday = date(2026, 11, 25), date(2026, 11, 30)
    with context.store.transaction() as session:
        begin_setup(session, source="file", by="cli:init", now=at(MONDAY, 7))
        start_sending(session, "oak", by="head@oak.example", now=at(wednesday, 18))

    def overviews(day: date, hour: int) -> list[str]:
        run_sweep(
            context.store,
            context.settings,
            context.config,
            context.connectors,
            as_of=day,
            now=at(day, hour),
            deliver=False,
        )
        with context.store.session() as session:
            return list(
                session.scalars(
                    select(OutboxMessage.idempotency_key).where(
                        OutboxMessage.purpose == "trust_digest"
                    )
                )
            )

    with time_machine.travel(at(wednesday, 18, 15), tick=False):
        assert overviews(wednesday, 18) == []  # the evening it started
    thursday = wednesday.replace(day=26)
    with time_machine.travel(at(thursday, 9), tick=False):
        assert overviews(thursday, 9) == []  # nor later in the week
    with time_machine.travel(at(next_monday, 9), tick=False):
        found = overviews(next_monday, 9)  # the next Monday morning in term
    assert found == ["trust-digest:2026-W49"]
    context.store.dispose()
