"""What a sweep (and ``remind``) prints, and the lines several commands share: trouble
waiting in the outbox, a directory sync stopped for confirmation, people missing."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from bot.core.language.i18n import (
    N_,
    Dated,
    Joined,
    Msg,
    N_plural,
    each_language,
    nmsg,
    say,
    shared_language,
    speaking,
)
from bot.core.language.words import plural, stage_list
from bot.core.outbox.waiting import trouble_lines
from bot.engine.commands import table
from bot.engine.directory_kept import posts_to_map
from bot.engine.directory_said import (
    handover_line,
    missing_lines,
    posts_to_map_lines,
    report_lines,
    stop_lines,
)
from bot.engine.leavers import missing_people, pending_removals

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from bot.core.config import SchoolConfig
    from bot.core.outbox import DispatchStats
    from bot.core.outbox.delivery import Trouble
    from bot.core.outbox.waiting import Waiting
    from bot.engine.directory_report import DirectoryReport
    from bot.engine.sweep import SchoolSweep

__all__ = [
    "PREVIEW_LINE",
    "directory_lines",
    "heads",
    "print_lines",
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
        with speaking(languages.get(r.school_id, "en")):
            _print_school_sweep(console, r)
            if not r.school_day:
                said = say("Not a school day: no reminders today.")
                console.print(f"[yellow]{said}[/]")
                continue
            _print_reminders(console, r, dry_run=dry_run)
    with speaking(shared_language(languages.get(r.school_id, "en") for r in results)):
        if dry_run:
            console.print(say("[bold]Dry run[/]: nothing was written or sent."))
            return

        def delivered() -> str:  # the line whole in each half (cy+en)
            extra = ""
            if stats is not None and (stats.retry_later or stats.failed or stats.delivery_unknown):
                extra = say(
                    " (%(retry)d to retry, %(failed)d failed, %(unknown)d delivery unknown)",
                    retry=stats.retry_later,
                    failed=stats.failed,
                    unknown=stats.delivery_unknown,
                )
            count = nmsg("%(num)d message delivered", "%(num)d messages delivered", sent)
            outbox = say("Outbox: %(path)s", path=outbox_dir)
            return f"[bold green]{count}[/]{extra}. {outbox}"

        console.print("\n" + each_language(delivered))
        if waiting and now is not None:
            _print_waiting(console, waiting, now)
        if trouble is not None:
            print_trouble(console, trouble)


def _print_waiting(console: Console, waiting: list[Waiting], now: datetime) -> None:
    """Queued messages not sent yet: how many, why they wait and when they go."""
    total = sum(w.count for w in waiting)
    console.print(
        str(
            nmsg(
                "%(num)d queued message has not gone yet:",
                "%(num)d queued messages have not gone yet:",
                total,
            )
        )
    )
    for group in waiting:
        console.print(f"  {group.sentence(now)}", highlight=False)


def print_trouble(console: Console, trouble: Trouble) -> None:
    """Paused channels and the messages that need a person, with what to do (``cy+en``: all
    of it in Welsh, then all of it in English)."""
    lines = each_language(lambda: [str(line) for line in trouble_lines(trouble)], _one_after)
    for line in lines:
        console.print(line, highlight=False)


def _one_after(welsh: list[str], english: list[str]) -> list[str]:
    """The Welsh lines, then the English ones."""
    return [*welsh, *english]


def print_lines(console: Console, lines: list[str]) -> None:
    """Print lines; a command (indented four spaces) is never wrapped, so it copies whole."""
    for line in lines:
        console.print(line, highlight=False, soft_wrap=line.startswith("    "))


def _directory_line(d: DirectoryReport) -> str:
    """One line: what the directory sync changed (``cy+en``: the whole line in Welsh, then in
    English)."""
    return each_language(lambda: _directory_said(d))


def _directory_said(d: DirectoryReport) -> str:
    parts = [say("%(num)d added", num=d.added), say("%(num)d updated", num=d.updated)]
    if d.returned:
        parts.append(
            str(
                nmsg(  # English: "duties" whatever the count, as it always was
                    "%(num)d back (%(reopened)d duties reopened)",
                    "%(num)d back (%(reopened)d duties reopened)",
                    d.reopened,
                    num=d.returned,
                    reopened=d.reopened,
                )
            )
        )
    parts += [
        say("%(num)d newly missing", num=d.missing),
        say("%(num)d left", num=d.left),
        say("%(num)d unchanged", num=d.unchanged),
    ]
    said = say("Directory: %(changes)s", changes=", ".join(parts))
    if d.rejected:
        said += (
            ", [yellow]"
            + str(
                nmsg(  # English: "rows" whatever the count
                    "%(num)d rows rejected", "%(num)d rows rejected", len(d.rejected)
                )
            )
            + "[/]"
        )
    return said


def _print_school_sweep(console: Console, r: SchoolSweep) -> None:
    """One school's directory, warnings, duties, handovers and step counts."""
    d = r.directory
    # the cycle's day: 'Monday 23 November 2026' (a leading zero, as it always was)
    cycle = say("cycle as of %(day)s", day=Dated(r.as_of, "%A %d %B %Y", "EEEE dd MMMM y"))
    console.rule(f"[bold]{r.school_name}[/] — {cycle}")
    if d.stopped is not None:
        print_lines(console, stop_lines(d.stopped, r.school_id))
    else:
        console.print(_directory_line(d), highlight=False)
    print_lines(console, [*report_lines(d), *missing_lines(r.missing)])
    for line in r.warnings[:10]:
        console.print(f"  [yellow]warning[/] {line}", highlight=False)
    console.print(_duties_line(r))
    for name in r.handovers:
        console.print(handover_line(name))
    for key, value in r.extra.items():
        if value:
            console.print(_step_count(key, value, planned=key in r.not_queued))


