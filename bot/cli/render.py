"""Rich renderings shared by CLI commands (sweep summary, status)."""

from __future__ import annotations

from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from babel.dates import format_date
from rich.columns import Columns
from rich.console import Console
from rich.panel import Panel
from rich.table import Column, Table

from bot.core.clock import local_today
from bot.core.config.per_school import settings_problems, standing_of
from bot.core.config.said import say_problems
from bot.core.i18n import N_, day_text, shared_language, short_day, translations
from bot.core.models import utcnow
from bot.core.outbox.delivery import trouble
from bot.core.setup_state import is_sending
from bot.core.waiting import trouble_lines
from bot.core.words import plural, stage_list
from bot.engine.commands import say_in, table
from bot.engine.directory_kept import posts_to_map
from bot.engine.directory_said import (
    handover_line,
    missing_lines,
    posts_to_map_lines,
    report_lines,
    stop_lines,
)
from bot.engine.leavers import missing_people, pending_removals
from bot.engine.settings_problems import describe as describe_settings
from bot.engine.step_failures import failing_steps, status_line
from bot.features.dashboard.cards import pct  # whole percent rounded down, as on the dashboard
from bot.features.dashboard.figures import compute_figures
from bot.features.dashboard.panel import URGENCY_LABELS
from bot.features.dashboard.rules import AGE_BANDS, AGE_LABELS
from bot.features.setup.service import NOBODY_OWES, nobody_owes

if TYPE_CHECKING:
    from collections.abc import Callable
    from gettext import NullTranslations

    from sqlalchemy.orm import Session

    from bot.core.config import OrgConfig, SchoolConfig
    from bot.core.context import AppContext
    from bot.core.outbox import DispatchStats
    from bot.core.outbox.delivery import Trouble
    from bot.core.waiting import Waiting
    from bot.engine.directory import DirectoryReport
    from bot.engine.sweep import SchoolSweep
    from bot.features.dashboard.rules import Figures

__all__ = [
    "directory_lines",
    "print_lines",
    "print_status",
    "print_sweep",
    "print_trouble",
]


def print_sweep(
    console: Console,
    results: list[SchoolSweep],
    sent: int,
    outbox_dir: Path,
    *,
    dry_run: bool = False,
    stats: DispatchStats | None = None,
    trouble: Trouble | None = None,
    waiting: list[Waiting] | None = None,
    now: datetime | None = None,
    languages: dict[str, str] | None = None,
) -> None:
    """What a cycle did: per school (in its language, ``languages`` by school id; English when
    not given), then what was delivered and where, and what waits for a person (messages that
    may not have arrived or were refused, a paused channel)."""
    languages = languages or {}
    for r in results:
        language = languages.get(r.school_id, "en")
        _print_school_sweep(console, r, language)
        if not r.school_day:
            said = say_in(language, lambda tr: tr.gettext("Not a school day: no reminders today."))
            console.print(f"[yellow]{said}[/]")
            continue
        _print_reminders(console, r, dry_run=dry_run, language=language)
    language = shared_language(languages.get(r.school_id, "en") for r in results)
    if dry_run:
        console.print(say_in(language, lambda tr: tr.gettext(
            "[bold]Dry run[/]: nothing was written or sent.")))
        return

    def delivered(tr: NullTranslations) -> str:
        extra = ""
        if stats is not None and (stats.retry_later or stats.failed or stats.delivery_unknown):
            extra = tr.gettext(
                " (%(retry)d to retry, %(failed)d failed, %(unknown)d delivery unknown)"
            ) % {"retry": stats.retry_later, "failed": stats.failed,
                 "unknown": stats.delivery_unknown}
        count = tr.ngettext("%(num)d message delivered", "%(num)d messages delivered", sent)
        outbox = tr.gettext("Outbox: %(path)s") % {"path": outbox_dir}
        return f"[bold green]{count % {'num': sent}}[/]{extra}. {outbox}"

    console.print("\n" + say_in(language, delivered))
    if waiting and now is not None:
        _print_waiting(console, waiting, now, language)
    if trouble is not None:
        print_trouble(console, trouble, language)


def _print_waiting(
    console: Console, waiting: list[Waiting], now: datetime, language: str = "en"
) -> None:
    """Queued messages not sent yet: how many, why they wait and when they go."""
    total = sum(w.count for w in waiting)
    console.print(say_in(language, lambda tr: tr.ngettext(
        "%(num)d queued message has not gone yet:", "%(num)d queued messages have not gone yet:",
        total), num=total))
    for group in waiting:
        console.print(f"  {group.sentence(now, language)}", highlight=False)


