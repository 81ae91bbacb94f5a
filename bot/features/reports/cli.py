"""``compliance-bot reports ...``: counts, an audited listing and export, form ingestion, who a
report is about, the public link. Contents are never printed; the listing shows references and
metadata only.

Its commands import the feature's modules when they run: most load SQLAlchemy and the models
(~1 s measured), and ``--help`` answers without them (tests/cli/test_demo.py).
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Column, Table

from bot.core.days.clock import LONDON
from bot.core.language.i18n import N_, Msg, nsay, say
from bot.core.language.words import day_and_time, said_words, school_words
from bot.engine.commands import (
    SchoolOption,
    console,
    context,
    err,
    fail,
    friendly,
    one_school,
    schools_of,
    who_asks,
)

if TYPE_CHECKING:
    from bot.core.config import SchoolConfig
    from bot.core.deployment.context import AppContext
    from bot.core.models import Person

__all__ = ["reports_app"]


ActorOption = Annotated[
    str | None,
    typer.Option(
        "--as", help="Your email: the safeguarding lead, a deputy or the head (recorded)."
    ),
]


def _actor(ctx: AppContext, school: SchoolConfig, email: str | None, command: str) -> Person:
    """The named person, who must be allowed to open the tracked list; exit 2 otherwise.

    A refusal is recorded in the audit log (who asked, for which command).
    """
    from bot.features.reports.actions import audit_list  # lazy: not loaded by --help
    from bot.features.reports.routing import can_open_list

    address, person, roles = who_asks(ctx, school, email)
    if person is None or not can_open_list(roles):
        with ctx.store.transaction() as session:  # a refused read is evidence too
            audit_list(
                session,
                f"cli:{address}",
                "report.read_refused",
                school.id,
                via="cli",
                command=command,
            )
        words = said_words(school_words(school))
        fail(
            Msg(
                N_(
                    "%(email)s is not a %(dsl)s, %(deputy)s or %(head)s of %(school)s; reports "
                    "are only for them."
                ),
                email=email,
                dsl=words.dsl,
                deputy=words.deputy_dsl,
                head=words.headteacher,
                school=school.id,
            )
        )
    return person


def _deliver_now(ctx: AppContext) -> None:
    """Hand what the command queued (alerts, receipts) to the platform now, not at the next
    dispatch pass."""
    from bot.core.outbox import Urgency, dispatch
    from bot.core.outbox.delivery import AdminAlerts

    dispatch(
        ctx.store,
        ctx.connectors.mailer,
        ctx.connectors.notifier,
        alerts=AdminAlerts.of(ctx.config.schools),
        up_to=Urgency.WAITING,
        chat=ctx.connectors.chat,
        mailboxes=ctx.mailboxes,
        chats=ctx.chats,
    )


reports_app = typer.Typer(help="Breach and concern reports.", no_args_is_help=True)


@reports_app.command("list")
@friendly
def list_reports(
    school: SchoolOption = None,
    show: Annotated[
        bool, typer.Option("--show", help="List references too (needs --as; recorded).")
    ] = False,
    actor: ActorOption = None,
    open_only: Annotated[bool, typer.Option("--open", help="Only reports not closed.")] = False,
) -> None:
    """Counts by status, urgency and category; --show --as EMAIL lists references."""
    from sqlalchemy import select

    from bot.core.models import Report
    from bot.features.reports.actions import audit_list
    from bot.features.reports.clocks import open_clock
    from bot.features.reports.routing import visible_reports
    from bot.features.reports.rules import CATEGORIES, STATUSES, URGENCIES, clock_labels

    ctx, config = one_school(school)
    words = school_words(config)
    # what is listed or counted is never a report hidden from whoever reads it: with --as, the
    # person's own; without (counts only), never the reports about the headteacher
    viewer = _actor(ctx, config, actor, "reports list") if show or actor else None
    query = (
        visible_reports(config, viewer.email, viewer.role_names)
        if viewer is not None
        else select(Report).where(
            Report.school_id == config.id, Report.about_headteacher.is_(False)
        )
    )
    if open_only:
        query = query.where(Report.status != "closed")
    if not show:
        with ctx.store.session() as session:
            columns = query.with_only_columns(Report.status, Report.urgency, Report.category)
            rows = session.execute(columns).all()
        table = Table(
            "Counted by",
            "Value",
            Column("Reports", justify="right"),
            title=f"Reports — {config.name}",
        )
        for label, index, names in (
            ("Status", 0, STATUSES),
            ("Urgency", 1, URGENCIES),
            ("Category", 2, CATEGORIES),
        ):
            for value, count in sorted(Counter(r[index] for r in rows).items()):
                table.add_row(label, names.get(value, value), str(count))
        console.print(table)
        console.print(
            nsay(
                "%(num)d report. Use --show --as EMAIL to list references.",
                "%(num)d reports. Use --show --as EMAIL to list references.",
                len(rows),
            )
        )
        if viewer is None:
            said = said_words(words)
            console.print(
                say(
                    "Reports about the %(head)s are not counted here; add --as EMAIL (the %(dsl)s "
                    "or the %(chair)s) to count them.",
                    head=said.headteacher,
                    dsl=said.dsl,
                    chair=said.chair,
                )
            )
        return
    assert viewer is not None
    with ctx.store.transaction() as session:
        reports = list(session.scalars(query.order_by(Report.created_at.desc())))
        # a reference is copied whole, never split
        table = Table(
            Column("Reference", no_wrap=True),
            "Received",
            "Category",
            "Urgency",
            "Status",
            "Deadline",
            title=f"Reports — {config.name} (as {viewer.email})",
        )
        for r in reports:
            clock = open_clock(r)
            table.add_row(
                r.reference,
                f"{r.created_at.astimezone(LONDON):%d %b %Y %H:%M}",
                CATEGORIES.get(r.category, r.category),
                URGENCIES.get(r.urgency, r.urgency),
                STATUSES.get(r.status, r.status),
                f"{clock_labels(words).get(clock.kind, clock.kind)} by "
                f"{clock.due_at.astimezone(LONDON):%a %d %b %H:%M}"
                if clock
                else "—",
            )
        audit_list(
            session,
            f"cli:{viewer.email}",
            "report.list_viewed",
            config.id,
            count=len(reports),
            via="cli",
        )
    console.print(table)
    console.print(
        nsay(
            "%(num)d report. This listing was recorded in the audit log.",
            "%(num)d reports. This listing was recorded in the audit log.",
            len(reports),
        )
    )


@reports_app.command("export")
@friendly
def export(
    file: Annotated[Path, typer.Argument(help="Where to write the CSV.")],
    actor: ActorOption = None,
    school: SchoolOption = None,
) -> None:
    """Write every report the person may read to a CSV file (recorded in the audit log)."""
    from bot.features.reports.export import export_visible

    ctx, config = one_school(school)
    person = _actor(ctx, config, actor, "reports export")
    with ctx.store.transaction() as session:
        body, rows = export_visible(session, config, person, actor=f"cli:{person.email}", via="cli")
        file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as handle:
            handle.write(body)
    console.print(
        nsay(
            "[green]%(num)d report written[/] to %(file)s (readable by you only).",
            "[green]%(num)d reports written[/] to %(file)s (readable by you only).",
            rows,
            file=file,
        )
    )


@reports_app.command("ingest")
@friendly
def ingest(school: SchoolOption = None) -> None:
    """Pull the external form's new responses into the tracked list now (safe to repeat)."""
    from bot.core.models import utcnow
    from bot.core.ports import ConnectorError
    from bot.features.reports.forms import read_form
    from bot.features.reports.mirror import mirror_pending

    ctx = context()
    forms = ctx.connectors.forms
    if forms is None:
        console.print(say("No external form is configured for this deployment."))
        return
    schools = schools_of(ctx, school)
    first = ctx.config.schools[0].id
    total = flagged = 0
    for config in schools:
        with ctx.store.transaction() as session:
            read = read_form(
                session,
                forms,
                config,
                now=utcnow(),
                base_url=ctx.settings.base_url,
                channel_card=ctx.connectors.notifier is not None,
                default_school=config.id == first,
            )
        console.print(
            nsay(
                "%(school)s: %(num)d new report from the external form.",
                "%(school)s: %(num)d new reports from the external form.",
                read.stored,
                school=config.name,
            )
        )
        if read.problems:
            console.print(
                nsay(
                    "[yellow]%(num)d response could not be read[/] (%(new)s new; %(team)s and "
                    "admins were told once each): see `compliance-bot reports form-problems`.",
                    "[yellow]%(num)d responses could not be read[/] (%(new)s new; %(team)s and "
                    "admins were told once each): see `compliance-bot reports form-problems`.",
                    len(read.problems),
                    new=read.flagged,
                    team=said_words(school_words(config)).dsl_team,
                )
            )
        total += read.stored
        flagged += read.flagged
        if read.stored and ctx.connectors.mirror is not None:
            try:
                with ctx.store.transaction() as session:
                    mirror_pending(session, ctx.connectors.mirror, config)
            except ConnectorError as exc:
                err.print(
                    say(
                        "[yellow]note:[/] the list mirror was not updated: %(error)s",
                        error=str(exc),
                    )
                )
    if total or flagged:
        _deliver_now(ctx)


