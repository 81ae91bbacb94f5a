"""Who a report is about, kept from them: recording the person (a DSL, a deputy, a member of
staff) and telling a member of staff's line manager — content-free — about a policy breach.

Once recorded, the person is never alerted, never sent an escalation and cannot read the report
(``routing``); the next in line stands in. An allegation (the LADO route) or a child-protection
report never goes to the line manager: the DSL and the LADO decide who is told.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.config import SchoolConfig
from bot.core.guards.forms import SaidError
from bot.core.language.i18n import N_, Msg
from bot.core.language.kept_text import to_data
from bot.core.language.words import day_and_time, school_words
from bot.core.models import Person, Report, ReportEntry
from bot.core.outbox import Urgency, enqueue_email
from bot.core.rendering.messages import notice
from bot.features.reports.actions import audit_report
from bot.features.reports.chronology import (
    NO_LINE_MANAGER,
    SUBJECT_RECORDED,
    SUBJECT_RECORDED_OWNER,
)
from bot.features.reports.routing import may_read
from bot.features.reports.rules import STAFF_BREACH_CATEGORIES

__all__ = ["SubjectError", "SubjectRecorded", "record_subject", "system_note", "tell_line_manager"]


class SubjectError(SaidError, ValueError):
    """The person cannot be recorded as the report's subject; ``str()`` says why (a role named
    in it in the reader's words where shown)."""


@dataclass(frozen=True)
class SubjectRecorded:
    """What recording the subject did (no contents)."""

    reference: str
    person: str
    line_manager: str | None
    owner_cleared: bool


def system_note(session: Session, report: Report, at: datetime, text: Msg) -> None:
    """Add a line the bot writes to the report's chronology: its English (the record) and its
    sentence and values beside it (``chronology.said``)."""
    session.add(
        ReportEntry(
            school_id=report.school_id,
            report_id=report.id,
            at=at,
            author="system",
            kind="system",
            text=text.said("en"),
            said=to_data(text),
        )
    )


def tell_line_manager(
    session: Session, school: SchoolConfig, report: Report, person: Person, now: datetime
) -> str | None:
    """Queue the line manager's content-free notice about a staff policy breach; returns
    their email, or None when the report is not a plain breach or there is nobody to tell."""
    if report.category not in STAFF_BREACH_CATEGORIES:
        return None
    manager = person.manager
    subject = (report.about_person or "").lower()
    if manager is None or not manager.active or manager.email.lower() in {subject, person.email}:
        system_note(session, report, now, Msg(NO_LINE_MANAGER))
        return None
    draft = notice(
        school=school,
        to=[manager.email],
        subject=Msg(
            N_("A report about a member of your team: %(reference)s"), reference=report.reference
        ),
        paragraphs=[
            Msg(
                N_(
                    "%(school)s's safeguarding team has recorded a report (%(reference)s, "
                    "received %(received)s) about a possible breach of school policy by someone "
                    "you line-manage."
                ),
                school=school.name,
                reference=report.reference,
                received=day_and_time(report.created_at),
            ),
            Msg(
                N_(
                    "The %(dsl)s will talk to you about what happens next. Please do not "
                    "discuss it with the member of staff until then."
                ),
                dsl=Msg(school_words(school).dsl_full),
            ),
        ],
        small=Msg(
            N_(
                "To protect everyone involved, this email does not say what happened or "
                "who it is about."
            )
        ),
    )
    enqueue_email(
        session,
        school_id=school.id,
        key=f"report-line-manager:{school.id}:{report.reference}:{manager.email.lower()}",
        purpose="report_line_manager",
        urgency=Urgency.SAFEGUARDING,
        draft=draft,
    )
    audit_report(session, report, "system", "report.line_manager_told")
    return manager.email.lower()


def record_subject(
    session: Session,
    school: SchoolConfig,
    report: Report,
    *,
    actor: Person,
    email: str,
    now: datetime,
) -> SubjectRecorded:
    """Record who the report is about: they lose sight of it and its alerts at once; a member
    of staff's line manager hears about a policy breach (content-free)."""
    if not may_read(actor, report, school):
        raise SubjectError(
            N_("%(email)s may not read %(reference)s."),
            email=actor.email,
            reference=report.reference,
        )
    wanted = email.strip().lower()
    person = session.scalar(
        select(Person).where(Person.school_id == school.id, Person.email == wanted)
    )
    if person is None:
        raise SubjectError(
            N_("%(email)s is not in %(school)s's directory."), email=wanted, school=school.name
        )
    if report.about_person and report.about_person != wanted:
        raise SubjectError(
            N_(
                "%(reference)s is already recorded as being about someone else; ask the "
                "%(dsl)s to correct it on the report."
            ),
            reference=report.reference,
            dsl=Msg(school_words(school).dsl),
        )
    if report.about_person == wanted:
        return SubjectRecorded(report.reference, wanted, None, owner_cleared=False)
    report.about_person = wanted
    cleared = report.owner is not None and report.owner.email.lower() == wanted
    if cleared:
        report.owner_id, report.owner = None, None
    system_note(
        session,
        report,
        now,
        Msg(
            SUBJECT_RECORDED_OWNER if cleared else SUBJECT_RECORDED,
            who=actor.email,
            person=person.display_name,
        ),
    )
    audit_report(session, report, actor.email, "report.subject_recorded")
    manager = tell_line_manager(session, school, report, person, now)
    return SubjectRecorded(report.reference, wanted, manager, owner_cleared=cleared)