def print_trouble(console: Console, trouble: Trouble, language: str = "en") -> None:
    """Paused channels and the messages that need a person, with what to do, in
    ``language``."""
    for line in trouble_lines(trouble, language):
        console.print(line, highlight=False)


def print_lines(console: Console, lines: list[str]) -> None:
    """Print lines; a command (indented four spaces) is never wrapped, so it copies whole."""
    for line in lines:
        console.print(line, highlight=False, soft_wrap=line.startswith("    "))


def _directory_line(d: DirectoryReport, language: str = "en") -> str:
    """One line: what the directory sync changed."""

    def line(tr: NullTranslations) -> str:
        parts = [tr.gettext("%(num)d added") % {"num": d.added},
                 tr.gettext("%(num)d updated") % {"num": d.updated}]
        if d.returned:
            parts.append(tr.ngettext(  # English: "duties" whatever the count, as it always was
                "%(num)d back (%(reopened)d duties reopened)",
                "%(num)d back (%(reopened)d duties reopened)", d.reopened,
            ) % {"num": d.returned, "reopened": d.reopened})
        parts += [tr.gettext("%(num)d newly missing") % {"num": d.missing},
                  tr.gettext("%(num)d left") % {"num": d.left},
                  tr.gettext("%(num)d unchanged") % {"num": d.unchanged}]
        said = tr.gettext("Directory: %(changes)s") % {"changes": ", ".join(parts)}
        if d.rejected:
            said += ", [yellow]" + tr.ngettext(  # English: "rows" whatever the count
                "%(num)d rows rejected", "%(num)d rows rejected", len(d.rejected)
            ) % {"num": len(d.rejected)} + "[/]"
        return said

    return say_in(language, line)


def _sweep_day(day: date, language: str) -> str:
    """The cycle's day: 'Monday 23 November 2026' (day with a leading zero, as it always was);
    Welsh by ``babel.dates``."""
    if language == "cy":
        return format_date(day, "EEEE dd MMMM y", locale="cy")
    return f"{day:%A %d %B %Y}"


def _print_school_sweep(console: Console, r: SchoolSweep, language: str = "en") -> None:
    """One school's directory, warnings, duties, handovers and step counts."""
    d = r.directory
    cycle = say_in(language, lambda tr: tr.gettext("cycle as of %(day)s"),
                 day=lambda spoken: _sweep_day(r.as_of, spoken))
    console.rule(f"[bold]{r.school_name}[/] — {cycle}")
    if d.stopped is not None:
        print_lines(console, stop_lines(d.stopped, r.school_id, language))
    else:
        console.print(_directory_line(d, language), highlight=False)
    print_lines(console, [*report_lines(d, language), *missing_lines(r.missing, language)])
    for line in r.warnings[:10]:
        console.print(f"  [yellow]warning[/] {line}", highlight=False)
    console.print(say_in(language, lambda tr: _duties_line(tr, r)))
    for name in r.handovers:
        console.print(handover_line(name, language))
    for key, value in r.extra.items():
        if value:
            planned = key in r.not_queued
            console.print(say_in(language, partial(_step_count, key=key, value=value,
                                                   planned=planned)))


def _duties_line(tr: NullTranslations, r: SchoolSweep) -> str:
    """'Duties: 3 opened, closed: 2 done; 5 open, 1 overdue' (the closed kinds from the
    catalogue; a kind it does not list as stored)."""
    closed = ", ".join(_CLOSED[k](tr, n) % {"num": n} if k in _CLOSED else f"{n} {k}"
                       for k, n in sorted(r.closed.items())) or tr.gettext("none")
    return tr.gettext(
        "Duties: %(opened)d opened, closed: %(closed)s; %(open)d open, "
        "[red]%(overdue)d overdue[/]"
    ) % {"opened": r.opened, "closed": closed, "open": r.open_duties, "overdue": r.overdue}


