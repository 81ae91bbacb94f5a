"""``init --answers`` with the staff exports of ../shared/corpus (openpyxl, re-saved by
LibreOffice Calc, and CSV as three tools save it), as a new user runs it: each sets the school
up in one try. The MIS workbook names Chair and Vice Chair of Governors, a Clerk to Governors,
Principal and Vice Principal (all in the built-in role table) and a Peripatetic Music Teacher
(in none: set up owing nothing, listed to map); the notes-first workbook hides a leaver's row,
read all the same."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bot.cli.main import app
from bot.core.config import load_config
from tests.support.newcomer import mis_answers, policy_folder, printed, term_calendar

WIDE = {"COLUMNS": "300"}
PEOPLE = {  # as a head types them: a title, no accent, surname first
    "headteacher": "Mrs Amelia Wright",
    "dsl": ["Llyr Roberts"],
    "dpo": "Oliver Wright",
    "chair_of_governors": "Jones, Kwame",
    "clerk": "Zoë Roberts",
}
EXPORTS = [
    "staff-export.mis-style.libreoffice.xlsx",
    "staff-export.notes-sheet-first.libreoffice.xlsx",
    "staff-export.utf8-bom.csv",
    "staff-export.semicolons.csv",
    "staff-export.windows-1252.csv",
]


@pytest.mark.slow
@pytest.mark.parametrize("export", EXPORTS)
def test_init_takes_each_corpus_export_in_one_try(
    export: str,
    shared_spreadsheets: Path,
    tmp_path: Path,
    frozen_clock: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    frozen_clock.at(date(2026, 11, 20), 9, 30, tick=True)  # the day the export was made
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    shutil.copyfile(shared_spreadsheets / export, inputs / export)
    policy_folder(inputs / "policies")
    term_calendar(inputs / "term-dates.ics")
    monkeypatch.chdir(tmp_path)
    people = dict(PEOPLE)
    if export == EXPORTS[4]:  # Windows-1252 has no ŷ: the file itself says "Ll?r Roberts"
        people["dsl"] = ["l.roberts12@school.example"]
    answers = mis_answers(
        inputs,
        school={"name": "Ysgol Enghraifft", "country": "wales"},
        directory=export,
        people=people,
    )
    init = CliRunner().invoke(app, ["init", "--answers", str(answers)], env=WIDE)
    said = printed(init)
    assert init.exit_code == 0, init.output
    assert "not in the role table" not in said and "Nothing was set up" not in said
    assert "Directory: " + export + ": 60 people" in said
    if export.endswith(".xlsx"):
        assert "sheet 'Staff' read" in said
    assert ("1 hidden row read" in said) is (export == EXPORTS[1])
    for post, role in (
        ("Principal", "staff"),
        ("Vice Principal", "staff"),
        ("Learning Support Assistant", "staff"),
        ("Cover Supervisor", "staff"),
        ("School Secretary", "staff"),
        ("Site Manager", "staff"),
    ):
        assert f"{post} (2 people) → {role}" in said, post
    if export == EXPORTS[0]:  # the only export with a second post column
        assert "Chair of Governors (2 people) → governor" in said
        assert "Parent Governor (3 people) → governor" in said  # one of them a second post
        assert "Clerk to Governors (2 people) → clerk to the governors" in said
    assert "Posts to map" in said and "Peripatetic Music Teacher (2 people) — perhaps staff" in said
    school = load_config(tmp_path / ".compliance-bot" / "school.yaml").school()
    assert school.headteacher == "a.wright0@school.example"
    assert school.chair_of_governors == "k.jones22@school.example"
    assert school.job_titles == {}
