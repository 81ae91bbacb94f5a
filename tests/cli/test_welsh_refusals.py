"""The sentence after "gwall:" — the command line's refusals in ``bot/cli``,
``bot/engine/commands.py`` and ``init`` — in the language of the school the command acts on:
Welsh in ``cy``, Welsh first then English in ``cy+en``, English byte for byte as main printed in
``en`` (the English lines below are main's). A trust whose schools speak differently, a folder
with no school and the refusals before any answer is read stay English (the code says why at
each), and a scan fails on any new ``fail(...)`` in these files whose sentence is not the
catalogue's.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.main import app
from bot.core.language.i18n import BETWEEN
from tests.support.helpers import SchoolBuilder

ROOT = Path(__file__).parents[2]
# the shared helpers, every module of bot/cli (a new one too) and init
FILES = (
    "bot/engine/commands.py",
    *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "bot" / "cli").glob("*.py")),
    "bot/features/setup/cli.py",
)
# the refusals that stay English, by file and function: no school's language is known there
ENGLISH = [
    ("bot/engine/commands.py", "friendly"),  # the settings (or an import) failed: an error's text
    ("bot/engine/commands.py", "context"),  # no school here
    ("bot/engine/commands.py", "refuse_new_database"),  # no database to read the language from
    ("bot/engine/commands.py", "refuse_new_database"),
    ("bot/engine/commands.py", "directory_errors"),  # the directory platform's own error
    ("bot/features/setup/cli.py", "_progress"),  # no saved answers, so no language chosen
]
# what says a sentence in the active language (the catalogue's, with its values; lines of
# them joined, each said in it: a settings file's problems)
TRANSLATORS = {"say", "nsay", "Msg", "nmsg", "Joined", "join", "said", "gettext", "ngettext"}


def _run(school: SchoolBuilder, *args: str) -> list[str]:
    env = {
        "COLUMNS": "400",
        "COMPLIANCE_BOT_HOME": str(school.home),
        "COMPLIANCE_BOT_SECRET_KEY": "a-long-enough-secret-key-for-these-tests-0123456789",
    }
    result = CliRunner().invoke(app, list(args), env=env)
    assert result.exit_code == 2, result.output
    return result.stderr.splitlines()


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> SchoolBuilder:
    """A Welsh school with its database (the refusals below read no data, so they are the
    same on either database)."""
    school = SchoolBuilder(tmp_path_factory.mktemp("set-t") / "school")
    school.school["country"] = "wales"
    school.installed()
    return school


# a representative refusal of each file: the command, then main's English and the Welsh
CASES = {
    "commands": (
        ("directory", "status", "--school", "nope"),
        "no school 'nope' in the configuration (oak)",
        "does dim ysgol 'nope' yn y ffurfweddiad (oak)",
    ),
    "config": (
        ("config", "source", "nonsense"),
        "say 'web' or 'file' (got 'nonsense').",
        "dywedwch 'web' neu 'file' (cafwyd 'nonsense').",
    ),
    "directory": (  # the nation's word for the head, in each language's own sentence
        ("directory", "confirm-removals", "--as", "amy@oak.example"),
        "amy@oak.example is not the headteacher or an admin of Oak Test School; only they can "
        "confirm leavers.",
        "nid amy@oak.example yw'r pennaeth nac un o weinyddwyr Oak Test School; dim ond nhw all "
        "gadarnhau bod rhywun wedi gadael.",
    ),
    "outbox": (  # our own error (ResolveError), said in the school's language
        ("outbox", "resolve", "999", "--sent", "--as", "head@oak.example"),
        "There is no message 999 in the outbox (“compliance-bot outbox” lists them).",
        "Does dim neges 999 yn y ciw anfon (mae “compliance-bot outbox” yn eu rhestru).",
    ),
    "audit": (
        ("audit", "verify", "--fingerprint", "bad"),
        "--fingerprint 'bad': expected the digest's figure as ENTRIES:HASH, e.g. 1234:3f9a… "
        "(64 hexadecimal characters)",
        "--fingerprint 'bad': disgwylid ffigur y crynodeb fel ENTRIES:HASH, e.e. 1234:3f9a… "
        "(64 nod hecsadegol)",
    ),
    "main": (  # --as-of, read by the shared as_of_date in the school's language
        ("duties", "--as-of", "2026-13-01"),
        "--as-of: give a date like 2026-11-23 (got '2026-13-01').",
        "--as-of: rhowch ddyddiad fel 2026-11-23 (cafwyd '2026-13-01').",
    ),
}


def _refusal(school: SchoolBuilder, language: str, args: tuple[str, ...]) -> str:
    school.school["language"] = language
    school.others = []
    school.write()
    return _run(school, *args)[-1]


@pytest.mark.parametrize("case", CASES)
def test_a_welsh_schools_refusal_is_welsh(installed: SchoolBuilder, case: str) -> None:
    args, _english, welsh = CASES[case]
    assert _refusal(installed, "cy", args) == f"gwall: {welsh}"


@pytest.mark.parametrize("case", CASES)
def test_a_dual_language_schools_refusal_is_welsh_first(
    installed: SchoolBuilder, case: str
) -> None:
    args, english, welsh = CASES[case]
    assert _refusal(installed, "cy+en", args) == (
        f"gwall:{BETWEEN}error: {welsh}{BETWEEN}{english}"
    )


@pytest.mark.parametrize("case", CASES)
def test_an_english_schools_refusal_is_as_before(installed: SchoolBuilder, case: str) -> None:
    args, english, _welsh = CASES[case]
    assert _refusal(installed, "en", args) == f"error: {english}"


def test_init_resume_with_answers_is_refused_in_the_answers_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    empty = SchoolBuilder(tmp_path / "empty")  # its folder only: nothing written, no school
    answers = tmp_path / "a.yaml"
    answers.write_text("school:\n  name: Ysgol\n  country: wales\n  language: cy\n")
    assert _run(empty, "init", "--answers", str(answers), "--resume")[-1] == (
        "gwall: mae --resume yn parhau init rhyngweithiol; gyda --answers mae pob ateb yn y "
        "ffeil eisoes."
    )


@pytest.mark.parametrize(
    ("elm", "said"),
    [
        (
            "cy",
            [
                "gwall: does dim ysgol 'nope' yn y ffurfweddiad (oak, elm)",
                "gwall: mae gan yr ymddiriedolaeth hon sawl ysgol: dywedwch pa un gyda --school "
                "(oak ar "
                "gyfer Oak Test School, elm ar gyfer Elm School), neu --all ar gyfer pob ysgol.",
            ],
        ),
        (
            "en",
            [
                "error: no school 'nope' in the configuration (oak, elm)",
                "error: this trust has several schools: say which with --school (oak for Oak Test "
                "School, elm for Elm School), or --all for every school.",
            ],
        ),
    ],
)
def test_a_trusts_refusal_naming_no_school_is_in_the_language_its_schools_share(
    installed: SchoolBuilder, elm: str, said: list[str]
) -> None:
    # Welsh when both schools chose cy (set ac); English when their languages differ
    installed.school["language"] = "cy"
    installed.others = [
        {"id": "elm", "name": "Elm School", "headteacher": "head@oak.example", "language": elm}
    ]
    installed.write()
    try:
        assert [
            _run(installed, "directory", "status", "--school", "nope")[-1],
            _run(installed, "start-sending")[-1],
        ] == said
    finally:
        installed.others = []
        installed.write()


def _calls(path: str) -> list[tuple[str, ast.Call]]:
    """Each ``fail(...)`` call in ``path``, with the module's function it is in."""
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    return [
        (function.name, node)
        for function in tree.body
        if isinstance(function, ast.FunctionDef)
        for node in ast.walk(function)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "fail"
    ]


