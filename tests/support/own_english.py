"""The strings a function writes itself in English: for the Welsh sets' guards that a line a
person reads comes from the catalogue, not from the code."""

from __future__ import annotations

import ast
import re
from collections.abc import Collection

MARKUP = re.compile(r"\[/?[a-z ]*\]")  # rich's marks: [bold], [/]
CATALOGUE = {"gettext", "ngettext", "N_"}


def own_english(
    function: ast.FunctionDef, not_said: Collection[str], *, dict_keys: bool = False
) -> list[tuple[int, str]]:
    """(line, text) of each string in ``function`` holding English words that is neither the
    catalogue's (an argument of gettext/ngettext/N_), nor its docstring, nor in ``not_said``
    (styles, languages, date patterns a person never reads); ``dict_keys``: a dictionary's keys
    are the named values of a catalogue sentence, not words either."""
    kept: set[int] = set()
    for node in ast.walk(function):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            if name in CATALOGUE:
                kept |= {id(arg) for arg in node.args}
        if dict_keys and isinstance(node, ast.Dict):
            kept |= {id(key) for key in node.keys if key is not None}
    docstring = function.body[0]
    if isinstance(docstring, ast.Expr):
        kept.add(id(docstring.value))
    found = []
    for node in ast.walk(function):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in kept:
            text = MARKUP.sub("", node.value).strip()
            if text not in not_said and re.search(r"[A-Za-z]{2,}", text):
                found.append((node.lineno, text))
    return found
