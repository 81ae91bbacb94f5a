"""A Northern Ireland primary's staff list as its MIS writes it (an .xlsx with a title row, a
merged "Staff Details" heading over the header row, Excel dates, one person with two posts),
taken by ``compliance-bot init`` in one try, by ``--answers`` and interactively: the header
row found is shown (and asked about when title rows were passed over), the posts' roles come
from the role table (with a default for every post), "brendan" finds "Fr. Brendan Maguire",
and the two-post person gets the role of each post."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli.main import app
from bot.core.config import load_config
from bot.core.models import Person, PersonRole
from tests.support.mis_export import NI_TITLES, mis_workbook
from tests.support.newcomer import first_sweep, mis_answers, policy_folder, printed, term_calendar

WIDE = {"COLUMNS": "300"}
HEADER = (
    "header row found on line 4: Legal Surname | Preferred Forename | Post | "
    "Additional Post | Work Email | Start Date"
)
PEOPLE = {
    "headteacher": "Aoife McCann",
    "dsl": ["sean doherty"],
    "dpo": "Orla Byrne",
    "clerk": "Eimear Rafferty",
    "chair_of_governors": "brendan",  # Fr. Brendan Maguire, his title aside
}


def _inputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    mis_workbook(inputs / "staff.xlsx")
    policy_folder(inputs / "policies")
    term_calendar(inputs / "term-dates.ics")
    monkeypatch.chdir(tmp_path)
    return inputs


def _roles_of_the_two_post_person(runner: CliRunner, home: Path) -> set[str]:
    store, _owing, _roles = first_sweep(runner, home, WIDE)
    try:
        with store.session() as session:
            return set(
                session.scalars(
                    select(PersonRole.role)
                    .join(Person, Person.id == PersonRole.person_id)
                    .where(Person.email == "ciara.quinn@stcolmans.example")
                )
            )
    finally:
        store.dispose()


@pytest.mark.slow
def test_init_takes_the_xlsx_export_by_answers_in_one_try(
    tmp_path: Path, frozen_clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    frozen_clock.at(date(2026, 9, 14), 8, 45, tick=True)
    inputs = _inputs(tmp_path, monkeypatch)
    answers = mis_answers(
        inputs,
        school={"name": "St Colman's Primary School", "country": "northern-ireland"},
        directory="staff.xlsx",
        job_titles=NI_TITLES,
        people=PEOPLE,
    )
    runner = CliRunner()
    init = runner.invoke(app, ["init", "--answers", str(answers)], env=WIDE)
    said = printed(init)
    assert init.exit_code == 0, init.output
    assert HEADER in said
    assert "not read" not in said  # every column of the export is read
    school = load_config(tmp_path / ".compliance-bot" / "school.yaml").school()
    assert school.chair_of_governors == "brendan.maguire@stcolmans.example"
    assert school.clerk == "eimear.rafferty@stcolmans.example"
    assert _roles_of_the_two_post_person(runner, tmp_path / ".compliance-bot") >= {
        "staff",
        "governor",
    }


def test_every_post_of_the_export_is_in_the_built_in_role_table() -> None:
    from bot.core.language.words import plain_key
    from bot.core.nations import posts_for

    table = {plain_key(post): role for post, role in posts_for("northern-ireland").items()}
    assert {title: table.get(plain_key(title)) for title in NI_TITLES} == NI_TITLES


@pytest.mark.slow
def test_init_takes_the_xlsx_export_interactively_in_one_try(
    tmp_path: Path, frozen_clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    frozen_clock.at(date(2026, 9, 14), 8, 45, tick=True)
    inputs = _inputs(tmp_path, monkeypatch)
    typed = [
        "St Colman's Primary School",
        "northern-ireland",
        "",  # not an independent school
        "",
        "",
        str(inputs / "staff.xlsx"),
        "",  # yes, that is the header row
        *[""] * len(NI_TITLES),  # every post's default role taken
        "Aoife McCann",
        "sean doherty",
        "",
        "",
        "Orla Byrne",
        "Eimear Rafferty",
        "brendan",
        "",
        str(inputs / "term-dates.ics"),
        str(inputs / "policies"),
        "September 2027",
        *[""] * 13,  # the pack's 11 templates, settings on the web pages, save
    ]
    runner = CliRunner()
    init = runner.invoke(app, ["init"], input="\n".join(typed) + "\n", env=WIDE)
    said = printed(init)
    assert init.exit_code == 0, init.output
    assert (
        "The header row found is line 4: Legal Surname | Preferred Forename | Post | "
        "Additional Post | Work Email | Start Date. Is that right? [Y/n]"
    ) in said
    offered = "staff/volunteer/governor/safeguarding_governor/clerk/supply/none"
    for title, role in NI_TITLES.items():  # the built-in table's role offered for each
        assert f"{title} (1 person) → ({offered}) [{role}]" in said
    assert "→ Fr. Brendan Maguire <brendan.maguire@stcolmans.example>" in said
    school = load_config(tmp_path / ".compliance-bot" / "school.yaml").school()
    assert school.job_titles == NI_TITLES
    assert _roles_of_the_two_post_person(runner, tmp_path / ".compliance-bot") >= {
        "staff",
        "governor",
    }
