"""Report clocks at work: the running clock of a report, and the sweep's escalation of every
running LADO, ICO and triage clock (``escalate_clocks``).

The clock rules themselves are pure and live in ``bot.features.reports.rules``: which clock a
report starts (``clock_kind``), when it runs out (``clock_due``, by the school's
``reports.clocks`` rule for the kind and urgency) and which escalation stage it has reached
(``escalation_stage``). One clock per report:

* ``lado`` — a concern about a member of staff: a LADO referral decision within one working
  day (Monday to Friday minus the nation's bank holidays; school holidays do not stop it). It
  stops when a LADO referral is recorded, or a decision that no referral is needed is recorded
  with its reason.
* ``ico`` — a personal data breach: 72 calendar hours (weekends included) from when the school
  became aware. It stops when the ICO notification is recorded, or a decision that the breach
  is not reportable is recorded with its reason.
* ``triage`` — everything else, by urgency: immediate within hours, high by the end of the next
  working day, normal within school days. It stops when the report leaves the status "new".

Clocks start in ``intake.submit_report`` and stop in ``actions`` (``record_referral``,
``change_status``). The sweep warns the DSL, deputies and headteacher (the DPO too for the ICO
clock) as each share in ``warn_at`` of the time goes; once the deadline has passed it tells
them and the chair of governors, again every ``overdue_every_hours``, up to ``overdue_max``
messages, the last saying it is the last (never silent, never endless). Each stage goes once
(outbox idempotency keys; a late sweep sends only the latest stage). Nobody the report is about
is ever told (``routing.escalation_recipients``). Escalations never carry what was reported,
and their countdown is written when the email is sent (``live_text``), not when queued.

Quiet hours (``reports.clocks.quiet_hours``, on by default): outside the working hours
(07:00 to 19:00 on working days; weekends, Christmas Day and every other bank holiday are quiet
all day) a stage the clock has reached is not recorded yet: the sweep waits, and the first sweep
in working hours sends it (or the later stage reached by then, as a late sweep does) — not lost,
not sent twice, and never sent for a clock stopped in the meantime. Quiet hours are judged
at the sweep that would send, not at the stage's planned time: a stage planned for Friday
afternoon and reached by a Saturday sweep (sweeps were missed) waits for Monday. A held
overdue reminder pushes the next one back (``quiet_hours.escalation_stage``'s ``wait``), so none is
skipped and none comes sooner than ``overdue_every_hours`` after the one before. Only an
immediate report's hour-counted triage, up to its first "deadline passed", goes at any hour;
the ICO's final warning and first "deadline passed" go at a weekend too, but a stage that falls
in the night (22:00 to 07:00) goes at 07:00, or at 21:59 before it when 07:00 is past the
deadline (``quiet_hours.breaks_quiet_hours``, ``quiet_hours.night_wait``); the repeats after it
wait for working hours.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session, lazyload

from bot.core.config import SchoolConfig
from bot.core.days.clock import LONDON
from bot.core.language.i18n import N_, Dated, Msg
from bot.core.language.live_text import TIME_LEFT
from bot.core.language.words import Words, day_and_time, school_words
from bot.core.models import Report, ReportClock
from bot.core.outbox import EmailDraft, Urgency, enqueue_email
from bot.core.rendering.messages import notice
from bot.features.reports.actions import audit_report
from bot.features.reports.quiet_hours import (
    breaks_quiet_hours,
    escalation_stage,
    in_working_hours,
    overdue_round,
    quiet_hours_wait,
    working_hours_resume,
)
from bot.features.reports.routing import escalation_recipients
from bot.features.reports.rules import CATEGORIES, URGENCIES, clock_labels

__all__ = ["ClockCounts", "EscalationPlanned", "clock_counts", "escalate_clocks", "open_clock"]


def open_clock(report: Report) -> ReportClock | None:
    """The report's running clock, if any."""
    return next((clock for clock in report.clocks if clock.stopped_at is None), None)


class ClockCounts(NamedTuple):
    """A kind of report deadline over some reports: kept (stopped in time), missed (stopped
    late), running within time, and running past its deadline."""

    kept: int = 0
    missed: int = 0
    running: int = 0
    running_late: int = 0