def _translated(argument: ast.expr) -> bool:
    """Whether the sentence is said by the catalogue (or our read-back of it)."""
    for node in ast.walk(argument):
        if isinstance(node, ast.Attribute) and node.attr == "msg":  # a SaidError's sentence
            return True
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name in TRANSLATORS:
                return True
    return False


# from tests/core/test_i18n_set_t.py (main)
def test_every_refusal_in_these_files_is_the_catalogues_or_says_why_not() -> None:
    english, untold = [], []
    for path in FILES:
        lines = (ROOT / path).read_text(encoding="utf-8").splitlines()
        for function, call in _calls(path):
            where = f"{path}:{call.lineno} ({function})"
            if _translated(call.args[0]):  # its red mark in the active language, as it is
                continue
            english.append((path, function))
            above = lines[max(0, call.lineno - 4) : call.lineno - 1]
            if not any("# English:" in line for line in above):
                untold.append(where)
    assert untold == [], "an English refusal must say why (# English: …) or be translated"
    assert sorted(english) == sorted(ENGLISH)


@pytest.mark.parametrize(
    "args",
    [
        ("reports", "list"),
        ("reports", "export", "reports.csv", "--as", "head@oak.example"),
        ("reports", "form-problems"),
        ("reports", "about", "CR-2026-ZZZZZ", "amy@oak.example", "--as", "head@oak.example"),
        ("reports", "link"),
        ("training", "import", "completions.csv"),
        ("scr", "import", "scr.xlsx"),
        ("scr", "gaps"),
        ("evidence", "build", "--out", "pack.zip"),
    ],
)
def test_a_command_told_of_a_school_not_here_names_the_ones_that_are(
    installed: SchoolBuilder, args: tuple[str, ...]
) -> None:
    # each raised a KeyError's traceback before
    assert _refusal(installed, "en", (*args, "--school", "nope")) == (
        "error: no school 'nope' in the configuration (oak)"
    )