@reports_app.command("form-problems")
@friendly
def form_problems_command(
    school: SchoolOption = None,
    dismiss: Annotated[
        str | None,
        typer.Option(
            "--dismiss",
            metavar="RESPONSE",
            help="Mark this response as dealt with (recorded another way); needs --as.",
        ),
    ] = None,
    actor: ActorOption = None,
) -> None:
    """List the external form's responses that could not be read (never their contents)."""
    from bot.features.reports.forms import dismiss_problem, form_problems

    ctx = context()
    schools = schools_of(ctx, school)
    if dismiss is not None:
        config = schools[0]
        person = _actor(ctx, config, actor, "form-problems --dismiss")
        with ctx.store.transaction() as session:
            done = dismiss_problem(session, config.id, dismiss, actor=f"cli:{person.email}")
        if not done:
            fail(
                Msg(
                    N_("%(school)s has no unread form response %(response)s."),
                    school=config.name,
                    response=repr(dismiss),
                )
            )
        console.print(
            say(
                "Response %(response)s marked as dealt with by %(who)s.",
                response=repr(dismiss),
                who=person.email,
            )
        )
        return
    shown = 0
    for config in schools:
        with ctx.store.session() as session:
            problems = form_problems(session, config.id)
        for problem in problems:
            state = (
                Msg(N_("dismissed by %(who)s"), who=problem.dismissed_by.removeprefix("cli:"))
                if problem.dismissed_by
                else Msg(N_("open"))
            )
            console.print(
                say(
                    "%(school)s: response %(response)s — %(where)s: %(problem)s (since "
                    "%(since)s; %(state)s)",
                    school=config.name,
                    response=repr(problem.key),
                    where=problem.where,
                    problem=problem.problem,
                    since=day_and_time(problem.seen),
                    state=state,
                ),
                markup=False,
            )
            shown += 1
    if not shown:
        console.print(say("Every external form response has been read."))


