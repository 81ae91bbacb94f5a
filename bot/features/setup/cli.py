"""``compliance-bot init``: a school set up in one sitting from its staff list, policy folder
and term dates — interactive, or ``--answers FILE`` for scripted installs."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from bot.cli.common import AsOf, as_of_today, console, context, err, friendly, say_database
from bot.core.words import plural, role_name

if TYPE_CHECKING:
    from bot.core.config import OrgConfig, SchoolConfig
    from bot.core.settings import Settings
    from bot.features.setup.school_setup import SetupDraft

__all__ = ["init"]

AnswersOpt = Annotated[
    Path | None,
    typer.Option("--answers", help="A YAML file of answers (scripted installs); asks nothing."),
]


def _fail(lines: list[str]) -> None:
    """Every problem, one line each, then exit 2 (nothing was written)."""
    err.print(f"[bold red]Nothing was set up:[/] {plural(len(lines), 'problem')} to fix first:")
    for line in lines:
        err.print(f"  {escape(line)}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def _home(settings: Settings) -> Settings:
    """Settings for a new school: its own folder, never the demo's."""
    from bot.core.settings import DEFAULT_HOME, DEMO_HOME

    if settings.home == DEMO_HOME and not settings.demo:
        return settings.model_copy(update={"home": DEFAULT_HOME})
    return settings


def _org(draft: SetupDraft, settings: Settings, today: date) -> OrgConfig:
    """The school file's content, validated as ``check config`` will read it."""
    from pydantic import ValidationError

    from bot.core.config import OrgConfig
    from bot.features.setup.school_setup import school_config

    data = school_config(draft, today)
    try:
        return OrgConfig.model_validate({**data, "base_dir": settings.home})
    except ValidationError as exc:
        _fail([f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()])
        raise  # pragma: no cover - _fail exits


def _print_people(draft: SetupDraft) -> None:
    """The directory as read, and who holds each role."""
    if draft.people:
        roles: Counter[str] = Counter()
        for person in draft.people:
            if person.active:
                groups = {draft.answers.role_groups[g] for g in person.groups
                          if g in draft.answers.role_groups}
                roles.update(set(person.roles) | groups)
        counts = ", ".join(
            plural(n, role_name(r), "staff" if r == "staff" else None)
            for r, n in sorted(roles.items())
        )
        console.print(f"[bold]Directory[/]: {draft.source_name}: "
                      f"{plural(len(draft.people), 'person', 'people')} ({counts})")
    elif draft.directory_note:
        console.print(f"[bold]Directory[/]: {draft.directory_note}")
    for key, value in draft.roles.items():
        shown = ", ".join(value) if isinstance(value, list) else value
        label = "runs the bot day to day" if key == "admins" else role_name(key)
        console.print(f"  {label}: {shown or '—'}", highlight=False)


def _print_policies(draft: SetupDraft) -> None:
    """What each document said, what was worked out, what was answered, and notes."""
    table = Table(title="Policy folder: what was found", title_justify="left")
    for col in ("Document", "Found in the document", "Worked out"):
        table.add_column(col, overflow="fold")
    for item in draft.policies:
        if item.error:
            table.add_row(escape(item.path.name), f"[red]not read[/]: {escape(item.error)}", "")
            continue
        table.add_row(escape(item.path.name), escape("\n".join(item.found)) or "—",
                      escape("\n".join(item.derived)) or "—")
    console.print(table)
    for item in draft.policies:
        for note in item.notes:
            console.print(f"  [cyan]note[/] {escape(item.path.name)}: {escape(note)}",
                          highlight=False)


def _print_calendar(draft: SetupDraft) -> None:
    """The calendar's events and what each was read as; then the totals."""
    calendar = draft.calendar
    if calendar is not None:
        table = Table(title=f"Term dates read from {draft.answers.terms.ics}",
                      title_justify="left")
        for col in ("Event", "Dates", "Read as"):
            table.add_column(col, overflow="fold")
        for event in calendar.events:
            table.add_row(escape(event.summary), event.dates, event.kind)
        console.print(table)
        for note in calendar.notes:
            console.print(f"  [yellow]note[/] {escape(note)}", highlight=False)


def _print_pack(draft: SetupDraft) -> None:
    """The requirement pack: each template, whether chosen, and the policies it follows."""
    console.print("[bold]Requirement pack[/]")
    for item in draft.pack:
        chosen = item.template.id in draft.chosen
        if not item.available:
            console.print(f"  [dim]– {item.template.summary}: not used, {item.why_not}[/]")
            continue
        mark = "[green]✓[/]" if chosen else "[dim]– (not chosen)[/]"
        follows = "; ".join(p.title for p in item.policies)
        console.print(f"  {mark} {item.template.summary}"
                      + (f" [dim]({escape(follows)})[/]" if follows else ""), highlight=False)


