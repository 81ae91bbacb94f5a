"""``compliance-bot reports ...`` and ``audit verify`` against a tampered report trail."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from bot.cli.main import app
from bot.core.models import AuditEvent, Report
from tests.features.reports.test_support import Env, env_fixture, submission  # noqa: F401

NOW = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
SECRET = "UNIQUE-CLI-SECRET-2718"


@pytest.fixture
def cli(env: Env, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A runner whose environment points at the test school."""
    settings = env.context.settings
    monkeypatch.setenv("COMPLIANCE_BOT_HOME", str(settings.home))
    monkeypatch.setenv("COMPLIANCE_BOT_DATABASE_URL", settings.db_url)
    monkeypatch.setenv("COMPLIANCE_BOT_SECRET_KEY", settings.signing_key())
    monkeypatch.setenv("COMPLIANCE_BOT_BASE_URL", "https://bot.oak.example")
    return CliRunner()


def test_list_shows_counts_only_unless_a_leader_asks(env: Env, cli: CliRunner) -> None:
    ref = env.store_report(submission(what_happened=SECRET), NOW)
    counts = cli.invoke(app, ["reports", "list"])
    assert counts.exit_code == 0, counts.output
    assert "Cyberbullying" in counts.output and "1 report." in counts.output
    assert ref not in counts.output and SECRET not in counts.output
    assert cli.invoke(app, ["reports", "list", "--show"]).exit_code == 2
    refused = cli.invoke(app, ["reports", "list", "--show", "--as", "amy@oak.example"])
    assert refused.exit_code == 2 and "only for them" in refused.output
    shown = cli.invoke(app, ["reports", "list", "--show", "--as", "dsl@oak.example"])
    assert shown.exit_code == 0, shown.output
    assert ref in shown.output and SECRET not in shown.output
    wide = cli.invoke(
        app, ["reports", "list", "--show", "--as", "dsl@oak.example"], env={"COLUMNS": "200"}
    )
    assert "│ DSL triage by " in wide.output  # the clock in words, not its id
    with env.context.store.session() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.actor == "cli:dsl@oak.example"))
    assert event is not None and event.action == "report.list_viewed"


def test_export_writes_a_guarded_csv_and_is_audited(
    env: Env, cli: CliRunner, tmp_path: Path
) -> None:
    seen = env.store_report(submission(what_happened="=cmd|' /C calc'!A0"), NOW)
    env.store_report(submission(about_headteacher=True), NOW)
    target = tmp_path / "out" / "reports.csv"
    result = cli.invoke(app, ["reports", "export", str(target), "--as", "head@oak.example"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(target.open(encoding="utf-8-sig")))
    assert [r["reference"] for r in rows] == [seen]  # not the one about the head
    assert rows[0]["what_happened"].startswith("'=cmd")
    assert oct(target.stat().st_mode)[-3:] == "600"
    with env.context.store.session() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "report.exported"))
    assert event is not None and event.details == {"rows": 1, "via": "cli"}


def test_ingest_pulls_the_external_form_now(env: Env, cli: CliRunner) -> None:
    forms = env.context.settings.home / "form-responses.jsonl"
    forms.write_text(
        json.dumps(
            {
                "id": "ms-forms-row-7",
                "submitted_at": "2026-11-03T09:00:00+00:00",
                "answers": {"Category": "Filtering breach", "What happened": SECRET},
            }
        )
        + "\n",
        encoding="utf-8",
    )
    first = cli.invoke(app, ["reports", "ingest"])
    assert first.exit_code == 0, first.output
    assert "1 new report " in first.output and SECRET not in first.output
    again = cli.invoke(app, ["reports", "ingest"])
    assert "0 new reports" in again.output
    with env.context.store.session() as session:
        report = session.scalar(select(Report))
    assert report is not None and (report.source, report.source_ref) == ("form", "ms-forms-row-7")
    assert report.category == "filtering"
    eml = list((env.context.settings.home / "outbox").glob("*.eml"))
    assert len(eml) == 1 and SECRET not in eml[0].read_text(encoding="utf-8")


def test_link_prints_the_public_report_link(env: Env, cli: CliRunner) -> None:
    result = cli.invoke(app, ["reports", "link"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"https://bot.oak.example{env.public_path}"


def test_tampering_with_an_audit_row_makes_verify_fail(env: Env, cli: CliRunner) -> None:
    ref = env.store_report(submission(), NOW)
    dsl = env.client("dsl")
    assert dsl.get(f"/reports/{ref}").status_code == 200  # audited view
    ok = cli.invoke(app, ["audit", "verify"])
    assert ok.exit_code == 0, ok.output
    assert "intact" in ok.output
    with env.context.store.transaction() as session:
        viewed = session.scalar(select(AuditEvent).where(AuditEvent.action == "report.viewed"))
        assert viewed is not None
        # someone hides who read the report
        session.execute(
            update(AuditEvent).where(AuditEvent.id == viewed.id).values(actor="nobody@x.example")
        )
        seq = viewed.seq
    broken = cli.invoke(app, ["audit", "verify"])
    assert broken.exit_code == 1
    assert f"#{seq}" in broken.output and "does not match" in broken.output


def test_form_problems_are_listed_without_contents_and_dismissed_by_a_dsl(
    env: Env, cli: CliRunner
) -> None:
    forms = env.context.settings.home / "form-responses.jsonl"
    forms.write_text(
        json.dumps({"id": "r-9", "submitted_at": SECRET, "answers": {"What happened": SECRET}})
        + "\n",
        encoding="utf-8",
    )
    first = cli.invoke(app, ["reports", "ingest"])
    assert first.exit_code == 0, first.output
    assert "1 response could not be read" in first.output and SECRET not in first.output
    listed = cli.invoke(app, ["reports", "form-problems"])
    assert (
        "response 'r-9' — form-responses.jsonl line 1 (response r-9): its submitted_at is "
        "missing or not an ISO 8601 time" in " ".join(listed.output.split())
    )
    assert "open" in listed.output and SECRET not in listed.output
    refused = cli.invoke(
        app, ["reports", "form-problems", "--dismiss", "r-9", "--as", "amy@oak.example"]
    )
    assert refused.exit_code == 2
    done = cli.invoke(
        app, ["reports", "form-problems", "--dismiss", "r-9", "--as", "dsl@oak.example"]
    )
    assert done.exit_code == 0, done.output
    assert "dismissed by dsl@oak.example" in cli.invoke(app, ["reports", "form-problems"]).output
