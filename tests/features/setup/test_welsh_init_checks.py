"""The command line's last English lines in a Welsh school — ``init --answers``' own
checks once the file has been read (a person not in the staff list, a policy folder not found,
a calendar not read, …), the "error:" mark of a command acting for one school, and the
"Database: … / using …" lines: Welsh in ``cy``, Welsh first then English in ``cy+en``, English
byte for byte as before in ``en`` (the English lines below are what main printed).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bot.cli.main import app
from bot.core.language.i18n import BETWEEN
from tests.core.test_i18n import catalogue as catalogue
from tests.support.helpers import SchoolBuilder

STAFF = """\
Name,Email,Job Title
Ann Jones,ann@ysgol.example,Headteacher
Bob Evans,bob@ysgol.example,Teaching Assistant
Cai Hughes,cai@ysgol.example,Caretaker
Cai Hughes,cai2@ysgol.example,Caretaker
"""
# a local school: its staff list read, each person and the folder checked
LOCAL = """\
school:
  name: Ysgol Gymraeg
  country: wales
  language: {language}
directory: staff.csv
people:
  headteacher: Mrs Nobody
  dsl: [zed@ysgol.example, Cai Hughes]
policies: polisiau
requirements: [no-such]
editions:
  read-x/part-1: x.pdf
"""
_TEMPLATES = (
    "ack-child-protection, ack-code-of-conduct, ack-mobile-social-media, ack-online-safety, "
    "dsp-training, filtering-review, governors-review, learners-safe-read, prevent-training, "
    "sign-aup, training-online-safety, training-safeguarding"
)
_CAIS = "Cai Hughes <cai@ysgol.example>, Cai Hughes <cai2@ysgol.example>"
LOCAL_EN = [
    "Nothing was set up: 7 problems to fix first:",
    "people.headteacher: nobody called 'Mrs Nobody' in staff.csv; give the name or email it has",
    "people.dsl[0]: zed@ysgol.example is not in staff.csv",
    f"people.dsl[1]: 2 people are called 'Cai Hughes' in staff.csv ({_CAIS}); give the email",
    "policies: polisiau: folder not found",
    "terms: give the term dates (terms.dates) or a calendar (terms.ics)",
    f"requirements: no template called 'no-such' (there are: {_TEMPLATES})",
    "editions.read-x/part-1: not a reading the requirements ask (they are: none)",
]
LOCAL_CY = [
    "Ni osodwyd dim: 7 problem i'w cywiro yn gyntaf:",
    "maes people.headteacher: does neb o'r enw 'Mrs Nobody' yn staff.csv; rhowch yr enw neu'r "
    "cyfeiriad e-bost sydd ganddo yno",
    "maes people.dsl[0]: nid yw zed@ysgol.example yn staff.csv",
    f"maes people.dsl[1]: mae 2 o bobl o'r enw 'Cai Hughes' yn staff.csv ({_CAIS}); rhowch y "
    "cyfeiriad e-bost",
    "maes policies: polisiau: ni chafwyd hyd i'r ffolder",
    "maes terms: rhowch y dyddiadau tymor (terms.dates) neu galendr (terms.ics)",
    f"maes requirements: dim templed o'r enw 'no-such' (y rhai sydd ar gael: {_TEMPLATES})",
    "maes editions.read-x/part-1: nid yw'n ddarlleniad y mae'r gofynion yn ei ofyn (nid oes un)",
]
# a Microsoft 365 school before its check: people by email, no folder, a calendar not read
PLATFORM = """\
school:
  name: Ysgol Gymraeg
  country: wales
  language: {language}
platform: m365
people:
  headteacher: Mrs Nobody
  dpo: Pat Jones <pat@@council.example>
terms:
  ics: none.ics
