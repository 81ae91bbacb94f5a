"""Training completions from a provider's CSV: row errors reported, good rows kept, re-import
is a no-op, and a completion closes the person's training duty at the next sweep."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from sqlalchemy import func, select
from typer.testing import CliRunner

from bot.cli import app
from bot.models import Duty, Person, TrainingRecord
from bot.sweep import run_sweep
from tests.helpers import SchoolBuilder, at


def test_import_reports_rows_keeps_good_ones_and_is_idempotent(
    school: SchoolBuilder, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    school.requirement(id="os", kind="complete_training", course="Online safety",
                       audience={"roles": ["staff"]})
    ctx = school.context(sqlite_url)
    with time_machine.travel(at(date(2026, 11, 23)), tick=False):
        run_sweep(ctx.store, ctx.settings, ctx.config, ctx.connectors)
    export = school.home / "provider-export.csv"
    export.write_text(
        "Email Address,Course Name,Completion Date,Training Provider\n"
        "amy@oak.example,Online safety,20/11/2026,SafeCo\n"
        "nobody@oak.example,Online safety,20/11/2026,SafeCo\n"
        "ben@oak.example,Online safety,31/13/2026,SafeCo\n"
        "ben@oak.example,,20/11/2026,SafeCo\n"
        "line@oak.example,Online safety,2026-11-19,\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("COMPLIANCE_BOT_HOME", str(school.home))
    monkeypatch.setenv("COMPLIANCE_BOT_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("COMPLIANCE_BOT_SECRET_KEY", "test-secret-key-0123456789")
    runner = CliRunner()
    first = runner.invoke(app, ["training", "import", str(export)])
    assert first.exit_code == 0, first.output
    said = " ".join(first.output.split())  # Rich wraps long lines
    assert "2 imported, 0 already present, 3 rejected" in said
    assert "provider-export.csv line 3: email nobody@oak.example is not in the directory" in said
    assert "line 4: completed_on not a date: '31/13/2026'" in said
    assert "line 5: course is empty" in said
    again = runner.invoke(app, ["training", "import", str(export)])
    assert "0 imported, 2 already present, 3 rejected" in again.output
    with ctx.store.session() as session:
        assert session.scalar(select(func.count()).select_from(TrainingRecord)) == 2
    with time_machine.travel(at(date(2026, 11, 24)), tick=False):
        run_sweep(ctx.store, ctx.settings, ctx.config, ctx.connectors)
    with ctx.store.session() as session:
        open_for = set(session.scalars(
            select(Person.email).join(Duty, Duty.person_id == Person.id)
            .where(Duty.status == "open")))
    assert open_for == {"ben@oak.example", "head@oak.example"}


def test_missing_columns_is_one_clear_line(school: SchoolBuilder, sqlite_url: str,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    school.context(sqlite_url)
    bad = school.home / "bad.csv"
    bad.write_text("who,what\nx,y\n", encoding="utf-8")
    monkeypatch.setenv("COMPLIANCE_BOT_HOME", str(school.home))
    monkeypatch.setenv("COMPLIANCE_BOT_DATABASE_URL", sqlite_url)
    result = CliRunner().invoke(app, ["training", "import", str(bad)])
    assert result.exit_code == 1
    assert "bad.csv line 1: missing column(s) email, course, completed_on" in result.output
    missing = CliRunner().invoke(app, ["training", "import", str(school.home / "nope.csv")])
    assert missing.exit_code == 2 and "file not found" in missing.output
