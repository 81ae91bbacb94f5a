"""The ``compliance-bot`` command line.

The top level knows each command's name and the line its help lists it by, and imports the
command's module only when it is run or asked about (``compliance-bot --help`` loads Typer and
nothing of the bot: tests/cli/test_demo.py counts what it loads, and proves each line here is
the command's own). Each command imports the modules it runs on inside it in turn. Measured on
top of it: a command module with the configuration and words ~0.3 s, the engine's and features'
modules ~1-2 s (SQLAlchemy, Jinja), the web app ~1.8 s, a platform's checks ~0.15 s (httpx).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Mapping
from types import ModuleType
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

__all__ = ["COMMANDS", "app", "main"]

# each command's module, imported when the command is first run or asked about


def _audit() -> ModuleType:
    # lazy: --help answers in ~0.1 CPU s without the bot (module docstring)
    from bot.cli import audit

    return audit


def _checks() -> ModuleType:
    from bot.cli import checks

    return checks


def _config() -> ModuleType:
    from bot.cli import config

    return config


def _directory() -> ModuleType:
    from bot.cli import directory

    return directory


def _duty_list() -> ModuleType:
    from bot.cli import duty_list

    return duty_list


def _language() -> ModuleType:
    from bot.cli import language

    return language


def _maintenance() -> ModuleType:
    from bot.cli import maintenance

    return maintenance


def _mis() -> ModuleType:
    from bot.cli import mis

    return mis


def _outbox() -> ModuleType:
    from bot.cli import outbox

    return outbox


def _serve() -> ModuleType:
    from bot.cli import serve

    return serve


def _sweeps() -> ModuleType:
    from bot.cli import sweeps

    return sweeps


def _dashboard() -> ModuleType:
    from bot.features.dashboard import cli

    return cli


def _decisions() -> ModuleType:
    from bot.features.decisions import cli

    return cli


def _evidence() -> ModuleType:
    from bot.features.evidence import cli

    return cli


def _governors() -> ModuleType:
    from bot.features.governors import cli

    return cli


def _policies() -> ModuleType:
    from bot.features.policies import cli

    return cli


def _privacy() -> ModuleType:
    from bot.features.privacy import cli

    return cli


def _reading() -> ModuleType:
    from bot.features.reading import cli

    return cli


def _reports() -> ModuleType:
    from bot.features.reports import cli

    return cli


def _scr() -> ModuleType:
    from bot.features.scr import cli

    return cli


def _setup() -> ModuleType:
    from bot.features.setup import cli

    return cli


def _tasks() -> ModuleType:
    from bot.features.tasks import cli

    return cli


def _training() -> ModuleType:
    from bot.features.training import cli

    return cli


def _trust() -> ModuleType:
    from bot.features.trust import cli

    return cli


def _visitors() -> ModuleType:
    from bot.features.visitors import cli

    return cli


# name: (the command, loaded when first wanted; the first paragraph of its help),
# in the order --help lists them
COMMANDS: dict[str, tuple[Callable[[], Any], str]] = {
    "init": (
        lambda: _setup().init_command,
        "Set up a school here: directory, people in roles, policies, term dates, requirements.\n"
        "In an install that has schools (this folder's, or its database's), add one: asks only"
        " its\nown questions, refuses an id it has, leaves the others as they are.",
    ),
    "start-sending": (
        lambda: _config().start_sending,
        "End a school's preview: from now on its reminders, alerts and digests are sent"
        " (``--as``:\nthe school's head or an admin, or a trust-wide administrator; without it,"
        " the computer\naccount running the command). Each school of a trust starts on its own.",
    ),
    "demo": (
        lambda: _serve().demo,
        "Create the fictional demo school in ./.compliance-bot-demo, run a cycle, serve the web"
        " UI.",
    ),
    "run": (lambda: _serve().run, "Start the web app and the (single) scheduler process."),
    "sweep": (
        lambda: _sweeps().sweep,
        "Run one full cycle (directory, duties, reminders, alerts, delivery) and exit.",
    ),
    "remind": (
        lambda: _sweeps().remind,
        "Show exactly who would get which reminder today (and who is copied) — nothing is sent.",
    ),
    "duties": (lambda: _duty_list().duties, "List open duties as a table."),
    "sweeps": (
        lambda: _sweeps().sweeps,
        "List each school's last sweep (times UTC) and the sweep queue.",
    ),
    "status": (lambda: _sweeps().status, "Headline figures for each school, as on the dashboard."),
    "migrate": (lambda: _sweeps().migrate, "Create or upgrade the database to the newest schema."),
    "maintenance": (
        lambda: _maintenance().maintenance,
        "Apply the retention rules now (the scheduler does it every few hours).",
    ),
    "digest": (
        lambda: _sweeps().digest,
        "The head's weekly digest: preview the card, or queue it now.",
    ),
    "training": (lambda: _training().training_app, "Training completions."),
    "campaign": (
        lambda: _reading().campaign_app,
        "Reading campaigns (the national safeguarding guidance staff read every year).",
    ),
    "reviews": (
        lambda: _tasks().reviews_app,
        "Reviews that events trigger (e.g. the filtering review when a new AI tool arrives).",
    ),
    "audit": (lambda: _audit().audit_app, "The hash-chained audit log."),
    "check": (lambda: _checks().check_app, "Check configuration and platform access."),
    "policies": (lambda: _policies().policies_app, "The policy register."),
    "teams": (lambda: _dashboard().teams_app, "Microsoft Teams app package."),
    "figures": (
        lambda: _dashboard().figures_app,
        "The dashboard's kept figures: recompute them from the records.",
    ),
    "governors": (
        lambda: _governors().governors_app,
        "The termly report for those who govern the school.",
    ),
    "reports": (lambda: _reports().reports_app, "Breach and concern reports."),
    "complaints": (lambda: _privacy().complaints_app, "Data protection complaints (counts only)."),
    "privacy": (
        lambda: _privacy().privacy_app,
        "A person's data-protection rights: subject access, the record of processing, the"
        " retention schedule, erasure, legal holds.",
    ),
    "decisions": (lambda: _decisions().decisions_app, "The decisions and exceptions register."),
    "evidence": (
        lambda: _evidence().evidence_app,
        "An inspector's evidence pack: make it (--out FILE.zip), check it (verify), its key.",
    ),
    "visitors": (lambda: _visitors().visitors_app, "Visitors' confirmations."),
    "scr": (lambda: _scr().scr_app, "The single central record's gaps (safer recruitment)."),
    "directory": (
        lambda: _directory().directory_app,
        "People missing from the directory, and confirming leavers.",
    ),
    "outbox": (
        lambda: _outbox().outbox_app,
        "What the bot has queued and sent; resolve messages that may not have arrived.",
    ),
    "config": (
        lambda: _config().config_app,
        "Export or import the school's settings, and choose where they are kept.",
    ),
    "mis": (
        lambda: _mis().mis_app,
        "The staff list from the school's MIS, matched to the accounts.",
    ),
    "language": (
        lambda: _language().language_app,
        "The languages a school's people read (en, cy, cy+en).",
    ),
    "roles": (
        lambda: _config().roles_app,
        "The role table: what each post in the school's staff list gives.",
    ),
    "trust": (lambda: _trust().trust_app, "The trust: the trustees' termly pack."),
}


def _load(name: str) -> Any:
    """The command ``name`` names, built as Typer builds a command or sub-app it is given."""
    found = COMMANDS[name][0]()
    if isinstance(found, typer.Typer):  # a sub-app
        command: Any = typer.main.get_group(found)
    else:  # a command's function
        single = typer.Typer(add_completion=False)
        single.command(name)(found)
        command = typer.main.get_command(single)
    command.name = name
    return command


class _Commands(Mapping[str, Any]):
    """Every command by name, each imported when first looked up."""

    def __init__(self) -> None:
        self.loaded: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name not in self.loaded:
            self.loaded[name] = _load(name)
        return self.loaded[name]

    def __iter__(self) -> Iterator[str]:
        return iter(COMMANDS)

    def __len__(self) -> int:
        return len(COMMANDS)


class _LazyGroup(TyperGroup):
    """The top level: lists every command by its line in ``COMMANDS`` without importing it."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands: _Commands = _Commands()  # type: ignore[assignment]
        self._listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if self._listing and cmd_name in COMMANDS and cmd_name not in self.commands.loaded:
            return TyperCommand(cmd_name, help=COMMANDS[cmd_name][1])
        return self.commands.get(cmd_name)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


app = typer.Typer(
    name="compliance-bot",
    help="Keeps a school's safeguarding and online-safety policies alive all year.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=_LazyGroup,
)


@app.callback()
def _start() -> None:
    """Hand the engine the features' sweep steps before any command runs (not for ``--help``:
    Click runs this callback before it reads a sub-command's options)."""
    if "--help" in sys.argv[1:]:
        return
    # lazy: the steps load SQLAlchemy and Jinja (~1.3 s measured), and `--help` must answer
    # without them (tests/cli/test_demo.py counts what it loads)
    from bot.wiring import install

    install()


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except BrokenPipeError:  # e.g. `compliance-bot duties | head`
        sys.stderr.close()


if __name__ == "__main__":  # pragma: no cover
    main()
