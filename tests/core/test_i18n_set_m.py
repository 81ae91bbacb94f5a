"""The school's language, set M: the check sentences of school.yaml a table of their own
(``CHECKS``, as ``PYDANTIC`` is), read back by ``bot.core.config.said`` without parsing our own
sources at run time; and the last English a Welsh school's admin met on the command line.

Every ``CheckError`` raised in ``bot/core/config`` names a key of ``CHECKS``; no other sentence
is written there (``N_`` only in ``said.py``'s tables); each sentence has its Welsh, with the
same values. ``compliance-bot status`` says each school's settings problems in its language,
and a command's "error:" mark is said in the language it is given. One trust for the module:
the three schools of set L held with the same bad entry, in ``cy``, ``en`` and ``cy+en``.
"""

from __future__ import annotations

import ast
import itertools
import re
from pathlib import Path
from typing import Any

import pytest
import typer
from rich.console import Console

from bot.cli.render import _print_settings_problems
from bot.core.config import said
from bot.core.config.said import CHECKS, say_check
from bot.core.i18n import BETWEEN
from bot.engine.commands import fail
from tests.core.test_i18n import catalogue as catalogue
from tests.core.test_i18n import english_words as english_words
from tests.core.test_i18n_set_l import HELD, _left
from tests.core.test_i18n_set_l import _monday as _monday
from tests.core.test_i18n_set_l import env as env  # the same trust: a Welsh school, three held
from tests.features.decisions.test_support import Env

_CONFIG = Path(said.__file__).parent
_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def _calls(name: str) -> list[tuple[str, ast.Call]]:
    """Every call of ``name`` in the config package, with its module's name."""
    return [
        (path.name, node)
        for path in sorted(_CONFIG.glob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == name
    ]


def test_every_check_error_names_a_sentence_of_the_table() -> None:
    raised = _calls("CheckError")
    keys = [
        node.args[0].value
        for _module, node in raised
        if node.args and isinstance(node.args[0], ast.Constant)
    ]
    assert len(keys) == len(raised) > 40  # a key written out, never a sentence made up there
    assert set(keys) <= set(CHECKS)
    # no sentence of the package outside the tables (said.py): each line is one said.py reads
    assert {module for module, _node in _calls("N_")} == {"said.py"}
    assert "import ast" not in Path(said.__file__).read_text(encoding="utf-8")


def test_each_sentence_of_the_table_has_its_welsh_with_the_same_values(catalogue: Any) -> None:
    wrong = []
    for sentence in CHECKS.values():
        message = catalogue.get(sentence)
        if message is None or message.fuzzy or not message.string:
            wrong.append(sentence)
        elif sorted(_PLACEHOLDER.findall(str(message.string))) != sorted(
            _PLACEHOLDER.findall(sentence)
        ):
            wrong.append(f"{sentence} (values differ)")
    assert wrong == []


def test_a_check_sentence_reads_back_from_the_table() -> None:
    line = "write a period such as '2 years' or '18 months' (got 'two years')"
    assert say_check(line, "en") == line
    welsh = say_check(line, "cy")
    assert welsh != line and "'two years'" in welsh


# --------------------------------------------------------------------------- the command line


@pytest.fixture(scope="module")
def status(env: Env) -> dict[str, list[str]]:
    """What ``status`` prints of the settings problems, each school's lines by its name."""
    console = Console(record=True, width=2000)  # one line a school
    with env.context.store.session() as session:
        _print_settings_problems(console, session, env.context.config)
    lines = console.export_text().splitlines()
    starts = [i for i, line in enumerate(lines) if not line.startswith("  ")] + [len(lines)]
    return {
        name: lines[start:end]
        for start, end in itertools.pairwise(starts)
        for name, _language in HELD.values()
        if name in lines[start]
    }


def test_status_says_a_welsh_schools_settings_problems_in_welsh(
    status: dict[str, list[str]], english_words: set[str]
) -> None:
    lines = status["Ysgol Derw"]
    assert lines[0].startswith("Gosodiadau heb eu rhoi ar waith: Mae problem gyda gosodiadau")
    assert any("maes schools[1].colour" in line for line in lines), lines
    assert len(lines) > 5
    assert _left(lines, english_words) == []


def test_status_says_an_english_schools_problems_as_before(status: dict[str, list[str]]) -> None:
    lines = status["Ash Primary"]
    assert lines[0].startswith("Settings not applied: Ash Primary's settings have a problem")
    assert any("schools[2].colour: unknown key (check the spelling)" in x for x in lines), lines


def test_status_says_a_dual_language_schools_problems_welsh_first(
    status: dict[str, list[str]],
) -> None:
    lines = status["Ysgol Onnen"]
    assert lines[0].startswith(f"Gosodiadau heb eu rhoi ar waith:{BETWEEN}Settings not applied: ")
    fix = [line for line in lines[1:] if "colour" in line]
    assert fix and all(BETWEEN in line for line in fix)
    welsh, english = fix[0].strip().split(BETWEEN)
    assert "maes schools[3].colour" in welsh and "unknown key (check the spelling)" in english


@pytest.mark.parametrize(
    "language,mark", [("en", "error: "), ("cy", "gwall: "), ("cy+en", f"gwall:{BETWEEN}error: ")]
)
def test_a_commands_error_mark_is_said_in_the_schools_language(
    language: str, mark: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(typer.Exit) as stopped:
        fail("x", language=language)
    assert stopped.value.exit_code == 2
    assert capsys.readouterr().err == f"{mark}x\n"
