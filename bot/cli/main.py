"""The ``compliance-bot`` command line.

Each command imports the modules it runs on inside it, so ``--help`` loads the command tree
alone (tests/cli/test_demo.py counts what it loads). Measured on top of it: the engine's and
features' modules ~1-2 s (SQLAlchemy, Jinja), the web app ~1.8 s, uvicorn ~0.1 s, a platform's
checks ~0.15 s (httpx).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.audit import audit_app
from bot.cli.checks import print_checks
from bot.cli.config import config_app, roles_app, start_sending
from bot.cli.directory import directory_app
from bot.cli.duty_list import duties
from bot.cli.language import language_app
from bot.cli.maintenance import maintenance
from bot.cli.mis import mis_app
from bot.cli.outbox import outbox_app
from bot.cli.serve import demo, run
from bot.cli.sweeps import queue_now, sweeps
from bot.core.i18n import N_, nsay, say, shared_language, speak
from bot.engine.commands import (
    AsOf,
    as_of_date,
    console,
    context,
    directory_errors,
    err,
    fail,
    friendly,
    language_here,
    print_reminder_plan,
    unused_columns,
    where,
)
from bot.features.complaints.cli import complaints_app
from bot.features.dashboard.cli import digest, teams_app
from bot.features.decisions.cli import decisions_app
from bot.features.evidence.cli import evidence_app
from bot.features.governors.cli import governors_app
from bot.features.policies.cli import policies_app
from bot.features.reading.cli import campaign_app
from bot.features.reports.cli import reports_app
from bot.features.scr.cli import scr_app
from bot.features.setup.cli import init_command
from bot.features.tasks.cli import reviews_app
from bot.features.training.cli import training_app
from bot.features.trust.cli import trust_app
from bot.features.visitors.cli import visitors_app

if TYPE_CHECKING:
    from bot.core.config import SchoolConfig
    from bot.core.context import AppContext
    from bot.core.outbox import DispatchStats
    from bot.core.ports import DirectoryPerson
    from bot.engine.sweep import SchoolSweep

__all__ = ["app", "main"]

app = typer.Typer(
    name="compliance-bot",
    help="Keeps a school's safeguarding and online-safety policies alive all year.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
check_app = typer.Typer(help="Check configuration and platform access.", no_args_is_help=True)
app.command("init")(init_command)
for _group, _name in (
    (training_app, "training"),
    (campaign_app, "campaign"),
    (reviews_app, "reviews"),
    (audit_app, "audit"),
    (check_app, "check"),
    (policies_app, "policies"),
    (teams_app, "teams"),
    (governors_app, "governors"),
    (reports_app, "reports"),
    (complaints_app, "complaints"),
    (decisions_app, "decisions"),
    (evidence_app, "evidence"),
    (visitors_app, "visitors"),
    (scr_app, "scr"),
    (directory_app, "directory"),
    (outbox_app, "outbox"),
    (config_app, "config"),
    (mis_app, "mis"),
    (language_app, "language"),
    (roles_app, "roles"),
    (trust_app, "trust"),
):
    app.add_typer(_group, name=_name)
app.command("start-sending")(start_sending)


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


app.command()(demo)
app.command()(run)


@app.command()
@friendly
def sweep(
    as_of: AsOf = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Compute, write nothing.")] = False,
    no_send: Annotated[bool, typer.Option("--no-send", help="Queue, do not deliver.")] = False,
    queue: Annotated[
        bool,
        typer.Option(
            "--queue", help="Queue the due schools for the sweep workers now (PostgreSQL)."
        ),
    ] = False,
) -> None:
    """Run one full cycle (directory, duties, reminders, alerts, delivery) and exit.

    Exits 2 when the directory could not be read, 3 when its sync stopped because it would
    mark too many people as missing (the other steps still ran with the people known).
    With ``--queue`` (PostgreSQL), only queue the due schools for the sweep workers.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    if queue:
        return queue_now()

    from bot.cli.render import print_sweep

    ctx = context()
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("Delivering", total=None)
        results, stats = _cycle(
            ctx,
            as_of,
            write=not dry_run,
            deliver=not no_send,
            on_sent=lambda _key: progress.advance(task),
            keep_reminders=False,
        )
    problems, queued, now = None, None, None
    if not dry_run:
        from bot.core.context import own_senders
        from bot.core.models import utcnow
        from bot.core.outbox.delivery import trouble
        from bot.core.waiting import pending_summary

        now = utcnow()
        school_ids = [s.id for s in ctx.config.schools]
        with ctx.store.session() as session:
            problems = trouble(session, now, school_ids)
            queued = pending_summary(session, now, school_ids, own_senders(ctx.config.schools))
    print_sweep(
        console,
        results,
        stats.sent if stats else 0,
        ctx.settings.outbox_dir,
        dry_run=dry_run,
        stats=stats,
        trouble=problems,
        waiting=queued,
        now=now,
        languages={s.id: s.language for s in ctx.config.schools},
    )
    directory_errors(results, {s.id: s.language for s in ctx.config.schools})


