"""CLI for the dashboard's companions: ``teams package`` and ``digest --preview|--send``.

Registered by ``bot.cli`` through ``register(app)``; the ``teams`` group is ``bot.cli``'s own
(imported inside ``register`` so that importing this module never imports ``bot.cli``).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from bot.config import SchoolConfig
    from bot.context import AppContext

__all__ = ["register"]

SchoolOpt = Annotated[
    str | None,
    typer.Option("--school", help="School id (default: every school in the configuration)."),
]
AsOfOpt = Annotated[
    str | None, typer.Option("--as-of", help="Act as if today were this date (YYYY-MM-DD).")
]


def teams_package(
    host: Annotated[
        str, typer.Option("--host", help="Host name the bot is served on, e.g. school.example.org.")
    ],
    app_id: Annotated[
        str, typer.Option("--app-id", help="The Teams app's GUID (make it once and keep it).")
    ],
    out: Annotated[
        Path, typer.Option("--out", help="Zip file, or a folder to write it in.")
    ] = Path("compliance-bot-teams.zip"),
    app_name: Annotated[
        str, typer.Option("--app-name", help="Name shown in Teams (30 characters at most).")
    ] = "Compliance Bot",
    developer: Annotated[
        str, typer.Option("--developer", help="Who publishes it: the school or trust.")
    ] = "Compliance Bot",
    entra_client_id: Annotated[
        str | None,
        typer.Option(
            "--entra-client-id", help="Entra app for tab single sign-on (default: app id)."
        ),
    ] = None,
    version: Annotated[
        str, typer.Option("--version", help="App version; raise it for every re-upload.")
    ] = "1.0.0",
) -> None:
    """Build the Microsoft Teams app package (manifest and icons) to upload in Teams admin."""
    from bot.cli import console, err
    from bot.teams_package import build_teams_package

    try:
        written = build_teams_package(
            host,
            app_id,
            out,
            app_name=app_name,
            developer_name=developer,
            entra_client_id=entra_client_id,
            version=version,
        )
    except ValueError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    console.print(f"[green]Teams app package written[/]: {written}")
    console.print(
        f"Personal tab: https://{host.strip().lower().rstrip('.')}/dashboard · upload it in the "
        "Teams admin centre (Teams apps > Manage apps > Upload new app); see "
        "deploy/teams/README.md."
    )


def _today(as_of: str | None) -> date:
    """``--as-of`` or the school's today."""
    from bot.cli import _as_of
    from bot.clock import local_today
    from bot.models import utcnow

    return _as_of(as_of) or local_today(utcnow())


def _schools(ctx: AppContext, school: str | None) -> list[SchoolConfig]:
    """The chosen school, or every school."""
    from bot.cli import err

    if school is None:
        return list(ctx.config.schools)
    for candidate in ctx.config.schools:
        if candidate.id == school:
            return [candidate]
    known = ", ".join(s.id for s in ctx.config.schools)
    err.print(f"[bold red]error:[/] no school {school!r} in the configuration ({known})")
    raise typer.Exit(2)


def digest(
    preview: Annotated[
        bool, typer.Option("--preview", help="Print the Adaptive Card JSON; send nothing.")
    ] = False,
    chat: Annotated[
        bool, typer.Option("--chat", help="With --preview: the Google Chat card instead.")
    ] = False,
    text: Annotated[
        bool, typer.Option("--text", help="With --preview: the plain-text version instead.")
    ] = False,
    send: Annotated[
        bool, typer.Option("--send", help="Queue this week's digest now (once per week).")
    ] = False,
    deliver: Annotated[
        bool, typer.Option("--deliver", help="With --send: deliver the outbox straight away.")
    ] = False,
    school: SchoolOpt = None,
    as_of: AsOfOpt = None,
) -> None:
    """The headteacher's weekly digest: preview the card, or queue it now."""
    from bot.cli import _context, _where, console, err
    from bot.digest import build_digest, channel_configured, queue_digest
    from bot.models import utcnow

    if preview == send:
        err.print("[bold red]error:[/] choose one of --preview or --send")
        raise typer.Exit(2)
    if (chat or text) and not preview:
        err.print("[bold red]error:[/] --chat and --text go with --preview")
        raise typer.Exit(2)
    ctx = _context()
    day = _today(as_of)
    now = utcnow()
    schools = _schools(ctx, school)
    several = len(ctx.config.schools) > 1
    base_url = ctx.settings.base_url
    if preview:
        rendered = []
        with ctx.store.session() as session:
            for s in schools:
                d = build_digest(
                    session, s, day, base_url=base_url, several_schools=several, now=now
                )
                rendered.append(d.text if text else (d.chat if chat else d.card))
        if text:
            typer.echo("\n".join(str(r) for r in rendered), nl=False)
            return
        # Plain JSON on stdout (no Rich markup) so it can be piped to a validator or a file.
        payload = rendered[0] if len(rendered) == 1 else rendered
        typer.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        return
    _where(ctx)
    channel = channel_configured(ctx.settings)
    with ctx.store.transaction() as session:
        results = [
            (
                s,
                queue_digest(
                    session,
                    s,
                    day,
                    now,
                    base_url=base_url,
                    channel=channel,
                    several_schools=several,
                ),
            )
            for s in schools
        ]
    for s, result in results:
        parts = []
        if result.card:
            parts.append("card to the channel")
        if result.email:
            parts.append(f"email to {s.headteacher}")
        if parts:
            console.print(f"[green]Queued[/] {s.name}: {' and '.join(parts)} ({result.card_key})")
        else:
            console.print(f"{s.name}: this week's digest is already queued ({result.card_key}).")
    if not channel:
        console.print("[yellow]No channel webhook is configured: the digest goes by email only.[/]")
    if deliver:
        from bot.outbox import dispatch

        stats = dispatch(ctx.store, ctx.connectors.mailer, ctx.connectors.notifier)
        console.print(f"Delivered {stats.sent} message(s) from the outbox.")
    else:
        console.print("The scheduler delivers it within a minute (or add --deliver).")


def register(app: typer.Typer) -> None:
    """Add ``teams package`` and ``digest`` to the command line."""
    from bot.cli import friendly, teams_app

    teams_app.command("package")(friendly(teams_package))
    app.command("digest")(friendly(digest))
