"""``compliance-bot directory ...``: who is missing from the directory, and an admin's
confirmations (a stopped large removal, or one leaver before the grace period ends). Every
confirmation names who made it and is recorded in the audit log.

Each command imports the directory modules when it runs: they load SQLAlchemy and the models
(~1 s measured), and ``--help`` answers without them (tests/cli/test_demo.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from bot.core.guards.permissions import DIRECTORY_EDITORS
from bot.core.language.i18n import N_, Dated, Msg, say, speak
from bot.core.language.words import left_out_words, said_words, school_words
from bot.engine.commands import (
    AsOf,
    SchoolOption,
    as_of_today,
    console,
    context,
    fail,
    friendly,
    one_school,
    schools_of,
    who_asks,
)

if TYPE_CHECKING:
    from bot.core.config import SchoolConfig
    from bot.core.deployment.context import AppContext
    from bot.engine.directory_move import MovePlan

__all__ = ["directory_app"]

ActorOption = Annotated[
    str | None, typer.Option("--as", help="Your email: the head or an admin (recorded).")
]

_NOBODY_MISSING = N_("Nobody is missing from the directory.")
_LEFT_OUT = N_("Left out of the directory (not staff): %(counts)s")
# the settings that bring left-out accounts in, by connector (only Microsoft 365 counts them)
_LEFT_OUT_HINTED = {
    "m365": N_(
        "Left out of the directory (not staff): %(counts)s. COMPLIANCE_BOT_M365__INCLUDE_GUESTS"
        "=true or COMPLIANCE_BOT_M365__INCLUDE_UNLICENSED=true brings them in (deploy/m365.md)"
    )
}
_NO_MAILBOX = N_(
    "Not chased, because mail cannot reach them (no mailbox; give them one, or take them out of "
    "the role groups): %(names)s"
)
_IN_NO_SCHOOL = N_(
    "In the directory but in no school's staff group (not chased; add each to their school's "
    "group): %(names)s"
)

_NOT_EDITOR = N_(
    "%(email)s is not the %(headteacher)s or an admin of %(school)s; only they can confirm leavers."
)
_SCHOOL_SAYS = N_("%(school)s: %(problem)s")
_NOT_LISTED = N_("%(email)s is not in %(school)s's directory.")
_RESYNC = N_("Recorded for %(school)s by %(who)s: the next sweep reads the whole directory again.")
_RESYNC_FIRST = N_(
    "Recorded for %(school)s by %(who)s: the next sweep reads the whole directory again (it had "
    "not been read in part yet)."
)
_REMOVALS_CONFIRMED = N_(
    "Confirmed by %(who)s (recorded): %(count)s people will be marked as missing from the "
    "directory at the next sweep: %(names)s.\nRun `compliance-bot sweep` now, or wait for the "
    "scheduler's next sweep. They keep their duties until the grace period ends, unless the "
    "directory lists them again."
)
_LEAVER_CONFIRMED = N_(
    "%(name)s (%(email)s) has left as of %(day)s (confirmed by %(who)s, recorded). The next "
    "sweep closes their duties as left and flags any account they held for a handover."
)
_UNBOUND = N_(
    "%(name)s (%(email)s) is no longer tied to a sign-in account (recorded, by %(who)s): the "
    "next account to sign in as %(email)s through the school's sign-in is tied to them."
)
_NOT_BOUND = N_("%(name)s (%(email)s) is not tied to a sign-in account: nothing to do.")
_MOVE_ELSEWHERE = N_(
    "%(school)s's settings read %(current)s, not %(to)s: set connection: %(to)s in its entry of "
    "school.yaml (or on its settings page) first, then run this again. Nothing was changed."
)
_INSTALLS = N_("the install's own tenant or domain")
_BAD_MAP = N_(
    "--map %(given)s is not old-domain=new-domain (e.g. --map oak.example=oak.sch.uk). "
    "Nothing was changed."
)
_CARRIED_BY = N_("Carried by %(how)s: %(num)d")
_PROPOSED = N_("Proposed by name and start date (check each one before you say yes):")
_NOT_FOUND = N_(
    "Not found in the new directory, so not carried (they stay as they are; the next "
    "sweep treats them as anyone the directory no longer lists): %(num)d"
)
_NEW_THERE = N_("New in the new directory (added at the next sweep): %(num)d")
_CARRY_ASK = N_("Carry %(num)d people of %(school)s to their new addresses?")
_NOBODY = N_(
    "Nobody of %(school)s was found in the new directory: nothing was changed. Check "
    "--map, and the connection with compliance-bot check m365 (or check google)."
)
_CARRIED = N_(
    "Carried %(num)d people of %(school)s to their new addresses (recorded, by %(who)s): their "
    "tasks, acknowledgements, training and history stay theirs, and nobody is asked again for "
    "what they did. The next sweep reads the new directory whole."
)
_OLD_IN_SETTINGS = N_(
    "%(school)s's settings still name old addresses; change them in school.yaml "
    "(or on its settings page): %(pairs)s"
)
_NOTHING_CHANGED = N_("Nothing was changed.")

directory_app = typer.Typer(
    help="People missing from the directory, and confirming leavers.", no_args_is_help=True
)


def _editor(school: str | None, email: str | None) -> tuple[AppContext, SchoolConfig, str]:
    """The context, the named school (exit 2 with the known ids if unknown) or the first, and
    the confirming person's email; they must be the head or an admin, or a trust-wide
    administrator (exit 2)."""
    ctx, config = one_school(school)
    address, _, roles = who_asks(ctx, config, email)
    if address in ctx.config.organisation.trust_admins:  # the trust's IT lead: every school
        roles.add("trust_admin")
    if not roles & DIRECTORY_EDITORS:
        fail(
            say(
                _NOT_EDITOR,
                email=address,
                school=config.name,
                headteacher=said_words(school_words(config)).headteacher,
            )
        )
    return ctx, config, address


@directory_app.command("status")
@friendly
def directory_status(school: SchoolOption = None) -> None:
    """Who is missing from the directory, and any stopped sync waiting for a confirmation."""
    # lazy: not loaded by --help (module docstring)
    from bot.cli.render import directory_lines, print_lines
    from bot.engine.directory_kept import left_out, no_mailbox, unassigned

    ctx = context()
    with ctx.store.session() as session:
        for config in schools_of(ctx, school):
            console.rule(f"[bold]{config.name}[/]")
            speak(config.language)
            lines = directory_lines(session, config)
            print_lines(console, lines or [say(_NOBODY_MISSING)])
            counts = left_out(session, config.id)
            if counts is not None:
                sentence = _LEFT_OUT_HINTED.get(ctx.settings.connector, _LEFT_OUT)
                console.print(
                    say(sentence if counts else _LEFT_OUT, counts=left_out_words(counts)),
                    highlight=False,
                )
            unreachable = no_mailbox(session, config.id)
            if unreachable:
                console.print(say(_NO_MAILBOX, names=", ".join(unreachable)), highlight=False)
            in_no_school = unassigned(session, config.id) if config.directory.staff_group else []
            if in_no_school:
                console.print(say(_IN_NO_SCHOOL, names=", ".join(in_no_school)), highlight=False)


@directory_app.command("resync")
@friendly
def resync_command(school: SchoolOption = None, actor: ActorOption = None) -> None:
    """Forget where the directory's changes were read up to: the next sweep reads the whole
    directory again (as after a refused delta link)."""
    from bot.engine.directory_move import drop_cursor

    ctx, config, who = _editor(school, actor)
    with ctx.store.transaction() as session:
        had = drop_cursor(session, config.id, who)
    console.print(
        say(_RESYNC if had else _RESYNC_FIRST, school=config.name, who=who), highlight=False
    )


@directory_app.command("move")
@friendly
def move_command(
    school: SchoolOption = None,
    to: Annotated[
        str | None,
        typer.Option(
            "--to",
            help="The connection the school now reads, as its settings name it (already "
            "set); leave out when only its addresses changed.",
        ),
    ] = None,
    mapping: Annotated[
        list[str] | None,
        typer.Option(
            "--map", help="old-domain=new-domain, for each domain whose addresses changed."
        ),
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Carry them without asking.")] = False,
    actor: ActorOption = None,
) -> None:
    """Carry a school's people to its new tenant or domain (by the same id, the address map,
    the same address, the MIS, or name and start date, proposed): their duties,
    acknowledgements, training and history stay theirs (deploy/README.md, "Moving a school to
    another tenant")."""
    from bot.core.deployment.settings import connection_key
    from bot.engine.directory_move import carry, domain_map, read_plan

    ctx, config, who = _editor(school, actor)
    if to is not None and connection_key(to) != connection_key(config.connection or ""):
        current = config.connection or Msg(_INSTALLS)
        fail(
            say(_MOVE_ELSEWHERE, school=config.name, to=to, current=current),
            highlight=False,
            soft_wrap=True,
        )
    domains = domain_map(mapping or [])
    if domains is None:
        fail(say(_BAD_MAP, given=" ".join(mapping or [])))
    with ctx.store.session() as session:
        plan = read_plan(session, ctx.config, config, ctx.connectors, domains)
    _print_plan(plan)
    if not plan.carried:
        fail(say(_NOBODY, school=config.name), code=1, highlight=False, soft_wrap=True)
    ask = say(_CARRY_ASK, num=len(plan.carried), school=config.name)
    if not yes and not typer.confirm(ask, default=False):
        console.print(say(_NOTHING_CHANGED))
        raise typer.Exit(1)
    with ctx.store.transaction() as session:
        done = carry(
            session,
            config.id,
            plan,
            f"cli:{who}",
            {"connection": config.connection, "map": domains},
        )
    console.print(say(_CARRIED, num=done, school=config.name, who=who), highlight=False)
    named = {
        a: k
        for k in ("headteacher", "dpo", "chair_of_governors", "clerk", "scr_owner")
        if (a := getattr(config, k))
    } | {a: k for k in ("dsl", "deputy_dsl", "admins") for a in getattr(config, k)}
    pairs = [
        f"{c.person.email} → {c.record.email}"
        for c in plan.carried
        if c.person.email in named and c.person.email != c.record.email
    ]
    if pairs:
        console.print(
            say(_OLD_IN_SETTINGS, school=config.name, pairs=", ".join(pairs)), highlight=False
        )


def _print_plan(plan: MovePlan) -> None:
    """Who is carried, by what; the proposed ones by name; who is not found; who is new."""
    from collections import Counter

    for how, num in sorted(Counter(c.how for c in plan.carried if not c.proposed).items()):
        console.print(say(_CARRIED_BY, num=num, how=Msg(how)), highlight=False)
    proposed = [c for c in plan.carried if c.proposed]
    if proposed:
        console.print(say(_PROPOSED), highlight=False)
        for c in proposed:
            console.print(
                f"  {c.person.name} <{c.person.email}> → {c.record.display_name} "
                f"<{c.record.email}>",
                highlight=False,
            )
    console.print(say(_NOT_FOUND, num=len(plan.not_found)), highlight=False)
    for p in plan.not_found[:20]:
        console.print(f"  {p.name} <{p.email}>", highlight=False)
    console.print(say(_NEW_THERE, num=len(plan.new)), highlight=False)


@directory_app.command("confirm-removals")
@friendly
def confirm_removals_command(school: SchoolOption = None, actor: ActorOption = None) -> None:
    """Confirm the people a stopped directory sync would mark as missing; the next sweep
    applies it (they keep their duties until the grace period ends, as anyone missing)."""
    from bot.engine.leavers import DirectoryActionError, confirm_removals

    ctx, config, who = _editor(school, actor)
    try:
        with ctx.store.transaction() as session:
            pending = confirm_removals(session, config.id, who)
    except DirectoryActionError as exc:
        fail(say(_SCHOOL_SAYS, school=config.name, problem=exc.msg), highlight=False, code=1)
    console.print(
        say(_REMOVALS_CONFIRMED, who=who, count=len(pending.names), names=", ".join(pending.names)),
        highlight=False,
    )


@directory_app.command("confirm-leaver")
@friendly
def confirm_leaver_command(
    email: Annotated[str, typer.Argument(help="The missing person's email.")],
    school: SchoolOption = None,
    actor: ActorOption = None,
    as_of: AsOf = None,
) -> None:
    """Confirm that someone missing from the directory has left, before the grace period
    ends; the next sweep closes their duties as left and flags any account handover."""
    from bot.engine.leavers import DirectoryActionError, confirm_leaver

    ctx, config, who = _editor(school, actor)
    today = as_of_today(as_of)
    try:
        with ctx.store.transaction() as session:
            person = confirm_leaver(session, config.id, email, who, today)
            name, address = person.display_name, person.email
    except DirectoryActionError as exc:
        fail(exc.msg, highlight=False, code=1)
    # "… has left as of 6 Nov 2026 …" ("6 Tach 2026", ``babel.dates``)
    day = Dated(today, "%-d %b %Y", "d MMM y")
    console.print(
        say(_LEAVER_CONFIRMED, day=day, name=name, email=address, who=who), highlight=False
    )


@directory_app.command("unbind-signin")
@friendly
def unbind_signin_command(
    email: Annotated[str, typer.Argument(help="The person's email.")],
    school: SchoolOption = None,
    actor: ActorOption = None,
) -> None:
    """Untie someone from the school sign-in account they first signed in with (after their
    account was replaced): the next account to sign in with their address is tied to them."""
    from sqlalchemy import select

    from bot.core.models import Person
    from bot.engine.web.identity import unbind

    ctx, config, who = _editor(school, actor)
    address = email.strip().lower()
    with ctx.store.transaction() as session:
        person = session.scalar(
            select(Person).where(Person.school_id == config.id, Person.email == address)
        )
        done = person is not None and unbind(session, person, who)
    if person is None:
        fail(say(_NOT_LISTED, email=address, school=config.name), highlight=False, code=1)
    console.print(
        say(_UNBOUND if done else _NOT_BOUND, name=person.display_name, email=address, who=who),
        highlight=False,
    )
