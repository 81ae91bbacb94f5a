"""The school's language, set M: the check sentences of school.yaml a table of their own
(``CHECKS``, as ``PYDANTIC`` is), read back by ``bot.core.config.said`` without parsing our own
sources at run time.

Every ``CheckError`` raised in ``bot/core/config`` names a key of ``CHECKS``; no other sentence
is written there (``N_`` only in ``said.py``'s tables); each sentence has its Welsh, with the
same values.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

from bot.core.config import said
from bot.core.config.said import CHECKS, say_check
from tests.core.test_i18n import catalogue as catalogue

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
