"""``compliance-bot decisions ...`` and ``compliance-bot visitors ...``.

The decisions register is leadership data: ``decisions list`` prints counts by type only, unless
``--show`` is given with ``--as`` naming a DSL, deputy DSL or headteacher (and that is audited).
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

if TYPE_CHECKING:
    from bot.config import SchoolConfig
    from bot.context import AppContext
    from bot.models import Person

__all__ = ["register"]

console = Console()
err = Console(stderr=True)

SchoolOption = Annotated[
    str | None, typer.Option("--school", help="School id (default: every school).")
]
AsOfOption = Annotated[
    str | None, typer.Option("--as-of", help="Act as if today were this date (YYYY-MM-DD).")
]


def _context() -> AppContext:
    from bot.context import AppContext
    from bot.settings import load_settings

    return AppContext(load_settings())


def _schools(ctx: AppContext, school_id: str | None) -> list[SchoolConfig]:
    if school_id is None:
        return list(ctx.config.schools)
    try:
        return [ctx.config.school(school_id)]
    except KeyError:
        err.print(f"[bold red]error:[/] there is no school with id {school_id!r}.")
        raise typer.Exit(2) from None


def _today(as_of: str | None) -> date:
    from bot.clock import local_today
    from bot.models import utcnow

    if as_of is None:
        return local_today(utcnow())
    try:
        return date.fromisoformat(as_of)
    except ValueError:
        err.print(f"[bold red]error:[/] --as-of must be a date like 2026-11-23 (got {as_of!r})")
        raise typer.Exit(2) from None


def _leader(ctx: AppContext, school: SchoolConfig, email: str | None) -> Person:
    """The named DSL, deputy or headteacher of the school; exit 2 otherwise."""
    from sqlalchemy import select

    from bot.models import Person
    from bot.web.common import LEADERSHIP

    if not email:
        err.print(
            "[bold red]error:[/] --show lists personal details: say who you are with "
            "--as EMAIL (a DSL, deputy DSL or headteacher; it is recorded)."
        )
        raise typer.Exit(2)
    with ctx.store.session() as session:
        person = session.scalar(
            select(Person).where(
                Person.school_id == school.id,
                Person.email == email.strip().lower(),
                Person.active.is_(True),
            )
        )
        roles = person.role_names if person is not None else set()
    if person is None or not roles & LEADERSHIP:
        err.print(
            f"[bold red]error:[/] {email} is not a DSL, deputy DSL or headteacher of {school.name}."
        )
        raise typer.Exit(2)
    return person


def decisions_list(
    school: SchoolOption = None,
    show: Annotated[
        bool, typer.Option("--show", help="Also list each decision (needs --as; recorded).")
    ] = False,
    actor: Annotated[
        str | None, typer.Option("--as", help="Your email, for --show (recorded).")
    ] = None,
    as_of: AsOfOption = None,
) -> None:
    """Counts of open decisions by type and review state (no personal details)."""
    from rich.table import Table
    from sqlalchemy import select

    from bot import audit, extras
    from bot.models import Decision

    ctx = _context()
    today = _today(as_of)
    for config in _schools(ctx, school):
        leader = _leader(ctx, config, actor) if show else None
        with ctx.store.transaction() as session:
            decisions = session.scalars(
                select(Decision)
                .where(Decision.school_id == config.id)
                .order_by(Decision.status.desc(), Decision.review_on, Decision.id)
            ).all()
            states = Counter(extras.review_state(d.review_on, d.status, today) for d in decisions)
            kinds = Counter(d.kind for d in decisions if d.status == "open")
            console.print(
                f"[bold]{config.name}[/] — {states['overdue'] + states['due'] + states['ok']} "
                f"open decision(s): [red]{states['overdue']} overdue for review[/], "
                f"[yellow]{states['due']} due within {extras.DUE_SOON_DAYS} days[/]; "
                f"{states['closed']} closed.",
                soft_wrap=True,
            )
            for kind, label in extras.SHORT_KINDS.items():
                if kinds[kind]:
                    console.print(f"  {label}: {kinds[kind]}")
            if leader is None:
                continue
            table = Table(title=f"{config.name} — decisions as of {today:%d %b %Y}")
            for column in ("Reference", "Type", "About", "Decided by", "Review"):
                table.add_column(column)
            for d in decisions:
                about = d.subject_person.display_name if d.subject_person else d.subject_name
                state = extras.review_state(d.review_on, d.status, today)
                review = "closed" if state == "closed" else f"{d.review_on:%d %b %Y} ({state})"
                table.add_row(
                    extras.decision_reference(d.id),
                    extras.SHORT_KINDS.get(d.kind, d.kind),
                    about or "—",
                    d.decided_by.display_name,
                    review,
                )
            console.print(table)
            audit.record(
                session,
                actor=f"cli:{leader.email}",
                action="decisions.listed",
                object_type="decision",
                school_id=config.id,
                details={"via": "cli", "shown": len(decisions)},
            )


def visitors_purge(
    school: SchoolOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only say how many would be deleted.")
    ] = False,
    as_of: AsOfOption = None,
) -> None:
    """Delete visitors' confirmations older than each school's retention (the sweep does too)."""
    from bot import extras

    ctx = _context()
    today = _today(as_of)
    for config in _schools(ctx, school):
        with ctx.store.transaction() as session:
            count = extras.purge_visitors(session, config, today, write=not dry_run)
        verb = "would be deleted" if dry_run else "deleted"
        console.print(
            f"{config.name}: {count} visitor confirmation(s) older than "
            f"{config.visitor_retention_days} days {verb}."
        )


def register(app: typer.Typer) -> None:
    """Add the ``decisions`` and ``visitors`` command groups to the CLI."""
    from bot.cli import friendly

    decisions_app = typer.Typer(help="The decisions and exceptions register.", no_args_is_help=True)
    visitors_app = typer.Typer(help="Visitors' confirmations.", no_args_is_help=True)
    decisions_app.command("list")(friendly(decisions_list))
    visitors_app.command("purge")(friendly(visitors_purge))
    app.add_typer(decisions_app, name="decisions")
    app.add_typer(visitors_app, name="visitors")
