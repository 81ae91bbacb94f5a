"""Nothing a person reads is written outside the catalogue (#78 item 5): every sentence that
reaches an email (``notice``), a page (``info_page``, ``error_page``, ``HTTPException``'s
detail), a card (``text_block``) or a command-line line a person reads (``fail``, ``confirm``,
``console.print``, ``err.print``) is a catalogue sentence with its values (``Msg``, ``say``,
``N_``…), never English written in place: a string literal or an f-string with words in it.

Read from the source (an AST walk), so a sentence is caught before anyone meets it, on any
path. What is English on purpose says why on its line or just before (``# English:``: a line
before any school's language is known, a platform's own words); ``compliance-bot language
coverage`` counts those beside the catalogue's sentences.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

__all__ = ["english_in_place", "said_here"]

ROOT = Path(__file__).parents[3]  # the repository: the sources are read from it
SOURCES = ("bot", "connectors", "schedules")
# a call and the arguments of it a person reads (positions, keyword names)
READ: dict[str, tuple[tuple[int, ...], tuple[str, ...]]] = {
    "notice": ((), ("subject", "paragraphs", "greeting", "facts", "button_text", "small")),
    "info_page": ((1, 2), ("title", "message")),
    "error_page": ((2,), ("message",)),
    "HTTPException": ((1,), ("detail",)),
    "text_block": ((0,), ("text",)),
    "fail": ((0,), ("message",)),
    "confirm": ((0,), ("question",)),
}
PRINTS = ("console.print", "err.print")  # the command line's lines
WORDS = re.compile(r"[A-Za-z]{2,}[^\[\]{}]*\s+[A-Za-z]{2,}")  # two words: a sentence's
MARKUP = re.compile(r"\[/?[a-z ]*\]|\[/\]")  # Rich's colour marks are not words


def _english(node: ast.AST) -> bool:
    """Whether ``node`` writes English of its own: a literal or an f-string's text with two
    words or more in it (a mark, a number, a path's separator is not a sentence)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return bool(WORDS.search(MARKUP.sub(" ", node.value)))
    if isinstance(node, ast.JoinedStr):
        text = " ".join(str(v.value) for v in node.values if isinstance(v, ast.Constant))
        return bool(WORDS.search(MARKUP.sub(" ", text)))
    if isinstance(node, ast.BinOp):
        return _english(node.left) or _english(node.right)
    if isinstance(node, ast.IfExp):
        return _english(node.body) or _english(node.orelse)
    if isinstance(node, (ast.List, ast.Tuple)):
        return any(_english(e) for e in node.elts)
    return False


def _name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        inner = func.value
        prefix = inner.id + "." if isinstance(inner, ast.Name) else ""
        return prefix + func.attr if prefix + func.attr in PRINTS else func.attr
    return ""


def said_here(source: str, path: str = "<planted>") -> tuple[list[str], list[str]]:
    """Each place in ``source`` where English written in place reaches a person, and each
    where it does on purpose (``# English:`` says why)."""
    lines = source.splitlines()
    found: list[str] = []
    meant: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = _name(node)
        if name in PRINTS:
            read = list(node.args[:1])
        elif name in READ:
            positions, keywords = READ[name]
            read = [node.args[i] for i in positions if i < len(node.args)]
            read += [k.value for k in node.keywords if k.arg in keywords]
        else:
            continue
        for arg in read:
            if not _english(arg):
                continue
            said = lines[max(0, arg.lineno - 3) : arg.end_lineno or arg.lineno]
            place = f"{path}:{arg.lineno}: {name}: {ast.unparse(arg)[:90]}"
            (meant if any("# English:" in line for line in said) else found).append(place)
    return found, meant


def english_in_place() -> tuple[list[str], list[str]]:
    """Every place in the product's sources where English written in place reaches a person
    (none may), and each where it does on purpose."""
    found: list[str] = []
    meant: list[str] = []
    for source in SOURCES:
        for path in sorted((ROOT / source).rglob("*.py")):
            if "migrations" not in path.parts:
                here = said_here(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
                found += here[0]
                meant += here[1]
    return found, meant