def clock_counts(
    session: Session, reports: Select[Report], now: datetime, kinds: Iterable[str] = ()
) -> dict[str, ClockCounts]:
    """The deadlines of ``reports`` counted by kind as of ``now`` (counts only): ``kinds``
    first, each even with none, then any other kind in the order met."""
    counts = {kind: [0, 0, 0, 0] for kind in kinds}
    visible = reports.subquery()
    for kind, due, stopped in session.execute(
        select(ReportClock.kind, ReportClock.due_at, ReportClock.stopped_at).where(
            ReportClock.report_id.in_(select(visible.c.id))
        )
    ):
        late = (stopped or now) > due
        counts.setdefault(kind, [0, 0, 0, 0])[(2 if stopped is None else 0) + late] += 1
    return {kind: ClockCounts(*n) for kind, n in counts.items()}


@dataclass
class EscalationPlanned:
    """One escalation email (no contents); ``waits_until`` is set for a stage held by quiet
    hours (nothing is queued or recorded for it yet)."""

    reference: str
    clock: str
    stage: int
    recipients: tuple[str, ...]
    queued: bool = False
    waits_until: datetime | None = None


def _stop_rule(kind: str, words: Words) -> Msg:
    """What stops a clock, in the school's words."""
    if kind == "lado":
        return Msg(
            N_(
                "Record the referral to %(route)s, or a decision that no referral is needed "
                "with the reason, on the report page."
            ),
            route=Msg(words.staff_route_full),
        )
    if kind == "ico":
        return Msg(
            N_(
                "Record the %(regulator)s notification, or a decision that the breach is not "
                "reportable with the reason, on the report page."
            ),
            regulator=Msg(words.regulator),
        )
    return Msg(N_("Triage it: change its status from New, with the reason."))


def _draft(
    school: SchoolConfig,
    report: Report,
    clock: ReportClock,
    stage: int,
    url: str,
    recipients: list[str],
) -> EmailDraft:
    """The escalation email: every sentence true whenever it arrives (absolute times, and a
    countdown filled in at send time), in the school's language."""
    clocks = school.reports.clocks
    overdue = overdue_round(stage, clocks.warn_at)
    words = school_words(school)
    what = clock_labels(words)[clock.kind]
    local = clock.due_at.astimezone(LONDON)
    due = day_and_time(clock.due_at)
    values = {"what": what, "reference": report.reference, "due": due}
    lead = N_(
        "The %(what)s on report %(reference)s is due by %(due)s. When this email was sent, "
        "%(left)s."
    )
    paragraphs = [Msg(lead, **values, left=TIME_LEFT), _stop_rule(clock.kind, words)]
    if overdue:
        last = overdue >= clocks.overdue_max
        subject = Msg(
            N_("Deadline passed (last reminder): %(reference)s — %(what)s")
            if last
            else N_("Deadline passed: %(reference)s — %(what)s"),
            **values,
        )
        counts = {
            "round": overdue,
            "most": clocks.overdue_max,
            "every": clocks.overdue_every_hours,
            "chair": Msg(words.chair),
        }
        if last:
            paragraphs.append(
                Msg(
                    N_(
                        "This is the last reminder the bot sends about this deadline; the "
                        "report stays marked overdue on the tracked list and the dashboard until "
                        "it is recorded."
                    )
                )
            )
        elif clocks.quiet_hours:
            paragraphs.append(
                Msg(
                    N_(
                        "Overdue reminder %(round)d of at most %(most)d: the bot repeats it "
                        "every %(every)d hours, in working hours, until it is recorded, and "
                        "copies the %(chair)s."
                    ),
                    **counts,
                )
            )
        else:
            paragraphs.append(
                Msg(
                    N_(
                        "Overdue reminder %(round)d of at most %(most)d: the bot repeats it "
                        "every %(every)d hours until it is recorded, and copies the %(chair)s."
                    ),
                    **counts,
                )
            )
    else:
        subject = Msg(
            N_("Due %(when)s: %(reference)s — %(what)s"),
            **values,
            when=Dated(local, "%a %-d %b %H:%M", "EEE d MMM HH:mm"),
        )
    draft = notice(
        school=school,
        to=recipients,
        subject=subject,
        paragraphs=paragraphs,
        facts=[
            (Msg(N_("Reference")), report.reference),
            (Msg(N_("Category")), Msg(CATEGORIES.get(report.category, report.category))),
            (Msg(N_("Urgency")), Msg(URGENCIES.get(report.urgency, report.urgency))),
            (Msg(N_("Due")), due),
        ],
        button_url=url,
        button_text=Msg(N_("Open the report (sign-in required)")),
        small=Msg(N_("This email does not include what was reported.")),
    )
    return replace(draft, deadline=clock.due_at)


