"""The newcomer's path, through the real CLI: an empty folder, a staff CSV of 60 people, five
policies in mixed formats and a term-dates calendar → ``init --answers`` → ``check config`` →
``remind --dry-run`` → the first sweep queues nothing until ``start-sending``, then queues."""

from __future__ import annotations

import re
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from bot.cli.main import app
from bot.core.config import load_config
from bot.core.database.store import Store
from bot.core.deployment.context import AppContext
from bot.core.deployment.settings import load_settings
from bot.core.models import AuditEvent, OutboxMessage
from bot.web.app import create_app
from tests.features.reports.test_support import TestClient, csrf_of
from tests.support.newcomer import answers_file, policy_folder, staff_csv, term_calendar

WIDE = {"COLUMNS": "300"}


def _inputs(folder: Path, **changes: Any) -> tuple[Path, list[dict[str, str]]]:
    """The newcomer's files, generated into ``folder``."""
    folder.mkdir()
    rows = staff_csv(folder / "staff.csv")
    policy_folder(folder / "policies")
    term_calendar(folder / "term-dates.ics")
    return answers_file(folder / "answers.yaml", rows, **changes), rows


def _run(runner: CliRunner, *args: str) -> Any:
    result = runner.invoke(app, list(args), env=WIDE)
    return result


@pytest.mark.slow
def test_a_school_goes_from_its_own_files_to_its_first_reminders(
    tmp_path: Path, frozen_clock: Any
) -> None:
    frozen_clock.at(date(2026, 9, 14), 8, 45, tick=True)  # a Monday of the autumn term
    started = time.perf_counter()
    answers, rows = _inputs(tmp_path / "inputs")
    runner = CliRunner()

    init = _run(runner, "init", "--answers", str(answers))
    assert init.exit_code == 0, init.output
    out = init.output
    # what was found, worked out and answered; the calendar as read; the pack; the first plan
    assert "Mobile Phones and Personal Devices Policy" in out
    assert "September 2027 (your answer)" in out
    assert "Autumn half term" in out and "holiday" in out and "INSET day" in out
    assert "3 terms" in out
    assert "Safeguarding and child protection training every year" in out
    assert "The first plan" in out
    assert "Report deadlines" in out
    assert (
        "LADO referral decision within one working day, ending at the end of the working "
        "day (17:00)" in " ".join(out.split())
    )
    assert "open http://127.0.0.1:8123/setup to review" in " ".join(out.split())
    staff = [r["email"] for r in rows if r["roles"] in ("staff", "volunteer")]
    for email in staff:
        assert email in out, email

    home = tmp_path / ".compliance-bot"
    text = (home / "school.yaml").read_text(encoding="utf-8")
    assert "&id" not in text and text.startswith("# Hillside Primary School")
    config = load_config(home / "school.yaml")
    school = config.school()
    assert school.headteacher == rows[0]["email"] and school.clerk == rows[59]["email"]
    assert {p.id for p in school.policies} == {
        "child-protection-safeguarding",
        "online-safety",
        "mobile-phones-personal-devices",
        "social-media-acceptable-use",
        "staff-code-conduct",
    }
    assert next(p for p in school.policies if p.aup).title == "Social Media Acceptable Use Policy"
    assert {r.id for r in school.requirements} >= {
        "training-safeguarding",
        "training-online-safety",
        "ack-child-protection-safeguarding",
        "ack-online-safety",
        "ack-mobile-phones-personal-devices",
        "ack-staff-code-conduct",
        "sign-social-media-acceptable-use",
    }
    assert date(2026, 10, 27) in school.holidays and date(2026, 9, 1) in school.inset_days
    env_file = (tmp_path / ".env").read_text()
    assert env_file.count("COMPLIANCE_BOT_CONNECTOR=local") == 1
    # one address: the port served is the one in the links (http://127.0.0.1:8123)
    assert "COMPLIANCE_BOT_BASE_URL=http://127.0.0.1:8123\n" in env_file
    assert "COMPLIANCE_BOT_PORT=8123\n" in env_file
    _signs_in_before_any_sweep(rows[0]["email"])

    check = _run(runner, "check", "config")
    assert check.exit_code == 0, check.output
    assert "valid" in check.output and "60 people readable" in check.output

    remind = _run(runner, "remind", "--dry-run")
    assert remind.exit_code == 0, remind.output
    for email in staff:
        assert email in remind.output, email

    store = Store(f"sqlite:///{(home / 'compliance-bot.db').resolve()}")

    def queued() -> int:  # what the sweeps queued (the head's sign-in link is not theirs)
        with store.session() as session:
            return int(
                session.scalar(
                    select(func.count())
                    .select_from(OutboxMessage)
                    .where(OutboxMessage.purpose != "signin_link")
                )
                or 0
            )

    first = _run(runner, "sweep", "--no-send")
    assert first.exit_code == 0, first.output
    assert queued() == 0
    assert "Preview" in first.output

    started_sending = _run(runner, "start-sending")
    assert started_sending.exit_code == 0, started_sending.output
    second = _run(runner, "sweep", "--no-send")
    assert second.exit_code == 0, second.output
    with store.session() as session:
        recipients = {r for row in session.scalars(select(OutboxMessage.recipients)) for r in row}
        actions = set(session.scalars(select(AuditEvent.action)))
    assert set(staff) <= recipients
    assert {"setup.begun", "config.changed", "sending.started"} <= actions
    print(
        f"\nnewcomer path (init → check → remind → sweep → start-sending → sweep): "
        f"{time.perf_counter() - started:.1f} s wall time"
    )


