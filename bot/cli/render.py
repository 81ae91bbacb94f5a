"""Rich renderings shared by CLI commands (sweep summary, status)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from rich.columns import Columns
from rich.console import Console
from rich.panel import Panel
from rich.table import Column, Table

from bot.core.clock import local_today, to_local
from bot.core.config.per_school import settings_problems, standing_of
from bot.core.config.said import say_problems
from bot.core.i18n import translations
from bot.core.models import utcnow
from bot.core.outbox.delivery import trouble
from bot.core.setup_state import is_sending
from bot.core.words import plural, stage_list
from bot.engine.commands import table
from bot.engine.directory import held_back, held_back_lines
from bot.engine.leavers import RemovalStop, missing_people, pending_removals
from bot.engine.settings_problems import describe as describe_settings
from bot.engine.step_failures import failing_steps
from bot.features.dashboard.cards import pct  # whole percent rounded down, as on the dashboard
from bot.features.dashboard.figures import compute_figures
from bot.features.dashboard.rules import AGE_BANDS
from bot.features.setup.service import NOBODY_OWES, nobody_owes

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from bot.core.config import OrgConfig, SchoolConfig
    from bot.core.context import AppContext
    from bot.core.outbox import DispatchStats
    from bot.core.outbox.delivery import Trouble
    from bot.core.waiting import Waiting
    from bot.engine.directory import DirectoryReport
    from bot.engine.leavers import MissingPerson, PendingRemovals
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
) -> None:
    """What a cycle did: per school, then what was delivered and where, and what waits for a
    person (messages that may not have arrived or were refused, a paused channel)."""
    for r in results:
        _print_school_sweep(console, r)
        if not r.school_day:
            console.print("[yellow]Not a school day: no reminders today.[/]")
            continue
        _print_reminders(console, r, dry_run=dry_run)
    if dry_run:
        console.print("[bold]Dry run[/]: nothing was written or sent.")
        return
    extra = ""
    if stats is not None and (stats.retry_later or stats.failed or stats.delivery_unknown):
        extra = (
            f" ({stats.retry_later} to retry, {stats.failed} failed, "
            f"{stats.delivery_unknown} delivery unknown)"
        )
    console.print(
        f"\n[bold green]{plural(sent, 'message')} delivered[/]{extra}. Outbox: {outbox_dir}"
    )
    if waiting and now is not None:
        _print_waiting(console, waiting, now)
    if trouble is not None:
        print_trouble(console, trouble)


def _print_waiting(console: Console, waiting: list[Waiting], now: datetime) -> None:
    """Queued messages not sent yet: how many, why they wait and when they go."""
    total = sum(w.count for w in waiting)
    have = "message has" if total == 1 else "messages have"
    console.print(f"{total} queued {have} not gone yet:")
    for group in waiting:
        console.print(f"  {group.sentence(now)}", highlight=False)


def print_trouble(console: Console, trouble: Trouble) -> None:
    """Paused channels and the messages that need a person, with what to do."""
    for state in trouble.paused:
        assert state.paused_until is not None
        console.print(
            f"[yellow]{state.what} paused[/] until "
            f"{to_local(state.paused_until):%a %d %b %H:%M} after the platform's last answer "
            f"({state.reason}). Its queued messages wait; none is lost.",
            highlight=False,
        )
    if trouble.unknown:
        them = "it" if trouble.unknown == 1 else "them"
        console.print(
            f"[yellow]{plural(trouble.unknown, 'message')} may not have arrived[/]: the platform "
            f"did not confirm {them}, so the bot will not send {them} again on its own. Check "
            "the sending mailbox's Sent Items, then run `compliance-bot outbox resolve ID --sent "
            "--as YOU` (it arrived) or `--resend`; `compliance-bot outbox --status "
            f"delivery_unknown` lists {them}.",
            highlight=False,
        )
    if trouble.failed:
        them = "it" if trouble.failed == 1 else "them"
        console.print(
            f"[red]{plural(trouble.failed, 'message')} could not be delivered[/]: the platform "
            f"refused {them} (often a wrong address); `compliance-bot outbox --status failed` "
            "says why.",
            highlight=False,
        )


def _day(day: date, *, year: bool = False) -> str:
    """3 Nov (or 3 Nov 2026): no leading zero, as people write it."""
    return f"{day.day} {day:%b}" + (f" {day.year}" if year else "")


def print_lines(console: Console, lines: list[str]) -> None:
    """Print lines; a command (indented four spaces) is never wrapped, so it copies whole."""
    for line in lines:
        console.print(line, highlight=False, soft_wrap=line.startswith("    "))


def _directory_line(d: DirectoryReport) -> str:
    """One line: what the directory sync changed."""
    parts = [f"{d.added} added", f"{d.updated} updated"]
    if d.returned:
        parts.append(f"{d.returned} back ({d.reopened} duties reopened)")
    parts += [f"{d.missing} newly missing", f"{d.left} left", f"{d.unchanged} unchanged"]
    line = "Directory: " + ", ".join(parts)
    if d.rejected:
        line += f", [yellow]{len(d.rejected)} rows rejected[/]"
    return line


def _stop_lines(stop: RemovalStop | PendingRemovals, school_id: str) -> list[str]:
    """A stopped directory sync in plain words: who, why, and the command that confirms."""
    names = ", ".join(stop.names[:10]) + (f" and {len(stop.names) - 10} more"
                                          if len(stop.names) > 10 else "")
    if isinstance(stop, RemovalStop):
        head = (
            f"[red]Directory sync stopped[/]: it would mark {stop.would_remove} of the "
            f"{stop.active} people as missing from the directory (more than {stop.limit:.0%}): "
            f"{names}. Nobody was changed; reminders and report clocks carried on with the "
            "people already known."
        )
    else:
        head = (
            f"[red]Directory sync stopped[/] since {_day(stop.since, year=True)}: it would mark "
            f"{len(stop.names)} of the {stop.active} people as missing from the directory: "
            f"{names}. Nobody has been changed."
        )
    if isinstance(stop, RemovalStop) or not stop.confirmed_by:
        tail = [
            "  If they really have gone, confirm it, then run the sweep again (or wait for "
            "the next one):",
            f"    compliance-bot directory confirm-removals --school {school_id} "
            "--as YOUR-EMAIL",
            "  If they have not, put them back in the directory; the next sweep carries on.",
        ]
    else:
        tail = [f"  Confirmed by {stop.confirmed_by}: the next sweep applies it."]
    return [head, *tail]


def _missing_lines(missing: list[MissingPerson]) -> list[str]:
    """Who is missing from the directory, since when, and until when they keep their duties."""
    if not missing:
        return []
    lines = [
        f"[yellow]{plural(len(missing), 'person', 'people')} "
        f"{'is' if len(missing) == 1 else 'are'} missing from the directory[/]: they keep "
        "their duties until the date shown, unless the directory lists them again:"
    ]
    for m in missing[:20]:
        lines.append(
            f"  {m.name} ({m.email}): missing since {_day(m.since)}, "
            f"keeps their duties until {_day(m.leaves_on, year=True)}"
        )
    if len(missing) > 20:
        lines.append(f"  …and {len(missing) - 20} more: compliance-bot directory status")
    lines += [
        "  To confirm someone has left sooner:",
        "    compliance-bot directory confirm-leaver EMAIL --as YOUR-EMAIL",
    ]
    return lines


def _print_school_sweep(console: Console, r: SchoolSweep) -> None:
    """One school's directory, warnings, duties, handovers and step counts."""
    d = r.directory
    console.rule(f"[bold]{r.school_name}[/] — cycle as of {r.as_of:%A %d %B %Y}")
    if d.stopped is not None:
        print_lines(console, _stop_lines(d.stopped, r.school_id))
    else:
        console.print(_directory_line(d), highlight=False)
    if d.error:
        console.print(
            f"  [red]directory not read[/]: {d.error} — carried on with the people "
            "already known",
            highlight=False,
        )
    for line in d.rejected[:10]:
        console.print(f"  [yellow]rejected[/] {line}", highlight=False)
    for line in d.notes[:10]:
        console.print(f"  note: {line}", highlight=False)
    if d.held:
        console.print(
            f"  {plural(d.held, 'person', 'people')} on rows that could not be read kept as "
            "they were (with their duties); correct the rows above",
            highlight=False,
        )
    print_lines(console, _missing_lines(r.missing))
    for line in r.warnings[:10]:
        console.print(f"  [yellow]warning[/] {line}", highlight=False)
    closed = ", ".join(f"{n} {k}" for k, n in sorted(r.closed.items())) or "none"
    console.print(
        f"Duties: {r.opened} opened, closed: {closed}; "
        f"{r.open_duties} open, [red]{r.overdue} overdue[/]"
    )
    for name in r.handovers:
        console.print(f"  [yellow]handover needed[/]: {name} (a holder has left)")
    for key, value in r.extra.items():
        if value:
            console.print(_step_count(key, value))


