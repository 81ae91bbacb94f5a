"""One database, said aloud: ``init`` writes every setting it used (the database first) to
``.env``; every command names its database on stderr, password hidden; and a command that
would start an empty database of its own refuses, saying how to point at the right one."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from bot.cli.main import app
from bot.core.database.store import Store, shown_url
from bot.core.deployment.settings import Settings
from bot.core.models import School
from bot.features.setup.install import existing_school
from tests.support.helpers import SchoolBuilder
from tests.support.keys import TEST_KEYS
from tests.support.newcomer import answers_file, policy_folder, staff_csv, term_calendar

WIDE = {"COLUMNS": "300"}
KEY = {"COMPLIANCE_BOT_SECRET_KEY": "a-long-enough-secret-key-for-these-tests-0123456789"}


def _answers(folder: Path) -> Path:
    """A newcomer's files (staff export, policies, term dates) and their answers."""
    folder.mkdir()
    rows = staff_csv(folder / "staff.csv")
    policy_folder(folder / "policies")
    term_calendar(folder / "term-dates.ics")
    return answers_file(folder / "answers.yaml", rows)


def test_init_writes_the_database_it_used_so_later_commands_find_the_same_school(
    tmp_path: Path, frozen_clock: Any
) -> None:
    frozen_clock.at(date(2026, 9, 14), 8, 45, tick=True)
    answers = _answers(tmp_path / "inputs")
    kept = tmp_path / "kept-elsewhere"
    kept.mkdir()
    url = f"sqlite:///{kept / 'hillside.db'}"
    runner = CliRunner()
    exported = {**WIDE, "COMPLIANCE_BOT_DATABASE_URL": url, "COMPLIANCE_BOT_PORT": "8123"}
    init = runner.invoke(app, ["init", "--answers", str(answers)], env=exported)
    assert init.exit_code == 0, init.output
    assert f"Database: {url}" in init.stderr
    settings = (tmp_path / ".env").read_text(encoding="utf-8").splitlines()
    assert f"COMPLIANCE_BOT_DATABASE_URL={url}" in settings
    assert "COMPLIANCE_BOT_PORT=8123" in settings
    assert "COMPLIANCE_BOT_BASE_URL=http://127.0.0.1:8123" in settings
    assert "one-time" in init.output and "/signin" in init.output  # how people sign in

    # later, without the variable: .env names the same database, and every command says so
    later = runner.invoke(app, ["status"], env=WIDE)
    assert later.exit_code == 0, later.output
    assert f"Database: {url}" in later.stderr
    assert not (tmp_path / ".compliance-bot" / "compliance-bot.db").exists()
    dry = runner.invoke(app, ["remind", "--dry-run"], env=WIDE)
    assert dry.exit_code == 0 and f"Database: {url}" in dry.stderr

    # without .env, nothing is created beside the school: a plain refusal saying what to do
    (tmp_path / ".env").unlink()
    lost = runner.invoke(app, ["sweep", "--dry-run"], env={**WIDE, **KEY})
    assert lost.exit_code == 2
    said = " ".join(lost.stderr.split())
    assert "there is no database at sqlite:///" in said
    assert "COMPLIANCE_BOT_DATABASE_URL" in said and ".env" in said
    assert "compliance-bot init" in said
    assert not (tmp_path / ".compliance-bot" / "compliance-bot.db").exists()


def test_a_command_refuses_to_start_an_empty_database_and_migrate_creates_one(
    school: SchoolBuilder, database_url: str
) -> None:
    school.write()
    runner = CliRunner()
    env = {
        **WIDE,
        **KEY,
        "COMPLIANCE_BOT_HOME": str(school.home),
        "COMPLIANCE_BOT_DATABASE_URL": database_url,
    }
    for command in (["status"], ["sweep"], ["outbox"], ["duties"], ["run"]):
        refused = runner.invoke(app, command, env=env)
        assert refused.exit_code == 2, (command, refused.output)
        assert "there is no database at" in " ".join(refused.stderr.split())
    assert not (school.home / "compliance-bot.db").exists()
    assert not Path(database_url.removeprefix("sqlite:///")).exists() or "postgres" in database_url

    made = runner.invoke(app, ["migrate"], env=env)
    assert made.exit_code == 0, made.output
    assert f"Database: {shown_url(database_url)}" in made.stderr
    status = runner.invoke(app, ["status"], env=env)
    assert status.exit_code == 0, status.output
    assert status.stderr.count("Database: ") == 1


def test_the_database_line_never_shows_a_password(school: SchoolBuilder) -> None:
    school.write()
    url = "postgresql+psycopg://bot:hunter2-not-shown@127.0.0.1:1/school"
    result = CliRunner().invoke(
        app,
        ["status"],
        env={
            **WIDE,
            **KEY,
            "COMPLIANCE_BOT_HOME": str(school.home),
            "COMPLIANCE_BOT_DATABASE_URL": url,
        },
    )
    assert result.exit_code == 2
    assert "Database: postgresql+psycopg://bot@127.0.0.1:1/school" in result.stderr
    assert "could not be opened" in result.stderr
    assert "hunter2" not in result.output


def test_check_config_reads_the_files_without_a_database(school: SchoolBuilder) -> None:
    school.write()
    result = CliRunner().invoke(
        app, ["check", "config"], env={**WIDE, **KEY, "COMPLIANCE_BOT_HOME": str(school.home)}
    )
    assert result.exit_code == 0, result.output
    assert not (school.home / "compliance-bot.db").exists()


def test_check_config_names_the_staff_list_s_columns_it_does_not_read(
    school: SchoolBuilder,
) -> None:
    """A column the bot does not read is named, never dropped silently."""
    school.write()
    path = school.home / "directory.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    extra = [f"{lines[0]},Additional Role,Notes", *(f"{line},,met" for line in lines[1:])]
    path.write_text("\n".join(extra) + "\n", encoding="utf-8")
    result = CliRunner().invoke(
        app, ["check", "config"], env={**WIDE, **KEY, "COMPLIANCE_BOT_HOME": str(school.home)}
    )
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "not read the staff list's column 'Notes': it is not read" in said
    assert "name it 'Additional Role' (or 'Role 2', 'Role 3')" in said
    assert "'Additional Role'," not in said  # read: each person's further roles


def test_init_refuses_a_database_that_holds_a_school_but_takes_one_only_migrated(
    tmp_path: Path, database_url: str
) -> None:
    store = Store(database_url, keys=TEST_KEYS)  # a school's row is sealed
    store.upgrade()  # what `compliance-bot migrate` leaves: the tables, no school
    settings = Settings(home=tmp_path / ".compliance-bot", database_url=database_url)
    assert existing_school(settings) is None
    with store.transaction() as session:
        session.add(School(id="oak", name="Oak Test School"))
    store.dispose()
    refused = CliRunner().invoke(
        app,
        ["init", "--answers", "answers.yaml"],
        env={**WIDE, "COMPLIANCE_BOT_DATABASE_URL": database_url},
    )
    assert refused.exit_code == 2
    # an install's database, but this folder is not its home: told where to point (#77)
    assert "holds schools whose folder is not this one" in " ".join(refused.output.split())
    assert not (tmp_path / ".env").exists()
