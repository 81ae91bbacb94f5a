"""Rich renderings shared by CLI commands (sweep summary, status)."""

from __future__ import annotations

import math
from collections import Counter
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from rich.columns import Columns
    from rich.panel import Panel

    from bot.core.context import AppContext
    from bot.core.delivery import Trouble
    from bot.core.outbox import DispatchStats
    from bot.engine.sweep import SchoolSweep
    from bot.features.dashboard.rules import Figures

__all__ = ["print_status", "print_sweep", "print_trouble"]


def print_sweep(
    console: Console,
    results: list[SchoolSweep],
    sent: int,
    outbox_dir: Path,
    *,
    dry_run: bool = False,
    stats: DispatchStats | None = None,
    trouble: Trouble | None = None,
) -> None:
    """What a cycle did: per school, then what was delivered and where, and what waits for a
    person (messages that may not have arrived or were refused, a paused channel)."""
    for r in results:
        _print_school_sweep(console, r)
        if not r.school_day:
            console.print("[yellow]Not a school day: no reminders today.[/]")
            continue
        _print_reminders(console, r, dry_run=dry_run)
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
    if trouble is not None:
        print_trouble(console, trouble)


def print_trouble(console: Console, trouble: Trouble) -> None:
    """Paused channels and the messages that need a person, with what to do."""
    from bot.core.clock import to_local

    for state in trouble.paused:
        assert state.paused_until is not None
        what = "Email" if state.channel == "email" else "Channel cards"
        console.print(
            f"[yellow]{what} paused[/] until {to_local(state.paused_until):%a %d %b %H:%M} "
            f"after the platform's last answer ({state.reason}). Queued messages wait; none "
            "is lost.",
            highlight=False,
        )
    if trouble.unknown:
        console.print(
            f"[yellow]{trouble.unknown} message(s) may not have arrived[/]: the platform did not "
            "confirm them, so the bot will not send them again on its own. Check the sending "
            "mailbox's Sent Items, then run `compliance-bot outbox resolve ID --sent --as YOU` "
            "(it arrived) or `--resend`; `compliance-bot outbox --status delivery_unknown` "
            "lists them.",
            highlight=False,
        )
    if trouble.failed:
        console.print(
            f"[red]{trouble.failed} message(s) could not be delivered[/]: the platform refused "
            "them (often a wrong address); `compliance-bot outbox --status failed` says why.",
            highlight=False,
        )