@app.command()
@friendly
def remind(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show who would get what.")] = True,
    as_of: AsOf = None,
) -> None:
    """Show exactly who would get which reminder today (and who is copied) — nothing is sent."""
    ctx = context()
    results, _ = _cycle(ctx, as_of, write=False, deliver=False)
    languages = {s.id: s.language for s in ctx.config.schools}
    print_reminder_plan(console, results, languages)
    directory_errors(results, languages)


def _cycle(
    ctx: AppContext,
    as_of: str | None,
    *,
    write: bool,
    deliver: bool,
    on_sent: Callable[[str], None] | None = None,
    keep_reminders: bool = True,
) -> tuple[list[SchoolSweep], DispatchStats | None]:
    """One cycle of every school of ``ctx`` as of ``--as-of`` (``run_sweep``)."""
    from bot.engine.sweep import run_sweep

    return run_sweep(
        ctx.store,
        ctx.settings,
        ctx.config,
        ctx.connectors,
        as_of=as_of_date(as_of),
        write=write,
        deliver=deliver,
        on_sent=on_sent,
        keep_reminders=keep_reminders,
    )


app.command()(duties)
app.command()(sweeps)


@app.command()
@friendly
def status() -> None:
    """Headline figures for each school, as on the dashboard."""
    from bot.cli.status import print_status

    print_status(console, context())


_UP_TO_DATE = N_("[green]database is up to date[/]: %(url)s")


@app.command()
@friendly
def migrate() -> None:
    """Create or upgrade the database to the newest schema."""
    ctx = context(database="create")
    _ = ctx.store
    speak(language_here(ctx))  # the install's one school's language, else English
    console.print(say(_UP_TO_DATE, url=ctx.settings.db_url.split("@")[-1]))


app.command()(maintenance)


# --------------------------------------------------------------------------- sub-commands


_COUNTS = N_(
    "%(school)s: %(policies)s policies, %(requirements)s requirements, "
    "%(accounts)s official accounts"
)
_READABLE = N_("[green]directory: %(num)s people readable[/]")
_NOT_READ = N_("[yellow]not read[/] %(columns)s")
_REJECTED = N_("[yellow]rejected[/] %(row)s")
_TO_MAP = N_(
    "[yellow]post to map[/] %(person)s: the role table does not say what %(titles)s "
    "gives, so they owe nothing until it does (compliance-bot roles map)"
)


@check_app.command("config")
@friendly
def check_config() -> None:
    """Validate the school configuration file and the directory file."""
    from bot.core.config import ConfigError
    from bot.core.config.per_school import problems_text, standing_of

    ctx = context(database="unused", say_where=False)
    try:
        config = ctx.config
    except ConfigError:
        speak("en")  # English: the settings that would say a language do not load
        where(ctx)
        raise
    speak(shared_language(s.language for s in config.schools))
    where(ctx)
    standing = standing_of(config)
    if standing is not None and standing.problems:  # every school's entry must pass here
        text = problems_text(ctx.settings.config_path, standing.problems)
        fail("\n".join(map(str, text)), highlight=False, soft_wrap=True)
    n = len(config.schools)
    console.print(
        nsay(
            "[green]%(file)s: valid[/] — %(num)d school",
            "[green]%(file)s: valid[/] — %(num)d schools",
            n,
            file=ctx.settings.config_path,
            num=n,
        )
    )
    for school in config.schools:
        console.print(
            "  "
            + say(
                _COUNTS,
                school=school.id,
                policies=len(school.policies),
                requirements=len(school.requirements),
                accounts=len(school.official_accounts),
            )
        )
    changes = ctx.connectors.directory.fetch(None)
    console.print(say(_READABLE, num=len(changes.people)))
    unused = getattr(ctx.connectors.directory, "unused_columns", [])
    if unused:
        err.print(say(_NOT_READ, columns=unused_columns(unused)), highlight=False)
    for line in changes.rejected:  # a staff list's row
        err.print(say(_REJECTED, row=line), highlight=False)
    for person, titles in _unknown_titles(config.schools, changes.people):
        err.print(say(_TO_MAP, person=person, titles=titles), highlight=False)
    if changes.rejected:
        raise typer.Exit(1)


def _unknown_titles(
    schools: Sequence[SchoolConfig], people: Sequence[DirectoryPerson]
) -> list[tuple[str, str]]:
    """People a sync sets up owing nothing for a post their school's role table does not know,
    and those posts: ``("Name <email>", "'Title'")``."""
    from bot.engine.job_roles import map_roles

    lines = []
    for school in schools:
        for person in people:
            if person.school not in (None, school.id):
                continue
            unknown = map_roles(person, school.role_groups, school.role_table).unknown
            if unknown:
                lines.append(
                    (f"{person.display_name} <{person.email}>", ", ".join(map(repr, unknown)))
                )
    return lines


@check_app.command("m365")
@friendly
def check_m365() -> None:
    """Acquire a token and make the real read calls the bot needs on Microsoft 365."""
    print_checks("m365")


@check_app.command("google")
@friendly
def check_google() -> None:
    """Make the real read calls the bot needs on Google Workspace."""
    print_checks("google")


app.command("digest")(friendly(digest))  # listed after the everyday commands


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except BrokenPipeError:  # e.g. `compliance-bot duties | head`
        sys.stderr.close()


if __name__ == "__main__":  # pragma: no cover
    main()