# the sweep steps' counts (``SchoolSweep.extra``) in the school's words; the keys stay as stored
_STEP_COUNTS: dict[str, tuple[str, str]] = {
    "governor_alerts": ("policy review alert queued for governors",
                        "policy review alerts queued for governors"),
    "governor_alerts_unaddressed": (
        "policy review alert has nobody to go to (no governor, clerk or chair in the directory)",
        "policy review alerts have nobody to go to (no governor, clerk or chair in the "
        "directory)",
    ),
    "review_dates_moved": ("calendar update queued for a moved policy review date",
                           "calendar updates queued for moved policy review dates"),
    "report_escalations": ("report deadline reminder queued", "report deadline reminders queued"),
    "report_escalations_waiting": (
        "report deadline reminder waiting for working hours",
        "report deadline reminders waiting for working hours",
    ),
    "reports_ingested": ("new report read from the external form",
                         "new reports read from the external form"),
    "report_form_errors": ("the external report form could not be read (see the log)",
                           "the external report form could not be read (see the log)"),
    "reports_mirrored": ("report copied to the tracked list", "reports copied to the tracked list"),
    "report_mirror_errors": ("the tracked list could not be updated (see the log)",
                             "the tracked list could not be updated (see the log)"),
    "digest_queued": ("weekly digest queued", "weekly digests queued"),
    "decision_reminders": ("decision review reminder queued", "decision review reminders queued"),
    "tasks_closed": ("regular task closed", "regular tasks closed"),
    "visitors_purged": (
        "visitor confirmation deleted (older than the school keeps them)",
        "visitor confirmations deleted (older than the school keeps them)",
    ),
}
_STAGE_COUNTS: dict[str, tuple[str, str]] = {
    "ask": ("first request", "first requests"),
    "before": ("reminder before the due date", "reminders before the due date"),
    "due": ("reminder on the due date", "reminders on the due date"),
    "overdue": ("overdue reminder", "overdue reminders"),
}