def _print_school_sweep(console: Console, r: SchoolSweep) -> None:
    """One school's directory, warnings, duties, handovers and step counts."""
    d = r.directory
    console.rule(f"[bold]{r.school_name}[/] — cycle as of {r.as_of:%A %d %B %Y}")
    console.print(
        f"Directory: {d.added} added, {d.updated} updated, {d.left} left, "
        f"{d.unchanged} unchanged"
        + (f", [yellow]{len(d.rejected)} rows rejected[/]" if d.rejected else "")
    )
    if d.error:
        console.print(
            f"  [red]directory not read[/]: {d.error} — carried on with the people "
            "already known",
            highlight=False,
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


def _print_reminders(console: Console, r: SchoolSweep, *, dry_run: bool) -> None:
    """The reminders queued (or that would be) for one school, and their stages."""
    queued = [x for x in r.reminders if x.queued or dry_run]
    if not queued:
        console.print("Reminders: none due today.")
        return
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


def _pct(rate: float) -> str:
    """Whole percent rounded down, as on the dashboard and the digest."""
    return f"{math.floor(rate * 100 + 1e-9)}%"


def print_status(console: Console, ctx: AppContext, *, today: date | None = None) -> None:
    """The dashboard's headline figures in the terminal (counts only, never report contents)."""
    from bot.core.clock import local_today
    from bot.core.delivery import trouble
    from bot.core.models import utcnow
    from bot.features.dashboard.figures import compute_figures

    now = utcnow()
    day = today or local_today(now)
    with ctx.store.session() as session:
        for school in ctx.config.schools:
            f = compute_figures(session, school.id, day, now=now)
            console.rule(f"[bold]{school.name}[/] — {day:%A} {day.day} {day:%B %Y}")
            console.print(
                f"Acknowledgements: [bold]{_pct(f.ack_rate)}[/] (target {_pct(f.ack_target)})"
                f"   Training: [bold]{_pct(f.training_rate)}[/]"
                f"   Overdue duties: [bold]{f.overdue_duties}[/]"
                f"   Open reports: [bold]{f.open_reports}[/]",
                highlight=False,
            )
            console.print(_tiles(f))
            _print_attention(console, f)
            console.print(_policies_table(f))
            if f.training:
                console.print(_training_table(f))
            console.print(_accounts_table(f))
            console.print(_reports_table(f))
        waiting = trouble(session, now, [school.id for school in ctx.config.schools])
    print_trouble(console, waiting)


def _tile(value: str, label: str, note: str, style: str = "bold") -> Panel:
    """One dashboard tile: a figure, what it counts, and a note."""
    from rich.panel import Panel

    return Panel(f"[{style}]{value}[/]\n{label}\n[dim]{note}[/]", expand=True)


def _tiles(f: Figures) -> Columns:
    """The six dashboard tiles, side by side."""
    from rich.columns import Columns

    ack_style = "bold green" if f.ack_rate >= f.ack_target else "bold yellow"
    training_style = "bold green" if f.training_rate >= f.ack_target else "bold yellow"
    return Columns(
        [
            _tile(
                _pct(f.ack_rate),
                "policies acknowledged",
                f"{f.ack_done} of {f.ack_owed} · target {_pct(f.ack_target)}",
                ack_style,
            ),
            _tile(
                _pct(f.training_rate),
                "training up to date",
                f"{f.training_done} of {f.training_owed}",
                training_style,
            ),
            _tile(
                f"{f.accounts_unsigned} of {len(f.accounts)}",
                "accounts with unsigned holders",
                f"{f.handovers} handover(s) needed",
                "bold red" if f.accounts_unsigned else "bold",
            ),
            _tile(
                str(f.policies_overdue),
                "policy reviews overdue",
                f"{f.policies_due_soon} due within 30 days",
                "bold red" if f.policies_overdue else "bold",
            ),
            _tile(
                str(f.open_reports),
                "open reports",
                f"{f.running_clocks} clock(s) running, {f.clocks_overdue} overdue",
                "bold red" if f.clocks_overdue else "bold",
            ),
            _tile(
                str(f.overdue_duties),
                "overdue duties",
                f"of {f.open_duties} open · {f.people} people",
                "bold yellow" if f.overdue_duties else "bold",
            ),
        ],
        equal=True,
    )


def _print_attention(console: Console, f: Figures) -> None:
    """The things needing someone now, or a reassurance."""
    attention = f.attention()
    if not attention:
        console.print("[green]Nothing needs you now.[/]")
        return
    console.print("[bold]Things needing you now[/]")
    for item in attention:
        colour = "red" if item.severity == "bad" else "yellow"
        console.print(f"  [{colour}]•[/] {item.text}", highlight=False)


def _policies_table(f: Figures) -> Table:
    """Policies: version, acknowledgements, overdue duties and review state."""
    table = Table(title="Policies")
    for col in ("Policy", "Version", "Acknowledged", "Overdue", "Review"):
        table.add_column(col, justify="right" if col in ("Overdue",) else "left")
    for p in f.policies:
        colour = {"overdue": "red", "due soon": "yellow"}.get(p.review, "green")
        ack = f"{p.done}/{p.owed} ({_pct(p.rate)})" if p.required else "not asked"
        table.add_row(
            p.title,
            p.version or "—",
            ack,
            str(p.overdue),
            f"[{colour}]{p.review}[/]"
            + (f" ({p.next_review:%d %b %Y})" if p.next_review else ""),
        )
    return table


def _training_table(f: Figures) -> Table:
    """Training courses: who should be trained, up to date, expired, never trained."""
    training = Table(title="Training")
    for col in ("Course", "Should be trained", "Up to date", "Expired", "Never"):
        training.add_column(col, justify="left" if col == "Course" else "right")
    for t in f.training:
        training.add_row(
            t.course,
            str(t.audience),
            f"{t.up_to_date} ({_pct(t.rate)})",
            str(t.expired),
            str(t.never),
        )
    return training


def _accounts_table(f: Figures) -> Table:
    """Official accounts: holders, unsigned holders, handovers."""
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
    return acc


def _reports_table(f: Figures) -> Table:
    """Open reports counted by urgency and age band (never their contents)."""
    from bot.features.dashboard.rules import AGE_BANDS

    reports = Table(title="Open reports by urgency and age (counts only)")
    reports.add_column("Urgency")
    for band in AGE_BANDS:
        reports.add_column(band, justify="right")
    for urgency, bands in f.reports_by_age.items():
        reports.add_row(urgency, *(str(bands[b]) for b in AGE_BANDS))
    return reports
