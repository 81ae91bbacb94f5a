"""``compliance-bot visitors ...``: deleting visitors' confirmations after the retention.

Its commands import the feature's modules when they run: most load SQLAlchemy and the models
(~1 s measured), and ``--help`` answers without them (tests/cli/test_demo.py).
"""

from __future__ import annotations

from typing import Annotated

import typer

from bot.core.language.i18n import nsay
from bot.engine.commands import (
    AsOf,
    EverySchool,
    as_of_today,
    console,
    context,
    friendly,
    schools_of,
)

__all__ = ["visitors_app"]


def visitors_purge(
    school: EverySchool = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only say how many would be deleted.")
    ] = False,
    as_of: AsOf = None,
) -> None:
    """Delete visitors' confirmations older than each school's retention (the sweep does too)."""
    # lazy: not loaded by --help (module docstring)
    from bot.features.visitors.service import purge_visitors

    ctx = context()
    today = as_of_today(as_of)
    for config in schools_of(ctx, school):
        with ctx.store.transaction() as session:
            count = purge_visitors(session, config, today, write=not dry_run)
        values = {"school": config.name, "days": config.visitor_retention_days}
        console.print(
            nsay(
                "%(school)s: %(num)d visitor confirmation older than %(days)s days would be "
                "deleted.",
                "%(school)s: %(num)d visitor confirmations older than %(days)s days "
                "would be deleted.",
                count,
                **values,
            )
            if dry_run
            else nsay(
                "%(school)s: %(num)d visitor confirmation older than %(days)s days deleted.",
                "%(school)s: %(num)d visitor confirmations older than %(days)s days deleted.",
                count,
                **values,
            )
        )


visitors_app = typer.Typer(help="Visitors' confirmations.", no_args_is_help=True)
visitors_app.command("purge")(friendly(visitors_purge))
