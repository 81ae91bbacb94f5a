"""What a business manager reads every day at the terminal — ``sweep``'s lines for
each school (the cycle's day, the directory's changes, the duties, the steps' counts, the
reminders' table and stages, a day that is not a school day, a dry run, what was delivered) and
``status``'s (the headline, the six tiles, "Nothing needs you now", the four tables) — in the
school's language: Welsh in ``cy``, Welsh first then English in ``cy+en``, English as main
printed it in ``en`` (the English lines below are main's). A scan fails on a line these
functions of ``bot/cli/render.py`` and ``bot/cli/status.py`` write in English words of their own.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from bot.cli.main import app
from bot.core.language.i18n import BETWEEN
from tests.support.helpers import SchoolBuilder, each_half

ROOT = Path(__file__).parents[2]
ENV = {"COLUMNS": "1000", "COMPLIANCE_BOT_SECRET_KEY": "a-long-enough-secret-key-for-these-tests-0"}


def _said(language: str, welsh: str, english: str) -> str:
    return {"cy": welsh, "cy+en": f"{welsh}{BETWEEN}{english}", "en": english}[language]


def _school(home: Path, language: str) -> SchoolBuilder:
    """A Welsh school asking its four staff to acknowledge one policy."""
    school = SchoolBuilder(home)
    school.school["country"] = "wales"
    school.school["language"] = language
    school.policy("safeguarding", "1", title="Safeguarding", published="2026-11-02")
    school.requirement(
        id="ack", kind="acknowledge_policy", policy="safeguarding", audience={"roles": ["staff"]}
    )
    school.installed()
    return school


def _run(school: SchoolBuilder, *args: str) -> list[str]:
    env = {**ENV, "COMPLIANCE_BOT_HOME": str(school.home)}
    result: Result = CliRunner().invoke(app, list(args), env=env)
    assert result.exit_code == 0, result.output
    return [line.rstrip() for line in result.stdout.splitlines()]


@pytest.mark.parametrize("language", ["cy", "cy+en", "en"])
def test_a_dry_run_and_a_day_off_are_said_in_the_schools_language(
    tmp_path: Path, language: str
) -> None:
    school = _school(tmp_path / "school", language)
    _run(school, "sweep", "--no-send", "--as-of", "2026-11-23")
    dry = _run(school, "sweep", "--dry-run", "--as-of", "2026-11-24")
    assert (
        _said(language, "Nodiadau atgoffa: dim i'w hanfon heddiw.", "Reminders: none due today.")
        in dry
    )
    assert dry[-1] == _said(
        language,
        "Rhediad prawf: ni ysgrifennwyd nac anfonwyd dim.",
        "Dry run: nothing was written or sent.",
    )
    saturday = _run(school, "sweep", "--no-send", "--as-of", "2026-11-28")
    assert (
        _said(
            language,
            "Nid yw'n ddiwrnod ysgol: dim nodiadau atgoffa heddiw.",
            "Not a school day: no reminders today.",
        )
        in saturday
    )
    day = _said(
        language, "cylch dydd Sadwrn 28 Tachwedd 2026", "cycle as of Saturday 28 November 2026"
    )
    assert any(f" Oak Test School — {day} ─" in line for line in saturday)


@pytest.mark.parametrize("language", ["cy", "cy+en", "en"])
def test_status_and_its_dashboard_are_said_in_the_schools_language(
    tmp_path: Path, language: str
) -> None:
    school = _school(tmp_path / "school", language)
    _run(school, "sweep", "--no-send", "--as-of", "2026-11-23")
    printed = _run(school, "status")
    for half, lines in each_half(language, printed, r"Oak Test School — \w+day "):
        assert not any(BETWEEN in line for line in lines), lines
        _status_says(half, lines)


def _status_says(language: str, lines: list[str]) -> None:
    """``status``' headline, tiles, "nothing needs you" and tables' titles, in ``language``."""
    said = "\n".join(lines)
    assert (
        _said(
            language,
            "Cadarnhadau: 0% (targed 95%)   Hyfforddiant: 100%   Dyletswyddau hwyr: 0   "
            "Adroddiadau agored: 0",
            "Acknowledgements: 0% (target 95%)   Training: 100%   Overdue duties: 0   "
            "Open reports: 0",
        )
        in lines
    )
    tiles = (
        ("polisïau wedi'u cadarnhau", "policies acknowledged"),
        ("0 o 4 · targed 95%", "0 of 4 · target 95%"),
        ("cyfrifon â deiliaid heb lofnodi", "accounts with unsigned holders"),
        ("0 o drosglwyddiadau yn angenrheidiol", "0 handovers needed"),
        ("adolygiadau polisi hwyr", "policy reviews overdue"),
        ("0 i'w gwneud o fewn 30 diwrnod", "0 due within 30 days"),
        ("0 o derfynau amser yn rhedeg, 0 yn hwyr", "0 deadlines running, 0 overdue"),
        ("o 4 ar agor · 5 o bobl", "of 4 open · 5 people"),
    )
    for welsh, english in tiles:
        assert f"│ {_said(language, welsh, english)} " in said, english
    assert _said(language, "Does dim angen chi nawr.", "Nothing needs you now.") in lines
    for welsh, english in (
        ("Polisïau", "Policies"),
        ("Cyfrifon swyddogol", "Official accounts"),
        (
            "Adroddiadau agored yn ôl brys ac oed (niferoedd yn unig)",
            "Open reports by urgency and age (counts only)",
        ),
    ):
        assert _said(language, welsh, english) in (line.strip() for line in lines)
    reports = "┃ " + _said(language, "Brys", "Urgency")
    assert any(line.startswith(reports) for line in lines)
    if language == "en":  # the urgencies and age bands as stored, as main printed them
        assert any(line.startswith("│ immediate ") for line in lines)
    else:  # the web dashboard's headings
        assert any(
            line.startswith("│ " + _said(language, "Ar unwaith", "Immediate")) for line in lines
        )
        assert _said(language, "Heddiw", "Today") in said


# the functions of bot/cli/render.py and bot/cli/status.py this set made the catalogue's
SAID = {
    "print_sweep",
    "_sweep_day",
    "_directory_line",
    "_duties_line",
    "_step_count",
    "_stage_count",
    "_print_reminders",
    "_tiles",
    "_print_attention",
    "heads",
    "_sentence",
    "_policies_table",
    "_training_table",
    "_accounts_table",
    "_reports_table",
}
# not words a person reads: rich's styles and justification, the stored keys compared with,
# languages, babel's date patterns and locale, the separators
_NOT_SAID = {
    "bold green",
    "bold yellow",
    "bold red",
    "bold",
    "red",
    "green",
    "yellow",
    "right",
    "bad",
    "overdue",
    "due soon",
    "_errors",
    "cy",
    "cy+en",
    "en",
    "EEEE dd MMMM y",
}


@pytest.mark.parametrize("language", ["cy", "cy+en", "en"])
def test_remind_says_its_plan_in_the_schools_language(tmp_path: Path, language: str) -> None:
    school = _school(tmp_path / "school", language)
    printed = _run(school, "remind", "--as-of", "2026-11-23")
    for half, lines in each_half(language, printed, "reminders as of"):
        assert not any(BETWEEN in line for line in lines), lines
        _plan_says(half, lines)
    saturday = _run(school, "remind", "--as-of", "2026-11-28")
    for half, lines in each_half(language, saturday, "Saturday 28 November is not"):
        assert " ".join(lines) == _said(
            half,
            "Oak Test School: nid yw dydd Sadwrn 28 Tachwedd yn ddiwrnod ysgol — ni fyddai "
            "nodiadau atgoffa'n mynd heddiw.",
            "Oak Test School: Saturday 28 November is not a school day — no reminders would go "
            "today.",
        )


def _plan_says(language: str, lines: list[str]) -> None:
    """``remind``'s title, table heads and count, in ``language``."""
    said = " ".join(line.strip() for line in lines)
    assert (
        _said(
            language,
            "Oak Test School — nodiadau atgoffa ar gyfer Llun 23 Tach 2026",
            "Oak Test School — reminders as of Mon 23 Nov 2026",
        )
        in said
    )
    header = next(line for line in lines if line.startswith("┃"))
    assert [cell.strip() for cell in header.strip("┃").split("┃")] == [
        _said(language, welsh, english)
        for welsh, english in (
            ("At", "To"),
            ("Eitemau", "Items"),
            ("Nodyn atgoffa", "Reminder"),
            ("Copi at", "Copied"),
        )
    ]
    assert lines[-1] == _said(
        language,
        "Byddai 4 o negeseuon e-bost yn cael eu hanfon. Ni chofnodwyd dim.",
        "4 emails would be sent. Nothing was recorded.",
    )


