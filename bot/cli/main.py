"""The ``compliance-bot`` command line.

Each command imports the modules it runs on inside it, so ``--help`` loads the command tree
alone (tests/cli/test_demo.py counts what it loads). Measured on top of it: the engine's and
features' modules ~1-2 s (SQLAlchemy, Jinja), the web app ~1.8 s, uvicorn ~0.1 s, a platform's
checks ~0.15 s (httpx).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Annotated, Any

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
from bot.cli.sweeps import queue_now, sweeps
from bot.core.config import ConfigError
from bot.core.i18n import N_, Dated, nsay, say, shared_language, speak
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
    say_database,
    school_language,
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

_WEB_ONLY = N_(
    "several web processes need --web-only (and the scheduler in its own process: "
    "compliance-bot run --scheduler-only)."
)

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


# --------------------------------------------------------------------------- demo & run

_UP_TO_DATE = N_("[green]database is up to date[/]: %(url)s")
_BUILDING = N_("Building the demo school and running one cycle…")
_CREATED = N_("[green]Created[/] the demo school in [bold]%(home)s[/]")
_EXISTING = N_("Using the existing demo in [bold]%(home)s[/] (--fresh to rebuild)")
_NOT_A_SCHOOL_DAY = N_(
    "[yellow]Today (%(today)s) is not a school day[/]: the bot only emails on school days, so "
    "this cycle runs as of [bold]%(day)s[/]."
)
_WEB_UI = N_("Web UI: [bold]%(url)s[/]  (demo sign-in: pick any person)")
_FROM_HERE = N_("From this folder, every command now acts on the demo school, e.g.")
# the commands the demo suggests (typed as they are, in any language)
_TRY = tuple(
    f"  uv run compliance-bot {c}" for c in ("duties --overdue", "status", "remind --dry-run")
)
_SERVING = N_("Serving on http://%(host)s:%(port)s — Ctrl-C to stop.")
_SERVING_WORKERS = N_(
    "Serving on http://%(host)s:%(port)s with %(workers)s web processes — Ctrl-C to stop."
)
_HELD_FILE = N_("[yellow]note:[/] another scheduler holds %(file)s; serving the web UI only.")
_HELD_LOCK = N_(
    "[yellow]note:[/] another scheduler holds the PostgreSQL lock; serving the web UI only."
)
_LINKS_LOCAL = N_(
    "[yellow]note:[/] links in emails point at http://127.0.0.1:%(port)s; set "
    "COMPLIANCE_BOT_BASE_URL to the address staff use."
)
_DELIVERING = N_("Delivering the outbox — Ctrl-C to stop.")
_SWEEP_WORKER_SQLITE = N_("sweep workers share the sweep on PostgreSQL: on SQLite, "
                          "`compliance-bot run` sweeps every school in one process.")
_SWEPT_HERE = N_("Stopped. Schools swept by this worker: %(num)d.")
_ALL_INTERFACES = ("0.0.0.0", "::")  # noqa: S104 - compared with, never bound here


@app.command()
@friendly
def demo(
    once: Annotated[bool, typer.Option("--once", help="Run one cycle and exit.")] = False,
    host: Annotated[str, typer.Option(help="Address to serve on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8000,
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Delete the demo and start again.")
    ] = False,
) -> None:
    """Create the fictional demo school in ./.compliance-bot-demo, run a cycle, serve the web UI."""
    from bot.cli.render import print_sweep
    from bot.demo.builder import build_demo, demo_settings

    url = f"http://{'127.0.0.1' if host in _ALL_INTERFACES else host}:{port}"
    # the demo's language (a demo built afresh is the fictional English school)
    language = "en" if fresh else school_language(demo_settings(base_url=url))
    speak(language)
    with console.status(say(_BUILDING)):
        plan = build_demo(fresh=fresh, base_url=url)
    settings = plan.settings
    said = say(_CREATED if plan.created else _EXISTING, home=settings.home)
    console.print(said)
    say_database(settings.db_url)
    if plan.as_of != plan.today:
        console.print(
            say(
                _NOT_A_SCHOOL_DAY,
                today=Dated(plan.today, "%A %d %B", "EEEE dd MMMM"),
                day=Dated(plan.as_of, "%A %d %B %Y", "EEEE dd MMMM y"),
            )
        )
    print_sweep(
        console,
        plan.results,
        plan.sent,
        settings.outbox_dir,
        waiting=plan.waiting,
        now=plan.now,
        languages={r.school_id: language for r in plan.results},
    )
    console.print()
    console.print(say(_WEB_UI, url=url))
    console.print("\n".join((say(_FROM_HERE), *_TRY)))
    if once:
        return
    _serve(settings, host, port, scheduler=False)


def _serve(settings: Any, host: str, port: int, *, scheduler: bool, workers: int = 1) -> None:
    """Serve the web UI (and, with ``scheduler``, run the jobs) here; its lines in the active
    language (the app's pages and jobs each speak their own)."""
    import uvicorn

    from bot.web.app import create_app, judge_schedulers
    from bot.web.serving import server_config

    if workers > 1:
        _serve_workers(settings, host, port, workers)
        return
    web = create_app(settings, web_only=not scheduler)
    from bot.core.contained import warm_up

    warm_up()  # the uploads' checking process starts now, not on the first upload
    runner = None
    if scheduler:
        from schedules.runner import SchedulerAlreadyRunningError, start_scheduler

        try:
            runner = start_scheduler(settings)
        except SchedulerAlreadyRunningError as exc:
            held = _HELD_LOCK if exc.file is None else _HELD_FILE
            err.print(say(held, file=exc.file))
            judge_schedulers(settings, web.state.ctx.store)  # judged by the other's beat
    console.print(say(_SERVING, host=host, port=port))
    speak("en")  # the app's requests start from no language of this command's
    try:
        uvicorn.Server(server_config(web, host, port)).run()
    finally:
        if runner is not None:
            runner.shutdown()


def _serve_workers(settings: Any, host: str, port: int, workers: int) -> None:
    """Serve the web UI from several processes (uvicorn's workers): the web only, no jobs."""
    import uvicorn

    from bot.web.serving import workers_options

    # each worker builds the app from the environment: pass on what this command worked out
    os.environ["COMPLIANCE_BOT_BASE_URL"] = settings.base_url
    os.environ["COMPLIANCE_BOT_HOME"] = str(settings.home)
    console.print(say(_SERVING_WORKERS, host=host, port=port, workers=workers))
    uvicorn.run(**workers_options(host, port, workers))


@app.command()
@friendly
def run(
    host: Annotated[str | None, typer.Option(help="Address (default from settings).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default from settings).")] = None,
    web_only: Annotated[bool, typer.Option("--web-only", help="No scheduler here.")] = False,
    scheduler_only: Annotated[
        bool, typer.Option("--scheduler-only", help="Only the scheduler (no web).")
    ] = False,
    dispatch_only: Annotated[
        bool,
        typer.Option(
            "--dispatch-only", help="Only deliver the outbox (run as many of these as you like)."
        ),
    ] = False,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="Web processes (with --web-only; the scheduler runs "
            "on its own with --scheduler-only).",
        ),
    ] = 1,
    sweep_worker: Annotated[bool, typer.Option(
        "--sweep-worker", help="Only sweep the schools the scheduler queues (PostgreSQL; run "
        "as many as you like).")] = False,
    until_idle: Annotated[bool, typer.Option(
        "--until-idle", help="With --sweep-worker: stop once no school is queued.")] = False,
) -> None:
    """Start the web app and the (single) scheduler process."""
    from bot.web.serving import scrub_root_logging

    ctx = context(say_where=False)  # said below, once the signing key is checked
    scrub_root_logging()  # a job's traceback is logged as types and places, never its text
    for name in ("bot", "schedules"):  # long-running processes say what their jobs did
        logging.getLogger(name).setLevel(logging.INFO)
    ctx.settings.signing_key()  # refuse to start with a key that is too short
    where(ctx)
    _ = ctx.config, ctx.store
    if scheduler_only:
        from schedules.runner import run_forever

        run_forever(ctx.settings)
        return
    if sweep_worker:
        from schedules.sweep_worker import run_sweep_worker

        if ctx.store.is_sqlite:
            fail(say(_SWEEP_WORKER_SQLITE))
        swept = run_sweep_worker(ctx.settings, until_idle=until_idle)
        console.print(say(_SWEPT_HERE, num=swept))
        return
    if dispatch_only:
        from schedules.dispatcher import run_dispatcher

        console.print(say(_DELIVERING))
        sent = run_dispatcher(ctx.settings)
        console.print(
            nsay(
                "Stopped after sending %(num)d message.",
                "Stopped after sending %(num)d messages.",
                sent,
                num=sent,
            )
        )
        return
    if workers > 1 and not web_only:
        fail(say(_WEB_ONLY))
    host, port = host or ctx.settings.host, port or serving_port(ctx.settings)
    _serve(
        served_settings(ctx.settings, host, port),
        host,
        port,
        scheduler=not web_only,
        workers=workers,
    )


