"""``init --answers`` with a school's people as they come: the nation in capitals, a council
DPO and a clerking service's clerk from outside the staff list, who runs the bot day to day, a
council calendar whose training days are named every way councils name them, and the policy
register filled before any sweep."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar, Event
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli.main import app
from bot.core.config import load_config
from bot.core.database.store import Store
from bot.core.models import ExtraPerson, Person
from tests.support.newcomer import answers_file, policy_folder, staff_csv

WIDE = {"COLUMNS": "300"}
# what councils call a day the school is open to staff only
TRAINING_DAYS = {
    "In-Service Day": date(2026, 9, 1),
    "INSET": date(2026, 11, 2),
    "Staff Development Day": date(2027, 1, 4),
    "Training day (school closed to pupils)": date(2027, 4, 12),
    "Teacher Day": date(2027, 7, 20),
}


def _calendar(path: Path) -> None:
    calendar = Calendar()
    calendar.add("prodid", "-//Fictional Council//Term dates//EN")
    calendar.add("version", "2.0")
    events = [
        ("Autumn term begins", date(2026, 9, 2), 1),
        ("Autumn term ends", date(2026, 12, 18), 1),
        ("Spring term begins", date(2027, 1, 5), 1),
        ("Spring term ends", date(2027, 3, 26), 1),
        ("Summer term begins", date(2027, 4, 13), 1),
        ("Summer term ends", date(2027, 7, 21), 1),
        ("October holiday", date(2026, 10, 26), 5),
        *((summary, day, 1) for summary, day in TRAINING_DAYS.items()),
    ]
    for number, (summary, start, days) in enumerate(events):
        event = Event()
        event.add("uid", f"t-{number}@council.example")
        event.add("summary", summary)
        event.add("dtstart", start)
        event.add("dtend", start + timedelta(days=days))
        calendar.add_component(event)
    path.write_bytes(calendar.to_ical())


def _init(tmp_path: Path, **changes: Any) -> tuple[Any, list[dict[str, str]]]:
    inputs = tmp_path / "inputs"
    inputs.mkdir(parents=True)
    rows = staff_csv(inputs / "staff.csv")
    policy_folder(inputs / "policies")
    _calendar(inputs / "term-dates.ics")
    answers = answers_file(inputs / "answers.yaml", rows, **changes)
    result = CliRunner().invoke(
        app, ["init", "--as-of", "2026-09-14", "--answers", str(answers)], env=WIDE
    )
    return result, rows


@pytest.mark.slow
def test_outside_people_admins_nation_training_days_and_the_policy_register(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    people_answers: dict[str, Any] = {
        "headteacher": "ALEX ADAMS",  # typed as people type
        "dsl": ["alex adams"],
        "dpo": "Pat Council <DPO@Council.example>",  # the council's DPO
        "clerk": "clerk@clerking.example",  # a clerking service, address alone
        "admins": [],
    }
    rows = staff_csv(tmp_path / "peek.csv")  # the same rows _init writes
    head, business = rows[0], rows[3]
    people_answers.update(
        headteacher=head["name"].upper(),
        dsl=[head["name"].lower()],
        admins=[business["name"], head["email"]],
    )
    result, rows = _init(
        tmp_path / "b",
        people=people_answers,
        school={"name": "Glen Primary", "country": "NORTHERN IRELAND"},
    )
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert (
        "data protection officer: Pat Council <dpo@council.example> (from outside "
        "staff.csv: on the people register)" in out
    )
    assert ": clerk@clerking.example (from outside staff.csv" in out
    assert (
        f"runs the bot day to day: {business['name']} <{business['email']}>, "
        f"{head['name']} <{head['email']}>"
    ) in out
    assert f"{len(TRAINING_DAYS)} INSET days" in out
    for summary in TRAINING_DAYS:
        assert summary in result.output

    home = tmp_path / ".compliance-bot"
    school = load_config(home / "school.yaml").school()
    assert school.country == "northern-ireland"
    assert school.dpo == "dpo@council.example" and school.clerk == "clerk@clerking.example"
    assert school.admins == [business["email"], head["email"]]
    assert set(school.inset_days) == set(TRAINING_DAYS.values())
    assert not set(school.holidays) & set(TRAINING_DAYS.values())

    store = Store(f"sqlite:///{(home / 'compliance-bot.db').resolve()}")
    with store.session() as session:
        register = {e.email: e.display_name for e in session.scalars(select(ExtraPerson))}
        dpo = session.scalar(select(Person).where(Person.email == "dpo@council.example"))
        assert register == {
            "dpo@council.example": "Pat Council",
            "clerk@clerking.example": "clerk@clerking.example",
        }
        assert dpo is not None and dpo.active and "dpo" in dpo.role_names
    store.dispose()

    # the policy register is filled by init: no sweep has run
    listed = CliRunner().invoke(app, ["policies", "list", "--as-of", "2026-09-14"], env=WIDE)
    assert listed.exit_code == 0, listed.output
    assert "5 policies." in listed.output
    assert "Online Safety" in listed.output
    # and the first sweep keeps the outside people, with their roles
    swept = CliRunner().invoke(app, ["sweep", "--no-send", "--as-of", "2026-09-14"], env=WIDE)
    assert swept.exit_code == 0, swept.output
    with store.session() as session:
        clerk = session.scalar(select(Person).where(Person.email == "clerk@clerking.example"))
        assert clerk is not None and clerk.active and "clerk" in clerk.role_names
    store.dispose()


def test_an_outside_address_that_is_not_one_is_refused_by_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    rows = staff_csv(tmp_path / "peek.csv")
    result, _rows = _init(
        tmp_path / "c",
        people={"headteacher": rows[0]["email"], "dpo": "Pat Council <pat@@council>"},
    )
    assert result.exit_code == 2
    out = " ".join(result.output.split())
    assert "people.dpo: pat@@council is not an email address" in out
    assert not (tmp_path / ".compliance-bot").exists()


def test_google_staff_accounts_query_is_written_to_the_settings(tmp_path: Path) -> None:
    from dotenv import dotenv_values

    from bot.core.deployment.settings import Settings
    from bot.features.setup.answers import Answers
    from bot.features.setup.writing import env_text

    def written(**platform: str) -> str:
        answers = Answers.model_validate(
            {
                "school": {"name": "Oak"},
                "platform": "google",
                "people": {"headteacher": "head@oak.example"},
                "platform_settings": platform,
            }
        )
        return env_text(answers, Settings(home=tmp_path), date(2026, 9, 14), "head@oak.example")

    text = written(USER_QUERY="orgUnitPath='/Staff'")
    (tmp_path / "query.env").write_text(text)
    values = dotenv_values(tmp_path / "query.env")
    assert values["COMPLIANCE_BOT_GOOGLE__USER_QUERY"] == "orgUnitPath='/Staff'"
    # not given: the line is there to fill in, and says why
    assert (
        "# COMPLIANCE_BOT_GOOGLE__USER_QUERY=\"orgUnitPath='/Staff'\"  (only staff "
        "accounts" in written()
    )
