"""``init --answers FILE``'s problems in the school's language — the file's own
``language:`` (cy: Welsh; cy+en: Welsh first, English beside; en: as before, byte for byte);
a file that cannot be read is told in English, or in both where a ``language:`` line says Welsh.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.main import app
from bot.core.language.i18n import BETWEEN

# three kinds of answers-file error: a bad nation, a missing field, a wrong type
ANSWERS = """\
school:
  name: Ysgol Gymraeg
  country: jersy
  language: {language}
people:
  dsl: 12
"""
# every pack a school may choose; the older ``england-and-wales`` is read, never offered (#57)
KNOWN = "england, guernsey, isle-of-man, jersey, northern-ireland, scotland, wales"
ENGLISH = [
    "a.yaml: 3 problems, each to fix:",
    f"a.yaml line 3: school.country: unknown nation 'jersy' (one of {KNOWN})",
    "a.yaml line 5: people.headteacher: required key is missing",
    "a.yaml line 6: people.dsl: Input should be a valid list",
]
WELSH = [
    "a.yaml: 3 problem, pob un i'w gywiro:",
    f"a.yaml llinell 3, maes school.country: cenedl anhysbys 'jersy' (un o {KNOWN})",
    "a.yaml llinell 5, maes people.headteacher: mae allwedd ofynnol ar goll",
    "a.yaml llinell 6, maes people.dsl: Dylai fod yn rhestr",
]


def _init(tmp_path: Path, text: str) -> list[str]:
    """``init --answers a.yaml`` in an empty folder: its stderr lines (exit 2, nothing written)."""
    (tmp_path / "a.yaml").write_text(text, encoding="utf-8")
    env = {"COLUMNS": "300", "COMPLIANCE_BOT_HOME": str(tmp_path / "home")}
    result = CliRunner().invoke(
        app, ["init", "--answers", "a.yaml"], env=env, catch_exceptions=False
    )
    assert result.exit_code == 2, result.output
    assert not (tmp_path / "home" / "school.yaml").exists()
    return [line.replace(str(tmp_path) + "/", "") for line in result.output.splitlines()]


@pytest.fixture(autouse=True)
def _here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def test_an_english_schools_answers_problems_are_as_before(tmp_path: Path) -> None:
    assert _init(tmp_path, ANSWERS.format(language="en")) == [f"error: {ENGLISH[0]}", *ENGLISH[1:]]


def test_a_welsh_schools_answers_problems_are_welsh(tmp_path: Path) -> None:
    assert _init(tmp_path, ANSWERS.format(language="cy")) == [f"gwall: {WELSH[0]}", *WELSH[1:]]


def test_a_dual_language_schools_answers_problems_are_welsh_first(tmp_path: Path) -> None:
    lines = _init(tmp_path, ANSWERS.format(language="'cy+en'"))
    both = [f"{w}{BETWEEN}{e}" for w, e in zip(WELSH, ENGLISH, strict=True)]
    assert lines == [f"gwall:{BETWEEN}error: {both[0]}", *both[1:]]


@pytest.mark.parametrize(("language", "mark"), [("cy", f"gwall:{BETWEEN}error:"), ("en", "error:")])
def test_a_file_that_cannot_be_read_is_told_in_both_where_it_says_welsh(
    tmp_path: Path, language: str, mark: str
) -> None:
    # not YAML (a tab in the indent): its language cannot be told, only its line read
    lines = _init(tmp_path, f"school:\n  language: {language}\n\tname: [\n")
    detail = "(while scanning for the next token)"  # the YAML parser's own words: English
    english = f"a.yaml: not valid YAML {detail}"
    if language == "cy":
        assert lines[0] == f"{mark} a.yaml: nid yw'n YAML dilys {detail}{BETWEEN}{english}"
    else:
        assert lines[0] == f"{mark} {english}"