# why duties closed (``Closure.status``, stored as the code; English: the code, as it always was)
_CLOSED: dict[str, Callable[[NullTranslations, int], str]] = {
    "done": lambda tr, n: tr.ngettext("%(num)d done", "%(num)d done", n),
    "superseded": lambda tr, n: tr.ngettext("%(num)d superseded", "%(num)d superseded", n),
    "not_read": lambda tr, n: tr.ngettext("%(num)d not_read", "%(num)d not_read", n),
    "missed": lambda tr, n: tr.ngettext("%(num)d missed", "%(num)d missed", n),
    "left": lambda tr, n: tr.gettext("%(num)d left"),  # the directory's word: no plural
    "not_required": lambda tr, n: tr.ngettext("%(num)d not_required", "%(num)d not_required",
                                              n),
}


# the sweep steps' counts (``SchoolSweep.extra``) in the school's words; the keys stay as stored
_STEP_COUNTS: dict[str, Callable[[NullTranslations, int], str]] = {
    "governor_alerts": lambda tr, n: tr.ngettext(
        "%(num)d policy review alert queued",
        "%(num)d policy review alerts queued", n),
    "governor_alerts_unaddressed": lambda tr, n: tr.ngettext(
        "%(num)d policy review alert has nobody to go to (nobody in the directory approves the "
        "policy, and no clerk or chair)",
        "%(num)d policy review alerts have nobody to go to (nobody in the directory approves the "
        "policies, and no clerk or chair)", n),
    "review_dates_moved": lambda tr, n: tr.ngettext(
        "%(num)d calendar update queued for a moved policy review date",
        "%(num)d calendar updates queued for moved policy review dates", n),
    "report_escalations": lambda tr, n: tr.ngettext(
        "%(num)d report deadline reminder queued", "%(num)d report deadline reminders queued", n),
    "report_escalations_waiting": lambda tr, n: tr.ngettext(
        "%(num)d report deadline reminder waiting for working hours",
        "%(num)d report deadline reminders waiting for working hours", n),
    "reports_ingested": lambda tr, n: tr.ngettext(
        "%(num)d new report read from the external form",
        "%(num)d new reports read from the external form", n),
    "reports_mirrored": lambda tr, n: tr.ngettext(
        "%(num)d report copied to the tracked list", "%(num)d reports copied to the tracked list",
        n),
    "digest_queued": lambda tr, n: tr.ngettext(
        "%(num)d weekly digest queued", "%(num)d weekly digests queued", n),
    "decision_reminders": lambda tr, n: tr.ngettext(
        "%(num)d decision review reminder queued", "%(num)d decision review reminders queued", n),
    "tasks_closed": lambda tr, n: tr.ngettext(
        "%(num)d regular task closed", "%(num)d regular tasks closed", n),
    "visitors_purged": lambda tr, n: tr.ngettext(
        "%(num)d visitor confirmation deleted (older than the school keeps them)",
        "%(num)d visitor confirmations deleted (older than the school keeps them)", n),
}
# the same counts where nothing was queued (a school in preview, a dry run)
_PLANNED_COUNTS: dict[str, Callable[[NullTranslations, int], str]] = {
    "governor_alerts": lambda tr, n: tr.ngettext(
        "%(num)d policy review alert for governors would be queued",
        "%(num)d policy review alerts for governors would be queued", n),
    "review_dates_moved": lambda tr, n: tr.ngettext(
        "%(num)d calendar update for a moved policy review date would be queued",
        "%(num)d calendar updates for moved policy review dates would be queued", n),
    "digest_queued": lambda tr, n: tr.ngettext(
        "%(num)d weekly digest would be queued", "%(num)d weekly digests would be queued", n),
    "decision_reminders": lambda tr, n: tr.ngettext(
        "%(num)d decision review reminder would be queued",
        "%(num)d decision review reminders would be queued", n),
}
_STEP_ERRORS: dict[str, Callable[[NullTranslations], str]] = {
    "report_form_errors": lambda tr: tr.gettext(
        "The external report form could not be read (see the log)"),
    "report_mirror_errors": lambda tr: tr.gettext(
        "The tracked list could not be updated (see the log)"),
}
_STAGE_COUNTS: dict[str, Callable[[NullTranslations, int], str]] = {
    "ask": lambda tr, n: tr.ngettext("%(num)d first request", "%(num)d first requests", n),
    "before": lambda tr, n: tr.ngettext(
        "%(num)d reminder before the due date", "%(num)d reminders before the due date", n),
    "due": lambda tr, n: tr.ngettext(
        "%(num)d reminder on the due date", "%(num)d reminders on the due date", n),
    "overdue": lambda tr, n: tr.ngettext(
        "%(num)d overdue reminder", "%(num)d overdue reminders", n),
}


