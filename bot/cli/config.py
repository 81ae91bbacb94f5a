"""``compliance-bot config`` (export, import, where the settings live) and ``start-sending``.

Each command imports the settings store when it runs: it loads SQLAlchemy and the models (~1 s
measured), and ``--help`` answers without them (tests/cli/test_demo.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.core.config import JOB_ROLES
from bot.core.days.clock import local_today
from bot.core.language.i18n import N_, Msg, said_in, say, shared_language, speak
from bot.engine.commands import (
    SchoolOption,
    console,
    context,
    err,
    fail,
    friendly,
    language_here,
    os_user,
)

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.orm import Session

    from bot.core.config import OrgConfig, SchoolConfig
    from bot.engine.settings_change import Applied

__all__ = ["config_app", "roles_app", "start_sending"]

config_app = typer.Typer(
    help="Export or import the school's settings, and choose where they are kept.",
    no_args_is_help=True,
)

_OWN_FILE = N_("%(file)s is the school's own settings file; export to another file.")
_KEPT_IN_FILE = N_(
    "settings are kept in %(file)s here: edit that file instead, or run `compliance-bot config "
    "source web` first."
)
_WEB_OR_FILE = N_("say 'web' or 'file' (got %(got)s).")
_SCHOOL_OR_ALL = N_("give --school or --all, not both.")
_WHICH_SCHOOL = N_(
    "this trust has several schools: say which with --school (%(schools)s), or "
    "--all for every school."
)
_SCHOOL_ID = N_("%(id)s for %(school)s")
_NO_SCHOOL = N_("there is no school %(school)s in the settings (the schools are %(known)s).")
_NOT_HEAD = N_(
    "%(email)s is not the head or an admin of %(school)s: only they (the head, or someone listed "
    "under admins in the school's settings) or a trust-wide administrator can start sending there."
)

_WRITTEN = N_("[green]settings written to %(file)s[/]")
_IN_FORCE = N_("[green]%(file)s: valid; these settings are now in force.[/]")
_KEPT_IN_WEB = N_(
    "Settings are kept in the web pages; %(file)s is an export of them (`compliance-bot config "
    "import` loads an edited copy)."
)
_KEPT_IN_YAML = N_(
    "Settings are kept in %(file)s; the web pages show them and say where to change them."
)
_STARTED = N_(
    "[green]Sending has started at %(school)s.[/] The next sweep queues the reminders planned; run "
    "`compliance-bot sweep` to send them now."
)
_ALREADY_STARTED = N_("%(school)s had already started sending; nothing changed.")

Actor = Annotated[str | None, typer.Option("--as", help="Your email (recorded in the audit log).")]


def _by(actor: str | None) -> str:
    """Who is acting, for the audit log: the email given, or the computer account."""
    user = os_user()
    return actor or (f"command line ({user})" if user else "command line")


def _apply(
    session: Session, org: OrgConfig, actor: str | None, now: datetime, note: str, path: Path
) -> Applied:
    """Put ``org`` in force (the web pages keep the settings), exported to ``path``."""
    # lazy: not loaded by --help (module docstring)
    from bot.engine.settings_change import apply_settings

    today = local_today(now)
    return apply_settings(
        session, org, by=_by(actor), now=now, today=today, note=note, export_to=path
    )


@config_app.command("export")
@friendly
def export(
    out: Annotated[
        Path | None, typer.Option("--out", help="Write to this file (default: the screen).")
    ] = None,
) -> None:
    """Write the settings in force as a commented school.yaml."""
    from bot.core.config.store import to_yaml  # lazy: not loaded by --help (module docstring)

    app = context(say_where=False)  # the settings alone: no "using ..." line on stderr
    text = to_yaml(app.config)
    if out is None:
        typer.echo(text, nl=False)
        return
    if out.exists() and out.resolve() == app.settings.config_path.resolve():
        fail(say(_OWN_FILE, file=out))
    out.write_text(text, encoding="utf-8")
    console.print(say(_WRITTEN, file=out))


@config_app.command("import")
@friendly
def import_(
    file: Annotated[Path, typer.Argument(help="A school.yaml to check and load.")],
    actor: Actor = None,
) -> None:
    """Check a school.yaml and, when it is valid, make it the settings in force at once."""
    from bot.core.config import load_config
    from bot.core.deployment.setup_state import config_source
    from bot.core.models import utcnow

    app = context()
    org = load_config(file)  # every problem, with its line, before anything is stored
    now = utcnow()
    with app.store.transaction() as session:
        if config_source(session) != "web":
            fail(say(_KEPT_IN_FILE, file=app.settings.config_path))
        warnings = _apply(
            session, org, actor, now, f"imported from {file.name}", app.settings.config_path
        ).warnings
    console.print(say(_IN_FORCE, file=file))
    mark = say("warning:")
    for line in warnings:  # paths and addresses as written
        err.print(f"[yellow]{mark}[/] {line}", highlight=False)


@config_app.command("source")
@friendly
def source(
    kept_in: Annotated[
        str | None,
        typer.Argument(
            help="'web' (the admin pages change the settings) or 'file' (school.yaml does)."
        ),
    ] = None,
    actor: Actor = None,
) -> None:
    """Show or change where the school's settings are kept."""
    from bot.core.config.store import set_source, to_yaml
    from bot.core.deployment.setup_state import SOURCES, config_source
    from bot.core.models import utcnow

    app = context()
    path = app.settings.config_path
    if kept_in is not None and kept_in not in SOURCES:
        fail(say(_WEB_OR_FILE, got=repr(kept_in)))
    org = app.config  # the settings in force now: nothing is lost by the move
    now = utcnow()
    with app.store.transaction() as session:
        before = config_source(session)
        if kept_in is not None and kept_in != before:
            set_source(
                session, kept_in, by=_by(actor), now=now, schools=[s.id for s in org.schools]
            )
            if kept_in == "web":
                _apply(
                    session,
                    org,
                    actor,
                    now,
                    f"settings moved from {path.name} to the web pages",
                    path,
                )
            else:
                path.write_text(to_yaml(org), encoding="utf-8")
        after = config_source(session)
    kept = _KEPT_IN_WEB if after == "web" else _KEPT_IN_YAML
    console.print(say(kept, file=path), highlight=False)


