"""The database file's space after maintenance, and compacting an older SQLite file once."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.filesize import decimal

from bot.engine.commands import console, fail

if TYPE_CHECKING:
    from bot.core.context import AppContext
    from bot.engine.maintenance import Kept

__all__ = ["compact_database", "report_space"]


def report_space(kept: Kept, *, compacting: bool = False) -> None:
    """Say what space maintenance gave back, or that an older SQLite file needs compacting."""
    if kept.space_returned:
        console.print(f"Gave {decimal(kept.space_returned)} the database no longer needed "
                      "back to the disk.")
    if kept.should_compact and not compacting:
        console.print(
            f"[yellow]note:[/] the database file holds {decimal(kept.space_stuck)} of free "
            "space that it reuses for new records but cannot give back to the disk by itself "
            "(the file was made by an older version). Stop the bot and run "
            "`compliance-bot maintenance --compact` once."
        )


def compact_database(ctx: AppContext) -> None:
    """Rewrite the SQLite file once, with the scheduler's lock held so the bot cannot write."""
    # lazy: the scheduler adds ~1.3 s to --help
    from schedules.runner import SchedulerAlreadyRunningError, SchedulerLock

    before = ctx.store.space()
    if before is None:
        console.print("PostgreSQL reuses freed space by itself (autovacuum): nothing to compact.")
        return
    lock = SchedulerLock(ctx.settings)
    try:
        lock.acquire()
    except SchedulerAlreadyRunningError:
        fail("the bot is running here: stop it, then run "
             "`compliance-bot maintenance --compact` again (compacting holds every "
             "change until it is done).", highlight=False, soft_wrap=True)
    try:
        with console.status(f"Compacting the database file ({decimal(before.file_bytes)})…"):
            after = ctx.store.compact()
    finally:
        lock.release()
    assert after is not None
    console.print(
        f"Compacted the database file from {decimal(before.file_bytes)} to "
        f"{decimal(after.file_bytes)}; from now on maintenance gives space the database no "
        "longer needs back to the disk by itself."
    )
