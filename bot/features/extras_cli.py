"""``compliance-bot decisions ...`` and ``compliance-bot visitors ...``.

The decisions register is leadership data: ``decisions list`` prints counts by type only, unless
``--show`` is given with ``--as`` naming a DSL, deputy DSL or headteacher (and that is audited).
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.common import as_of_today, console, context, err, friendly, schools_of

if TYPE_CHECKING:
    from bot.core.config import SchoolConfig
    from bot.core.context import AppContext
    from bot.core.models import Person

__all__ = ["decisions_app", "visitors_app"]


SchoolOption = Annotated[
    str | None, typer.Option("--school", help="School id (default: every school).")
]
AsOfOption = Annotated[
    str | None, typer.Option("--as-of", help="Act as if today were this date (YYYY-MM-DD).")
]


def _leader(ctx: AppContext, school: SchoolConfig, email: str | None) -> Person:
    """The named DSL, deputy or headteacher of the school; exit 2 otherwise."""
    from sqlalchemy import select

    from bot.core.models import Person
    from bot.core.permissions import LEADERSHIP

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

    from bot.core import audit
    from bot.core.models import Decision
    from bot.features import extras

    ctx = context()
    today = as_of_today(as_of)
    for config in schools_of(ctx, school):
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
    from bot.features import extras

    ctx = context()
    today = as_of_today(as_of)
    for config in schools_of(ctx, school):
        with ctx.store.transaction() as session:
            count = extras.purge_visitors(session, config, today, write=not dry_run)
        verb = "would be deleted" if dry_run else "deleted"
        console.print(
            f"{config.name}: {count} visitor confirmation(s) older than "
            f"{config.visitor_retention_days} days {verb}."
        )


decisions_app = typer.Typer(help="The decisions and exceptions register.", no_args_is_help=True)
visitors_app = typer.Typer(help="Visitors' confirmations.", no_args_is_help=True)
decisions_app.command("list")(friendly(decisions_list))
visitors_app.command("purge")(friendly(visitors_purge))