def _step_count(key: str, value: int) -> str:
    """One step's count as a sentence: '2 report deadline reminders queued'."""
    if key.endswith("_errors"):
        return f"[yellow]{_STEP_COUNTS[key][0].capitalize()}[/]" if key in _STEP_COUNTS else key
    singular, many = _STEP_COUNTS.get(key, (key.replace("_", " "), key.replace("_", " ")))
    return plural(value, singular, many).capitalize()


_PREVIEW_LINE = (
    "Preview: nothing is sent to staff or governors until an admin presses Start sending "
    "(on the setup page, or `compliance-bot start-sending`)."
)


def _print_reminders(console: Console, r: SchoolSweep, *, dry_run: bool) -> None:
    """The reminders queued (or that would be) for one school, and their stages."""
    planned, told = dry_run or r.preview, r.told
    if r.preview:
        console.print(f"[bold yellow]{_PREVIEW_LINE}[/]")
    if not told.count:
        console.print("Reminders: none due today.")
        return
    more = told.count - len(told.first)
    console.print(table(
        f"Reminders {'that would be ' if planned else ''}queued: {plural(told.count, 'email')}",
        ("To", "Items", "Reminder", "Also told"),
        ((x.person_email, "; ".join(x.items), stage_list(x.labels), ", ".join(x.cc) or "—")
         for x in told.first),
        show_lines=False, caption=f"…and {more} more" if more else None,
    ))
    stages = told.stages
    console.print(
        "Items reminded: "
        + ", ".join(plural(stages[k], *_STAGE_COUNTS[k]) for k in _STAGE_COUNTS if stages[k])
        + "."
    )


