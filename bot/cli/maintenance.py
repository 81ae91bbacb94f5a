"""``compliance-bot maintenance``: the retention rules applied now, and ``--compact`` to rewrite
an older SQLite file once. Its lines are said in the language of the one school the install
runs (``language_here``; a trust's several schools: English).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.filesize import decimal

from bot.core.language.i18n import N_, nmsg, say
from bot.engine.commands import console, context, fail, friendly

if TYPE_CHECKING:
    from bot.core.deployment.context import AppContext
    from bot.engine.maintenance import Kept

__all__ = ["maintenance"]

_RUNNING = N_(
    "the bot is running here: stop it, then run `compliance-bot maintenance --compact` "
    "again (compacting holds every change until it is done)."
)
_KEPT = N_(
    "Dropped the text of %(bodies)s sent more than %(body_days)s ago (who, when and a fingerprint "
    "stay); removed %(runs)s older than %(run_days)s and %(visitors)s past the school's retention."
)
_GAVE_BACK = N_("Gave %(size)s the database no longer needed back to the disk.")
_STUCK = N_(
    "[yellow]note:[/] the database file holds %(size)s of free space that it reuses for new "
    "records but cannot give back to the disk by itself (the file was made by an older "
    "version). Stop the bot and run `compliance-bot maintenance --compact` once."
)
_POSTGRES = N_("PostgreSQL reuses freed space by itself (autovacuum): nothing to compact.")
_COMPACTING = N_("Compacting the database file (%(size)s)…")
_COMPACTED = N_(
    "Compacted the database file from %(before)s to %(after)s; from now on maintenance gives "
    "space the database no longer needs back to the disk by itself."
)


@friendly
def maintenance(
    compact: Annotated[
        bool,
        typer.Option(
            "--compact",
            help="Then rewrite a SQLite database file once, so that from then on it "
            "gives freed space back to the disk (stop the bot first).",
        ),
    ] = False,
) -> None:
    """Apply the retention rules now (the scheduler does it every few hours)."""
    # lazy: the models load SQLAlchemy (~1 s measured), and `--help` answers without them
    from bot.core.models import utcnow
    from bot.engine.maintenance import run_maintenance

    ctx = context()
    retention = ctx.settings.retention
    kept = run_maintenance(
        ctx.store,
        retention,
        ctx.config.schools,
        utcnow(),
        ctx.settings.outbox_dir,
        ctx.settings.uploads_dir,
    )
    bodies, runs, visitors = kept.bodies, kept.sweep_runs, kept.visitors
    body_days, run_days = retention.outbox_body_days, retention.sweep_run_days
    said = {  # each count in its own plural form
        "bodies": nmsg("%(count)s delivered message", "%(count)s delivered messages", bodies),
        "body_days": nmsg("%(count)s day", "%(count)s days", body_days),
        "runs": nmsg("%(count)s sweep log entry", "%(count)s sweep log entries", runs),
        "run_days": nmsg("%(count)s day", "%(count)s days", run_days),
        "visitors": nmsg(
            "%(count)s visitor confirmation", "%(count)s visitor confirmations", visitors
        ),
    }
    console.print(say(_KEPT, **said))
    if kept.disposed:
        console.print(
            nmsg(
                "%(count)s person or report disposed of under the retention schedule "
                "(`audit verify` counts them).",
                "%(count)s people and reports disposed of under the retention schedule "
                "(`audit verify` counts them).",
                kept.disposed,
            )
        )
    _report_space(kept, compacting=compact)
    if compact:
        _compact_database(ctx)


def _report_space(kept: Kept, *, compacting: bool = False) -> None:
    """Say what space maintenance gave back, or that an older SQLite file needs compacting."""
    if kept.space_returned:
        console.print(say(_GAVE_BACK, size=decimal(kept.space_returned)))
    if kept.should_compact and not compacting:
        console.print(say(_STUCK, size=decimal(kept.space_stuck)))


def _compact_database(ctx: AppContext) -> None:
    """Rewrite the SQLite file once, with the scheduler's lock held so the bot cannot write."""
    # lazy: the scheduler adds ~1.3 s to --help
    from schedules.runner import SchedulerAlreadyRunningError, SchedulerLock

    before = ctx.store.space()
    if before is None:
        console.print(say(_POSTGRES))
        return
    lock = SchedulerLock(ctx.settings)
    try:
        lock.acquire()
    except SchedulerAlreadyRunningError:
        fail(say(_RUNNING), highlight=False, soft_wrap=True)
    try:
        with console.status(say(_COMPACTING, size=decimal(before.file_bytes))):
            after = ctx.store.compact()
    finally:
        lock.release()
    assert after is not None
    console.print(
        say(_COMPACTED, before=decimal(before.file_bytes), after=decimal(after.file_bytes))
    )
