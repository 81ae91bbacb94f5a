"""``init``'s summary of what it will write — the /setup page's steps (the school, the people in
roles, the policies, the term dates, what staff are asked to do) with the directory, the
requirement pack, who will owe what and the report deadlines — in the answers' language:
Welsh in ``cy``, Welsh first then English in ``cy+en``, English byte for byte as main printed in
``en`` (the English lines below are main's)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bot.cli.main import app
from tests.support.newcomer import answers_file, policy_folder, staff_csv, term_calendar

DIRECTORY_EN = (
    "Directory: staff.csv: 60 people (1 clerk to the governors, 6 governors, 50 staff, "
    "3 volunteers)"
)
DIRECTORY_CY = (
    "Cyfeiriadur: staff.csv: 60 o bobl (clerc y llywodraethwyr: 1, llywodraethwr: 6, staff: 50, "
    "gwirfoddolwr: 3)"
)
# the /setup page's step titles, its summaries (the term dates' with the holiday weekdays)
CALENDAR_EN = "Term dates: 3 terms, 16 holiday weekdays inside them, 2 INSET days"
CALENDAR_CY = (
    "Dyddiadau tymor: 3 o dymhorau, 16 diwrnod gwyliau yn ystod yr wythnos o'u mewn, 2 o "
    "ddiwrnodau HMS"
)
OWED_EN = (
    "Read and acknowledge the Online Safety Policy: 53 people (e.g. Ada Ashby, Ben Brook, "
    "Cleo Crane, …)"
)
OWED_CY = (
    "Darllen a chadarnhau Online Safety Policy: 53 o bobl (e.e. Ada Ashby, Ben Brook, "
    "Cleo Crane, …)"
)
HOLDERS_EN = (
    "Sign the Social Media Acceptable Use Policy: the official account holders, once they are named"
)
HOLDERS_CY = (
    "Llofnodi Social Media Acceptable Use Policy: deiliaid y cyfrifon swyddogol, unwaith y cânt "
    "eu henwi"
)
# each language: what the summary says, line for line (heading lines as printed)
EXPECTED = {
    "en": [
        DIRECTORY_EN,
        "runs the bot day to day: Ada Ashby <ada.ashby0@hillside.example>",
        "School details: Ysgol Gymraeg",
        "People in roles: headteacher, 1 DSP, 2 deputy DSPs",
        CALENDAR_EN,
        "What staff are asked to do: 11 requirements",
        "Who will owe what",
        OWED_EN,
        HOLDERS_EN,
        "Report deadlines (school.yaml: reports: clocks:)",
    ],
    "cy": [
        DIRECTORY_CY,
        "sy'n rhedeg y bot o ddydd i ddydd: Ada Ashby <ada.ashby0@hillside.example>",
        "Pobl mewn rolau: pennaeth; DSP: 1; dirprwy DSP: 2",
        CALENDAR_CY,
        "Beth y gofynnir i staff ei wneud: 11 o ofynion",
        "Pwy a ofynnir am beth",
        OWED_CY,
        HOLDERS_CY,
        "Terfynau amser adroddiadau (school.yaml: reports: clocks:)",
    ],
    "cy+en": [
        "Cyfeiriadur / Directory: staff.csv: 60 o bobl / 60 people (clerc y llywodraethwyr / clerk "
        "to the governors: 1, llywodraethwr / governor: 6, staff: 50, gwirfoddolwr / volunteer: 3)",
        "pennaeth / headteacher: Ada Ashby <ada.ashby0@hillside.example>",
        "sy'n rhedeg y bot o ddydd i ddydd / runs the bot day to day: Ada Ashby "
        "<ada.ashby0@hillside.example>",
        "Dyddiadau tymor / Term dates: 3 o dymhorau, 16 diwrnod gwyliau yn ystod yr wythnos o'u "
        "mewn, 2 o ddiwrnodau HMS / 3 terms, 16 holiday weekdays inside them, 2 INSET days",
        "Beth y gofynnir i staff ei wneud / What staff are asked to do: 11 o ofynion / 11 "
        "requirements",
        "Pwy a ofynnir am beth / Who will owe what",
    ],
}


def _init(folder: Path, language: str, **changes: Any) -> list[str]:
    """``init --answers`` for a Welsh school in ``language``: its stdout lines, stripped."""
    rows = staff_csv(folder / "staff.csv")
    policy_folder(folder / "policies")
    term_calendar(folder / "term-dates.ics")
    school = {"name": "Ysgol Gymraeg", "country": "wales", "language": language}
    answers = answers_file(folder / "answers.yaml", rows, school=school, **changes)
    env = {"COLUMNS": "400", "COMPLIANCE_BOT_HOME": str(folder / "home")}
    result = CliRunner().invoke(
        app,
        ["init", "--answers", str(answers), "--as-of", "2026-09-01"],
        env=env,
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    return [line.strip() for line in result.stdout.splitlines()]


@pytest.mark.parametrize("language", EXPECTED)
def test_inits_summary_is_in_the_schools_language(tmp_path: Path, language: str) -> None:
    lines = _init(tmp_path, language)
    missing = [line for line in EXPECTED[language] if line not in lines]
    assert not missing, "\n".join(lines)
    if language == "cy":  # none of the summary's English frames is left (tables aside: the
        # calendar's events and the policy folder's documents are read as the files say them)
        end = lines.index("Terfynau amser adroddiadau (school.yaml: reports: clocks:)")
        text = "\n".join(line for line in lines[:end] if line[:1] not in "│┃┏┡└├┗┌")
        for english in (
            "Directory",
            "Who will owe what",
            " people ",
            "Calendar",
            "(e.g.",
            "runs the bot",
            "INSET",
            "(not chosen)",
            "Read and acknowledge",
        ):
            assert english not in text


def test_a_platform_not_read_yet_is_said_in_welsh(tmp_path: Path) -> None:
    rows = staff_csv(tmp_path / "rows.csv")
    people = {"headteacher": rows[0]["email"], "dsl": [rows[0]["email"]]}
    lines = _init(tmp_path, "cy", platform="m365", people=people)
    note = (
        "darllenir cyfeiriadur Microsoft 365 unwaith y bydd `compliance-bot check m365` yn llwyddo"
    )
    assert any(line.startswith("Cyfeiriadur: ") and note in line for line in lines), lines
    owed = next(line for line in lines if line.startswith("Pwy a ofynnir am beth: "))
    assert owed.startswith("Pwy a ofynnir am beth: heb ei wybod eto (")
    assert "compliance-bot remind --dry-run yn enwi pawb a ofynnir" in owed


def test_the_nobody_will_be_asked_warning_is_welsh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.features.setup.pack import PACK
    from tests.support.mis_export import MIS_TITLES
    from tests.support.newcomer import mis_answers, mis_inputs, printed

    inputs, _people, bad = mis_inputs(tmp_path, monkeypatch)
    answers = mis_answers(
        inputs,
        school={"name": "Ysgol Glenview", "country": "wales", "language": "cy"},
        job_titles=dict.fromkeys(MIS_TITLES, "governor"),  # governors owe no staff training
        leave_out=sorted(bad.values()),
        requirements=[t.id for t in PACK],
    )
    env = {"COLUMNS": "400", "COMPLIANCE_BOT_HOME": str(tmp_path / "home")}
    result = CliRunner().invoke(
        app, ["init", "--answers", str(answers), "--as-of", "2026-09-14"], env=env
    )
    assert result.exit_code == 0, result.output
    said = printed(result)
    assert "hyfforddiant Diogelu ac amddiffyn plant: neb" in said  # the pack's course (#94)
    assert "RHYBUDD: ni ofynnir i neb am ddim. Nid oes gan neb yn staff.csv rôl" in said
    assert "WARNING" not in said
    # the role table's heading too (it was English in a Welsh summary)
    assert "Tabl rolau (swydd → rôl" in said and "Role table" not in said