def print_status(console: Console, ctx: AppContext, *, today: date | None = None) -> None:
    """The dashboard's headline figures in the terminal (counts only, never report contents)."""
    now = utcnow()
    day = today or local_today(now)
    with ctx.store.session() as session:
        _print_settings_problems(console, session, ctx.config)
        for school in ctx.config.schools:
            f = compute_figures(session, school.id, day, now=now)
            f.calendar_question = school.term_dates_question(day)
            console.rule(f"[bold]{school.name}[/] — {day:%A} {day.day} {day:%B %Y}")
            if not is_sending(session, school.id):
                console.print(f"[bold yellow]{_PREVIEW_LINE}[/]")
            console.print(
                f"Acknowledgements: [bold]{pct(f.ack_rate)}[/] (target {pct(f.ack_target)})"
                f"   Training: [bold]{pct(f.training_rate)}[/]"
                f"   Overdue duties: [bold]{f.overdue_duties}[/]"
                f"   Open reports: [bold]{f.open_reports}[/]",
                highlight=False,
            )
            console.print(_tiles(f))
            _print_attention(console, f)
            _print_failing_steps(console, session, school)
            print_lines(console, directory_lines(session, school))
            if nobody_owes(session, school):  # said loudly
                console.print(f"[bold red]WARNING:[/] {NOBODY_OWES}", highlight=False)
            console.print(_policies_table(f))
            if f.training:
                console.print(_training_table(f))
            console.print(_accounts_table(f))
            console.print(_reports_table(f))
        waiting = trouble(session, now, [school.id for school in ctx.config.schools])
    print_trouble(console, waiting)


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


def _print_failing_steps(console: Console, session: Session, school: SchoolConfig) -> None:
    """For whoever runs the bot: each step failing for the school, its error's class and how
    long (the log has where it was raised; the error's text is never kept)."""
    for failing in failing_steps(session, school.id):
        console.print(
            f"[bold red]Step failing:[/] {failing.step} ({failing.title}) — {failing.error}, "
            f"{plural(failing.failures, 'run')} since {to_local(failing.since):%d %b %Y %H:%M}; "
            f"last {to_local(failing.last_at):%d %b %H:%M}. The log says where "
            f"(\"the sweep step {failing.step} failed\").",
            highlight=False,
        )


def directory_lines(session: Session, school: SchoolConfig) -> list[str]:
    """A stopped directory sync waiting for confirmation, who is missing, and who was held
    back for an unknown job title."""
    pending = pending_removals(session, school.id)
    missing = missing_people(session, school.id, school.directory.leaver_grace_days)
    return [*(_stop_lines(pending, school.id) if pending else []), *_missing_lines(missing),
            *held_back_lines(held_back(session, school.id))]