def _duties_line(r: SchoolSweep) -> str:
    """'Duties: 3 opened, closed: 2 done; 5 open, 1 overdue' (the closed kinds from the
    catalogue; a kind it does not list as stored)."""
    kinds = sorted(r.closed.items())  # each said in the half it is in (cy+en)
    closed = Joined((_closed(k, n) for k, n in kinds), ", ")
    return say(
        "Duties: %(opened)d opened, closed: %(closed)s; %(open)d open, [red]%(overdue)d overdue[/]",
        opened=r.opened,
        closed=closed if kinds else Msg("none"),
        open=r.open_duties,
        overdue=r.overdue,
    )


def _closed(kind: str, n: int) -> Msg | str:
    """How many duties closed for one reason (a reason the catalogue does not list: as stored)."""
    if kind == "left":  # the directory's word: no plural
        return Msg(N_("%(num)d left"), num=n)
    return nmsg(*_CLOSED[kind], n) if kind in _CLOSED else f"{n} {kind}"


# why duties closed (``Closure.status``, stored as the code; English: the code, as it always was)
_CLOSED: dict[str, tuple[str, str]] = {
    "done": N_plural("%(num)d done", "%(num)d done"),
    "superseded": N_plural("%(num)d superseded", "%(num)d superseded"),
    "not_read": N_plural("%(num)d not_read", "%(num)d not_read"),
    "missed": N_plural("%(num)d missed", "%(num)d missed"),
    "not_required": N_plural("%(num)d not_required", "%(num)d not_required"),
}
# the sweep steps' counts (``SchoolSweep.extra``) in the school's words; the keys stay as stored
_STEP_COUNTS: dict[str, tuple[str, str]] = {
    "governor_alerts": N_plural(
        "%(num)d policy review alert queued", "%(num)d policy review alerts queued"
    ),
    "governor_alerts_unaddressed": N_plural(
        "%(num)d policy review alert has nobody to go to (nobody in the directory approves the "
        "policy, and no clerk or chair)",
        "%(num)d policy review alerts have nobody to go to (nobody in the directory approves "
        "the policies, and no clerk or chair)",
    ),
    "review_dates_moved": N_plural(
        "%(num)d calendar update queued for a moved policy review date",
        "%(num)d calendar updates queued for moved policy review dates",
    ),
    "report_escalations": N_plural(
        "%(num)d report deadline reminder queued", "%(num)d report deadline reminders queued"
    ),
    "report_escalations_waiting": N_plural(
        "%(num)d report deadline reminder waiting for working hours",
        "%(num)d report deadline reminders waiting for working hours",
    ),
    "reports_ingested": N_plural(
        "%(num)d new report read from the external form",
        "%(num)d new reports read from the external form",
    ),
    "reports_mirrored": N_plural(
        "%(num)d report copied to the tracked list", "%(num)d reports copied to the tracked list"
    ),
    "digest_queued": N_plural("%(num)d weekly digest queued", "%(num)d weekly digests queued"),
    "decision_reminders": N_plural(
        "%(num)d decision review reminder queued", "%(num)d decision review reminders queued"
    ),
    "tasks_closed": N_plural("%(num)d regular task closed", "%(num)d regular tasks closed"),
    "visitors_purged": N_plural(
        "%(num)d visitor confirmation deleted (older than the school keeps them)",
        "%(num)d visitor confirmations deleted (older than the school keeps them)",
    ),
}
# the same counts where nothing was queued (a school in preview, a dry run)
_PLANNED_COUNTS: dict[str, tuple[str, str]] = {
    "governor_alerts": N_plural(
        "%(num)d policy review alert for governors would be queued",
        "%(num)d policy review alerts for governors would be queued",
    ),
    "review_dates_moved": N_plural(
        "%(num)d calendar update for a moved policy review date would be queued",
        "%(num)d calendar updates for moved policy review dates would be queued",
    ),
    "digest_queued": N_plural(
        "%(num)d weekly digest would be queued", "%(num)d weekly digests would be queued"
    ),
    "decision_reminders": N_plural(
        "%(num)d decision review reminder would be queued",
        "%(num)d decision review reminders would be queued",
    ),
}
_STEP_ERRORS = {
    "report_form_errors": N_("The external report form could not be read (see the log)"),
    "report_mirror_errors": N_("The tracked list could not be updated (see the log)"),
}
_STAGE_COUNTS: dict[str, tuple[str, str]] = {
    "ask": N_plural("%(num)d first request", "%(num)d first requests"),
    "before": N_plural(
        "%(num)d reminder before the due date", "%(num)d reminders before the due date"
    ),
    "due": N_plural("%(num)d reminder on the due date", "%(num)d reminders on the due date"),
    "overdue": N_plural("%(num)d overdue reminder", "%(num)d overdue reminders"),
}


