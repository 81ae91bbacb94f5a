"""Rich renderings shared by CLI commands (sweep summary, status)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from bot.context import AppContext
    from bot.outbox import DispatchStats
    from bot.sweep import SchoolSweep

__all__ = ["print_status", "print_sweep"]


def print_sweep(
    console: Console,
    results: list[SchoolSweep],
    sent: int,
    outbox_dir: Path,
    *,
    dry_run: bool = False,
    stats: DispatchStats | None = None,
) -> None:
    """What a cycle did: per school, then what was delivered and where."""
    for r in results:
        d = r.directory
        console.rule(f"[bold]{r.school_name}[/] — cycle as of {r.as_of:%A %d %B %Y}")
        console.print(
            f"Directory: {d.added} added, {d.updated} updated, {d.left} left, "
            f"{d.unchanged} unchanged"
            + (f", [yellow]{len(d.rejected)} rows rejected[/]" if d.rejected else "")
        )
        for line in d.rejected[:10]:
            console.print(f"  [yellow]rejected[/] {line}", highlight=False)
        for line in r.warnings[:10]:
            console.print(f"  [yellow]warning[/] {line}", highlight=False)
        closed = ", ".join(f"{n} {k}" for k, n in sorted(r.closed.items())) or "none"
        console.print(
            f"Duties: {r.opened} opened, closed: {closed}; "
            f"{r.open_duties} open, [red]{r.overdue} overdue[/]"
        )
        for name in r.handovers:
            console.print(f"  [yellow]handover needed[/]: {name} (a holder has left)")
        for key, value in sorted(r.extra.items()):
            console.print(f"{key.replace('_', ' ').capitalize()}: {value}")
        if not r.school_day:
            console.print("[yellow]Not a school day: no reminders today.[/]")
            continue
        queued = [x for x in r.reminders if x.queued or dry_run]
        if not queued:
            console.print("Reminders: none due today.")
            continue
        table = Table(
            title=f"Reminders {'that would be ' if dry_run else ''}queued ({len(queued)} emails)",
            show_lines=False,
        )
        for col in ("To", "Items", "Stage", "Copied"):
            table.add_column(col)
        for x in queued[:15]:
            table.add_row(
                x.person_email, "; ".join(x.items), ", ".join(x.labels), ", ".join(x.cc) or "—"
            )
        if len(queued) > 15:
            table.caption = f"…and {len(queued) - 15} more"
        console.print(table)
        stages = Counter(label.split(":")[0] for x in queued for label in x.labels)
        console.print("Stages: " + ", ".join(f"{k} {v}" for k, v in sorted(stages.items())))
    if dry_run:
        console.print("[bold]Dry run[/]: nothing was written or sent.")
        return
    extra = ""
    if stats is not None and (stats.retry_later or stats.failed or stats.delivery_unknown):
        extra = (
            f" ({stats.retry_later} to retry, {stats.failed} failed, "
            f"{stats.delivery_unknown} delivery unknown)"
        )
    console.print(f"\n[bold green]{sent} message(s) delivered[/]{extra}. Outbox: {outbox_dir}")


def print_status(console: Console, ctx: AppContext) -> None:
    """The dashboard's headline figures in the terminal."""
    from bot.clock import local_today
    from bot.figures import compute_figures
    from bot.models import utcnow

    today = local_today(utcnow())
    with ctx.store.session() as session:
        for school in ctx.config.schools:
            f = compute_figures(session, school.id, today)
            console.rule(f"[bold]{school.name}[/] — {today:%A %d %B %Y}")
            console.print(
                f"Acknowledgements: [bold]{f.ack_rate:.0%}[/] (target {f.ack_target:.0%})"
                f"   Training: [bold]{f.training_rate:.0%}[/]   "
                f"Overdue duties: [bold red]{f.overdue_duties}[/]   "
                f"Open reports: [bold]{f.open_reports}[/]"
            )
            table = Table(title="Policies")
            for col in ("Policy", "Version", "Acknowledged", "Overdue", "Review"):
                table.add_column(col)
            for p in f.policies:
                colour = {"overdue": "red", "due soon": "yellow"}.get(p.review, "green")
                table.add_row(
                    p.title,
                    p.version or "—",
                    f"{p.done}/{p.owed} ({p.rate:.0%})",
                    str(p.overdue),
                    f"[{colour}]{p.review}[/]"
                    + (f" ({p.next_review:%d %b %Y})" if p.next_review else ""),
                )
            console.print(table)
            acc = Table(title="Official accounts")
            for col in ("Account", "Holders", "Unsigned", "Handover"):
                acc.add_column(col)
            for a in f.accounts:
                acc.add_row(
                    a.name,
                    str(a.holders),
                    f"[red]{a.unsigned}[/]" if a.unsigned else "0",
                    "[yellow]needed[/]" if a.handover_needed else "—",
                )
            console.print(acc)
            for line in f.needs_attention():
                console.print(f"• {line}")
