"""``compliance-bot complaints counts``: data-protection complaints counted per period (for the
number the regulations may ask the school to report), as a table or CSV; never content.

Its commands import the feature's modules when they run, so ``--help`` answers at once.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from bot.core.i18n import say
from bot.engine.commands import SchoolOption, console, context, friendly, schools_of

__all__ = ["complaints_app"]

complaints_app = typer.Typer(help="Data protection complaints (counts only).", no_args_is_help=True)


@complaints_app.command("counts")
@friendly
def complaints_counts(
    period: Annotated[
        str,
        typer.Option(
            "--period", help="month, quarter or year (of the day each complaint arrived)."
        ),
    ] = "quarter",
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV on standard output.")] = False,
    school: SchoolOption = None,
) -> None:
    """Complaints received, acknowledged in time or late, outcomes given, per period."""
    from bot.core.words import csv_text  # lazy: not loaded by --help (module docstring)
    from bot.features.privacy.rules import COUNT_HEADER, PERIODS
    from bot.features.privacy.service import audit_complaint, complaint_counts

    if period not in PERIODS:  # Click's usage error (its frame is English), before any school
        raise typer.BadParameter(f"choose one of {', '.join(PERIODS)}", param_hint="--period")
    ctx = context()
    rows: list[tuple[object, ...]] = []
    with ctx.store.transaction() as session:
        for chosen in schools_of(ctx, school):
            counts = complaint_counts(session, chosen.id, period)
            audit_complaint(
                session, chosen, "cli", "complaint.counts_read", None, period=period, csv=as_csv
            )
            if as_csv:
                rows += ((chosen.name, *c.row()) for c in counts)
                continue
            console.print(f"[bold]{chosen.name}[/]", highlight=False)
            if not counts:
                console.print("  " + say("No complaints yet."))
            for c in counts:
                console.print(
                    "  "
                    + say(
                        "%(period)s: %(received)s received, %(in_time)s acknowledged within 30 "
                        "days, %(late)s late, %(awaiting)s awaiting; %(outcomes)s outcomes "
                        "(%(by_due)s by the date set), %(open)s open",
                        period=c.period,
                        received=c.received,
                        in_time=c.acknowledged_in_time,
                        late=c.acknowledged_late,
                        awaiting=c.awaiting_acknowledgement,
                        outcomes=c.outcomes,
                        by_due=c.outcomes_by_due,
                        open=c.open,
                    ),
                    highlight=False,
                )
    if as_csv:
        sys.stdout.write(csv_text(("School", *COUNT_HEADER), rows, bom=False))
