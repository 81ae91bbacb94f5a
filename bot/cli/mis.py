"""``compliance-bot mis status``: the school's MIS beside its tenant, in three lists (matched;
in the MIS with no account; possible leavers still with an account), any ambiguity, and why
the last read failed when it did (deploy/mis.md).

The MIS modules are imported when the command runs, so ``--help`` answers without them.
"""

from __future__ import annotations

import typer

from bot.core.language.i18n import say
from bot.engine.commands import (
    AsOf,
    SchoolOption,
    as_of_today,
    console,
    context,
    friendly,
    schools_of,
)

__all__ = ["mis_app"]

mis_app = typer.Typer(
    help="The staff list from the school's MIS, matched to the accounts.", no_args_is_help=True
)


@mis_app.command("status")
@friendly
def mis_status(school: SchoolOption = None, as_of: AsOf = None) -> None:
    """Who is in the MIS and the tenant, in the MIS with no account, or has an account but no
    current MIS record (possible leavers: named, never removed)."""
    from bot.cli.render import print_lines  # lazy: not loaded by --help (module docstring)
    from bot.engine.mis import mis_error, mis_lines, reconciled  # lazy: as above

    ctx = context()
    today = as_of_today(as_of)
    with ctx.store.session() as session:
        for config in schools_of(ctx, school):
            console.rule(f"[bold]{config.name}[/]")
            lists = reconciled(session, config.id, today)
            if lists is None and config.id not in ctx.settings.mis.wonde:
                console.print(
                    say("No MIS is connected for this school (deploy/mis.md says how)."),
                    highlight=False,
                )
                continue
            lines = mis_lines(lists, mis_error(session, config.id))
            print_lines(console, lines)
