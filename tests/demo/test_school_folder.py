"""The demo school's folder is what a newcomer gives ``compliance-bot init --answers``: set up
through the real command, it makes a school that reads back, on the real 2026-27 calendar."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.main import app
from bot.core.config import load_config
from bot.demo.builder import school_folder

AUTUMN = date(2026, 9, 21)  # a Monday of the demo school's first half term


@pytest.mark.slow
def test_the_demo_folder_sets_up_through_init_answers_on_the_real_calendar(tmp_path: Path) -> None:
    answers = school_folder(tmp_path / "given", AUTUMN)
    runner = CliRunner()
    init = runner.invoke(
        app, ["init", "--answers", str(answers), "--as-of", AUTUMN.isoformat()], terminal_width=200
    )
    assert init.exit_code == 0, init.output
    shown = " ".join(init.output.split())
    for line in (
        "Directory: staff.csv: 48 people (1 clerk to the governors, 8 governors, 38 "
        "staff, 1 volunteer)",  # the leaver is on the list, not in post
        "headteacher: Arthur Farrow <arthur.farrow@oakfield.example>",
        "deputy DSL: Daisy Dunmore <daisy.dunmore@oakfield.example>, Hannah Fenwick",
        "staff-code-of-conduct.docx",
        "mobile-phones.pdf",
        "Term dates: 6 terms, 0 holiday weekdays inside them, 5 INSET days",
        "Read and acknowledge the Child Protection and Safeguarding Policy: 39 people",
        "Nothing is sent yet: the school is in preview",
    ):
        assert line in shown, line
    assert "line None" not in shown  # where a PDF's title was found is not a line number
    assert "The first plan" in shown and "first request" in shown

    path = tmp_path / ".compliance-bot" / "school.yaml"
    text = path.read_text(encoding="utf-8")
    assert "&id" not in text and "*id" not in text  # plain YAML a person can read
    lines = text.splitlines()
    for key in ("headteacher", "terms", "policies", "requirements"):
        line = next(i for i, x in enumerate(lines) if x.strip().startswith(key + ":"))
        assert lines[line - 1].strip().startswith("#"), key  # each key explained above it
    school = load_config(path).schools[0]
    assert school.country == "england" and len(school.policies) == 6
    spring = next(t for t in school.terms if t.name == "Spring 2")
    assert spring.end == date(2027, 3, 25)  # Thursday: Good Friday is not a school day
    for day in (
        date(2027, 3, 26),
        date(2027, 3, 29),
        date(2027, 5, 3),
        date(2027, 5, 31),
        date(2026, 12, 25),
        date(2026, 12, 28),
    ):
        assert not school.is_school_day(day), day  # bank holidays, from the calendar
    assert school.is_school_day(date(2027, 3, 25)) and school.is_school_day(date(2027, 4, 12))
    assert not school.is_school_day(date(2026, 9, 1))  # INSET day

    check = runner.invoke(app, ["check", "config"])
    assert check.exit_code == 0, check.output