def _tile(value: str, label: str, note: str, style: str = "bold") -> Panel:
    """One dashboard tile: a figure, what it counts, and a note."""
    return Panel(f"[{style}]{value}[/]\n{label}\n[dim]{note}[/]", expand=True)


def _tiles(f: Figures) -> Columns:
    """The six dashboard tiles, side by side."""
    return Columns(
        [
            _tile(
                pct(f.ack_rate),
                "policies acknowledged",
                f"{f.ack_done} of {f.ack_owed} · target {pct(f.ack_target)}",
                "bold green" if f.ack_rate >= f.ack_target else "bold yellow",
            ),
            _tile(
                pct(f.training_rate),
                "training up to date",
                f"{f.training_done} of {f.training_owed}",
                "bold green" if f.training_rate >= f.ack_target else "bold yellow",
            ),
            _tile(
                f"{f.accounts_unsigned} of {len(f.accounts)}",
                "accounts with unsigned holders",
                f"{plural(f.handovers, 'handover')} needed",
                "bold red" if f.accounts_unsigned else "bold",
            ),
            _tile(
                str(f.policies_overdue),
                "policy reviews overdue",
                f"{f.policies_due_soon} due within 30 days",
                "bold red" if f.policies_overdue else "bold",
            ),
            _tile(
                str(f.open_reports),
                "open reports",
                f"{plural(f.running_clocks, 'deadline')} running, {f.clocks_overdue} overdue",
                "bold red" if f.clocks_overdue else "bold",
            ),
            _tile(
                str(f.overdue_duties),
                "overdue duties",
                f"of {f.open_duties} open · {f.people} people",
                "bold yellow" if f.overdue_duties else "bold",
            ),
        ],
        equal=True,
    )


def _print_attention(console: Console, f: Figures) -> None:
    """The things needing someone now, or a reassurance."""
    attention = f.attention()
    if not attention:
        console.print("[green]Nothing needs you now.[/]")
        return
    console.print("[bold]Things needing you now[/]")
    for item in attention:
        colour = "red" if item.severity == "bad" else "yellow"
        console.print(f"  [{colour}]•[/] {item.text}", highlight=False)


def _policies_table(f: Figures) -> Table:
    """Policies: version, acknowledgements, overdue duties and review state."""
    colours = {"overdue": "red", "due soon": "yellow"}
    return table("Policies", ("Policy", "Version", "Acknowledged",
                               Column("Overdue", justify="right"), "Review"), (
        (p.title, p.version or "—",
         f"{p.done}/{p.owed} ({pct(p.rate)})" if p.required else "not asked", str(p.overdue),
         f"[{colours.get(p.review, 'green')}]{p.review}[/]"
         + (f" ({p.next_review:%d %b %Y})" if p.next_review else ""))
        for p in f.policies
    ))


def _training_table(f: Figures) -> Table:
    """Training courses: who should be trained, up to date, expired, never trained."""
    return table("Training", ("Course", *(Column(c, justify="right") for c in (
        "Should be trained", "Up to date", "Expired", "Never"))), (
        (t.course, str(t.audience), f"{t.up_to_date} ({pct(t.rate)})", str(t.expired),
         str(t.never))
        for t in f.training
    ))


def _accounts_table(f: Figures) -> Table:
    """Official accounts: holders, unsigned holders, handovers."""
    return table("Official accounts", ("Account", "Holders", "Unsigned", "Handover"), (
        (a.name, str(a.holders), f"[red]{a.unsigned}[/]" if a.unsigned else "0",
         "[yellow]needed[/]" if a.handover_needed else "—")
        for a in f.accounts
    ))


def _reports_table(f: Figures) -> Table:
    """Open reports counted by urgency and age band (never their contents)."""
    return table("Open reports by urgency and age (counts only)",
                  ("Urgency", *(Column(band, justify="right") for band in AGE_BANDS)),
                  ((urgency, *(str(bands[b]) for b in AGE_BANDS))
                   for urgency, bands in f.reports_by_age.items()))
