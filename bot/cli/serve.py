"""The commands that start the bot and keep it running: ``demo`` (build the fictional demo
school, run one cycle, serve it) and ``run`` (the web app, the single scheduler, outbox
delivery or sweep workers), and the address and port they serve on.

Like every command, each imports what it runs on inside it, so ``--help`` loads neither the
web app nor uvicorn.
"""

from __future__ import annotations

import logging
import os
from typing import Annotated, Any

import typer

from bot.core.language.i18n import N_, Dated, nsay, say, speak
from bot.engine.commands import (
    console,
    context,
    err,
    fail,
    friendly,
    say_database,
    school_language,
    where,
)

__all__ = ["demo", "run", "served_settings", "serving_port"]

_WEB_ONLY = N_(
    "several web processes need --web-only (and the scheduler in its own process: "
    "compliance-bot run --scheduler-only)."
)
_BUILDING = N_("Building the demo school and running one cycle…")
_CREATED = N_("[green]Created[/] the demo school in [bold]%(home)s[/]")
_EXISTING = N_("Using the existing demo in [bold]%(home)s[/] (--fresh to rebuild)")
_NOT_A_SCHOOL_DAY = N_(
    "[yellow]Today (%(today)s) is not a school day[/]: the bot only emails on school days, so "
    "this cycle runs as of [bold]%(day)s[/]."
)
_WEB_UI = N_("Web UI: [bold]%(url)s[/]  (demo sign-in: pick any person)")
_NOT_SERVED = N_("Web UI: not served with --once; the demo without it serves [bold]%(url)s[/]")
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
_SWEEP_WORKER_SQLITE = N_(
    "sweep workers share the sweep on PostgreSQL: on SQLite, "
    "`compliance-bot run` sweeps every school in one process."
)
_SWEPT_HERE = N_("Stopped. Schools swept by this worker: %(num)d.")
_ALL_INTERFACES = ("0.0.0.0", "::")  # noqa: S104 - compared with, never bound here


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
    # lazy: the demo builder loads the engine and the features (SQLAlchemy, Jinja: ~1-2 s),
    # which --help does without (tests/cli/test_demo.py counts what it loads)
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
    console.print(say(_NOT_SERVED if once else _WEB_UI, url=url))
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
    from bot.web.asgi import settle  # lazy: with the app above, what only serving needs

    settle()  # started what serving needs; what was built kept out of the collector's passes
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
    from bot.web.serving import serve_workers

    # each worker builds the app from the environment: pass on what this command worked out
    os.environ["COMPLIANCE_BOT_BASE_URL"] = settings.base_url
    os.environ["COMPLIANCE_BOT_HOME"] = str(settings.home)
    console.print(say(_SERVING_WORKERS, host=host, port=port, workers=workers))
    serve_workers(host, port, workers)


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
    sweep_worker: Annotated[
        bool,
        typer.Option(
            "--sweep-worker",
            help="Only sweep the schools the scheduler queues (PostgreSQL; run "
            "as many as you like).",
        ),
    ] = False,
    until_idle: Annotated[
        bool,
        typer.Option("--until-idle", help="With --sweep-worker: stop once no school is queued."),
    ] = False,
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
    from bot.core.deployment.settings import own_address

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