def _stage_count(tr: NullTranslations, key: str, n: int) -> str:
    """How many items were reminded at one stage: '2 overdue reminders' (before its number)."""
    return _STAGE_COUNTS[key](tr, n)


def _step_count(tr: NullTranslations, key: str, value: int, planned: bool = False) -> str:
    """One step's count as a sentence: '2 report deadline reminders queued', or with
    ``planned`` (nothing was queued) '... would be queued' (a step not listed: its key, as
    stored)."""
    if key.endswith("_errors"):
        return f"[yellow]{_STEP_ERRORS[key](tr)}[/]" if key in _STEP_ERRORS else key
    said = _PLANNED_COUNTS if planned and key in _PLANNED_COUNTS else _STEP_COUNTS
    if key not in said:
        return plural(value, key.replace("_", " "), key.replace("_", " ")).capitalize()
    return said[key](tr, value) % {"num": value}


_PREVIEW_LINE = N_(
    "Preview: no reminder or request is sent until an admin presses Start sending "
    "(on the setup page, or `compliance-bot start-sending`)."
)


def _print_reminders(
    console: Console, r: SchoolSweep, *, dry_run: bool, language: str = "en"
) -> None:
    """The reminders queued (or that would be) for one school, and their stages."""
    planned, told = dry_run or r.preview, r.told
    if r.preview:
        console.print(f"[bold yellow]{say_in(language, _sentence(_PREVIEW_LINE))}[/]")
    if not told.count:
        console.print(say_in(language, lambda tr: tr.gettext("Reminders: none due today.")))
        return
    more = told.count - len(told.first)
    title = say_in(language, lambda tr: (
        tr.ngettext("Reminders that would be queued: %(num)d email",
                    "Reminders that would be queued: %(num)d emails", told.count)
        if planned else
        tr.ngettext("Reminders queued: %(num)d email", "Reminders queued: %(num)d emails",
                    told.count)), num=told.count)
    heads = _heads(language, N_("To"), N_("Items"), N_("Reminder"), N_("Also told"))
    console.print(table(
        title, heads,
        ((x.person_email, "; ".join(x.items),
          say_in(language, partial(stage_list, x.labels)), ", ".join(x.cc) or "—")
         for x in told.first),
        show_lines=False,
        caption=say_in(language, lambda tr: tr.gettext("…and %(num)d more"), num=more)
        if more else None,
    ))
    stages = told.stages

    def reminded(tr: NullTranslations) -> str:
        counts = (_stage_count(tr, k, stages[k]) % {"num": stages[k]}
                  for k in _STAGE_COUNTS if stages[k])
        return tr.gettext("Items reminded: %(counts)s.") % {"counts": ", ".join(counts)}

    console.print(say_in(language, reminded))


def print_status(console: Console, ctx: AppContext, *, today: date | None = None) -> None:
    """The dashboard's headline figures in the terminal (counts only, never report contents)."""
    now = utcnow()
    day = today or local_today(now)
    with ctx.store.session() as session:
        _print_settings_problems(console, session, ctx.config)
        for school in ctx.config.schools:
            f = compute_figures(session, school.id, day, now=now)
            f.calendar_question = school.term_dates_question(day)
            language = school.language
            console.rule(f"[bold]{school.name}[/] — {day_text(day, language)}")
            if not is_sending(session, school.id):
                console.print(f"[bold yellow]{say_in(language, _sentence(_PREVIEW_LINE))}[/]")
            console.print(say_in(language, lambda tr: tr.gettext(
                "Acknowledgements: [bold]%(ack)s[/] (target %(target)s)"
                "   Training: [bold]%(training)s[/]"
                "   Overdue duties: [bold]%(overdue)d[/]"
                "   Open reports: [bold]%(reports)d[/]"),
                ack=pct(f.ack_rate), target=pct(f.ack_target), training=pct(f.training_rate),
                overdue=f.overdue_duties, reports=f.open_reports), highlight=False)
            console.print(_tiles(f, language))
            _print_attention(console, f, language)
            _print_failing_steps(console, session, school, language)
            print_lines(console, directory_lines(session, school))
            if nobody_owes(session, school):  # said loudly
                warning = say_in(language, lambda tr: tr.gettext("WARNING:"))
                nobody = say_in(language, _sentence(NOBODY_OWES))
                console.print(f"[bold red]{warning}[/] {nobody}", highlight=False)
            console.print(_policies_table(f, language))
            if f.training:
                console.print(_training_table(f, language))
            console.print(_accounts_table(f, language))
            console.print(_reports_table(f, language))
        waiting = trouble(session, now, [school.id for school in ctx.config.schools])
    spoken = {school.language for school in ctx.config.schools}  # a trust's several: English
    print_trouble(console, waiting, spoken.pop() if len(spoken) == 1 else "en")