def _chosen_schools(
    schools: Sequence[SchoolConfig], school: str | None, *, every: bool
) -> list[SchoolConfig]:
    """The schools ``--school`` or ``--all`` name (the one school when there is one); else
    the command stops saying which it could start."""
    if every and school:
        fail(say(_SCHOOL_OR_ALL))
    if every:
        return list(schools)
    if school is None and len(schools) > 1:
        fail(
            say(
                _WHICH_SCHOOL,
                schools=lambda: ", ".join(say(_SCHOOL_ID, id=s.id, school=s.name) for s in schools),
            ),
            highlight=False,
            soft_wrap=True,
        )
    found = [s for s in schools if school is None or s.id == school]
    if not found:
        fail(
            say(_NO_SCHOOL, school=repr(school), known=", ".join(s.id for s in schools)),
            highlight=False,
            soft_wrap=True,
        )
    return found


def _may_start(config: OrgConfig, chosen: Sequence[SchoolConfig], actor: str) -> None:
    """Stop unless ``actor`` may start every chosen school: the same people as the setup
    page's button (the school's headteacher or its admins, or a trust-wide administrator)."""
    who = actor.strip().lower()
    trust = {e.lower() for e in config.organisation.trust_admins}
    refused = [
        s
        for s in chosen
        if who not in trust and who not in {e.lower() for e in (s.headteacher, *s.admins)}
    ]
    if refused:
        # several schools chosen (--all): their one language, English if they differ
        speak(shared_language(s.language for s in chosen))
        fail(say(_NOT_HEAD, email=actor, school=refused[0].name), highlight=False, soft_wrap=True)


