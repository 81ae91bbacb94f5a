"""The ``status`` screen: each school's dashboard in the terminal (headline figures, tiles,
what needs someone now, and the policy, training, account and report tables), counts only."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from rich.columns import Columns
from rich.console import Console
from rich.panel import Panel
from rich.table import Column, Table

from bot.cli.render import PREVIEW_LINE, directory_lines, heads, print_lines, print_trouble
from bot.core.config.per_school import settings_problems, standing_of
from bot.core.days.clock import local_today
from bot.core.deployment.setup_state import is_sending
from bot.core.language.i18n import (
    N_,
    Day,
    each_language,
    nmsg,
    say,
    shared_language,
    short_date,
    speaking,
    spoken,
)
from bot.core.models import utcnow
from bot.core.outbox.delivery import trouble
from bot.engine.commands import table
from bot.engine.settings_problems import describe as describe_settings
from bot.engine.step_failures import failing_steps, status_line
from bot.features.dashboard.cards import pct  # whole percent rounded down, as on the dashboard
from bot.features.dashboard.figures import read_figures
from bot.features.dashboard.panel import URGENCY_LABELS
from bot.features.dashboard.rules import AGE_BANDS, AGE_LABELS
from bot.features.setup.service import NOBODY_OWES, nobody_owes

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from bot.core.config import OrgConfig, SchoolConfig
    from bot.core.deployment.context import AppContext
    from bot.features.dashboard.rules import Figures

__all__ = ["print_status"]


def print_status(console: Console, ctx: AppContext, *, today: date | None = None) -> None:
    """The dashboard's headline figures in the terminal (counts only, never report contents)."""
    now = utcnow()
    day = today or local_today(now)
    with ctx.store.session() as session:
        _print_settings_problems(console, session, ctx.config)
        for school in ctx.config.schools:
            with speaking(school.language):  # cy+en: all of it in Welsh, then in English
                each_language(
                    lambda: _print_school_status(console, session, school, day, now),  # noqa: B023
                    lambda _cy, _en: None,
                )
        waiting = trouble(session, now, [school.id for school in ctx.config.schools])
    with speaking(shared_language(school.language for school in ctx.config.schools)):
        print_trouble(console, waiting)


def _print_school_status(
    console: Console, session: Session, school: SchoolConfig, day: date, now: datetime
) -> None:
    """One school's part of ``status``, in the active language (the school's)."""
    f = read_figures(session, school.id, day, now=now)
    f.calendar_question = school.term_dates_question(day)
    console.rule(f"[bold]{school.name}[/] — {Day(day)}")
    if not is_sending(session, school.id):
        console.print(f"[bold yellow]{say(PREVIEW_LINE)}[/]")
    console.print(
        say(
            "Acknowledgements: [bold]%(ack)s[/] (target %(target)s)   Training: "
            "[bold]%(training)s[/]   Overdue duties: [bold]%(overdue)d[/]   Open reports: "
            "[bold]%(reports)d[/]",
            ack=pct(f.ack_rate),
            target=pct(f.ack_target),
            training=pct(f.training_rate),
            overdue=f.overdue_duties,
            reports=f.open_reports,
        ),
        highlight=False,
    )
    console.print(_tiles(f))
    _print_attention(console, f)
    for failing in failing_steps(session, school.id):  # the step's code, its error's class
        console.print(str(status_line(failing)), highlight=False)
    print_lines(console, directory_lines(session, school))
    if nobody_owes(session, school):  # said loudly
        said = say("WARNING:")
        console.print(f"[bold red]{said}[/] {say(NOBODY_OWES)}", highlight=False)
    console.print(_policies_table(f))
    if f.training:
        console.print(_training_table(f))
    console.print(_accounts_table(f))
    console.print(_reports_table(f))


def _print_settings_problems(console: Console, session: Session, config: OrgConfig) -> None:
    """Each school whose settings fail the checks now: what is in force meanwhile and what to
    fix (file, line, setting), as read now (else as the last sweep recorded it)."""
    standing = standing_of(config)
    problems = standing.problems if standing is not None else settings_problems(session)
    languages = {school.id: school.language for school in config.schools}
    for problem in problems:  # in the school's language (its entry's, where held), else English
        with speaking(languages.get(problem.school_id) or problem.language or "en"):
            said = say("Settings not applied:")
            console.print(f"[bold red]{said}[/] {describe_settings(problem)}", highlight=False)
            for line in problem.lines:
                console.print(f"  {line}", highlight=False, soft_wrap=True)


def _tile(value: str, label: str, note: str, style: str = "bold") -> Panel:
    """One dashboard tile: a figure, what it counts, and a note."""
    return Panel(f"[{style}]{value}[/]\n{label}\n[dim]{note}[/]", expand=True)


