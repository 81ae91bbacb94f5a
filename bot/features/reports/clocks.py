"""Report clocks at work: the running clock of a report, and the sweep's escalation of every
running LADO, ICO and triage clock (``escalate_clocks``).

The clock rules themselves are pure and live in ``bot.features.reports.rules``: which clock a
report starts (``clock_kind``), when it runs out (``clock_due``) and which escalation stage it
has reached (``escalation_stage``, at ``ESCALATION_POINTS``). One clock per report:

* ``lado`` — a concern about a member of staff: a LADO referral decision within one working
  day, i.e. by the same time on the next school day. It stops when a LADO referral is
  recorded, or a decision that no referral is needed is recorded with its reason.
* ``ico`` — a personal data breach: 72 calendar hours (weekends included) from when the school
  became aware. It stops when the ICO notification is recorded, or a decision that the breach
  is not reportable is recorded with its reason.
* ``triage`` — everything else: the DSL triages within ``reports.triage_school_days`` school
  days, same time of day. It stops when the report leaves the status "new".

Clocks start in ``intake.submit_report`` and stop in ``actions`` (``record_referral``,
``change_status``). The sweep escalates a running clock to the DSL, deputies and headteacher
(the chair of governors instead of the headteacher when the report is about the headteacher;
the DPO too for the ICO clock; see ``routing.escalation_recipients``) when half its time has
gone, when 90% has gone and when it has run out — each once (outbox idempotency keys; a late
sweep sends only the latest stage). Escalations never carry what was reported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core import audit
from bot.core.config import SchoolConfig
from bot.core.messages import notice
from bot.core.models import Report, ReportClock
from bot.core.outbox import enqueue_email
from bot.features.reports.routing import escalation_recipients
from bot.features.reports.rules import (
    CATEGORIES,
    CLOCK_LABELS,
    ESCALATION_POINTS,
    URGENCIES,
    escalation_stage,
    local_time,
)

__all__ = ["EscalationPlanned", "escalate_clocks", "open_clock"]


def open_clock(report: Report) -> ReportClock | None:
    """The report's running clock, if any."""
    for clock in report.clocks:
        if clock.stopped_at is None:
            return clock
    return None


@dataclass
class EscalationPlanned:
    """One escalation email (no contents)."""

    reference: str
    clock: str
    stage: int
    recipients: tuple[str, ...]
    queued: bool = False


def escalate_clocks(
    session: Session,
    school: SchoolConfig,
    now: datetime,
    *,
    base_url: Callable[[], str],
    write: bool,
) -> list[EscalationPlanned]:
    """Queue the escalation each running clock has reached (once per stage)."""
    planned: list[EscalationPlanned] = []
    rows = session.execute(
        select(ReportClock, Report)
        .join(Report, Report.id == ReportClock.report_id)
        .where(ReportClock.school_id == school.id, ReportClock.stopped_at.is_(None))
        .order_by(ReportClock.due_at)
    ).all()
    for clock, report in rows:
        stage = escalation_stage(clock.started_at, clock.due_at, now)
        if stage <= clock.escalations_sent:
            continue
        recipients = escalation_recipients(school, clock.kind, report.about_headteacher)
        item = EscalationPlanned(report.reference, clock.kind, stage, tuple(recipients))
        planned.append(item)
        if not write:
            continue
        overdue = stage > len(ESCALATION_POINTS)
        what = CLOCK_LABELS[clock.kind]
        if overdue:
            subject = f"Deadline passed: {report.reference} — {what.split(' (')[0]}"
            lead = (
                f"The deadline for the {what} on report {report.reference} passed at "
                f"{local_time(clock.due_at)} and nothing stopping it has been recorded."
            )
        else:
            left = clock.due_at - now
            hours = max(int(left.total_seconds() // 3600), 0)
            subject = (
                f"{hours} hour{'s' if hours != 1 else ''} left: {report.reference} — "
                + (what.split(" (")[0])
            )
            lead = (
                f"{ESCALATION_POINTS[stage - 1][1].capitalize()} for the {what} on report "
                f"{report.reference}: it is due by {local_time(clock.due_at)}."
            )
        stop_rule = {
            "lado": "Record the LADO referral, or a decision that no referral is needed with "
            "the reason, on the report page.",
            "ico": "Record the ICO notification, or a decision that the breach is not "
            "reportable with the reason, on the report page.",
            "triage": "Triage it: change its status from New, with the reason.",
        }[clock.kind]
        if recipients:
            draft = notice(
                school_name=school.mail_from_name or school.name,
                reply_to=school.reply_address(),
                to=recipients,
                subject=subject,
                paragraphs=[lead, stop_rule],
                facts=[
                    ("Reference", report.reference),
                    ("Category", CATEGORIES.get(report.category, report.category)),
                    ("Urgency", URGENCIES.get(report.urgency, report.urgency)),
                    ("Due", local_time(clock.due_at)),
                ],
                button_url=f"{base_url()}/reports/{report.reference}",
                button_text="Open the report (sign-in required)",
                small="This email does not include what was reported.",
            )
            item.queued = enqueue_email(
                session,
                school_id=school.id,
                key=f"report-escalation:{school.id}:{clock.id}:{stage}",
                purpose="report_escalation",
                draft=draft,
            )
        clock.escalations_sent = stage
        audit.record(
            session,
            actor="system:sweep",
            action="report.clock_escalated",
            object_type="report",
            object_id=report.id,
            school_id=school.id,
            details={"reference": report.reference, "clock": clock.kind, "stage": stage},
        )
    return planned