def _signs_in_before_any_sweep(head: str) -> None:
    """Straight after ``init`` (no ``run``, no sweep), the head asks for a sign-in link at
    /signin and one is queued for them: the staff list was read by ``init``."""
    context = AppContext(load_settings())
    client = TestClient(create_app(context.settings, context))
    page = client.get("/signin")
    assert page.status_code == 200, page.text
    asked = client.post(
        "/signin/email", data={"email": head, "csrf_token": csrf_of(page.text), "next": ""}
    )
    assert asked.status_code == 200, asked.text
    with context.store.session() as session:
        links = session.scalars(
            select(OutboxMessage.recipients).where(OutboxMessage.purpose == "signin_link")
        ).all()
    context.store.dispose()
    assert links == [[head]]


def test_init_refuses_a_folder_whose_school_yaml_cannot_be_read(tmp_path: Path) -> None:
    """A folder with a school.yaml is an install a school may join (#77): one that cannot be
    read is refused with its problems, and nothing is changed."""
    (tmp_path / ".compliance-bot").mkdir()
    (tmp_path / ".compliance-bot" / "school.yaml").write_text("kept: as it was\n")
    result = CliRunner().invoke(app, ["init", "--answers", "answers.yaml"], env=WIDE)
    assert result.exit_code == 2
    assert "school.yaml line 1: organisation: required key is missing" in result.output
    assert (tmp_path / ".compliance-bot" / "school.yaml").read_text() == "kept: as it was\n"
    assert not (tmp_path / ".env").exists()


def test_every_wrong_answer_is_reported_at_once_with_its_key(tmp_path: Path) -> None:
    answers, _rows = _inputs(
        tmp_path / "inputs",
        people={"headteacher": "Nobody Here", "dsl": ["x@nowhere.example"], "clerk": "Ben Brook"},
        policy_answers={},
        requirements=["training-safeguarding", "ack-everything"],
    )
    result = CliRunner().invoke(app, ["init", "--answers", str(answers)], env=WIDE)
    assert result.exit_code == 2, result.output
    out = " ".join(result.output.split())
    assert "people.headteacher: nobody called 'Nobody Here' in staff.csv" in out
    assert "people.dsl[0]: x@nowhere.example is not in staff.csv" in out
    assert "people.clerk: 2 people are called 'Ben Brook'" in out
    assert "policy_answers.mobile-phones.md.next_review: the document does not say" in out
    assert "requirements: no template called 'ack-everything'" in out
    assert not (tmp_path / ".compliance-bot").exists() and not (tmp_path / ".env").exists()


def test_an_answers_file_with_unknown_keys_names_each_line(tmp_path: Path) -> None:
    (tmp_path / "answers.yaml").write_text(
        "school: {name: Hillside, country: england}\nplatfrom: local\npeople: {}\n"
    )
    result = CliRunner().invoke(app, ["init", "--answers", "answers.yaml"], env=WIDE)
    assert result.exit_code == 2
    out = " ".join(result.output.split())
    assert "answers.yaml line 2: platfrom: unknown key" in out
    assert "answers.yaml line 3: people.headteacher: required key is missing" in out


def test_an_independent_school_is_set_up_in_its_proprietors_words(
    tmp_path: Path, frozen_clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``independent: true`` and its proprietor in the answers: school.yaml keeps both, the
    statutory training is the proprietor body's, and the summary init prints says
    proprietor, never governors (its policies name their own approving bodies)."""
    frozen_clock.at(date(2026, 9, 14), 8, 45, tick=True)
    answers, _rows = _inputs(
        tmp_path / "inputs",
        school={
            "name": "Hillside School",
            "country": "england",
            "independent": True,
            "proprietor": "trust",
            "inspectorate": "isi",
        },
    )
    monkeypatch.chdir(tmp_path)
    init = _run(CliRunner(), "init", "--answers", str(answers))
    assert init.exit_code == 0, init.output
    school = load_config(tmp_path / ".compliance-bot" / "school.yaml").school()
    assert (school.independent, school.proprietor) == (True, "trust")
    assert school.inspectorate == "isi"  # #79 item 2: who inspects it is the school's to say
    courses = {r.course for r in school.requirements if r.kind == "complete_training"}
    assert "Proprietor body's safeguarding training" in courses
    # what a policy document says of itself is quoted as it says it ("approving body: Full
    # Governing Body (line 3)"); every word of the bot's own is the proprietor's
    ours = re.sub(r"approving body: Full Governing Body \(line \d+\)", "", init.output)
    assert "overnor" not in ours and "proprietor body member" in ours
