"""CLI for the policy register: ``policies import|list|review|gaps|confirm-date``.
``bot.cli.main`` mounts ``policies_app``; ``policies import`` (reading documents) is its own
module, ``import_cli``.

Its commands import the feature's modules when they run: most load SQLAlchemy and the models
(~1 s measured), and ``--help`` answers without them (tests/cli/test_demo.py).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Column

from bot.core.days.dates import HAPPENED, REVIEW, DateWindowError
from bot.core.language.i18n import N_, Dated, say
from bot.core.language.words import plural, version_name
from bot.engine.commands import (
    AsOf,
    SchoolOption,
    as_of_today,
    console,
    context,
    fail,
    friendly,
    one_school,
    schools_of,
    table,
)
from bot.features.policies.import_cli import policies_import

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from bot.core.models import Policy
    from bot.features.policies.register import RegisterRow

__all__ = ["policies_app"]

# --------------------------------------------------------------------------- list, review, gaps


def policies_list(school: SchoolOption = None, as_of: AsOf = None) -> None:
    """The policy register as a table: dates, status and current version."""
    # lazy: not loaded by --help (module docstring)
    from bot.features.policies.register import register

    ctx = context()
    school_id = schools_of(ctx, school)[0].id
    today = as_of_today(as_of)
    colour = {"overdue": "red", "due soon": "yellow", "current": "green"}
    with ctx.store.session() as session:
        rows = register(session, school_id, today)
        shown = table(
            f"Policy register as of {today:%a %d %b %Y}",
            (
                Column("Key", overflow="fold", style="bold"),
                "Policy",
                "Reviewed / ratified",
                "Next review",
                "Status",
                "Version",
            ),
            (_register_row(row, colour) for row in rows),
            fold=True,
        )
    console.print(shown)
    console.print(f"{len(rows)} policies.")


def _register_row(row: RegisterRow, colour: dict[str, str]) -> tuple[str, ...]:
    """One policy's cells in ``policies list``: key, title, dates, status and version."""
    p = row.policy
    version = p.current_version
    reviewed = f"{p.last_reviewed:%d %b %Y}" if p.last_reviewed else "—"
    ratified = f"{p.ratified_on:%d %b %Y}" if p.ratified_on else "—"
    due = f"{p.next_review_due:%d %b %Y}" if p.next_review_due else "—"
    if p.next_review_due and p.next_review_derived:  # worked out from the ratification
        due += "\n[yellow](worked out — please confirm)[/]"
    return (
        p.key,
        f"{p.title}\n[dim]{p.approving_body} · every {p.review_cycle_months} months"
        f" · owner {row.owner_name or '—'}[/]",
        f"{reviewed}\n{ratified}",
        due,
        f"[{colour.get(row.status, 'white')}]{row.status}[/]",
        f"{version.label}\n[dim]{version.sha256[:12]}[/]" if version else "—",
    )


def policies_review(
    key: Annotated[str, typer.Argument(help="The policy's key (see `policies list`).")],
    when: Annotated[str, typer.Option("--date", help="Meeting date, YYYY-MM-DD.")],
    body: Annotated[
        str,
        typer.Option(
            "--body",
            help="Who reviewed it: the governing body (in your nation's words) or a "
            "committee's name.",
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

    ctx, chosen = one_school(school)
    today = as_of_today(as_of)
    try:
        day = HAPPENED.parse(when, N_("--date (the review meeting)"), today, example="2026-03-12")
    except DateWindowError as exc:
        fail(exc.msg, highlight=False)
    upload = None
    if document is not None:
        if not document.is_file():
            fail(say("%(file)s: file not found", file=document))
        upload = (document.name, document.read_bytes())
    try:
        with ctx.store.transaction() as session:
            policy = _policy_or_exit(session, chosen.id, key)
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
        fail(say("%(policy)s: %(problem)s", policy=key, problem=exc.msg), 1, highlight=False)
    console.print(
        say(
            "[green]Review recorded[/] for %(policy)s: reviewed %(day)s by %(body)s; next review "
            "due [bold]%(due)s[/].",
            policy=key,
            body=body,
            day=Dated(result.reviewed_on, "%d %b %Y", "dd MMM y"),
            due=Dated(result.next_review_due, "%d %b %Y", "dd MMM y"),
        ),
        highlight=False,
    )
    if result.new_version:
        console.print(
            say(
                "New version published ([bold]%(version)s[/]): staff who must acknowledge this "
                "policy are asked to on the next sweep.",
                version=version_name(result.new_version),
            )
        )
    elif result.document_unchanged:
        console.print(say("The document is the same as the current version: no new version."))


def policies_gaps(school: SchoolOption = None) -> None:
    """Policies named by others in the register (linked policies) that it does not hold."""
    from bot.features.policies.register import register_gaps

    ctx = context()
    school_id = schools_of(ctx, school)[0].id
    with ctx.store.session() as session:
        gaps = register_gaps(session, school_id)
    if not gaps:
        console.print(say("[green]No gaps[/]: every linked policy is in the register."))
        return
    console.print(
        table(
            "Linked policies missing from the register",
            ("Policy named", "Named by"),
            ((gap.title, "; ".join(gap.wanted_by)) for gap in gaps),
        )
    )
    console.print(f"{plural(len(gaps), 'gap')}.")


def policies_confirm_date(
    key: Annotated[str, typer.Argument(help="The policy's key (see `policies list`).")],
    when: Annotated[
        str | None,
        typer.Option("--date", help="The right date, YYYY-MM-DD, if the worked-out one is wrong."),
    ] = None,
    school: Annotated[
        str | None, typer.Option("--school", help="School id (default: the first in the file).")
    ] = None,
    as_of: AsOf = None,
) -> None:
    """Confirm a policy's next review date worked out from its ratification date (audited)."""
    # lazy: not loaded by --help (module docstring)
    from bot.features.policies.review import confirm_review_date
    from bot.features.policies.rules import ReviewError

    ctx, chosen = one_school(school)
    today = as_of_today(as_of)
    new_date: date | None = None
    if when is not None:
        try:
            new_date = REVIEW.parse(
                when, N_("--date (the next review date)"), today, example="2026-09-30"
            )
        except DateWindowError as exc:
            fail(exc.msg, highlight=False)
    try:
        with ctx.store.transaction() as session:
            policy = _policy_or_exit(session, chosen.id, key)
            confirmed = confirm_review_date(
                session, policy, actor="cli", today=today, new_date=new_date
            )
            title = policy.title
    except ReviewError as exc:
        fail(say("%(policy)s: %(problem)s", policy=key, problem=exc.msg), 1, highlight=False)
    console.print(
        say(
            "[green]Confirmed[/]: the %(title)s is next due for review by [bold]%(day)s[/].",
            title=title,
            day=Dated(confirmed, "%d %b %Y", "dd MMM y"),
        ),
        highlight=False,
    )


def _policy_or_exit(session: Session, school_id: str, key: str) -> Policy:
    """The school's policy with this key; exit 2 pointing at `policies list` if there is none."""
    from sqlalchemy import select

    from bot.core.models import Policy

    policy = session.scalar(select(Policy).where(Policy.school_id == school_id, Policy.key == key))
    if policy is None:
        fail(say("no policy %(key)s (see `policies list`)", key=repr(key)))
    return policy


policies_app = typer.Typer(help="The policy register.", no_args_is_help=True)
policies_app.command("import")(friendly(policies_import))
policies_app.command("list")(friendly(policies_list))
policies_app.command("review")(friendly(policies_review))
policies_app.command("gaps")(friendly(policies_gaps))
policies_app.command("confirm-date")(friendly(policies_confirm_date))