# from tests/core/test_i18n_set_y.py (main)
@pytest.mark.parametrize("language", ["cy", "cy+en", "en"])
def test_a_sweep_is_said_in_the_schools_language(tmp_path: Path, language: str) -> None:
    school = _school(tmp_path / "school", language)
    lines = _run(school, "sweep", "--no-send", "--as-of", "2026-11-23")
    said = "\n".join(lines)
    assert (
        "Oak Test School — "
        + _said(language, "cylch dydd Llun 23 Tachwedd 2026", "cycle as of Monday 23 November 2026")
        in said
    )
    assert (
        _said(
            language,
            "Cyfeiriadur: 5 wedi'u hychwanegu, 0 wedi'u diweddaru, 0 ar goll o'r newydd, "
            "0 wedi gadael, 0 heb eu newid",
            "Directory: 5 added, 0 updated, 0 newly missing, 0 left, 0 unchanged",
        )
        in lines
    )
    assert (
        _said(
            language,
            "Dyletswyddau: 4 wedi'u hagor, wedi'u cau: dim; 4 ar agor, 0 yn hwyr",
            "Duties: 4 opened, closed: none; 4 open, 0 overdue",
        )
        in lines
    )
    assert _said(language, "1 crynodeb wythnosol yn y ciw", "1 weekly digest queued") in lines
    assert (
        _said(
            language,
            "Nodiadau atgoffa yn y ciw: 4 o negeseuon e-bost",
            "Reminders queued: 4 emails",
        )
        in said
    )
    heads = ("At", "Eitemau", "Nodyn atgoffa", "Yn cael gwybod hefyd")
    english = ("To", "Items", "Reminder", "Also told")
    header = next(line for line in lines if "head@" not in line and "┃" in line)
    assert [cell.strip() for cell in header.strip("┃").split("┃")] == [
        _said(language, welsh, word) for welsh, word in zip(heads, english, strict=True)
    ]
    assert (
        _said(
            language,
            "Eitemau a atgoffwyd: 4 o geisiadau cyntaf.",
            "Items reminded: 4 first requests.",
        )
        in lines
    )
    outbox = school.home / "outbox"
    assert (
        _said(
            language,
            f"0 o negeseuon wedi'u danfon. Ciw anfon: {outbox}",
            f"0 messages delivered. Outbox: {outbox}",
        )
        in lines
    )
