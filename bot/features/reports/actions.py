"""The tracked list's actions on one report: chronology entries, referrals (which stop the
LADO and ICO clocks), status changes (leaving "new" stops the triage clock), the owner, and
the outcome with lessons learnt. Every change is a chronology entry and an audit event.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.core import audit
from bot.core.config import SchoolConfig
from bot.core.guards.forms import SaidError, Text
from bot.core.language.i18n import N_, Joined, Lazy, Msg
from bot.core.language.kept_text import to_data
from bot.core.language.words import Words, default_words
from bot.core.models import Person, Report, ReportEntry
from bot.features.reports.chronology import (
    CLOCK_STOPPED_IN_TIME,
    CLOCK_STOPPED_LATE,
    DECIDED_NOT_TO_REFER,
    NOBODY,
    OWNER_SET,
    REFERRED,
    STATUS_CHANGED,
)
from bot.features.reports.routing import can_view
from bot.features.reports.rules import MAX_ENTRY, STATUSES, clock_labels, referral_targets
from bot.features.reports.submission import clean_text

__all__ = [
    "ReportActionError",
    "add_entry",
    "audit_list",
    "audit_report",
    "change_status",
    "record_outcome",
    "record_referral",
    "set_owner",
]


class ReportActionError(SaidError, ValueError):
    """A change to a report cannot be made as asked; ``str()`` says why in one line (English),
    ``msg`` where shown: a catalogue sentence, each value a plain value or said where shown."""


# each sentence whole, as the catalogue holds it (the English reads as it always did)
_MISSING = {
    "text": (
        N_("The text is required."),
        N_("The text is too long (%(count)s characters, at most %(limit)s)."),
    ),
    "reason": (
        N_("The reason for the change is required."),
        N_("The reason for the change is too long (%(count)s characters, at most %(limit)s)."),
    ),
}
_ALREADY = {
    "new": N_("The report is already new."),
    "triaged": N_("The report is already triaged."),
    "investigating": N_("The report is already investigating."),
    "referred": N_("The report is already referred."),
    "closed": N_("The report is already closed."),
}
_TOO_LONG = {
    "outcome": N_("The outcome text is too long."),
    "lessons": N_("The lessons learnt text is too long."),
}


def audit_report(session: Session, report: Report, actor: str, action: str, **details: Any) -> None:
    """Audit an event on one report: its id and reference, never its contents."""
    audit.record(
        session,
        actor=actor,
        action=action,
        object_type="report",
        object_id=report.id,
        school_id=report.school_id,
        details={"reference": report.reference, **details},
    )


def audit_list(session: Session, actor: str, action: str, school_id: str, **details: Any) -> None:
    """Audit an event on a school's tracked list as a whole: counts and filters, no contents."""
    audit.record(
        session,
        actor=actor,
        action=action,
        object_type="report_list",
        school_id=school_id,
        details=details,
    )


def _entry(
    session: Session,
    report: Report,
    actor: str,
    kind: str,
    text: Text,
    now: datetime,
    reason: str | None = None,
) -> ReportEntry:
    """A chronology line: a person's own words as written; a line of the bot's as its English
    (the record) with its sentence and values beside it (said in the reader's language)."""
    entry = ReportEntry(
        school_id=report.school_id,
        report_id=report.id,
        at=now,
        author=actor,
        kind=kind,
        text=text if isinstance(text, str) else text.said("en"),
        reason=reason,
        said=None if isinstance(text, str) else to_data(text),
    )
    session.add(entry)
    report.entries.append(entry)
    return entry


def _both(names: list[Lazy]) -> Lazy:
    """'LADO referral decision and ICO notification decision'."""
    if len(names) < 2:
        return Joined(names)
    return Msg(N_("%(first)s and %(last)s"), first=Joined(names[:-1], " and "), last=names[-1])


def _required(value: str | None, what: str, limit: int = MAX_ENTRY) -> str:
    text = clean_text(value or "")
    missing, too_long = _MISSING[what]
    if not text:
        raise ReportActionError(missing)
    if len(text) > limit:
        raise ReportActionError(too_long, count=f"{len(text):,}", limit=f"{limit:,}")
    return text


def _stop_clocks(
    session: Session, report: Report, kinds: Iterable[str], actor: str, now: datetime, words: Words
) -> list[str]:
    stopped: list[str] = []
    for clock in report.clocks:
        if clock.kind in kinds and clock.stopped_at is None:
            clock.stopped_at = now
            clock.stopped_by = actor
            stopped.append(clock.kind)
            _entry(
                session,
                report,
                "system",
                "system",
                Msg(
                    CLOCK_STOPPED_LATE if now > clock.due_at else CLOCK_STOPPED_IN_TIME,
                    clock=clock_labels(words)[clock.kind],
                ),
                now,
            )
    if stopped:
        audit_report(session, report, actor, "report.clock_stopped", clocks=stopped)
    return stopped


