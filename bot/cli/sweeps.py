"""The everyday commands: ``sweep`` (one full cycle), ``remind`` (who would get what),
``status``, ``migrate``, ``digest``, and ``sweeps``: each school's last sweep (which tick, by
which worker, when, its outcome and failed steps) and the sweep queue's length and oldest wait;
``queue_now`` is ``compliance-bot sweep --queue`` (PostgreSQL: the due schools queued for the
sweep workers)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from bot.core.language.i18n import N_, say, speak
from bot.engine.commands import (
    AsOf,
    as_of_date,
    console,
    context,
    directory_errors,
    fail,
    friendly,
    language_here,
    print_reminder_plan,
)
from bot.features.dashboard.cli import digest as _digest

if TYPE_CHECKING:
    from bot.core.deployment.context import AppContext
    from bot.core.outbox import DispatchStats
    from bot.engine.sweep import SchoolSweep

__all__ = ["digest", "migrate", "queue_now", "remind", "status", "sweep", "sweeps"]

_TITLE = N_("Each school's last sweep")
_HEADINGS = (
    N_("School"),
    N_("Tick"),
    N_("Worker"),
    N_("Started"),
    N_("Finished"),
    N_("Outcome"),
    N_("Failed steps"),
)
_OUTCOMES = {"swept": N_("swept"), "failed": N_("failed")}
_QUEUE = N_("Sweep queue — waiting: %(waiting)d, being swept: %(running)d.")
_OLDEST = N_("The longest waiting has been due since %(since)s (UTC).")
_NO_QUEUE = N_(
    "the sweep queue is for PostgreSQL's sweep workers: on SQLite, run `compliance-bot sweep`."
)
_QUEUED = N_(
    "Schools queued for the sweep workers: %(num)d (the others are queued or being "
    "swept already, or were swept this tick)."
)


def _at(moment: datetime | None) -> str | None:
    """A time as the table and the JSON show it (UTC, to the second), None when there is none."""
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment is not None else None


@friendly
def sweeps(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object, for scripts.")] = False,
) -> None:
    """List each school's last sweep (times UTC) and the sweep queue."""
    from sqlalchemy import select  # lazy: --help loads no SQLAlchemy (tests/cli/test_demo.py)

    from bot.core.models import SweepJob, utcnow
    from bot.engine.sweep_jobs import queue_state

    ctx = context(say_where=not as_json)
    names = {s.id: s.name for s in ctx.config.schools}
    with ctx.store.session() as session:
        rows = session.scalars(select(SweepJob).order_by(SweepJob.school_id)).all()
        queue = queue_state(session)
    now = utcnow()
    if as_json:
        print(
            json.dumps(
                {
                    "schools": [
                        {
                            "school_id": r.school_id,
                            "school": names.get(r.school_id),
                            "tick": _at(r.tick),
                            "worker": r.worker,
                            "started": _at(r.started_at),
                            "finished": _at(r.finished_at),
                            "last_swept": _at(r.swept_at),
                            "outcome": r.outcome,
                            "failed_steps": r.failed,
                            "queued_since": _at(r.due_at),
                        }
                        for r in rows
                    ],
                    "queue": {
                        "waiting": queue.waiting,
                        "running": queue.running,
                        "oldest_wait_seconds": (now - queue.oldest).total_seconds()
                        if queue.oldest
                        else None,
                    },
                },
                indent=1,
            )
        )
        return
    table = Table(title=say(_TITLE))
    for heading in _HEADINGS:
        table.add_column(say(heading))
    for r in rows:
        table.add_row(
            names.get(r.school_id, r.school_id),
            _at(r.tick),
            r.worker,
            _at(r.started_at),
            _at(r.finished_at),
            say(_OUTCOMES[r.outcome]) if r.outcome else "",
            ", ".join(r.failed),
        )
    console.print(table)
    console.print(say(_QUEUE, waiting=queue.waiting, running=queue.running))
    if queue.oldest is not None:
        console.print(say(_OLDEST, since=_at(queue.oldest)))


def queue_now() -> None:
    """Queue the due schools now for the sweep workers (``compliance-bot sweep --queue``)."""
    from bot.core.models import utcnow
    from bot.engine.sweep_worker import queue_tick

    ctx = context()
    if ctx.store.is_sqlite:
        fail(say(_NO_QUEUE))
    queued = queue_tick(ctx.store, ctx.config, utcnow())
    console.print(say(_QUEUED, num=queued))


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
        from bot.core.deployment.context import own_senders
        from bot.core.models import utcnow
        from bot.core.outbox.delivery import trouble
        from bot.core.outbox.waiting import pending_summary

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


@friendly
def status() -> None:
    """Headline figures for each school, as on the dashboard."""
    from bot.cli.status import print_status

    print_status(console, context())


_UP_TO_DATE = N_("[green]database is up to date[/]: %(url)s")


@friendly
def migrate() -> None:
    """Create or upgrade the database to the newest schema."""
    ctx = context(database="create")
    _ = ctx.store
    speak(language_here(ctx))  # the install's one school's language, else English
    console.print(say(_UP_TO_DATE, url=ctx.settings.db_url.split("@")[-1]))


digest = friendly(_digest)  # the dashboard's own, told as every command is