def _stage(
    school: SchoolConfig,
    clock: ReportClock,
    now: datetime,
    wait: Callable[[datetime, int], datetime] | None,
) -> int:
    """The escalation stage a clock has reached by the school's settings."""
    clocks = school.reports.clocks
    return escalation_stage(
        clock.started_at,
        clock.due_at,
        now,
        warn_at=clocks.warn_at,
        every=timedelta(hours=clocks.overdue_every_hours),
        cap=clocks.overdue_max,
        wait=wait,
    )


# each running clock with its report, soonest deadline first; built once (its cache key too).
# The report's entries and clocks are read only if something asks for them: the sweep's every
# pass would otherwise load each running report's whole history with it
_RUNNING = (
    select(ReportClock, Report)
    .join(Report, Report.id == ReportClock.report_id)
    .where(ReportClock.school_id == bindparam("school_id"), ReportClock.stopped_at.is_(None))
    .order_by(ReportClock.due_at)
    .options(lazyload(Report.entries), lazyload(Report.clocks))
)


def escalate_clocks(
    session: Session,
    school: SchoolConfig,
    now: datetime,
    *,
    base_url: Callable[[], str],
    write: bool,
) -> list[EscalationPlanned]:
    """Queue the escalation each running clock has reached (once per stage); in quiet hours
    only those that break them (the rest wait for working hours and come back as planned with
    ``waits_until``)."""
    clocks = school.reports.clocks
    planned: list[EscalationPlanned] = []
    rows = session.execute(_RUNNING, {"school_id": school.id}).all()
    quiet = clocks.quiet_hours and not in_working_hours(school, now)
    for clock, report in rows:
        rule = school.clock_rule(clock.kind, report.urgency)
        wait = quiet_hours_wait(school, clock.kind, rule, report.urgency, clock.due_at)
        stage = _stage(school, clock, now, wait)
        if quiet and not breaks_quiet_hours(
            clock.kind, rule, report.urgency, stage, clocks.warn_at
        ):
            stage = clock.escalations_sent  # judged now, when it would be sent: it waits
        if stage <= clock.escalations_sent:
            held = _stage(school, clock, now, None) if quiet else stage
            if held > clock.escalations_sent:
                # nothing recorded: the first sweep in working hours sends it
                planned.append(
                    EscalationPlanned(
                        report.reference,
                        clock.kind,
                        held,
                        (),
                        waits_until=working_hours_resume(school, now),
                    )
                )
            continue
        recipients = escalation_recipients(
            school,
            clock.kind,
            report.about_headteacher,
            report.about_person,
            overdue=overdue_round(stage, clocks.warn_at) > 0,
        )
        item = EscalationPlanned(report.reference, clock.kind, stage, tuple(recipients))
        planned.append(item)
        if not write:
            continue
        if recipients:
            draft = _draft(
                school, report, clock, stage, f"{base_url()}/reports/{report.reference}", recipients
            )
            item.queued = enqueue_email(
                session,
                school_id=school.id,
                key=f"report-escalation:{school.id}:{clock.id}:{stage}",
                purpose="report_escalation",
                urgency=Urgency.SAFEGUARDING,
                draft=draft,
            )
        clock.escalations_sent = stage
        audit_report(
            session, report, "system:sweep", "report.clock_escalated", clock=clock.kind, stage=stage
        )
    return planned
