"""``compliance-bot training ...``: import completions from a provider's CSV export.

Its commands import the feature's modules when they run: most load SQLAlchemy and the models
(~1 s measured), and ``--help`` answers without them (tests/cli/test_demo.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.core.days.clock import local_today
from bot.engine.commands import console, err, fail, friendly, one_school

__all__ = ["training_app"]

training_app = typer.Typer(help="Training completions.", no_args_is_help=True)


@training_app.command("import")
@friendly
def training_import(
    file: Annotated[
        Path,
        typer.Argument(help="CSV or Excel workbook with email, course, completed_on[, provider]."),
    ],
    school: Annotated[str | None, typer.Option(help="School id (default: the first).")] = None,
) -> None:
    """Import training completions from a provider's export, CSV or workbook (re-import is
    safe)."""
    from rich.progress import Progress  # lazy: not loaded by --help (module docstring)

    from bot.core.language.i18n import Msg, say
    from bot.core.models import utcnow
    from bot.features.training.service import import_training_csv

    ctx, chosen = one_school(school)  # the school's language from here on
    if not file.exists():
        fail(Msg("%(file)s: file not found", file=file))
    courses = [course for r in chosen.requirements for course in r.courses]
    total = max(sum(1 for _ in file.open(encoding="utf-8", errors="replace")) - 1, 1)
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task(say("Importing"), total=total)
        with ctx.store.transaction() as session:
            report = import_training_csv(
                session,
                chosen.id,
                file,
                actor="cli",
                today=local_today(utcnow()),
                courses=courses,
                progress=lambda line: progress.update(task, completed=line - 1),
            )
    for line in report.errors:
        err.print(say("[yellow]skipped[/] %(problem)s", problem=line), highlight=False)
    console.print(
        say(
            "[green]%(imported)d imported[/], %(present)d already present, %(rejected)d rejected.",
            imported=report.imported,
            present=report.already_present,
            rejected=len(report.errors),
        )
    )
    if report.errors and not report.imported and not report.already_present:
        raise typer.Exit(1)
