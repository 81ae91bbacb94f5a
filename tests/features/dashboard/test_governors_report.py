"""The termly governors' report: figures, terms, the PDF (read back with pypdf), the page and
the CLI — counts only, never names or report details."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import time_machine
from pypdf import PdfReader
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli.main import app
from bot.core.config import load_config
from bot.core.deployment.context import AppContext
from bot.core.models import Duty, Person, Policy, Report, TrainingRecord
from bot.engine.sweep import run_sweep
from bot.features.governors.report import (
    FREE_TEXT_OUTCOME,
    ReportError,
    build_report,
    outcome_bucket,
    pick_term,
    render_pdf,
)
from bot.features.policies.attest import acknowledge
from bot.features.policies.review import record_review
from bot.web.app import create_app
from tests.support.helpers import SchoolBuilder, at

TODAY = date(2026, 3, 16)
SECRET_NAMES = ("Zed Quigley", "Rory Reporter")  # fictional people in report details


def _build(school: SchoolBuilder, database_url: str) -> AppContext:
    """A school with reviews due and done, acknowledgements, training, an AUP and reports."""
    school.school["terms"] = [
        {"name": "Autumn 2025", "start": "2025-09-03", "end": "2025-12-19"},
        {"name": "Spring 2026", "start": "2026-01-05", "end": "2026-03-27"},
        {"name": "Summer 2026", "start": "2026-04-13", "end": "2026-07-22"},
    ]
    school.policy(
        "online-safety",
        "2025.1",
        title="Online Safety Policy",
        published="2026-01-05",
        next_review="2026-03-10",
    )
    school.policy(
        "code",
        "2025.1",
        title="Staff Code of Conduct",
        published="2026-01-05",
        next_review="2026-03-25",
    )
    school.policy(
        "data",
        "2025.1",
        title="Data Protection Policy",
        published="2026-01-05",
        next_review="2026-02-01",
    )
    school.policy(
        "aup",
        "2025.1",
        title="Social Media AUP",
        published="2026-01-05",
        aup=True,
        next_review="2026-12-01",
    )
    school.requirement(
        id="ack-code", kind="acknowledge_policy", policy="code", audience={"roles": ["staff"]}
    )
    school.requirement(
        id="training",
        kind="complete_training",
        course="Safeguarding",
        audience={"roles": ["staff"]},
    )
    school.requirement(id="sign-aup", kind="sign_aup", policy="aup")
    school.school["official_accounts"] = [
        {
            "id": "facebook",
            "platform": "Facebook",
            "name": "School Facebook page",
            "holders": ["amy@oak.example", "ben@oak.example"],
            "aup_policy": "aup",
        }
    ]
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
    with ctx.store.transaction() as session:
        people = {p.email: p for p in session.scalars(select(Person))}
        amy = people["amy@oak.example"]
        duty = session.scalars(
            select(Duty).where(Duty.person_id == amy.id, Duty.kind == "acknowledge_policy")
        ).one()
        assert duty.policy_version_id is not None
        version = duty.policy_version
        assert version is not None
        acknowledge(
            session, amy, duty, version, method="link", ip=None, user_agent=None, now=at(TODAY)
        )
        session.add(
            TrainingRecord(
                school_id="oak",
                person_id=amy.id,
                course="Safeguarding",
                completed_on=date(2026, 2, 1),
                import_key="t1",
            )
        )
        policy = session.scalar(select(Policy).where(Policy.key == "online-safety"))
        assert policy is not None
        record_review(
            session,
            policy,
            reviewed_on=date(2026, 3, 11),
            body="FGB",
            minute_ref="FGB/26/07",
            actor="head@oak.example",
            today=TODAY,
        )
        in_term = datetime(2026, 2, 10, 10, tzinfo=UTC)
        for n, (category, status, outcome) in enumerate(
            [
                ("social_media", "closed", "no_further_action"),
                ("social_media", "triaged", None),
                ("staff_concern", "closed", f"Spoke with {SECRET_NAMES[0]} and the parents"),
            ]
        ):
            session.add(
                Report(
                    school_id="oak",
                    reference=f"CR-2026-{n + 1:04d}",
                    category=category,
                    urgency="high",
                    status=status,
                    what_happened=f"{SECRET_NAMES[0]} posted a photo",
                    reporter_name=SECRET_NAMES[1],
                    outcome=outcome,
                    created_at=in_term,
                )
            )
        session.add(
            Report(
                school_id="oak",
                reference="CR-2025-0009",
                category="filtering",
                urgency="low",
                status="closed",
                what_happened="x",
                created_at=datetime(2025, 11, 3, 10, tzinfo=UTC),
            )
        )
    # a second sweep: the acknowledgement and training are taken into account
    run_sweep(
        ctx.store,
        ctx.settings,
        ctx.config,
        ctx.connectors,
        as_of=TODAY,
        now=at(TODAY),
        deliver=False,
    )
    return ctx


def test_report_figures(school: SchoolBuilder, database_url: str) -> None:
    ctx = _build(school, database_url)
    cfg = ctx.config.school()
    term = pick_term(cfg, None, TODAY)
    assert term.name == "Spring 2026"
    with ctx.store.session() as session:
        report = build_report(session, cfg, term, TODAY)
    assert [(r.title, r.reviewed_on, r.minute_ref) for r in report.reviewed] == [
        ("Online Safety Policy", date(2026, 3, 11), "FGB/26/07")
    ]
    assert sorted(p.title for p in report.due_in_term) == [
        "Data Protection Policy",
        "Staff Code of Conduct",
    ]
    assert [p.title for p in report.overdue] == ["Data Protection Policy"]
    assert report.status_counts == {
        "current": 2,
        "due soon": 1,
        "overdue": 1,
        "under review": 0,
        "no review date": 0,
    }
    assert (report.ack_done, report.ack_owed) == (1, 4)
    assert (report.training_done, report.training_owed) == (1, 4)
    assert [(a.name, a.holders, a.unsigned) for a in report.accounts] == [
        ("School Facebook page", 2, 2)
    ]
    assert report.reports_by_category == {
        "Concern about a member of staff": 1,
        "Social media misuse": 2,
    }
    assert report.reports_by_status == {"Closed": 2, "Triaged": 1}
    assert report.reports_by_outcome == {
        "no further action": 1,
        "no outcome yet": 1,
        FREE_TEXT_OUTCOME: 1,
    }
    autumn = pick_term(cfg, "autumn-2025", TODAY)
    with ctx.store.session() as session:
        earlier = build_report(session, cfg, autumn, TODAY)
    assert earlier.reports_by_category == {"Filtering or monitoring breach": 1}
    assert earlier.reviewed == []


def _pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def _names(ctx: AppContext) -> list[str]:
    with ctx.store.session() as session:
        people = [p.display_name for p in session.scalars(select(Person))]
    return [*people, *SECRET_NAMES]


def test_pdf_has_the_headings_and_figures_and_no_names(
    school: SchoolBuilder, sqlite_url: str
) -> None:
    ctx = _build(school, sqlite_url)
    cfg = ctx.config.school()
    with ctx.store.session() as session:
        report = build_report(session, cfg, pick_term(cfg, None, TODAY), TODAY)
    data = render_pdf(report)
    assert data.startswith(b"%PDF")
    text = _pdf_text(data)
    for heading in (
        "Governors' report",
        "1. Policy reviews",
        "2. Acknowledgements",
        "3. Training",
        "4. AUP signatures",
        "5. Breach and concern reports",
    ):
        assert heading in text, heading
    for figure in (
        "Reviewed this term: 1",
        "Due this term: 2",
        "Overdue now: 1",
        "Acknowledgement rate: 25% (1 of 4)",
        "Training rate: 25% (1 of 4)",
        "holders not yet signed: 2",
        "Reports made this term: 3",
        "Social media misuse 2",
        "Concern about a member of staff 1",
        "FGB/26/07",
    ):
        assert figure in text, figure
    assert "details withheld" in text
    for name in _names(ctx):
        assert name not in text, name
    assert "posted a photo" not in text


def test_outcome_buckets_never_show_free_text() -> None:
    assert outcome_bucket(None) == "no outcome yet"
    assert outcome_bucket("  ") == "no outcome yet"
    assert outcome_bucket("referred_to_lado") == "referred to lado"
    assert outcome_bucket("Referred Zed Quigley to LADO") == FREE_TEXT_OUTCOME
    assert outcome_bucket("No Further Action") == "no further action"
    # short and lower case is no sign of a code: a name typed in lower case stays withheld
    assert outcome_bucket("spoke with tamsin") == FREE_TEXT_OUTCOME
    assert outcome_bucket("no further action " * 5) == FREE_TEXT_OUTCOME


def test_terms_standard_and_unknown(school: SchoolBuilder) -> None:
    cfg = load_config(school.write() / "school.yaml").school()
    assert pick_term(cfg, None, date(2026, 10, 5)).name == "Autumn 2026"
    summer = pick_term(cfg, "summer-2026", date(2026, 10, 5))
    assert (summer.start, summer.end) == (date(2026, 4, 1), date(2026, 8, 31))
    assert pick_term(cfg, None, date(2027, 2, 1)).slug == "spring-2027"
    with pytest.raises(ReportError, match="unknown term 'Easter'"):
        pick_term(cfg, "Easter", date(2026, 10, 5))


def _client(base: str, email: str | None) -> httpx.Client:
    """An HTTP client for the live server, signed in as ``email`` (demo sign-in)."""
    # a PDF rendered on a busy 2-core machine (the suite's other worker) can take longer than
    # httpx's default of 5 s: this is a correctness test, not a timing one
    client = httpx.Client(base_url=base, timeout=120.0)
    if email is not None:
        page = client.get("/signin")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token is not None
        response = client.post("/signin", data={"email": email, "csrf_token": token.group(1)})
        assert response.status_code == 303
    return client


def test_report_page_and_pdf_download(
    school: SchoolBuilder, sqlite_url: str, live_server: Any
) -> None:
    ctx = _build(school, sqlite_url)
    with (
        time_machine.travel(at(TODAY), tick=True),
        live_server(create_app(ctx.settings, ctx)) as server,
    ):
        client = _client(server.url, "gov@oak.example")
        page = client.get("/governors/report")
        assert page.status_code == 200
        assert 'id="reviewed-count">1<' in page.text and 'id="ack-rate">25%<' in page.text
        assert 'id="reports-total">3<' in page.text
        for name in _names(ctx):
            assert name not in page.text.replace("Sign out (Gail Gov)", "")
        autumn = client.get("/governors/report?term=autumn-2025")
        assert 'id="reports-total">1<' in autumn.text
        pdf = client.get("/governors/report.pdf?term=spring-2026")
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        assert "termly-report-spring-2026.pdf" in pdf.headers["content-disposition"]
        assert "Reports made this term: 3" in _pdf_text(pdf.content)
        assert client.get("/governors/report?term=nope").status_code == 404
        assert _client(server.url, "amy@oak.example").get("/governors/report").status_code == 403
        assert _client(server.url, None).get("/governors/report.pdf").status_code == 401


def test_cli_report_writes_a_pdf(
    school: SchoolBuilder, sqlite_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    ctx = _build(school, sqlite_url)
    monkeypatch.setenv("COMPLIANCE_BOT_HOME", str(ctx.settings.home))
    monkeypatch.setenv("COMPLIANCE_BOT_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("COLUMNS", "200")
    out = tmp_path / "report.pdf"
    result: Any = CliRunner().invoke(
        app, ["governors", "report", "--pdf", str(out), "--as-of", TODAY.isoformat()]
    )
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "Spring 2026" in text and "1 reviewed this term, 2 due this term, 1 overdue now" in text
    assert "Acknowledgement rate: 25% (1 of 4)" in text
    assert "by outcome: no further action 1, no outcome yet 1" in text
    assert "Acknowledgement rate: 25% (1 of 4)" in _pdf_text(out.read_bytes())
    bad = CliRunner().invoke(app, ["governors", "report", "--term", "Easter"])
    assert bad.exit_code == 2 and "unknown term" in bad.output


def test_the_cyber_security_standard_is_an_optional_duty_in_the_report_and_the_pack(
    school: SchoolBuilder, sqlite_url: str
) -> None:
    """England's DfE cyber security standard: offered, not chosen by the statutory pack; once
    chosen, staff with network access and the named governor (the chair until the school
    names another) owe the training yearly and at induction, and the governors' report and the
    evidence pack's training matrix show it."""
    from bot.features.evidence.people import training
    from bot.features.setup.pack import PACKS, match_pack, pack_requirements

    cyber = "cyber-training"
    assert cyber in PACKS["optional"].templates and cyber not in PACKS["statutory"].templates
    (entry,) = pack_requirements(
        match_pack([], "england"), {cyber}, {"chair_of_governors": "gov@oak.example"}
    )
    assert entry["audience"] == {"roles": ["staff", "supply"], "people": ["gov@oak.example"]}
    assert entry["valid_months"] == 12 and entry["new_starter_days"] == 10
    school.requirement(**entry)
    ctx = school.context(sqlite_url, demo=True)
    run_sweep(
        ctx.store,
        ctx.settings,
        ctx.config,
        ctx.connectors,
        as_of=TODAY,
        now=at(TODAY),
        deliver=False,
    )
    cfg = ctx.config.school()
    with ctx.store.session() as session:
        report = build_report(session, cfg, pick_term(cfg, None, TODAY), TODAY)
        matrix = training(session, "oak", TODAY)
    (course,) = report.courses
    assert course[0] == "Cyber security awareness training" and course[2] >= 5
    assert "gov@oak.example" in {row[1] for row in matrix.rows}
    assert "Cyber security awareness training" in _pdf_text(render_pdf(report))
    ctx.store.dispose()
