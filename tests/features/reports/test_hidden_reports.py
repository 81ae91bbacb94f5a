"""A report about the headteacher cannot be inferred by the head: no page, email, export or
command shows it, counts it, or leaves a gap in the references around it; refused reads of a
report (page, file, export, command) are themselves in the audit log."""

from __future__ import annotations

import csv
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli.main import app as cli_app
from bot.core.models import AuditEvent, Report
from bot.core.outbox import dispatch
from bot.engine.sweep import run_sweep
from tests.features.decisions.test_support import emails, html_of, text_of
from tests.features.reports.test_support import Env, make_env, submission
from tests.support.helpers import SchoolBuilder

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday in term: the digest is due
SECRET = "Hidden-Marker-7731"


def _refusals(env: Env, actor: str) -> list[AuditEvent]:
    with env.context.store.session() as session:
        return list(
            session.scalars(
                select(AuditEvent).where(
                    AuditEvent.action == "report.read_refused", AuditEvent.actor == actor
                )
            )
        )


def _number(page: str, pattern: str) -> str:
    found = re.search(pattern, page)
    assert found, f"no {pattern!r} on the page"
    return found.group(1).strip()


@pytest.fixture(name="hidden")
def hidden_fixture(school: SchoolBuilder, database_url: str) -> Any:
    """Two reports the head may read around one about the head (a staff concern: the kind the
    head is alerted to), stored in that order."""
    env = make_env(school, database_url)
    seen_first = env.store_report(submission(category="staff_concern"), NOW)
    about_head = env.store_report(
        submission(
            category="staff_concern",
            about_headteacher=True,
            what_happened=f"About the head {SECRET}",
        ),
        NOW + timedelta(minutes=1),
    )
    seen_last = env.store_report(submission(), NOW + timedelta(minutes=2))
    yield env, (seen_first, seen_last), about_head
    env.context.store.dispose()


def test_the_head_cannot_infer_a_report_about_them(
    hidden: tuple[Env, tuple[str, str], str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env, seen, about_head = hidden
    ctx = env.context
    # references are random codes: the two the head sees leave no gap to count
    assert all(re.fullmatch(r"CR-2026-[A-HJ-KM-NP-Z2-9]{5}", r) for r in (*seen, about_head))
    # read in the reports' term (the governors' report counts this term's), signed in then
    with time_machine.travel(NOW + timedelta(minutes=5), tick=True):
        head = env.client("head")
        pages = {
            path: head.get(path)
            for path in (
                "/dashboard",
                "/reports",
                "/reports?status=open",
                "/reports?category=staff_concern",
                "/reports?sort=oldest",
                "/reports/export.csv",
                "/governors/report",
                "/governors/report.pdf",
                f"/reports/{about_head}",
            )
        }
    for path, response in pages.items():
        body = response.content.decode("utf-8", "replace")
        assert about_head not in body and SECRET not in body, path
    assert pages[f"/reports/{about_head}"].status_code == 404
    for ref in seen:
        assert ref in pages["/reports"].text and ref in pages["/reports/export.csv"].text
    # counts: what the head may read, and only that
    assert _number(pages["/dashboard"].text, r'data-figure="open-reports"[^>]*>([^<]*)<') == "2"
    assert _number(pages["/governors/report"].text, r'id="reports-total">([^<]*)<') == "2"
    assert "Oak Test School · 2 reports." in pages["/reports"].text
    rows = list(csv.DictReader(pages["/reports/export.csv"].text.lstrip("\ufeff").splitlines()))
    assert sorted(r["reference"] for r in rows) == sorted(seen)
    # the DSL sees all three (the hidden one is not lost, only hidden)
    dsl = env.client("dsl")
    assert about_head in dsl.get("/reports").text
    assert dsl.get(f"/reports/{about_head}").status_code == 200
    # emails: the at-once alerts and this week's digest that reach the head
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        run_sweep(ctx.store, ctx.settings, ctx.config, ctx.connectors)
        dispatch(ctx.store, ctx.connectors.mailer, ctx.connectors.notifier)
    to_head = [m for m in emails(ctx.settings.outbox_dir) if "head@oak.example" in m["To"]]
    assert any(
        "digest" in str(m["Subject"]).lower() or "week" in str(m["Subject"]).lower()
        for m in to_head
    ), [m["Subject"] for m in to_head]
    for mail in to_head:
        for part in (str(mail["Subject"]), text_of(mail), html_of(mail)):
            assert about_head not in part and SECRET not in part
    digest = next(m for m in to_head if "report" in text_of(m).lower() and "Open" in text_of(m))
    assert re.search(r"Open reports\W+2\b", text_of(digest)), text_of(digest)
    # the command line: the head's export and counts leave it out too
    monkeypatch.setenv("COMPLIANCE_BOT_HOME", str(ctx.settings.home))
    monkeypatch.setenv("COMPLIANCE_BOT_DATABASE_URL", ctx.settings.db_url)
    cli = CliRunner()
    target = tmp_path / "head.csv"
    exported = cli.invoke(cli_app, ["reports", "export", str(target), "--as", "head@oak.example"])
    assert exported.exit_code == 0, exported.output
    assert about_head not in target.read_text(encoding="utf-8-sig")
    counted = cli.invoke(cli_app, ["reports", "list", "--as", "head@oak.example"])
    assert counted.exit_code == 0 and "2 reports" in counted.output, counted.output
    anyone = cli.invoke(cli_app, ["reports", "list"])
    assert "2 reports" in anyone.output and "not counted here" in anyone.output
    # and the head's attempt to open it is in the audit log, naming the report
    [refused] = _refusals(env, "head@oak.example")
    with ctx.store.session() as session:
        hidden_id = session.scalar(select(Report.id).where(Report.reference == about_head))
    assert refused.object_id == str(hidden_id)
    assert refused.details == {
        "page": "/reports/{reference}",
        "via": "web",
        "reference": about_head,
    }


def test_refused_reads_are_audited_on_every_route(
    hidden: tuple[Env, tuple[str, str], str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    env, seen, about_head = hidden
    staff = env.client("staff")
    for path in ("/reports", "/reports/export.csv", f"/reports/{seen[0]}"):
        assert staff.get(path).status_code == 403
    head = env.client("head")
    assert head.get(f"/reports/{about_head}/files/1").status_code == 404
    assert head.get("/reports/CR-2026-ZZZZZ").status_code == 404  # no such report: audited too
    assert env.client().get("/reports").status_code == 401  # nobody signed in: nothing to name
    pages = sorted(e.details["page"] for e in _refusals(env, "amy@oak.example"))
    assert pages == ["/reports", "/reports/export.csv", "/reports/{reference}"]
    head_events = _refusals(env, "head@oak.example")
    assert [e.details["page"] for e in head_events] == [
        "/reports/{reference}/files/{attachment_id}",
        "/reports/{reference}",
    ]
    assert head_events[1].object_id is None and head_events[1].object_type == "report_list"
    monkeypatch.setenv("COMPLIANCE_BOT_HOME", str(env.context.settings.home))
    monkeypatch.setenv("COMPLIANCE_BOT_DATABASE_URL", env.context.settings.db_url)
    cli = CliRunner()
    refused = cli.invoke(
        cli_app, ["reports", "export", str(tmp_path / "x.csv"), "--as", "amy@oak.example"]
    )
    assert refused.exit_code == 2 and not (tmp_path / "x.csv").exists()
    [event] = _refusals(env, "cli:amy@oak.example")
    assert event.details == {"via": "cli", "command": "reports export"}
    for event in _refusals(env, "amy@oak.example") + head_events:
        assert SECRET not in str(event.details)