def serving_port(settings: Any) -> int:
    """The port to serve on when none is given: COMPLIANCE_BOT_PORT when set; else, when
    BASE_URL is this computer's own address with a port (``http://127.0.0.1:8102``), that
    port, so that the links in emails reach the server; else the default. A public BASE_URL
    (behind a proxy) says nothing about the port the bot listens on."""
    # lazy: pydantic-settings, which --help does without
    from bot.core.settings import own_address

    if "port" in settings.model_fields_set or "base_url" not in settings.model_fields_set:
        return int(settings.port)
    return own_address(str(settings.base_url), int(settings.port))[1]


def served_settings(settings: Any, host: str, port: int) -> Any:
    """Settings whose links point at this server: BASE_URL when set, else ``host:port`` (the
    note saying so in ``language``)."""
    if "base_url" in settings.model_fields_set:
        return settings
    if host in _ALL_INTERFACES:
        err.print(say(_LINKS_LOCAL, port=port))
        host = "127.0.0.1"
    return settings.model_copy(update={"base_url": f"http://{host}:{port}"})


@app.command()
@friendly
def sweep(
    as_of: AsOf = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Compute, write nothing.")] = False,
    no_send: Annotated[bool, typer.Option("--no-send", help="Queue, do not deliver.")] = False,
    queue: Annotated[bool, typer.Option(
        "--queue", help="Queue the due schools for the sweep workers now (PostgreSQL).")] = False,
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
_TO_MAP = N_("[yellow]post to map[/] %(person)s: the role table does not say what %(titles)s "
             "gives, so they owe nothing until it does (compliance-bot roles map)")


@check_app.command("config")
@friendly
def check_config() -> None:
    """Validate the school configuration file and the directory file."""
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