def _print_settings_problems(console: Console, session: Session, config: OrgConfig) -> None:
    """Each school whose settings fail the checks now: what is in force meanwhile and what to
    fix (file, line, setting), as read now (else as the last sweep recorded it)."""
    standing = standing_of(config)
    problems = standing.problems if standing is not None else settings_problems(session)
    languages = {school.id: school.language for school in config.schools}
    for problem in problems:  # in the school's language (its entry's, where held), else English
        language = languages.get(problem.school_id) or problem.language or "en"
        mark = translations(language).gettext("Settings not applied:")
        console.print(f"[bold red]{mark}[/] {describe_settings(problem, language)}",
                      highlight=False)
        for line in say_problems(problem.message, language):
            console.print(f"  {line}", highlight=False, soft_wrap=True)


def _print_failing_steps(
    console: Console, session: Session, school: SchoolConfig, language: str = "en"
) -> None:
    """For whoever runs the bot: each step failing for the school, its error's class and how
    long (the log has where it was raised; the error's text is never kept), in ``language``
    (the step's code, the error's class and the log's own English words as they are)."""
    for failing in failing_steps(session, school.id):
        console.print(status_line(failing, language), highlight=False)


def directory_lines(session: Session, school: SchoolConfig) -> list[str]:
    """A stopped directory sync waiting for confirmation, who is missing, and the posts the
    role table does not know (their holders owe nothing until each is mapped)."""
    pending = pending_removals(session, school.id)
    missing = missing_people(session, school.id, school.directory.leaver_grace_days)
    language = school.language
    return [*(stop_lines(pending, school.id, language) if pending else []),
            *missing_lines(missing, language),
            *posts_to_map_lines(posts_to_map(session, school.id), language)]


def _tile(value: str, label: str, note: str, style: str = "bold") -> Panel:
    """One dashboard tile: a figure, what it counts, and a note."""
    return Panel(f"[{style}]{value}[/]\n{label}\n[dim]{note}[/]", expand=True)


def _tiles(f: Figures, language: str = "en") -> Columns:
    """The six dashboard tiles, side by side, in the school's language."""

    def say(sentence: Callable[[NullTranslations], str], **values: object) -> str:
        return say_in(language, sentence, **values)

    return Columns(
        [
            _tile(
                pct(f.ack_rate),
                say(lambda tr: tr.gettext("policies acknowledged")),
                say(lambda tr: tr.gettext("%(done)d of %(owed)d · target %(target)s"),
                    done=f.ack_done, owed=f.ack_owed, target=pct(f.ack_target)),
                "bold green" if f.ack_rate >= f.ack_target else "bold yellow",
            ),
            _tile(
                pct(f.training_rate),
                say(lambda tr: tr.gettext("training up to date")),
                say(lambda tr: tr.gettext("%(done)d of %(owed)d"),
                    done=f.training_done, owed=f.training_owed),
                "bold green" if f.training_rate >= f.ack_target else "bold yellow",
            ),
            _tile(
                say(lambda tr: tr.gettext("%(done)d of %(owed)d"),
                    done=f.accounts_unsigned, owed=len(f.accounts)),
                say(lambda tr: tr.gettext("accounts with unsigned holders")),
                say(lambda tr: tr.ngettext("%(num)d handover needed", "%(num)d handovers needed",
                                           f.handovers), num=f.handovers),
                "bold red" if f.accounts_unsigned else "bold",
            ),
            _tile(
                str(f.policies_overdue),
                say(lambda tr: tr.gettext("policy reviews overdue")),
                say(lambda tr: tr.gettext("%(num)d due within 30 days"),
                    num=f.policies_due_soon),
                "bold red" if f.policies_overdue else "bold",
            ),
            _tile(
                str(f.open_reports),
                say(lambda tr: tr.gettext("open reports")),
                say(lambda tr: tr.ngettext(
                    "%(num)d deadline running, %(overdue)d overdue",
                    "%(num)d deadlines running, %(overdue)d overdue", f.running_clocks),
                    num=f.running_clocks, overdue=f.clocks_overdue),
                "bold red" if f.clocks_overdue else "bold",
            ),
            _tile(
                str(f.overdue_duties),
                say(lambda tr: tr.gettext("overdue duties")),
                say(lambda tr: tr.gettext("of %(open)d open · %(people)d people"),
                    open=f.open_duties, people=f.people),
                "bold yellow" if f.overdue_duties else "bold",
            ),
        ],
        equal=True,
    )