@friendly
def start_sending(
    actor: Actor = None,
    school: Annotated[
        str | None,
        typer.Option(
            "--school",
            help="The school to start (its id in the settings); needed when the trust has several.",
        ),
    ] = None,
    every: Annotated[
        bool,
        typer.Option("--all", help="Start every school of the trust (a trust-wide administrator)."),
    ] = False,
) -> None:
    """End a school's preview: from now on its reminders, alerts and digests are sent (``--as``:
    the school's head or an admin, or a trust-wide administrator; without it, the computer
    account running the command). Each school of a trust starts on its own."""
    from bot.core.deployment.setup_state import start_sending as begin
    from bot.core.models import utcnow

    app = context()
    chosen = _chosen_schools(app.config.schools, school, every=every)
    if actor:
        _may_start(app.config, chosen, actor)
    with app.store.transaction() as session:
        started = [s for s in chosen if begin(session, s.id, by=_by(actor), now=utcnow())]
    for s in chosen:  # each school's line in its own language
        said = _STARTED if s in started else _ALREADY_STARTED
        console.print(said_in(s.language, Msg(said, school=s.name)), highlight=False)


roles_app = typer.Typer(
    help="The role table: what each post in the school's staff list gives.", no_args_is_help=False
)
_TO_MAP_NONE = N_("%(school)s: no post to map (the last directory read knew every post).")
_TO_MAP = N_(
    "%(school)s: posts the role table does not know (their holders owe nothing until "
    "each is mapped):"
)
_MAP_HOW = N_("Map each once: compliance-bot roles map 'POST' ROLE (%(roles)s).")
_NOT_A_ROLE = N_("%(role)s is not a role a post can give: say one of %(roles)s.")
_MAPPED = N_(
    "[green]%(school)s: '%(post)s' now gives %(role)s.[/] Its holders are asked what "
    "that role is asked from the next sweep (`compliance-bot sweep` runs one now)."
)


@roles_app.command("map")
@friendly
def roles_map(
    post: Annotated[str | None, typer.Argument(help="A post as the staff list writes it.")] = None,
    role: Annotated[str | None, typer.Argument(help=", ".join(JOB_ROLES))] = None,
    school: SchoolOption = None,
    actor: Actor = None,
) -> None:
    """Say once what a post gives; with no post, list the posts still to map."""
    from bot.core.config.store import to_yaml
    from bot.core.deployment.setup_state import config_source
    from bot.core.models import utcnow
    from bot.engine.directory_kept import posts_to_map

    app = context()
    chosen = app.config.school(school)
    speak(language_here(app))
    if post is None or role is None:
        with app.store.session() as session:
            posts = posts_to_map(session, chosen.id)
        console.print(say(_TO_MAP if posts else _TO_MAP_NONE, school=chosen.name))
        for title, names in sorted(posts.items()):
            console.print(f"  '{title}': {', '.join(names)}", highlight=False)
        if posts:
            console.print(say(_MAP_HOW, roles=", ".join(JOB_ROLES)))
        return
    if role not in JOB_ROLES:
        fail(say(_NOT_A_ROLE, role=repr(role), roles=", ".join(JOB_ROLES)))
    post = " ".join(post.split())
    mapped = chosen.model_copy(update={"job_titles": {**chosen.job_titles, post: role}})
    org = app.config.model_copy(
        update={"schools": [mapped if s.id == chosen.id else s for s in app.config.schools]}
    )
    now = utcnow()
    path = app.settings.config_path
    with app.store.transaction() as session:
        if config_source(session) == "web":
            _apply(session, org, actor, now, f"post '{post}' mapped to {role}", path)
        else:  # the file is where settings are changed: its own first comment lines kept
            text = path.read_text(encoding="utf-8")
            header = "".join(
                line for line in text.splitlines(keepends=True)[:8] if line.startswith("#")
            )
            path.write_text(to_yaml(org, header or None), encoding="utf-8")
    console.print(say(_MAPPED, school=chosen.name, post=post, role=role))
