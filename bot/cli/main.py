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
from collections.abc import Iterator, Mapping
from importlib import import_module
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

__all__ = ["COMMANDS", "app", "main"]

# name: (module:attribute, the first paragraph of its help), in the order --help lists them
COMMANDS: dict[str, tuple[str, str]] = {
    "init": (
        "bot.features.setup.cli:init_command",
        "Set up a school here: directory, people in roles, policies, term dates, requirements.\n"
        "In an install that has schools (this folder's, or its database's), add one: asks only"
        " its\nown questions, refuses an id it has, leaves the others as they are.",
    ),
    "start-sending": (
        "bot.cli.config:start_sending",
        "End a school's preview: from now on its reminders, alerts and digests are sent"
        " (``--as``:\nthe school's head or an admin, or a trust-wide administrator; without it,"
        " the computer\naccount running the command). Each school of a trust starts on its own.",
    ),
    "demo": (
        "bot.cli.serve:demo",
        "Create the fictional demo school in ./.compliance-bot-demo, run a cycle, serve the web"
        " UI.",
    ),
    "run": ("bot.cli.serve:run", "Start the web app and the (single) scheduler process."),
    "sweep": (
        "bot.cli.sweeps:sweep",
        "Run one full cycle (directory, duties, reminders, alerts, delivery) and exit.",
    ),
    "remind": (
        "bot.cli.sweeps:remind",
        "Show exactly who would get which reminder today (and who is copied) — nothing is sent.",
    ),
    "duties": ("bot.cli.duty_list:duties", "List open duties as a table."),
    "sweeps": (
        "bot.cli.sweeps:sweeps",
        "List each school's last sweep (times UTC) and the sweep queue.",
    ),
    "status": ("bot.cli.sweeps:status", "Headline figures for each school, as on the dashboard."),
    "migrate": ("bot.cli.sweeps:migrate", "Create or upgrade the database to the newest schema."),
    "maintenance": (
        "bot.cli.maintenance:maintenance",
        "Apply the retention rules now (the scheduler does it every few hours).",
    ),
    "digest": (
        "bot.cli.sweeps:digest",
        "The head's weekly digest: preview the card, or queue it now.",
    ),
    "training": ("bot.features.training.cli:training_app", "Training completions."),
    "campaign": (
        "bot.features.reading.cli:campaign_app",
        "Reading campaigns (the national safeguarding guidance staff read every year).",
    ),
    "reviews": (
        "bot.features.tasks.cli:reviews_app",
        "Reviews that events trigger (e.g. the filtering review when a new AI tool arrives).",
    ),
    "audit": ("bot.cli.audit:audit_app", "The hash-chained audit log."),
    "check": ("bot.cli.checks:check_app", "Check configuration and platform access."),
    "policies": ("bot.features.policies.cli:policies_app", "The policy register."),
    "teams": ("bot.features.dashboard.cli:teams_app", "Microsoft Teams app package."),
    "figures": (
        "bot.features.dashboard.cli:figures_app",
        "The dashboard's kept figures: recompute them from the records.",
    ),
    "governors": (
        "bot.features.governors.cli:governors_app",
        "The termly report for those who govern the school.",
    ),
    "reports": ("bot.features.reports.cli:reports_app", "Breach and concern reports."),
    "complaints": (
        "bot.features.privacy.cli:complaints_app",
        "Data protection complaints (counts only).",
    ),
    "privacy": (
        "bot.features.privacy.retention_cli:privacy_app",
        "A person's data-protection rights: subject access, the record of processing, the"
        " retention schedule, erasure, legal holds.",
    ),
    "decisions": (
        "bot.features.decisions.cli:decisions_app",
        "The decisions and exceptions register.",
    ),
    "evidence": (
        "bot.features.evidence.cli:evidence_app",
        "An inspector's evidence pack: make it (--out FILE.zip), check it (verify), its key.",
    ),
    "visitors": ("bot.features.visitors.cli:visitors_app", "Visitors' confirmations."),
    "scr": (
        "bot.features.scr.cli:scr_app",
        "The single central record's gaps (safer recruitment).",
    ),
    "directory": (
        "bot.cli.directory:directory_app",
        "People missing from the directory, and confirming leavers.",
    ),
    "outbox": (
        "bot.cli.outbox:outbox_app",
        "What the bot has queued and sent; resolve messages that may not have arrived.",
    ),
    "config": (
        "bot.cli.config:config_app",
        "Export or import the school's settings, and choose where they are kept.",
    ),
    "mis": (
        "bot.cli.mis:mis_app",
        "The staff list from the school's MIS, matched to the accounts.",
    ),
    "language": (
        "bot.cli.language:language_app",
        "The languages a school's people read (en, cy, cy+en).",
    ),
    "roles": (
        "bot.cli.config:roles_app",
        "The role table: what each post in the school's staff list gives.",
    ),
    "trust": ("bot.features.trust.cli:trust_app", "The trust: the trustees' termly pack."),
}


def _load(name: str) -> Any:
    """The command ``name`` names, built as Typer builds a command or sub-app it is given."""
    module, attribute = COMMANDS[name][0].split(":")
    found = getattr(import_module(module), attribute)
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
