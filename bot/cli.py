"""The ``compliance-bot`` command line. Heavy modules are imported inside commands so that
``--help`` answers instantly."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console

if TYPE_CHECKING:
    from bot.context import AppContext

__all__ = ["app", "main"]

app = typer.Typer(
    name="compliance-bot",
    help="Keeps a school's safeguarding and online-safety policies alive all year.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
training_app = typer.Typer(help="Training completions.", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
check_app = typer.Typer(help="Check configuration and platform access.", no_args_is_help=True)
policies_app = typer.Typer(help="The policy register.", no_args_is_help=True)
teams_app = typer.Typer(help="Microsoft Teams app package.", no_args_is_help=True)
app.add_typer(training_app, name="training")
app.add_typer(audit_app, name="audit")
app.add_typer(check_app, name="check")
app.add_typer(policies_app, name="policies")
app.add_typer(teams_app, name="teams")

console = Console()
err = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])

AsOf = Annotated[
    str | None, typer.Option("--as-of", help="Act as if today were this date (YYYY-MM-DD).")
]


def friendly(func: F) -> F:
    """Turn expected errors into one red line and exit code 2 (no tracebacks)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from bot.config import ConfigError
        from bot.settings import SettingsError
        from bot.sync import SyncError
        from connectors.base import ConnectorError
        from schedules.runner import SchedulerAlreadyRunningError

        try:
            return func(*args, **kwargs)
        except (ConfigError, SettingsError, SyncError, ConnectorError, ImportError,
                SchedulerAlreadyRunningError) as exc:
            err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None
        except KeyboardInterrupt:
            err.print("stopped.")
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]


