"""``compliance-bot campaign add|list|editions``: register a reading campaign's edition (the exact
file an audience reads), list the editions registered, and export who acknowledged each
edition (CSV, one row per person and edition).

Its commands import the feature's modules when they run: most load SQLAlchemy and the models
(~1 s measured), and ``--help`` answers without them (tests/cli/test_demo.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.core.days.dates import CALENDAR, DateWindowError
from bot.core.language.i18n import Dated, say
from bot.engine.commands import (
    SchoolOption,
    as_of_today,
    console,
    context,
    fail,
    friendly,
    one_school,
    schools_of,
)

__all__ = ["campaign_app"]

campaign_app = typer.Typer(
    help="Reading campaigns (the national safeguarding guidance staff read every year).",
    no_args_is_help=True,
)


@campaign_app.command("add")
@friendly
def campaign_add(
    campaign: Annotated[str, typer.Argument(help="The reading campaign's requirement id.")],
    file: Annotated[
        Path,
        typer.Option(
            "--file",
            help="The edition's document (.pdf, .docx, .md or .txt), stored exactly as given.",
        ),
    ],
    title: Annotated[str, typer.Option("--title", help="The edition's title, as staff see it.")],
    audience: Annotated[
        str,
        typer.Option(
            "--audience", help="Which of the campaign's audiences reads this file (e.g. part-1)."
        ),
    ],
    edition: Annotated[
        str | None,
        typer.Option(
            "--edition", help="The edition's name (default: the year it comes into force)."
        ),
    ] = None,
    in_force: Annotated[
        str | None,
        typer.Option(
            "--in-force", help="The day staff are asked to read it (YYYY-MM-DD; default today)."
        ),
    ] = None,
    school: SchoolOption = None,
) -> None:
    """Register an edition: from the day it comes into force everyone in its audience is asked
    to read and acknowledge it once; open asks for the previous edition close as superseded."""
    # lazy: not loaded by --help (module docstring)
    from bot.features.reading.service import EditionError, register_edition

    ctx, chosen = one_school(school)
    today = as_of_today(None)
    try:
        day = (
            CALENDAR.parse(in_force, "--in-force", today, example="2026-09-01")
            if in_force
            else today
        )
    except DateWindowError as exc:
        fail(exc.msg, highlight=False)
    try:
        with ctx.store.transaction() as session:
            result = register_edition(
                session,
                chosen,
                campaign,
                audience,
                title=title,
                edition=edition or str(day.year),
                path=file,
                in_force=day,
                actor="cli",
            )
            label, sha = result.version.label, result.version.sha256
    except EditionError as exc:
        fail(exc.msg, highlight=False, soft_wrap=True)
    if result.already:
        console.print(
            say(
                "Already registered: this file is edition %(label)s (%(sha)s…).",
                label=label,
                sha=sha[:12],
            )
        )
        return
    console.print(
        say(
            "[green]Registered[/] %(title)s (edition %(label)s, SHA-256 %(sha)s…), asked from "
            "%(day)s. The next sweep asks everyone it is for.",
            title=title,
            label=label,
            sha=sha[:12],
            day=Dated(day, "%-d %B %Y", "d MMMM y"),
        ),
        highlight=False,
    )


@campaign_app.command("list")
@friendly
def campaign_list(school: SchoolOption = None) -> None:
    """Each reading campaign's audiences and their registered editions."""
    from bot.features.reading.service import editions_of

    ctx = context()
    with ctx.store.session() as session:
        for chosen in schools_of(ctx, school):
            for req in (r for r in chosen.requirements if r.kind == "reading_campaign"):
                console.print(f"[bold]{req.display_title}[/] ({req.id})", highlight=False)
                for part in req.audiences:
                    found = editions_of(session, chosen.id, req.edition_key(part))
                    if not found:
                        console.print(
                            "  " + say("%(part)s: no edition registered yet", part=part),
                            highlight=False,
                        )
                    for v in found:
                        console.print(
                            "  "
                            + say(
                                "%(part)s: edition %(label)s from %(day)s · %(file)s · %(sha)s…",
                                part=part,
                                label=v.label,
                                file=v.document_name,
                                sha=v.sha256[:12],
                                day=Dated(v.published_on, "%-d %B %Y", "d MMMM y"),
                            ),
                            highlight=False,
                        )


@campaign_app.command("editions")
@friendly
def campaign_editions(school: SchoolOption = None) -> None:
    """Who acknowledged each edition, as CSV on standard output: one row per person and
    edition, every edition ever registered (audited)."""
    import sys

    from bot.core import audit
    from bot.core.days.clock import LONDON
    from bot.core.language.words import csv_text
    from bot.features.reading.service import EDITION_HEADER, edition_acknowledgements

    ctx = context()
    every: list[tuple[object, ...]] = []
    with ctx.store.transaction() as session:
        for chosen in schools_of(ctx, school):
            rows = edition_acknowledgements(session, chosen, LONDON)
            every += rows
            audit.record(
                session,
                actor="cli",
                action="reading.editions_exported",
                object_type="reading_campaign",
                school_id=chosen.id,
                details={"rows": len(rows), "via": "cli"},
            )
    sys.stdout.write(csv_text(EDITION_HEADER, every, bom=False))
