"""The local directory: bad rows reported with line numbers, good rows imported, leavers kept."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli.main import app
from bot.core.models import Person
from bot.core.ports import PermanentError, RejectedRecord
from bot.engine.directory import sync_directory
from connectors.local.connector import FileDirectory
from tests.support.helpers import Row, SchoolBuilder


def test_bad_rows_reported_good_rows_kept(tmp_path: Path) -> None:
    path = tmp_path / "directory.csv"
    path.write_text(
        "email,name,start_date,active\nok@x.org,Olive "
        "Ok,2026-09-01,yes\nnot-an-email,Nobody,,yes\nlate@x.org,Lara "
        "Late,31/02/2026,yes\nok@x.org,Olive Again,,yes\n\nfine@x.org,Finn "
        "Fine,01/09/2026,maybe\nalso@x.org,Al So,,no\n",
        encoding="utf-8",
    )
    changes = FileDirectory(path).fetch()
    assert [p.email for p in changes.people] == ["ok@x.org", "also@x.org"]
    assert changes.people[1].active is False
    assert [str(line) for line in changes.rejected] == [
        "directory.csv line 3 (Nobody): email is missing or not an email address "
        "(got 'not-an-email')",
        "directory.csv line 4 (Lara Late): start_date must be a date like 2026-09-01 or "
        "01/09/2026 (got '31/02/2026'); dates are read day first, as in the UK",
        "directory.csv line 5 (Olive Again): email ok@x.org already on line 2",
        "directory.csv line 7 (Finn Fine): active must be yes/no (got 'maybe')",
    ]


def test_rejected_rows_say_who_they_seem_to_be_and_ids_are_read(tmp_path: Path) -> None:
    path = tmp_path / "directory.csv"
    path.write_text(
        "id,email,name,start_date\nT1,amy@oak.example,Amy Able,\nT2,ben@oak,Ben "
        "Brook,\nT3,cat@oak.example,Cat Cole,30/02/2026\n,dan@oak.example,Smith, "
        "Dan,\nT1,amy.able@oak.example,Amy Again,\n",
        encoding="utf-8",
    )
    changes = FileDirectory(path).fetch()
    assert [(p.external_id, p.email) for p in changes.people] == [("T1", "amy@oak.example")]
    assert [str(line) for line in changes.rejected] == [
        "directory.csv line 3 (Ben Brook): email is missing or not an email address "
        "(got 'ben@oak')",
        "directory.csv line 4 (Cat Cole): start_date must be a date like 2026-09-01 or "
        "01/09/2026 (got '30/02/2026'); dates are read day first, as in the UK",
        "directory.csv line 5 (Smith): more cells than the header has columns (a value with a "
        "comma needs quotes)",
        "directory.csv line 6 (Amy Again): id T1 already on line 2",
    ]
    assert changes.rejected_records == [
        RejectedRecord("T2", "ben@oak", "Ben Brook"),
        RejectedRecord("T3", "cat@oak.example", "Cat Cole"),
        RejectedRecord(None, "dan@oak.example", "Smith"),
        RejectedRecord("T1", "amy.able@oak.example", "Amy Again"),
    ]


def test_missing_header_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "directory.csv"
    path.write_text("mail;fullname\nx@y.org;X\n", encoding="utf-8")
    with pytest.raises(PermanentError, match=r"line 1: header must include 'email' and 'name'"):
        FileDirectory(path).fetch()


def test_cli_malformed_directory_is_one_line(
    school: SchoolBuilder, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = school.installed()
    (home / "directory.csv").write_text("who,where\nx,y\n", encoding="utf-8")
    monkeypatch.setenv("COMPLIANCE_BOT_HOME", str(home))
    result = CliRunner().invoke(app, ["sweep", "--as-of", "2026-11-23"])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines[-1].startswith("error:") and "directory.csv line 1" in lines[-1]
    assert "Traceback" not in result.output


def test_cli_remind_still_plans_when_the_directory_cannot_be_read(
    school: SchoolBuilder, monkeypatch: pytest.MonkeyPatch
) -> None:
    school.policy("p", "1", published="2026-11-02")
    school.staff_acknowledge("p", id="ack")
    home = school.installed()
    monkeypatch.setenv("COMPLIANCE_BOT_HOME", str(home))
    runner = CliRunner()
    assert runner.invoke(app, ["sweep", "--as-of", "2026-11-23", "--no-send"]).exit_code == 0
    (home / "directory.csv").write_text("who,where\nx,y\n", encoding="utf-8")
    result = runner.invoke(app, ["remind", "--as-of", "2026-11-23"], env={"COLUMNS": "200"})
    assert result.exit_code == 2
    assert "would be sent" in result.output  # the people already known are still planned
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines[-1].startswith("error:") and "directory.csv line 1" in lines[-1]


def test_yaml_directory(tmp_path: Path) -> None:
    path = tmp_path / "people.yaml"
    path.write_text(
        "people:\n  - {email: A@X.org, name: Ann, roles: [staff, dsl]}\n  - {email: b@x.org}\n",
        encoding="utf-8",
    )
    changes = FileDirectory(path).fetch()
    assert changes.people[0].email == "a@x.org"
    assert changes.people[0].roles == frozenset({"staff", "dsl"})
    assert [str(line) for line in changes.rejected] == ["people.yaml line 2: name is missing"]


def test_sync_marks_missing_then_leavers_and_keeps_them(
    school: SchoolBuilder, sqlite_url: str
) -> None:
    ctx = school.context(sqlite_url)
    cfg = ctx.config.school()
    with ctx.store.transaction() as session:
        report = sync_directory(session, cfg, ctx.connectors.directory, date(2026, 11, 2))
    assert report.added == 5
    school.people = [p for p in school.people if p.email != "ben@oak.example"]
    school.people.append(Row("cat@oak.example", "Cat Cole", active="no"))
    school.write()
    with ctx.store.transaction() as session:
        report = sync_directory(session, cfg, ctx.connectors.directory, date(2026, 11, 9))
        ben = session.scalar(select(Person).where(Person.email == "ben@oak.example"))
        amy = session.scalar(select(Person).where(Person.email == "amy@oak.example"))
        # absent from the file: missing, not yet a leaver (the grace period is 7 days)
        assert ben is not None and ben.active and ben.missing_since == date(2026, 11, 9)
        assert ben.left_on is None
        assert amy is not None and amy.manager is not None
        assert amy.manager.email == "line@oak.example"
    assert report.missing == 1 and report.left == 0
    assert report.added == 1 and report.unchanged == 4
    with ctx.store.transaction() as session:
        again = sync_directory(session, cfg, ctx.connectors.directory, date(2026, 11, 10))
    assert (again.added, again.updated, again.missing, again.left) == (0, 0, 0, 0)
    with ctx.store.transaction() as session:
        later = sync_directory(session, cfg, ctx.connectors.directory, date(2026, 11, 16))
        ben = session.scalar(select(Person).where(Person.email == "ben@oak.example"))
        assert ben is not None and not ben.active and ben.left_on == date(2026, 11, 16)
    assert later.left == 1


def test_role_groups_map_directory_groups_to_roles(school: SchoolBuilder, sqlite_url: str) -> None:
    school.school["role_groups"] = {"Governors": "governor", "Leadership": "admin"}
    ctx = school.context(sqlite_url)
    with ctx.store.transaction() as session:
        sync_directory(session, ctx.config.school(), ctx.connectors.directory, date(2026, 11, 2))
        head = session.scalar(select(Person).where(Person.email == "head@oak.example"))
        assert head is not None and head.role_names == {"staff", "admin"}