def _context() -> AppContext:
    import logging

    from bot.context import AppContext
    from bot.settings import load_settings

    logging.basicConfig(level=logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    return AppContext(load_settings())


def _as_of(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        err.print(f"[bold red]error:[/] --as-of must be a date like 2026-11-23 (got {value!r})")
        raise typer.Exit(2) from None


def _where(ctx: AppContext) -> None:
    """Say which school data the command acts on (so nobody edits the demo by mistake)."""
    label = " (demo)" if ctx.settings.demo else ""
    console.print(f"[dim]using {ctx.settings.home}{label} · {ctx.settings.config_path}[/]")


# --------------------------------------------------------------------------- demo & run


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
    from bot.demo import build_demo
    from bot.report_cli import print_sweep

    with console.status("Building the demo school and running one cycle…"):
        plan = build_demo(fresh=fresh)
    settings = plan.settings
    if plan.created:
        console.print(f"[green]Created[/] the demo school in [bold]{settings.home}[/]")
    else:
        console.print(f"Using the existing demo in [bold]{settings.home}[/] (--fresh to rebuild)")
    if plan.as_of != plan.today:
        console.print(
            f"[yellow]Today ({plan.today:%A %d %B}) is not a school day[/]: the bot only emails "
            f"on school days, so this cycle runs as of [bold]{plan.as_of:%A %d %B %Y}[/]."
        )
    print_sweep(console, plan.results, plan.sent, settings.outbox_dir)
    url = f"http://{host}:{port}"
    console.print(f"\nWeb UI: [bold]{url}[/]  (demo sign-in: pick any person)")
    console.print(
        "From this folder, every command now acts on the demo school, e.g.\n"
        "  uv run compliance-bot duties --overdue\n"
        "  uv run compliance-bot status\n"
        "  uv run compliance-bot remind --dry-run"
    )
    if once:
        return
    _serve(settings.model_copy(update={"base_url": url}), host, port, scheduler=False)


def _serve(settings: Any, host: str, port: int, *, scheduler: bool) -> None:
    import uvicorn

    from bot.web.app import create_app

    web = create_app(settings)
    runner = None
    if scheduler:
        from schedules.runner import SchedulerAlreadyRunningError, start_scheduler

        try:
            runner = start_scheduler(settings)
        except SchedulerAlreadyRunningError as exc:
            err.print(f"[yellow]note:[/] {exc}; serving the web UI only.")
    console.print(f"Serving on http://{host}:{port} — Ctrl-C to stop.")
    try:
        uvicorn.run(web, host=host, port=port, log_level="warning")
    finally:
        if runner is not None:
            runner.shutdown()


@app.command()
@friendly
def run(
    host: Annotated[str | None, typer.Option(help="Address (default from settings).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default from settings).")] = None,
    web_only: Annotated[bool, typer.Option("--web-only", help="No scheduler here.")] = False,
    scheduler_only: Annotated[
        bool, typer.Option("--scheduler-only", help="Only the scheduler (no web).")
    ] = False,
) -> None:
    """Start the web app and the (single) scheduler process."""
    import logging

    ctx = _context()
    for name in ("bot", "schedules"):  # long-running processes say what their jobs did
        logging.getLogger(name).setLevel(logging.INFO)
    _where(ctx)
    _ = ctx.config, ctx.store
    if scheduler_only:
        from schedules.runner import run_forever

        run_forever(ctx.settings)
        return
    _serve(
        ctx.settings, host or ctx.settings.host, port or ctx.settings.port, scheduler=not web_only
    )


@app.command()
@friendly
def sweep(
    as_of: AsOf = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Compute, write nothing.")] = False,
    no_send: Annotated[bool, typer.Option("--no-send", help="Queue, do not deliver.")] = False,
) -> None:
    """Run one full cycle (directory, duties, reminders, alerts, delivery) and exit."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from bot.report_cli import print_sweep
    from bot.sweep import run_sweep

    ctx = _context()
    _where(ctx)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("Delivering", total=None)
        results, stats = run_sweep(
            ctx.store,
            ctx.settings,
            ctx.config,
            ctx.connectors,
            as_of=_as_of(as_of),
            write=not dry_run,
            deliver=not no_send,
            on_sent=lambda _key: progress.advance(task),
        )
    print_sweep(
        console,
        results,
        stats.sent if stats else 0,
        ctx.settings.outbox_dir,
        dry_run=dry_run,
        stats=stats,
    )
    _directory_errors(results)


def _directory_errors(results: list[Any]) -> None:
    """The cycle ran, but a directory that could not be read still fails the command (exit 2)."""
    errors = [r.directory.error for r in results if r.directory.error]
    if errors:
        err.print(f"[bold red]error:[/] {errors[0]}", highlight=False, soft_wrap=True)
        raise typer.Exit(2)


@app.command()
@friendly
def remind(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show who would get what.")] = True,
    as_of: AsOf = None,
) -> None:
    """Show exactly who would get which reminder today (and who is copied) — nothing is sent."""
    from rich.table import Table

    from bot.sweep import run_sweep

    ctx = _context()
    _where(ctx)
    results, _ = run_sweep(
        ctx.store,
        ctx.settings,
        ctx.config,
        ctx.connectors,
        as_of=_as_of(as_of),
        write=False,
        deliver=False,
    )
    for result in results:
        if not result.school_day:
            console.print(
                f"{result.school_name}: {result.as_of:%A %d %B} is not a school day "
                "— no reminders would go today."
            )
            continue
        table = Table(title=f"{result.school_name} — reminders as of {result.as_of:%a %d %b %Y}")
        for col in ("To", "Items", "Stage", "Copied"):
            table.add_column(col)
        for r in result.reminders:
            table.add_row(
                f"{r.person_name}\n[dim]{r.person_email}[/]",
                "\n".join(r.items),
                ", ".join(r.labels),
                ", ".join(r.cc) or "—",
            )
        console.print(table)
        console.print(f"{len(result.reminders)} email(s) would be sent. Nothing was recorded.")
    _directory_errors(results)


@app.command()
@friendly
def duties(
    overdue: Annotated[bool, typer.Option("--overdue", help="Only overdue duties.")] = False,
    person: Annotated[str | None, typer.Option("--person", help="Only this email.")] = None,
    as_of: AsOf = None,
    limit: Annotated[int, typer.Option(help="At most this many rows.")] = 200,
) -> None:
    """List open duties as a table."""
    from rich.table import Table
    from sqlalchemy import select

    from bot.clock import local_today
    from bot.models import Duty, Person, PolicyVersion, Requirement, utcnow

    ctx = _context()
    _where(ctx)
    today = _as_of(as_of) or local_today(utcnow())
    with ctx.store.session() as session:
        query = (
            select(Duty, Person, Requirement, PolicyVersion)
            .join(Person, Person.id == Duty.person_id)
            .join(Requirement, Requirement.id == Duty.requirement_id)
            .outerjoin(PolicyVersion, PolicyVersion.id == Duty.policy_version_id)
            .where(Duty.status == "open")
            .order_by(Duty.due_on, Person.display_name)
        )
        if overdue:
            query = query.where(Duty.due_on < today)
        if person:
            query = query.where(Person.email == person.strip().lower())
        rows = session.execute(query).all()
    title = f"{'Overdue' if overdue else 'Open'} duties as of {today:%a %d %b %Y}"
    table = Table(title=title)
    for col in ("Person", "What", "Due", "State", "Reminders"):
        table.add_column(col)
    for duty, p, req, version in rows[:limit]:
        days = (today - duty.due_on).days
        state = (
            f"[red]{days} day{'s' if days != 1 else ''} overdue[/]"
            if days > 0
            else "[yellow]due today[/]"
            if days == 0
            else f"due in {-days} days"
        )
        what = req.title + (f" v{version.label}" if version else "")
        table.add_row(
            f"{p.display_name}\n[dim]{p.email}[/]",
            what,
            f"{duty.due_on:%d %b %Y}",
            state,
            str(duty.reminders_sent),
        )
    console.print(table)
    more = f" (showing {limit}; --limit to see more)" if len(rows) > limit else ""
    console.print(f"{len(rows)} duties{more}.")


@app.command()
@friendly
def status() -> None:
    """Headline figures for the school(s), as on the dashboard."""
    from bot.report_cli import print_status

    ctx = _context()
    _where(ctx)
    print_status(console, ctx)


@app.command()
@friendly
def outbox(
    state: Annotated[str | None, typer.Option("--status", help="pending/sent/failed/...")] = None,
    limit: Annotated[int, typer.Option(help="At most this many rows.")] = 30,
) -> None:
    """What the bot has queued and sent (subjects and recipients only)."""
    from rich.table import Table
    from sqlalchemy import func, select

    from bot.clock import to_local
    from bot.models import OutboxMessage

    ctx = _context()
    _where(ctx)
    with ctx.store.session() as session:
        counts = dict(
            session.execute(
                select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
            ).all()
        )
        query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
        if state:
            query = query.where(OutboxMessage.status == state)
        rows = session.scalars(query).all()
    table = Table(title="Outbox (newest first)")
    for col in ("#", "Status", "Purpose", "To", "Subject"):
        table.add_column(col)
    for row in rows:
        table.add_row(
            str(row.id),
            row.status,
            row.purpose,
            ", ".join(row.recipients) or "channel",
            row.subject,
        )
    console.print(table)
    console.print("  ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "empty")
    waiting = [r for r in rows if r.status != "sent" and r.last_error]
    if waiting:
        # connector errors are safe to show: platform codes and settings, never content
        console.print("[bold]Why these are not delivered[/]")
        for row in waiting:
            when = ""
            if row.status == "pending" and row.next_attempt_at is not None:
                when = f" (next try {to_local(row.next_attempt_at):%a %d %b %H:%M})"
            console.print(
                f"  #{row.id} {row.status}{when}: {row.last_error}", highlight=False
            )
    if ctx.settings.connector == "local" and ctx.settings.local.mail == "eml":
        console.print(f"Email files: {ctx.settings.outbox_dir}")


@app.command()
@friendly
def migrate() -> None:
    """Create or upgrade the database to the newest schema."""
    ctx = _context()
    _where(ctx)
    _ = ctx.store
    console.print(f"[green]database is up to date[/]: {ctx.settings.db_url.split('@')[-1]}")


# --------------------------------------------------------------------------- sub-commands


@training_app.command("import")
@friendly
def training_import(
    file: Annotated[Path, typer.Argument(help="CSV with email, course, completed_on[, provider].")],
    school: Annotated[str | None, typer.Option(help="School id (default: the first).")] = None,
) -> None:
    """Import training completions from a provider's CSV export (re-import is safe)."""
    from rich.progress import Progress

    from bot.clock import local_today
    from bot.models import utcnow
    from bot.training import import_training_csv

    ctx = _context()
    _where(ctx)
    if not file.exists():
        err.print(f"[bold red]error:[/] {file}: file not found")
        raise typer.Exit(2)
    school_id = ctx.config.school(school).id
    total = max(sum(1 for _ in file.open(encoding="utf-8", errors="replace")) - 1, 1)
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("Importing", total=total)
        with ctx.store.transaction() as session:
            report = import_training_csv(
                session,
                school_id,
                file,
                actor="cli",
                today=local_today(utcnow()),
                progress=lambda line: progress.update(task, completed=line - 1),
            )
    for line in report.errors:
        err.print(f"[yellow]skipped[/] {line}", highlight=False)
    console.print(
        f"[green]{report.imported} imported[/], {report.already_present} already "
        f"present, {len(report.errors)} rejected."
    )
    if report.errors and not report.imported and not report.already_present:
        raise typer.Exit(1)


@audit_app.command("verify")
@friendly
def audit_verify() -> None:
    """Check the audit chain; exits 1 at the first broken link."""
    from bot.audit import verify

    ctx = _context()
    with ctx.store.session() as session:
        result = verify(session)
    if result.ok:
        console.print(f"[green]audit chain intact[/]: {result.checked} events verified.")
        return
    err.print(
        f"[bold red]audit chain broken[/] at event #{result.broken_seq}: {result.reason} "
        f"({result.checked} events verified before it)."
    )
    raise typer.Exit(1)


@check_app.command("config")
@friendly
def check_config() -> None:
    """Validate the school configuration file and the directory file."""
    ctx = _context()
    config = ctx.config
    console.print(f"[green]{ctx.settings.config_path}: valid[/] — {len(config.schools)} school(s)")
    for school in config.schools:
        console.print(
            f"  {school.id}: {len(school.policies)} policies, "
            f"{len(school.requirements)} requirements, "
            f"{len(school.official_accounts)} official accounts"
        )
    changes = ctx.connectors.directory.fetch(None)
    console.print(f"[green]directory: {len(changes.people)} people readable[/]")
    for line in changes.rejected:
        err.print(f"[yellow]rejected[/] {line}", highlight=False)
    if changes.rejected:
        raise typer.Exit(1)


def _print_checks(rows: list[Any]) -> None:
    """Print check rows as a table, then each fix below it at full width; exit 1 if any failed.

    Fixes are not a table column: at 80 columns a fourth column leaves a dozen characters for
    PowerShell. Indented fix lines (commands) and long tokens are never broken, so they copy
    and paste whole.
    """
    import textwrap

    from rich.table import Table
    from rich.text import Text

    table = Table(title="Platform checks", title_justify="left")
    table.add_column("Check", overflow="fold")
    table.add_column("Result", no_wrap=True)
    table.add_column("Detail", overflow="fold", ratio=1)
    fixes: list[tuple[str, str]] = []
    for row in rows:
        if row.ok:
            result = Text("OK", style="green")
        else:
            result = Text("missing", style="red")
            if row.fix:
                fixes.append((row.name, row.fix))
                result.append(f" ({len(fixes)})")
        table.add_row(Text(row.name), result, Text(row.detail))
    console.print(table)
    failed = sum(not r.ok for r in rows)
    if not failed:
        console.print(f"[green]All {len(rows)} checks passed.[/]")
        return
    console.print(f"[red]{failed} of {len(rows)} checks failed.[/]")
    if fixes:
        console.print("\n[bold]How to fix[/]")
    width = max(console.width - 4, 40)
    for number, (name, fix) in enumerate(fixes, start=1):
        console.print(Text(f"({number}) {name}", style="bold"))
        for line in fix.splitlines():
            # Commands stay on one line and long tokens (ids, URLs, scope lists) are never
            # broken, so whatever is copied from the terminal pastes as it was meant.
            wrapped = (
                [line]
                if line.startswith(" ")
                else textwrap.wrap(
                    line, width, break_long_words=False, break_on_hyphens=False
                )
            )
            for part in wrapped:
                console.print(Text(f"    {part}"), soft_wrap=True)
    raise typer.Exit(1)


@check_app.command("m365")
@friendly
def check_m365() -> None:
    """Acquire a token and make the real read calls the bot needs on Microsoft 365."""
    from connectors.m365.check import run_checks

    _print_checks(list(run_checks(_context().settings)))


@check_app.command("google")
@friendly
def check_google() -> None:
    """Make the real read calls the bot needs on Google Workspace."""
    from connectors.google.check import run_checks

    _print_checks(list(run_checks(_context().settings)))


# feature modules that add commands with ``register(app)``; absent ones are skipped
CLI_MODULES = ("bot.cli_policies", "bot.cli_reports", "bot.cli_dashboard", "bot.cli_extras")


def _register_features() -> None:
    import importlib

    for name in CLI_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        module.register(app)


_register_features()


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except BrokenPipeError:  # e.g. `compliance-bot duties | head`
        sys.stderr.close()


if __name__ == "__main__":  # pragma: no cover
    main()