def add_entry(
    session: Session,
    report: Report,
    *,
    actor: str,
    kind: str,
    text: str,
    reason: str | None,
    now: datetime,
) -> ReportEntry:
    """Append an action, decision (with its reason), note or correction to the chronology."""
    if kind not in ("action", "decision", "note", "correction"):
        raise ReportActionError(N_("Choose action, decision, note or correction."))
    body = _required(text, "text")
    why = clean_text(reason or "") or None
    if kind == "decision" and not why:
        raise ReportActionError(N_("A decision needs its reason (record decisions and why)."))
    if why and len(why) > MAX_ENTRY:
        raise ReportActionError(N_("The reason is too long."))
    entry = _entry(session, report, actor, kind, body, now, why)
    audit_report(session, report, actor, "report.entry_added", kind=kind)
    return entry


def record_referral(
    session: Session,
    report: Report,
    *,
    actor: str,
    target: str,
    outcome: str,
    text: str,
    reason: str | None,
    now: datetime,
    words: Words | None = None,
) -> list[str]:
    """Record a referral (or a decision not to refer, with reason); stops the matching clock.
    ``words``: the school's (``school_words``), for the line recorded (England's if not given).
    """
    words = words or default_words()
    targets = referral_targets(words)
    if target not in targets:
        raise ReportActionError(N_("Choose who the referral is to."))
    if outcome not in ("referred", "not_required"):
        raise ReportActionError(N_("Say whether a referral was made or is not needed."))
    body = clean_text(text or "")
    if len(body) > MAX_ENTRY:
        raise ReportActionError(N_("The details are too long."))
    why = clean_text(reason or "") or None
    if outcome == "not_required" and not why:
        raise ReportActionError(N_("Deciding not to refer needs the reason."))
    label = targets[target]
    sentence = REFERRED if outcome == "referred" else DECIDED_NOT_TO_REFER
    line: Lazy = Msg(sentence, referral=label)
    if body:  # the person's own details after it, as they wrote them
        line = Joined((line, body), " ")
    _entry(
        session, report, actor, "referral" if outcome == "referred" else "decision", line, now, why
    )
    audit_report(session, report, actor, "report.referral_recorded", target=target, outcome=outcome)
    return _stop_clocks(
        session, report, [target] if target in ("lado", "ico") else [], actor, now, words
    )


def change_status(
    session: Session,
    report: Report,
    *,
    actor: str,
    status: str,
    reason: str | None,
    now: datetime,
    words: Words | None = None,
) -> None:
    """Move a report to another status with a reason; leaving "new" stops the triage clock.

    Closing needs an outcome and no running staff-route (LADO) or ICO clock. ``words``: the
    school's, for the lines recorded (England's if not given).
    """
    words = words or default_words()
    if status not in STATUSES:
        raise ReportActionError(N_("Choose a status from the list."))
    why = _required(reason, "reason")
    if status == report.status:
        raise ReportActionError(_ALREADY[status])
    if status == "closed":
        if not report.outcome:
            raise ReportActionError(N_("Record the outcome before closing the report."))
        running = [c.kind for c in report.clocks if c.stopped_at is None and c.kind != "triage"]
        if running:
            raise ReportActionError(
                N_(
                    "Record the %(clocks)s first (a referral, or a decision not to refer with "
                    "the reason)."
                ),
                clocks=_both([clock_labels(words)[k] for k in running]),
            )
    before = report.status
    report.status = status
    report.closed_at = now if status == "closed" else None
    _entry(
        session,
        report,
        actor,
        "status",
        Msg(STATUS_CHANGED, status_from=Msg(STATUSES[before]), status_to=Msg(STATUSES[status])),
        now,
        why,
    )
    audit_report(session, report, actor, "report.status_changed", before=before, after=status)
    if before == "new":
        _stop_clocks(session, report, ["triage"], actor, now, words)


def set_owner(
    session: Session,
    report: Report,
    school: SchoolConfig,
    *,
    actor: str,
    owner: Person | None,
    now: datetime,
) -> None:
    """Give the report an owner who may read it (or none)."""
    if owner is not None and not can_view(
        owner.email, owner.role_names, report.about_headteacher, school, report.about_person
    ):
        raise ReportActionError(N_("The owner must be someone allowed to read this report."))
    report.owner_id = owner.id if owner else None
    report.owner = owner
    name = owner.display_name if owner else Msg(NOBODY)
    _entry(session, report, actor, "owner", Msg(OWNER_SET, owner=name), now)
    audit_report(session, report, actor, "report.owner_changed", owner_id=report.owner_id)


def record_outcome(
    session: Session,
    report: Report,
    *,
    actor: str,
    outcome: str | None,
    lessons: str | None,
    now: datetime,
) -> None:
    """Record (or update) the outcome and lessons learnt; each change stays in the chronology."""
    new_outcome = clean_text(outcome or "")
    new_lessons = clean_text(lessons or "")
    if not new_outcome and not new_lessons:
        raise ReportActionError(N_("Write the outcome or the lessons learnt."))
    changed = []
    for kind, value in (("outcome", new_outcome), ("lessons", new_lessons)):
        if not value:
            continue
        if len(value) > MAX_ENTRY:
            raise ReportActionError(_TOO_LONG[kind])
        if getattr(report, kind) != value:
            setattr(report, kind, value)
            _entry(session, report, actor, kind, value, now)
            changed.append(kind)
    if changed:
        audit_report(session, report, actor, "report.outcome_recorded", fields=changed)
