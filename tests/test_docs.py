"""The README and docs/ stay true to the code.

- docs/reference.md is what ``tools.reference`` writes from the code today (regenerate it with
  ``uv run python -m tools.reference``).
- Every relative link of README.md and docs/*.md names a file that exists, and every ``#anchor``
  a heading of that file (GitHub's slugs).
- Every ``compliance-bot`` command in their fenced shell blocks names a real command, and its
  options are real options of it: each is parsed by the Typer app's own parser (click's
  ``make_context``); a ``--help`` line is run. ``tests/test_docs_run.py`` runs them on the
  demo school; ``uv run pytest ...`` lines are not run.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from bot.cli.main import app
from tests.support.paths import REPO
from tools import reference

PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(bash|sh|shell|console)?\s*$")
LINK = re.compile(r"\]\(([^)\s]+)\)")


def test_the_reference_is_what_the_code_says() -> None:
    assert reference.PAGE.read_text(encoding="utf-8") == reference.page(), (
        f"docs/reference.md differs from the code: run {reference.REGENERATE}"
    )


def _slugs(path: Path) -> set[str]:
    slugs: set[str] = set()
    fenced = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and line.startswith("#"):
            title = re.sub(r"[`*_]|\[|\]\([^)]*\)", "", line.lstrip("#").strip())
            slug = re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")
            n, candidate = 0, slug
            while candidate in slugs:
                n += 1
                candidate = f"{slug}-{n}"
            slugs.add(candidate)
    return slugs


def _prose(path: Path) -> str:
    """The page without its fenced blocks (code there is not a link)."""
    return re.sub(r"^```.*?^```", "", path.read_text(encoding="utf-8"), flags=re.M | re.S)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_link_resolves(page: Path) -> None:
    broken = []
    for target in LINK.findall(_prose(page)):
        if re.match(r"[a-z]+:", target):
            continue
        file, _, anchor = target.partition("#")
        path = (page.parent / file).resolve() if file else page
        if not path.exists() or (anchor and path.suffix == ".md" and anchor not in _slugs(path)):
            broken.append(target)
    assert not broken, f"{page.name}: links that resolve to nothing: {broken}"


def _shell_commands(page: Path) -> list[str]:
    """The ``compliance-bot`` command lines of the page's fenced shell blocks."""
    found, block, kind = [], False, None
    for line in page.read_text(encoding="utf-8").replace("\\\n", " ").splitlines():
        fence = FENCE.match(line.strip())
        if line.strip().startswith("```"):
            block, kind = (not block), (fence.group(1) if fence else "other")
            continue
        text = re.sub(r"\s+#.*$", "", line.strip())
        if block and kind != "other" and re.match(r"(uv run )?compliance-bot\b", text):
            found.append(text)
    return found


def _check(line: str) -> None:
    # the command alone (no pipe or redirect); a placeholder id (``ID``) parses as a number
    words = shlex.split(re.split(r"\||&&| > ", line)[0])
    words = ["1" if word.endswith("ID") and word.isupper() else word for word in words]
    words = words[words.index("compliance-bot") + 1 :]
    args = list(words)
    command: Any = typer.main.get_command(app)
    while hasattr(command, "commands") and words and words[0] in command.commands:
        command = command.commands[words.pop(0)]
    if hasattr(command, "commands") and words and not words[0].startswith("-"):
        pytest.fail(f"{line!r}: no command {words[0]!r}")
    if "--help" in words:
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, (line, result.output)
        return
    command.make_context(command.name or "compliance-bot", list(words), resilient_parsing=False)


COMMANDS = [(page.name, line) for page in PAGES for line in _shell_commands(page)]


def test_the_pages_give_commands() -> None:
    assert len(COMMANDS) > 10
    assert ("README.md", "uv run compliance-bot demo") in COMMANDS


@pytest.mark.parametrize(("page", "line"), COMMANDS)
def test_every_command_is_a_real_one(page: str, line: str) -> None:
    try:
        _check(line)
    except Exception as error:  # Typer's own click's errors (it vendors click)
        if type(error).__name__ != "Exit":
            pytest.fail(f"{page}: {line!r}: {getattr(error, 'format_message', str)()}")