def _print_attention(console: Console, f: Figures, language: str = "en") -> None:
    """The things needing someone now, or a reassurance."""
    attention = f.attention(translations(language))
    if not attention:
        nothing = say_in(language, lambda tr: tr.gettext("Nothing needs you now."))
        console.print(f"[green]{nothing}[/]")
        return
    console.print(f"[bold]{say_in(language, lambda tr: tr.gettext('Things needing you now'))}[/]")
    for item in attention:
        colour = "red" if item.severity == "bad" else "yellow"
        console.print(f"  [{colour}]•[/] {item.text}", highlight=False)


def _heads(language: str, *heads: str) -> list[str]:
    """Column headings (each ``N_``-marked) in ``language``."""
    return [say_in(language, _sentence(head)) for head in heads]


def _sentence(message: str) -> Callable[[NullTranslations], str]:
    """The catalogue's ``message`` (marked ``N_`` where it is written) as ``say_in`` reads it."""
    return lambda tr: tr.gettext(message)


def _policies_table(f: Figures, language: str = "en") -> Table:
    """Policies: version, acknowledgements, overdue duties and review state."""
    colours = {"overdue": "red", "due soon": "yellow"}
    policy, version, acknowledged, overdue, review = _heads(
        language, N_("Policy"), N_("Version"), N_("Acknowledged"), N_("Overdue"), N_("Review"))
    not_asked = say_in(language, lambda tr: tr.gettext("not asked"))
    return table(say_in(language, lambda tr: tr.gettext("Policies")), (
        policy, version, acknowledged, Column(overdue, justify="right"), review), (
        (p.title, p.version or "—",
         f"{p.done}/{p.owed} ({pct(p.rate)})" if p.required else not_asked, str(p.overdue),
         f"[{colours.get(p.review, 'green')}]"
         + say_in(language, _sentence(p.review)) + "[/]"
         + (f" ({short_day(p.next_review, language)})" if p.next_review else ""))
        for p in f.policies
    ))


def _training_table(f: Figures, language: str = "en") -> Table:
    """Training courses: who should be trained, up to date, expired, never trained."""
    course, *counted = _heads(language, N_("Course"), N_("Should be trained"), N_("Up to date"),
                              N_("Expired"), N_("Never"))
    return table(say_in(language, lambda tr: tr.gettext("Training")), (
        course, *(Column(c, justify="right") for c in counted)), (
        (t.course, str(t.audience), f"{t.up_to_date} ({pct(t.rate)})", str(t.expired),
         str(t.never))
        for t in f.training
    ))


def _accounts_table(f: Figures, language: str = "en") -> Table:
    """Official accounts: holders, unsigned holders, handovers."""
    needed = say_in(language, lambda tr: tr.gettext("needed"))
    return table(say_in(language, lambda tr: tr.gettext("Official accounts")), _heads(
        language, N_("Account"), N_("Holders"), N_("Unsigned"), N_("Handover")), (
        (a.name, str(a.holders), f"[red]{a.unsigned}[/]" if a.unsigned else "0",
         f"[yellow]{needed}[/]" if a.handover_needed else "—")
        for a in f.accounts
    ))


def _reports_table(f: Figures, language: str = "en") -> Table:
    """Open reports counted by urgency and age band (never their contents); English as the
    bands and urgencies are stored, another language by the web dashboard's headings."""

    def label(labels: dict[str, str], key: str) -> str:
        if language == "en" or key not in labels:
            return key
        return say_in(language, lambda tr: tr.gettext(labels[key]))

    return table(say_in(language, lambda tr: tr.gettext(
        "Open reports by urgency and age (counts only)")),
        (say_in(language, lambda tr: tr.gettext("Urgency")),
         *(Column(label(AGE_LABELS, band), justify="right") for band in AGE_BANDS)),
        ((label(URGENCY_LABELS, urgency), *(str(bands[b]) for b in AGE_BANDS))
         for urgency, bands in f.reports_by_age.items()))