"""
_NOT_READ = "none.ics: this is not an iCalendar (.ics) file we can read. Download the term dates "
_WHY = "(The part after the @-sign contains invalid characters: '@'.)"  # the address library's
_WHY_CY = "(Mae'r rhan ar ôl yr arwydd @ yn cynnwys nodau annilys: '@'.)"  # its reason (set w)
PLATFORM_EN = [
    "Nothing was set up: 4 problems to fix first:",
    "people.headteacher: give an email address (the Microsoft 365 directory is read once "
    "`compliance-bot check m365` passes; people are taken by email until then)",
    f"people.dpo: pat@@council.example is not an email address {_WHY}",
    "policies: the policy folder: folder not found",
    f"terms.ics: {_NOT_READ}again from the local authority's page, choosing the .ics or “add to "
    "calendar” link.",
]
PLATFORM_CY = [
    "Ni osodwyd dim: 4 problem i'w cywiro yn gyntaf:",
    "maes people.headteacher: rhowch gyfeiriad e-bost (darllenir cyfeiriadur Microsoft 365 "
    "unwaith y bydd `compliance-bot check m365` yn llwyddo; cymerir pobl yn ôl eu cyfeiriad "
    "e-bost tan hynny)",
    f"maes people.dpo: nid yw pat@@council.example yn gyfeiriad e-bost {_WHY_CY}",
    "maes policies: y ffolder polisïau: ni chafwyd hyd i'r ffolder",
    "maes terms.ics: none.ics: nid yw hon yn ffeil iCalendar (.ics) y gallwn ei darllen. "
    "Lawrlwythwch y dyddiadau tymor eto o dudalen yr awdurdod lleol, gan ddewis y ddolen .ics "
    "neu “ychwanegu at y calendr”.",
]
CASES = {"local": (LOCAL, LOCAL_EN, LOCAL_CY), "platform": (PLATFORM, PLATFORM_EN, PLATFORM_CY)}


def _init(tmp_path: Path, text: str) -> list[str]:
    """``init --answers a.yaml`` beside its files: its stderr lines (exit 2, nothing written)."""
    (tmp_path / "staff.csv").write_text(STAFF, encoding="utf-8")
    (tmp_path / "none.ics").write_text("BEGIN:VCALENDAR\n", encoding="utf-8")
    (tmp_path / "a.yaml").write_text(text, encoding="utf-8")
    env = {"COLUMNS": "400", "COMPLIANCE_BOT_HOME": str(tmp_path / "home")}
    result = CliRunner().invoke(
        app, ["init", "--answers", "a.yaml"], env=env, catch_exceptions=False
    )
    assert result.exit_code == 2, result.output
    assert not (tmp_path / "home" / "school.yaml").exists()
    return [line.strip() for line in result.stderr.splitlines()]


@pytest.mark.parametrize("case", CASES)
def test_an_english_schools_init_problems_are_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    monkeypatch.chdir(tmp_path)
    answers, english, _welsh = CASES[case]
    assert _init(tmp_path, answers.format(language="en")) == english


@pytest.mark.parametrize("case", CASES)
def test_a_welsh_schools_init_problems_are_welsh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    monkeypatch.chdir(tmp_path)
    answers, _english, welsh = CASES[case]
    assert _init(tmp_path, answers.format(language="cy")) == welsh


def test_a_dual_language_schools_init_problems_are_welsh_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    lines = _init(tmp_path, LOCAL.format(language="'cy+en'"))
    both = [f"{w}{BETWEEN}{e}" for w, e in zip(LOCAL_CY[1:], LOCAL_EN[1:], strict=True)]
    # the header (set o's): the mark, then the count, each Welsh first
    header = "Ni osodwyd dim: / Nothing was set up: 7 problem i'w cywiro yn gyntaf: / 7 problems"
    assert lines == [f"{header} to fix first:", *both]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> SchoolBuilder:
    """One Welsh school, its database made as ``init`` makes it (SQLite: the lines said here
    are the same on either database)."""
    school = SchoolBuilder(tmp_path_factory.mktemp("set-p") / "school")
    school.school["country"] = "wales"
    school.installed()
    return school


def _confirm_removals(school: SchoolBuilder, language: str, *others: dict[str, Any]) -> list[str]:
    """``directory confirm-removals`` without ``--as`` (refused: it records who acted), the
    school's settings in ``language``: its stderr lines."""
    school.school["language"] = language
    school.others = list(others)
    school.write()
    env = {
        "COLUMNS": "400",
        "COMPLIANCE_BOT_HOME": str(school.home),
        "COMPLIANCE_BOT_SECRET_KEY": "a-long-enough-secret-key-for-these-tests-0123456789",
    }
    result = CliRunner().invoke(app, ["directory", "confirm-removals"], env=env)
    assert result.exit_code == 2, result.output
    return result.stderr.splitlines()


def _expected(school: SchoolBuilder) -> tuple[list[str], list[str]]:
    home = school.home
    url, used = f"sqlite:///{home / 'compliance-bot.db'}", f"{home} · {home / 'school.yaml'}"
    english = [
        f"Database: {url}",
        f"using {used}",
        "error: say who you are with --as EMAIL (it is recorded).",
    ]
    welsh = [
        f"Cronfa ddata: {url}",
        f"yn defnyddio {used}",
        "gwall: dywedwch pwy ydych chi gyda --as EMAIL (caiff ei gofnodi).",
    ]
    return english, welsh


def test_a_welsh_schools_command_says_its_database_and_refusal_in_welsh(
    installed: SchoolBuilder,
) -> None:
    assert _confirm_removals(installed, "cy") == _expected(installed)[1]


def test_a_dual_language_schools_command_says_them_welsh_first(installed: SchoolBuilder) -> None:
    english, welsh = _expected(installed)
    lines = _confirm_removals(installed, "cy+en")
    assert lines[:2] == [f"{w}{BETWEEN}{e}" for w, e in zip(welsh[:2], english[:2], strict=True)]
    # the mark, then the sentence: each said Welsh first
    assert lines[2] == (
        f"gwall:{BETWEEN}error: dywedwch pwy ydych chi gyda --as EMAIL (caiff ei gofnodi)."
        f"{BETWEEN}say who you are with --as EMAIL (it is recorded)."
    )


def test_an_english_schools_command_is_as_before(installed: SchoolBuilder) -> None:
    assert _confirm_removals(installed, "en") == _expected(installed)[0]


def test_a_trusts_database_line_stays_english_its_school_refusal_is_welsh(
    installed: SchoolBuilder,
) -> None:
    other = {"id": "elm", "name": "Elm School", "headteacher": "head@oak.example"}
    english, welsh = _expected(installed)
    # several schools: the install's lines belong to none of them; the refusal is the first's
    assert _confirm_removals(installed, "cy", other) == [*english[:2], welsh[2]]
