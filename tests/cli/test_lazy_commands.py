"""``compliance-bot --help`` lists every command without importing it: the line it lists each
by is the command's own, and a fresh process answering ``--help`` loads none of the bot."""

from __future__ import annotations

import contextlib
import inspect
import io
import subprocess
import sys

import pytest
import typer

from bot.cli.main import COMMANDS, app
from tests.support.paths import REPO

# what the top-level --help must not load (counted, not timed: the suite runs on busy machines)
NOT_FOR_HELP = (
    "bot.core",
    "bot.engine",
    "bot.features",
    "bot.wiring",
    "pydantic",
    "babel",
    "sqlalchemy",
    "yaml",
    "holidays",
    "email_validator",
    "jinja2",
)


def _help(group: typer.core.TyperGroup) -> str:
    ctx = group.make_context("compliance-bot", ["--help"], resilient_parsing=True)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        group.format_help(ctx, ctx.make_formatter())
    return out.getvalue()


@pytest.mark.parametrize("name", list(COMMANDS))
def test_the_line_each_command_is_listed_by_is_its_own(name: str) -> None:
    group = typer.main.get_command(app)
    command = group.get_command(group.make_context("compliance-bot", [name]), name)
    own = inspect.cleandoc(command.short_help or command.help or "").split("\n\n")[0]
    assert COMMANDS[name][1] == own
    assert command.name == name


def test_the_listing_before_the_commands_load_is_the_listing_after() -> None:
    group = typer.main.get_command(app)
    lazy = _help(group)
    assert "init" in lazy and "trust" in lazy and not group.commands.loaded
    every = dict(group.commands.items())  # each command imported and built
    assert list(every) == list(COMMANDS) and len(group.commands.loaded) == len(COMMANDS)
    assert _help(group) == lazy


def test_help_in_a_fresh_process_loads_none_of_the_bot() -> None:
    probe = (
        "import atexit, sys\n"
        "names = " + repr(NOT_FOR_HELP) + "\n"
        "loaded = lambda: ','.join(n for n in names if n in sys.modules)\n"
        "atexit.register(lambda: print('LOADED=' + loaded()))\n"
        "sys.argv = ['compliance-bot', '--help']\n"
        "from bot.cli.main import main\n"
        "main()\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert "sweep" in proc.stdout and "Keeps a school's safeguarding" in proc.stdout
    assert proc.stdout.strip().splitlines()[-1] == "LOADED="


def test_a_mistyped_command_is_still_answered_with_the_near_names() -> None:
    result = typer.testing.CliRunner().invoke(app, ["swep"])
    assert result.exit_code == 2
    assert "'sweep'" in result.output and "'sweeps'" in result.output


def test_the_consoles_width_is_read_when_it_prints_not_when_commands_are_first_imported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A command's module is imported when it first runs, under whatever ``COLUMNS`` said then:
    the next command, in a wider terminal, must not wrap at the first one's width."""
    from bot.engine import commands

    monkeypatch.setenv("COLUMNS", "60")
    made_narrow = type(commands.console)()
    monkeypatch.setenv("COLUMNS", "300")
    assert made_narrow.width == 300 and commands.console.width == 300