def _print_summary(draft: SetupDraft, org: OrgConfig) -> None:
    """Everything that will be written, in the school's words."""
    school = org.schools[0]
    _print_people(draft)
    _print_policies(draft)
    _print_calendar(draft)
    console.print(
        f"[bold]Calendar[/]: {plural(len(school.terms), 'term')}, "
        f"{plural(len(school.holidays), 'holiday weekday')} inside them, "
        f"{plural(len(school.inset_days), 'INSET day')}"
    )
    _print_pack(draft)
    _print_report_clocks(school)


def _print_report_clocks(school: SchoolConfig) -> None:
    """Which deadline each report starts, and when its reminders go."""
    from bot.features.reports.rules import clock_summary

    console.print("[bold]Report deadlines[/] (school.yaml: reports: clocks:)")
    for line in clock_summary(school):
        console.print(f"  {escape(line)}", highlight=False)


def _first_plan(settings: Settings, org: OrgConfig, today: date) -> None:
    """``remind --dry-run`` on the first school day: who will be asked for what, and when."""
    from bot.cli.render import print_reminder_plan
    from bot.core.context import AppContext
    from bot.engine.sweep import run_sweep

    ctx = AppContext(settings)
    first_day = org.schools[0].next_school_day(today)
    results, _ = run_sweep(ctx.store, settings, ctx.config, ctx.connectors, as_of=first_day,
                           write=False, deliver=False)
    console.rule("[bold]The first plan[/] (compliance-bot remind --dry-run)")
    print_reminder_plan(console, results)


def init(answers: AnswersOpt = None, as_of: AsOf = None) -> None:
    """Set up a school here: directory, people in roles, policies, term dates, requirements.

    Refuses (exit 2) in a folder that already has a school; never overwrites anything.
    """
    from bot.core.models import utcnow
    from bot.features.setup.answers import load_answers
    from bot.features.setup.school_setup import draft_setup, existing_school, write_setup

    settings = _home(context(need_school=False).settings)
    why = existing_school(settings)
    if why:
        err.print(f"[bold red]error:[/] a school is already set up here: {why}. Nothing was "
                  "changed; run `compliance-bot init` in an empty folder.", highlight=False)
        raise typer.Exit(2)
    today = as_of_today(as_of)
    if answers is not None:
        draft = draft_setup(settings, load_answers(answers))
    else:
        from bot.features.setup.prompts import ask_answers

        draft = draft_setup(settings, ask_answers(settings))
    if draft.problems:
        _fail(draft.problems)
    org = _org(draft, settings, today)
    _print_summary(draft, org)
    settings = settings.model_copy(update={"base_url": draft.answers.base_url.rstrip("/"),
                                           "connector": draft.answers.platform})
    written = write_setup(settings, draft, org, today=today, now=utcnow())
    say_database(settings.db_url)
    console.print(f"\n[green]Written[/]: {written.config_path} (the school file), "
                  f"{written.env_path} (settings), the database and "
                  f"{plural(len(written.copied), 'file')} copied into {settings.home}.")
    _closing(settings, draft, org, today)


def _closing(settings: Settings, draft: SetupDraft, org: OrgConfig, today: date) -> None:
    """The first plan (local) or the platform check to run, then the next step."""
    platform = draft.answers.platform
    if platform == "local":
        _first_plan(settings, org, today)
        mail = (f"written as .eml files into {settings.outbox_dir} until a mail relay is set"
                if settings.local.mail == "eml" else "sent through the school's mail relay")
        console.print(f"\n[bold]Signing in[/]: people type their school email address at "
                      f"{settings.base_url}/signin and are emailed a one-time link and code "
                      f"({mail}). If the school has Microsoft 365 or Google, their sign-in is "
                      "better: see deploy/README.md#sign-in.")
    else:
        name = "Microsoft 365" if platform == "m365" else "Google"
        console.print(f"Next, fill in the settings marked in .env (see deploy/{platform}.md) "
                      f"and run [bold]compliance-bot check {platform}[/]; then "
                      "[bold]compliance-bot remind --dry-run[/] shows the first plan.")
        console.print(f"\n[bold]Signing in[/]: with {name} accounts (recommended): fill in the "
                      "COMPLIANCE_BOT_OIDC_ lines in .env (deploy/README.md#sign-in). Until then "
                      "people sign in with a one-time link and code emailed to them.")
    where_kept = ("the web pages (school.yaml is an export)"
                  if draft.answers.settings_source == "web"
                  else "school.yaml (the web pages show it read-only)")
    console.print(
        f"\nNothing is sent yet: the school is in preview. Settings are managed in {where_kept}."
        f"\nNext: open [bold]{settings.base_url}/setup[/] to review, then press Start sending "
        "(or run [bold]compliance-bot start-sending[/])."
    )


init_command = friendly(init)
