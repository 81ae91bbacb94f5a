"""CLI for governors: ``governors report``, mounted by ``bot.cli.main``.

The command imports the report module when it runs, so ``--help`` stays light.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from bot.core.language.i18n import say
from bot.core.language.words import capital, plural, school_words
from bot.engine.commands import AsOf, SchoolOption, as_of_today, console, fail, friendly, one_school

__all__ = ["governors_app"]


def governors_report(
    term: Annotated[
        str | None, typer.Option("--term", help="Term name, e.g. 'Autumn 2026' (default: now).")
    ] = None,
    pdf: Annotated[Path | None, typer.Option("--pdf", help="Also write the report as PDF.")] = None,
    school: SchoolOption = None,
    as_of: AsOf = None,
) -> None:
    """The termly report for those who govern the school: reviews, rates, AUP signatures,
    report counts."""
    from bot.features.governors.report import (  # lazy: SQLAlchemy and the models (~1 s)
        ReportError,
        build_report,
        pick_term,
        render_pdf,
    )

    ctx, school_cfg = one_school(school)
    today = as_of_today(as_of)
    try:
        chosen = pick_term(school_cfg, term, today)
    except ReportError as exc:
        fail(exc.msg, highlight=False)
    with ctx.store.session() as session:
        report = build_report(session, school_cfg, chosen, today)
    # English below: the terminal's preview for whoever runs the bot; the governors' own copy is
    # the page and the PDF, said in the school's language
    title = capital(f"{school_words(school_cfg).governors_of} report")
    console.rule(f"[bold]{title}[/] — {report.school_name}, {chosen.name}")
    console.print(  # English: as above
        f"{chosen.start:%d %b %Y} to {chosen.end:%d %b %Y}; figures as of {today:%d %b %Y}."
    )
    console.print(  # English: as above
        f"Policy reviews: {len(report.reviewed)} reviewed this term, "
        f"{len(report.due_in_term)} due this term, {len(report.overdue)} overdue now."
    )
    table = Table("Policy", "Version", "Next review", "Status", "Acknowledged", title="Policies")
    for p in report.policies:
        table.add_row(
            p.title,
            p.version or "—",
            f"{p.next_review:%d %b %Y}" if p.next_review else "—",
            p.status,
            f"{p.ack_done}/{p.ack_owed}" if p.ack_owed else "—",
        )
    console.print(table)
    console.print(  # English: as above
        f"Acknowledgement rate: {report.ack_rate:.0%} ({report.ack_done} of {report.ack_owed}). "
        f"Training rate: {report.training_rate:.0%} "
        f"({report.training_done} of {report.training_owed})."
    )
    console.print(  # English: as above
        f"AUP signatures: {plural(len(report.accounts), 'official account')}, "
        f"{plural(report.unsigned_holders, 'holder')} not yet signed."
    )
    console.print(  # English: as above
        f"Breach and concern reports this term: {report.reports_total} "
        f"({report.head_reports_note[:1].lower()}{report.head_reports_note[1:-1]})."
    )
    for heading, counts in (
        ("by category", report.reports_by_category),
        ("by status", report.reports_by_status),
        ("by outcome", report.reports_by_outcome),
    ):
        if counts:
            console.print(f"  {heading}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    if pdf is not None:
        # in the school's language, as the web route's (a cy+en school: Welsh, then English)
        pdf.write_bytes(render_pdf(report, school_cfg.language, school_words(school_cfg)))
        console.print(say("[green]PDF written[/]: %(file)s", file=pdf))


governors_app = typer.Typer(
    help="The termly report for those who govern the school.", no_args_is_help=True
)
governors_app.command("report")(friendly(governors_report))