def _tiles(f: Figures) -> Columns:
    """The six dashboard tiles, side by side."""
    return Columns(
        [
            _tile(
                pct(f.ack_rate),
                say("policies acknowledged"),
                say(
                    "%(done)d of %(owed)d · target %(target)s",
                    done=f.ack_done,
                    owed=f.ack_owed,
                    target=pct(f.ack_target),
                ),
                "bold green" if f.ack_rate >= f.ack_target else "bold yellow",
            ),
            _tile(
                pct(f.training_rate),
                say("training up to date"),
                say("%(done)d of %(owed)d", done=f.training_done, owed=f.training_owed),
                "bold green" if f.training_rate >= f.ack_target else "bold yellow",
            ),
            _tile(
                say("%(done)d of %(owed)d", done=f.accounts_unsigned, owed=len(f.accounts)),
                say("accounts with unsigned holders"),
                str(nmsg("%(num)d handover needed", "%(num)d handovers needed", f.handovers)),
                "bold red" if f.accounts_unsigned else "bold",
            ),
            _tile(
                str(f.policies_overdue),
                say("policy reviews overdue"),
                say("%(num)d due within 30 days", num=f.policies_due_soon),
                "bold red" if f.policies_overdue else "bold",
            ),
            _tile(
                str(f.open_reports),
                say("open reports"),
                str(
                    nmsg(
                        "%(num)d deadline running, %(overdue)d overdue",
                        "%(num)d deadlines running, %(overdue)d overdue",
                        f.running_clocks,
                        overdue=f.clocks_overdue,
                    )
                ),
                "bold red" if f.clocks_overdue else "bold",
            ),
            _tile(
                str(f.overdue_duties),
                say("overdue duties"),
                say("of %(open)d open · %(people)d people", open=f.open_duties, people=f.people),
                "bold yellow" if f.overdue_duties else "bold",
            ),
        ],
        equal=True,
    )


def _print_attention(console: Console, f: Figures) -> None:
    """The things needing someone now, or a reassurance."""
    attention = f.attention()
    if not attention:
        said = say("Nothing needs you now.")
        console.print(f"[green]{said}[/]")
        return
    said = say("Things needing you now")
    console.print(f"[bold]{said}[/]")
    for item in attention:
        colour = "red" if item.severity == "bad" else "yellow"
        console.print(f"  [{colour}]•[/] {item.text}", highlight=False)


def _policies_table(f: Figures) -> Table:
    """Policies: version, acknowledgements, overdue duties and review state."""
    colours = {"overdue": "red", "due soon": "yellow"}
    policy, version, acknowledged, overdue, review = heads(
        N_("Policy"), N_("Version"), N_("Acknowledged"), N_("Overdue"), N_("Review")
    )
    not_asked = say("not asked")
    return table(
        say("Policies"),
        (policy, version, acknowledged, Column(overdue, justify="right"), review),
        (
            (
                p.title,
                p.version or "—",
                f"{p.done}/{p.owed} ({pct(p.rate)})" if p.required else not_asked,
                str(p.overdue),
                f"[{colours.get(p.review, 'green')}]{say(p.review)}[/]"
                + (f" ({short_date(p.next_review)})" if p.next_review else ""),
            )
            for p in f.policies
        ),
    )


def _training_table(f: Figures) -> Table:
    """Training courses: who should be trained, up to date, expired, never trained."""
    course, *counted = heads(
        N_("Course"), N_("Should be trained"), N_("Up to date"), N_("Expired"), N_("Never")
    )
    return table(
        say("Training"),
        (course, *(Column(c, justify="right") for c in counted)),
        (
            (
                t.course,
                str(t.audience),
                f"{t.up_to_date} ({pct(t.rate)})",
                str(t.expired),
                str(t.never),
            )
            for t in f.training
        ),
    )


def _accounts_table(f: Figures) -> Table:
    """Official accounts: holders, unsigned holders, handovers."""
    needed = say("needed")
    return table(
        say("Official accounts"),
        heads(N_("Account"), N_("Holders"), N_("Unsigned"), N_("Handover")),
        (
            (
                a.name,
                str(a.holders),
                f"[red]{a.unsigned}[/]" if a.unsigned else "0",
                f"[yellow]{needed}[/]" if a.handover_needed else "—",
            )
            for a in f.accounts
        ),
    )


def _reports_table(f: Figures) -> Table:
    """Open reports counted by urgency and age band (never their contents); English as the
    bands and urgencies are stored, another language by the web dashboard's headings."""

    def label(labels: dict[str, str], key: str) -> str:
        return key if spoken() == "en" or key not in labels else say(labels[key])

    return table(
        say("Open reports by urgency and age (counts only)"),
        (say("Urgency"), *(Column(label(AGE_LABELS, band), justify="right") for band in AGE_BANDS)),
        (
            (label(URGENCY_LABELS, urgency), *(str(bands[b]) for b in AGE_BANDS))
            for urgency, bands in f.reports_by_age.items()
        ),
    )
