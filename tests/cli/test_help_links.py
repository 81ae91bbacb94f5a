"""Every path in the repository that a command's ``--help`` sends a reader to exists: each
command and sub-command of ``compliance-bot`` is enumerated from the Typer app, its help is
rendered wide (so no path is wrapped), and every ``deploy/…``, ``README.md``-style path in it is
looked up from the repository's root."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import typer
from typer.testing import CliRunner

from bot.cli.main import app
from tests.support.paths import REPO

# a path into the repository: a top folder of it, or a Markdown file at its root
REPO_PATH = re.compile(
    r"(?<![\w/.:-])((?:deploy|docs|bot|connectors|schedules|tests)/[\w./-]*[\w/]"
    r"|[\w-]+\.md)\b"
)


def _commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """The path of every command under ``command`` (groups included; Typer's own click)."""
    yield path
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from _commands(sub, (*path, name))


def _help(path: tuple[str, ...]) -> str:
    result = CliRunner().invoke(
        app, [*path, "--help"], terminal_width=400, env={"COLUMNS": "400", "TERM": "dumb"}
    )
    assert result.exit_code == 0, (path, result.output)
    return result.output


def test_every_path_a_help_text_names_exists() -> None:
    commands = list(_commands(typer.main.get_command(app)))
    assert ("teams", "package") in commands and len(commands) > 20
    named: dict[str, set[str]] = {}
    for path in commands:
        for found in REPO_PATH.findall(_help(path)):
            named.setdefault(found.rstrip("/."), set()).add(" ".join(path) or "(top)")
    assert "deploy/teams/bot.md" in named  # `teams package` names its guide
    missing = {p: sorted(where) for p, where in named.items() if not (REPO / p).exists()}
    assert missing == {}
