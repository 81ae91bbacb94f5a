"""CLI for the trust: ``trust report``, the trustees' termly pack, mounted by ``bot.cli.main``.

The command imports the pack's modules when it runs, so ``--help`` stays light.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.core.language.i18n import say, speak
from bot.engine.commands import AsOf, as_of_today, console, context, fail, friendly

__all__ = ["trust_app"]


def trust_report(
    out: Annotated[Path, typer.Option("--out", help="The folder to write the pack into.")],
    term: Annotated[
        str | None,
        typer.Option("--term", help="current (default), previous, 2026-autumn, or a term's name."),
    ] = None,
    as_of: AsOf = None,
) -> None:
    """The trustees' termly pack: trust-board.pdf and trust-board.csv, signed."""
    from bot.core.models import utcnow  # lazy: SQLAlchemy and the models (~1 s), as governors'
    from bot.features.governors.api import ReportError
    from bot.features.trust.pack import announce, gather, make_files, trust_language

    ctx = context(say_where=False)
    config = ctx.config
    speak(trust_language(config))  # the trust's pages' language, as /trust says it
    today = as_of_today(as_of)
    now = utcnow()
    try:
        with ctx.store.transaction() as session:
            lines = gather(session, config, term, today, now)
            files = make_files(
                session,
                config,
                lines,
                secret=ctx.settings.signing_key(),
                made=now,
                actor="cli",
                threshold=config.organisation.board_threshold_pct,
            )
            announce(session, config, lines, base_url=ctx.settings.base_url, today=today)
    except ReportError as exc:
        fail(exc.msg, highlight=False)
    out.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (out / name).write_bytes(data)
    console.print(
        say(
            "[green]Written[/]: %(files)s in %(folder)s", files=", ".join(sorted(files)), folder=out
        )
    )


trust_app = typer.Typer(help="The trust: the trustees' termly pack.", no_args_is_help=True)
trust_app.command("report")(friendly(trust_report))
