"""``compliance-bot sweeps``: each school's last sweep (which tick, by which worker, when, its
outcome and failed steps) and the sweep queue's length and oldest wait; ``queue_now`` is
``compliance-bot sweep --queue`` (PostgreSQL: the due schools queued for the sweep workers)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table

from bot.core.i18n import N_, say
from bot.engine.commands import console, context, fail, friendly

__all__ = ["queue_now", "sweeps"]

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
