"""CLI: ``policies confirm-date`` — confirm (or correct) a next review date that was worked out.

Its commands import the feature's modules when they run: most load SQLAlchemy and the models
(~1 s measured), and ``--help`` answers without them (tests/cli/test_demo.py).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated

import typer

from bot.core.dates import REVIEW, DateWindowError
from bot.engine.commands import as_of_today, console, context, err, schools_of, where

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from bot.core.models import Policy

__all__ = ["policies_confirm_date", "policy_or_exit"]


def policies_confirm_date(
    key: Annotated[str, typer.Argument(help="The policy's key (see `policies list`).")],
    when: Annotated[
        str | None,
        typer.Option("--date", help="The right date, YYYY-MM-DD, if the worked-out one is wrong."),
    ] = None,
    school: Annotated[
        str | None, typer.Option("--school", help="School id (default: the first in the file).")
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Act as if today were this date (YYYY-MM-DD).")
    ] = None,
) -> None:
    """Confirm a policy's next review date worked out from its ratification date (audited)."""
    # lazy: not loaded by --help (module docstring)
    from bot.features.policies.review import confirm_review_date
    from bot.features.policies.rules import ReviewError

    ctx = context()
    where(ctx)
    school_id = schools_of(ctx, school)[0].id
    today = as_of_today(as_of)
    new_date: date | None = None
    if when is not None:
        try:
            new_date = REVIEW.parse(when, "--date (the next review date)", today,
                                    example="2026-09-30")
        except DateWindowError as exc:
            err.print(f"[bold red]error:[/] {exc}", highlight=False)
            raise typer.Exit(2) from None
    try:
        with ctx.store.transaction() as session:
            policy = policy_or_exit(session, school_id, key)
            confirmed = confirm_review_date(
                session, policy, actor="cli", today=today, new_date=new_date
            )
            title = policy.title
    except ReviewError as exc:
        err.print(f"[bold red]error:[/] {key}: {exc}", highlight=False)
        raise typer.Exit(1) from None
    console.print(
        f"[green]Confirmed[/]: the {title} is next due for review by "
        f"[bold]{confirmed:%d %b %Y}[/].",
        highlight=False,
    )


def policy_or_exit(session: Session, school_id: str, key: str) -> Policy:
    """The school's policy with this key; exit 2 pointing at `policies list` if there is none."""
    from sqlalchemy import select

    from bot.core.models import Policy

    policy = session.scalar(select(Policy).where(Policy.school_id == school_id, Policy.key == key))
    if policy is None:
        err.print(f"[bold red]error:[/] no policy {key!r} (see `policies list`)")
        raise typer.Exit(2)
    return policy
