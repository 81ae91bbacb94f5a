"""CLI for the dashboard's companions: ``teams package``, ``digest --preview|--send`` and
``figures rebuild``.

``bot.cli.main`` mounts ``teams_app`` as ``teams``, ``figures_app`` as ``figures`` and
``digest`` as a top-level command.

Its commands import the feature's modules when they run: most load SQLAlchemy and the models
(~1 s measured), and ``--help`` answers without them (tests/cli/test_demo.py).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.core.language.i18n import N_, Msg, nsay, say
from bot.engine.commands import (
    AsOf,
    EverySchool,
    as_of_today,
    console,
    context,
    fail,
    friendly,
    schools_of,
)

if TYPE_CHECKING:
    from bot.core.config import SchoolConfig
    from bot.core.deployment.context import AppContext
    from bot.features.dashboard.digest import QueueResult
    from bot.features.dashboard.rules import Figures

__all__ = ["digest", "figures_app", "teams_app"]

# the headline figures ``figures rebuild`` compares, in the dashboard's words
HEADLINES = (
    ("people", N_("People")),
    ("ack_done", N_("People who have acknowledged")),
    ("training_done", N_("Trained and in date")),
    ("open_duties", N_("Open duties")),
    ("overdue_duties", N_("Overdue duties")),
    ("open_reports", N_("Open reports")),
    ("running_clocks", N_("Report deadlines")),
    ("policies_overdue", N_("Policies overdue for review")),
    ("accounts_unsigned", N_("Official accounts with unsigned holders")),
)


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
            "--entra-client-id",
            help="The Entra app behind the Teams app: tab single sign-on and the bot's "
            "activity feed, COMPLIANCE_BOT_M365__CLIENT_ID (default: the bot's app id, else "
            "the app id; deploy/teams/README.md).",
        ),
    ] = None,
    version: Annotated[
        str, typer.Option("--version", help="App version; raise it for every re-upload.")
    ] = "1.0.0",
    bot_app_id: Annotated[
        str | None,
        typer.Option(
            "--bot-app-id",
            help="The school's Azure Bot (Microsoft App ID): staff "
            "get their asks and the safeguarding lead new concerns in Teams "
            "(deploy/teams/bot.md).",
        ),
    ] = None,
) -> None:
    """Build the Microsoft Teams app package (manifest and icons) to upload in Teams admin."""
    # lazy: not loaded by --help (module docstring)
    from bot.features.dashboard.teams_package import build_teams_package

    try:
        written = build_teams_package(
            host,
            app_id,
            out,
            app_name=app_name,
            developer_name=developer,
            entra_client_id=entra_client_id,
            version=version,
            bot_app_id=bot_app_id,
        )
    except ValueError as exc:
        # English: the package is built for an install, before and without any school's settings
        fail(str(exc), highlight=False, soft_wrap=True)
    # English: the package is an install's, before and without any school's settings
    console.print(f"[green]Teams app package written[/]: {written}")
    console.print(  # English: as above
        f"Personal tab: https://{host.strip().lower().rstrip('.')}/dashboard · upload it in the "
        "Teams admin centre (Teams apps > Manage apps > Upload new app); see "
        "deploy/teams/README.md."
    )


def _preview(
    ctx: AppContext,
    schools: Sequence[SchoolConfig],
    day: date,
    now: datetime,
    *,
    several: bool,
    chat: bool,
    text: bool,
) -> None:
    """Print each school's digest as it would go: the Teams card's JSON, Google Chat's, or
    the plain text (JSON without Rich markup, so it can be piped to a validator or a file)."""
    from bot.features.dashboard.digest import build_digest

    rendered = []
    with ctx.store.session() as session:
        for s in schools:
            d = build_digest(
                session, s, day, base_url=ctx.settings.base_url, several_schools=several, now=now
            )
            rendered.append(d.text if text else (d.chat if chat else d.card))
    if text:
        typer.echo("\n".join(str(r) for r in rendered), nl=False)
        return
    payload = rendered[0] if len(rendered) == 1 else rendered
    typer.echo(json.dumps(payload, indent=2, ensure_ascii=False))


def _queued_line(s: SchoolConfig, result: QueueResult) -> str:
    """What was queued for one school: the card, the email, both, or nothing new."""
    values = {"school": s.name, "head": s.headteacher}
    if result.card and result.email:
        return say(
            "[green]Queued[/] %(school)s: card to the channel and email to %(head)s", **values
        )
    if result.card:
        return say("[green]Queued[/] %(school)s: card to the channel", **values)
    if result.email:
        return say("[green]Queued[/] %(school)s: email to %(head)s", **values)
    return say("%(school)s: this week's digest is already queued.", **values)


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
    school: EverySchool = None,
    as_of: AsOf = None,
) -> None:
    """The head's weekly digest: preview the card, or queue it now."""
    from bot.core.models import utcnow
    from bot.features.dashboard.digest import channel_configured, queue_digest

    # English: the options are checked before the settings say which school, or what language
    if preview == send:
        fail("choose one of --preview or --send")  # English: as above
    if (chat or text) and not preview:
        fail("--chat and --text go with --preview")  # English: as above
    ctx = context()
    day = as_of_today(as_of)
    now = utcnow()
    schools = schools_of(ctx, school)
    several = len(ctx.config.schools) > 1
    base_url = ctx.settings.base_url
    if preview:
        _preview(ctx, schools, day, now, several=several, chat=chat, text=text)
        return
    channel = channel_configured(ctx.settings)
    with ctx.store.transaction() as session:
        results = [
            queue_digest(
                session, s, day, now, base_url=base_url, channel=channel, several_schools=several
            )
            for s in schools
        ]
    for s, result in zip(schools, results, strict=True):
        console.print(_queued_line(s, result))
    if not channel:
        console.print(
            say("[yellow]No channel webhook is configured: the digest goes by email only.[/]")
        )
    if deliver:
        from bot.core.outbox import dispatch
        from bot.core.outbox.delivery import AdminAlerts

        stats = dispatch(
            ctx.store,
            ctx.connectors.mailer,
            ctx.connectors.notifier,
            alerts=AdminAlerts.of(ctx.config.schools),
            mailboxes=ctx.mailboxes,
        )
        console.print(
            nsay(
                "Delivered %(num)d message from the outbox.",
                "Delivered %(num)d messages from the outbox.",
                stats.sent,
            )
        )
    else:
        console.print(say("The scheduler delivers it within a minute (or add --deliver)."))


