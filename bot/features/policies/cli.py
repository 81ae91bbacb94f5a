"""CLI for the policy register: ``policies import|list|review|gaps|confirm-date``.
``bot.cli.main`` mounts ``policies_app``.

Its commands import the feature's modules when they run: most load SQLAlchemy and the models
(~1 s measured), and ``--help`` answers without them (tests/cli/test_demo.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from bot.core.dates import HAPPENED, DateWindowError
from bot.core.words import plural, version_name
from bot.engine.commands import (
    AsOf,
    SchoolOption,
    as_of_today,
    console,
    context,
    err,
    friendly,
    schools_of,
    where,
)
from bot.features.policies.cli_confirm import policies_confirm_date, policy_or_exit
from bot.features.policies.cli_import import policies_import

if TYPE_CHECKING:
    from bot.core.context import AppContext

__all__ = ["policies_app"]


def _school_id(ctx: AppContext, school: str | None) -> str:
    """The named school's id (the first when None); exit 2 naming the known ids if unknown."""
    return schools_of(ctx, school)[0].id


# --------------------------------------------------------------------------- list, review, gaps


def policies_list(school: SchoolOption = None, as_of: AsOf = None) -> None:
    """The policy register as a table: dates, status and current version."""
    # lazy: not loaded by --help (module docstring)
    from bot.features.policies.register import register

    ctx = context()
    where(ctx)
    school_id = _school_id(ctx, school)
    today = as_of_today(as_of)
    colour = {"overdue": "red", "due soon": "yellow", "current": "green"}
    with ctx.store.session() as session:
        rows = register(session, school_id, today)
        table = Table(title=f"Policy register as of {today:%a %d %b %Y}")
        table.add_column("Key", overflow="fold", style="bold")
        for col in ("Policy", "Reviewed / ratified", "Next review", "Status", "Version"):
            table.add_column(col, overflow="fold")
        for row in rows:
            p = row.policy
            version = p.current_version
            reviewed = f"{p.last_reviewed:%d %b %Y}" if p.last_reviewed else "—"
            ratified = f"{p.ratified_on:%d %b %Y}" if p.ratified_on else "—"
            table.add_row(
                p.key,
                f"{p.title}\n[dim]{p.approving_body} · every {p.review_cycle_months} months"
                f" · owner {row.owner_name or '—'}[/]",
                f"{reviewed}\n{ratified}",
                _next_review_cell(p),
                f"[{colour.get(row.status, 'white')}]{row.status}[/]",
                f"{version.label}\n[dim]{version.sha256[:12]}[/]" if version else "—",
            )
    console.print(table)
    console.print(f"{len(rows)} policies.")


def _next_review_cell(policy: Any) -> str:
    """The next review date, noting one worked out from the ratification date."""
    if policy.next_review_due is None:
        return "—"
    note = "\n[yellow](worked out — please confirm)[/]" if policy.next_review_derived else ""
    return f"{policy.next_review_due:%d %b %Y}{note}"


def policies_review(
    key: Annotated[str, typer.Argument(help="The policy's key (see `policies list`).")],
    when: Annotated[str, typer.Option("--date", help="Meeting date, YYYY-MM-DD.")],
    body: Annotated[
        str,
        typer.Option(
            "--body", help="Who reviewed it: the whole governing body or a committee's name."
        ),
    ],
    minute: Annotated[str | None, typer.Option("--minute", help="Minute reference.")] = None,
    document: Annotated[
        Path | None, typer.Option("--document", help="The new document, if it changed.")
    ] = None,
    school: SchoolOption = None,
    as_of: AsOf = None,
) -> None:
    """Record a review and ratification; a changed document becomes version YYYY.N."""

    from bot.features.policies.review import record_review
    from bot.features.policies.rules import ReviewError

    ctx = context()
    where(ctx)
    school_id = _school_id(ctx, school)
    today = as_of_today(as_of)
    try:
        day = HAPPENED.parse(when, "--date (the review meeting)", today, example="2026-03-12")
    except DateWindowError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(2) from None
    upload = None
    if document is not None:
        if not document.is_file():
            err.print(f"[bold red]error:[/] {document}: file not found")
            raise typer.Exit(2)
        upload = (document.name, document.read_bytes())
    try:
        with ctx.store.transaction() as session:
            policy = policy_or_exit(session, school_id, key)
            result = record_review(
                session,
                policy,
                reviewed_on=day,
                body=body,
                minute_ref=minute,
                actor="cli",
                today=today,
                document=upload,
            )
    except ReviewError as exc:
        err.print(f"[bold red]error:[/] {key}: {exc}", highlight=False)
        raise typer.Exit(1) from None
    console.print(
        f"[green]Review recorded[/] for {key}: reviewed {result.reviewed_on:%d %b %Y} by "
        f"{body}; next review due [bold]{result.next_review_due:%d %b %Y}[/].",
        highlight=False,
    )
    if result.new_version:
        console.print(
            f"New version published ([bold]{version_name(result.new_version)}[/]): staff who "
            "must acknowledge "
            "this policy are asked to on the next sweep."
        )
    elif result.document_unchanged:
        console.print("The document is the same as the current version: no new version.")


def policies_gaps(school: SchoolOption = None) -> None:
    """Policies named by others in the register (linked policies) that it does not hold."""
    from bot.features.policies.register import register_gaps

    ctx = context()
    where(ctx)
    school_id = _school_id(ctx, school)
    with ctx.store.session() as session:
        gaps = register_gaps(session, school_id)
    if not gaps:
        console.print("[green]No gaps[/]: every linked policy is in the register.")
        return
    table = Table(title="Linked policies missing from the register")
    table.add_column("Policy named")
    table.add_column("Named by")
    for gap in gaps:
        table.add_row(gap.title, "; ".join(gap.wanted_by))
    console.print(table)
    console.print(f"{plural(len(gaps), 'gap')}.")


policies_app = typer.Typer(help="The policy register.", no_args_is_help=True)
policies_app.command("import")(friendly(policies_import))
policies_app.command("list")(friendly(policies_list))
policies_app.command("review")(friendly(policies_review))
policies_app.command("gaps")(friendly(policies_gaps))
policies_app.command("confirm-date")(friendly(policies_confirm_date))