@reports_app.command("microsoft-form")
@friendly
def microsoft_form() -> None:
    """Microsoft 365: create the SharePoint list a Microsoft form's responses go into, and
    print the Power Automate flow that fills it (safe to repeat)."""
    from bot.core.deployment.context import adapters

    settings = context(need_school=False).settings
    m365 = settings.m365
    if not (m365.site_id and m365.forms_list):
        # English: the install's Microsoft 365 settings, read before any school's
        fail(
            "set COMPLIANCE_BOT_M365__SITE_ID (the granted site) and "
            "COMPLIANCE_BOT_M365__FORMS_LIST (the list's name, e.g. Form responses) first; "
            "see deploy/m365.md, section 10."
        )
    said, steps = adapters().microsoft_form(settings)
    console.print(said, highlight=False, soft_wrap=True)
    # English: Microsoft's own flow, step by step, in the words of Power Automate's designer
    console.print("\n[bold]The Power Automate flow[/] (standard connectors only):")
    number = 0
    for step in steps:
        if not step.startswith(" "):
            number += 1
            step = f"{number}. {step}"
        console.print(step, highlight=False, soft_wrap=True)
    console.print(  # English: as the flow above
        "\nThen 'compliance-bot check m365' shows whether the bot can read the list.",
        highlight=False,
    )


@reports_app.command("about")
@friendly
def about(
    reference: Annotated[str, typer.Argument(help="The report's reference, e.g. CR-2026-0042.")],
    person: Annotated[
        str,
        typer.Argument(
            help="Email of the person it is about (a safeguarding lead, deputy or staff)."
        ),
    ],
    school: SchoolOption = None,
    actor: ActorOption = None,
) -> None:
    """Record who a report is about: they stop hearing about it and cannot open it; for a
    policy breach by staff their line manager is told (without what or who)."""
    from sqlalchemy import select

    from bot.core.models import Report, utcnow
    from bot.features.reports.subject import SubjectError, record_subject

    ctx, config = one_school(school)
    me = _actor(ctx, config, actor, "reports about")
    with ctx.store.transaction() as session:
        report = session.scalar(
            select(Report).where(Report.school_id == config.id, Report.reference == reference)
        )
        if report is None:
            fail(
                Msg(
                    N_("%(school)s has no report %(reference)s."),
                    school=config.id,
                    reference=reference,
                )
            )
        try:
            done = record_subject(session, config, report, actor=me, email=person, now=utcnow())
        except SubjectError as exc:
            fail(exc.msg)
    console.print(
        say(
            "%(reference)s is recorded as being about %(person)s: they are not told about it and "
            "cannot open it.",
            reference=done.reference,
            person=done.person,
        )
    )
    if done.owner_cleared:
        console.print(say("They were its owner: give it a new owner on the report page."))
    if done.line_manager:
        console.print(
            say(
                "Their line manager (%(manager)s) will be told, without what happened or who it "
                "is about.",
                manager=done.line_manager,
            )
        )
    _deliver_now(ctx)


@reports_app.command("link")
@friendly
def link(school: SchoolOption = None) -> None:
    """Print the school's public report link (for the website and posters)."""
    from bot.features.reports.intake import link_token

    ctx, config = one_school(school)
    if not config.reports.public_link:
        console.print(
            say(N_("The public report link is switched off for %(school)s."), school=config.name)
        )
        return
    token = link_token(ctx.settings.signing_key(), config.id)
    console.print(
        f"{ctx.settings.base_url}/report/{config.id}/{token}", highlight=False, soft_wrap=True
    )