def _step_count(key: str, value: int, planned: bool = False) -> str:
    """One step's count as a sentence: '2 report deadline reminders queued', or with
    ``planned`` (nothing was queued) '... would be queued' (a step not listed: its key, as
    stored)."""
    if key.endswith("_errors"):
        return f"[yellow]{say(_STEP_ERRORS[key])}[/]" if key in _STEP_ERRORS else key
    said = _PLANNED_COUNTS if planned and key in _PLANNED_COUNTS else _STEP_COUNTS
    if key not in said:
        return plural(value, key.replace("_", " "), key.replace("_", " ")).capitalize()
    return str(nmsg(*said[key], value))


PREVIEW_LINE = N_(
    "Preview: no reminder or request is sent until an admin presses Start sending "
    "(on the setup page, or `compliance-bot start-sending`)."
)


def _print_reminders(console: Console, r: SchoolSweep, *, dry_run: bool) -> None:
    """The reminders queued (or that would be) for one school, and their stages."""
    planned, told = dry_run or r.preview, r.told
    if r.preview:
        console.print(f"[bold yellow]{say(PREVIEW_LINE)}[/]")
    if not told.count:
        console.print(say("Reminders: none due today."))
        return
    more = told.count - len(told.first)
    title = (
        nmsg(
            "Reminders that would be queued: %(num)d email",
            "Reminders that would be queued: %(num)d emails",
            told.count,
        )
        if planned
        else nmsg("Reminders queued: %(num)d email", "Reminders queued: %(num)d emails", told.count)
    )
    console.print(
        table(
            str(title),
            heads(N_("To"), N_("Items"), N_("Reminder"), N_("Also told")),
            (
                (
                    x.person_email,
                    "; ".join(x.items),
                    str(stage_list(x.labels)),
                    ", ".join(x.cc) or "—",
                )
                for x in told.first
            ),
            show_lines=False,
            caption=say("…and %(num)d more", num=more) if more else None,
        )
    )
    stages = told.stages
    counts = Joined((nmsg(*_STAGE_COUNTS[k], stages[k]) for k in _STAGE_COUNTS if stages[k]), ", ")
    console.print(say("Items reminded: %(counts)s.", counts=counts))  # each half its own counts


def directory_lines(session: Session, school: SchoolConfig) -> list[str]:
    """A stopped directory sync waiting for confirmation, who is missing, and the posts the
    role table does not know (their holders owe nothing until each is mapped)."""
    pending = pending_removals(session, school.id)
    missing = missing_people(session, school.id, school.directory.leaver_grace_days)
    return [
        *(stop_lines(pending, school.id) if pending else []),
        *missing_lines(missing),
        *posts_to_map_lines(posts_to_map(session, school.id)),
    ]


def heads(*heads: str) -> list[str]:
    """Column headings (each ``N_``-marked) in the active language."""
    return [say(head) for head in heads]