def _rebuilt(school: str, before: Figures, after: Figures, parts: Sequence[str]) -> list[str]:
    """What a rebuild changed in a school's headline figures, one line each."""
    lines = [
        say(
            "%(school)s: %(figure)s: %(before)d before, %(after)d now.",
            school=school,
            figure=Msg(label),
            before=getattr(before, name),
            after=getattr(after, name),
        )
        for name, label in HEADLINES
        if getattr(before, name) != getattr(after, name)
    ]
    if lines or parts:
        return lines or [
            say(
                "%(school)s: the kept figures were rebuilt; no headline figure changed.",
                school=school,
            )
        ]
    return [say("%(school)s: the kept figures were true; nothing changed.", school=school)]


def figures_rebuild(school: EverySchool = None, as_of: AsOf = None) -> None:
    """Recompute each school's kept figures from its records, and say what changed."""
    from bot.core.database import figures
    from bot.core.models import School, utcnow
    from bot.engine import snapshot
    from bot.features.dashboard.figures import read_figures

    ctx = context()
    day, now = as_of_today(as_of), utcnow()
    for s in schools_of(ctx, school):
        with ctx.store.transaction() as session:
            if session.get(School, s.id) is None:  # never swept: nothing kept, nothing to keep
                continue
            before = read_figures(session, s.id, day, now=now)
            snapshot.rebuild(session, s.id, day)
            parts = figures.rebuild(session, s.id)
            after = read_figures(session, s.id, day, now=now)
        for line in _rebuilt(s.name, before, after, parts):
            console.print(line)


figures_app = typer.Typer(
    help="The dashboard's kept figures: recompute them from the records.", no_args_is_help=True
)
figures_app.command("rebuild")(friendly(figures_rebuild))

teams_app = typer.Typer(help="Microsoft Teams app package.", no_args_is_help=True)
teams_app.command("package")(friendly(teams_package))
