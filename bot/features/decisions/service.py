"""The register in the database: recording and reviewing decisions, their files, the review
reminders the sweep queues, and the count of decisions due for review."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, func, select
from sqlalchemy.orm import Session

from bot.core import audit
from bot.core.config import SchoolConfig
from bot.core.days.clock import send_after
from bot.core.files.uploads import CleanFile
from bot.core.guards.permissions import LEADERSHIP
from bot.core.language.i18n import Day, Msg
from bot.core.language.words import said_words, school_words
from bot.core.models import (
    Decision,
    DecisionAttachment,
    DecisionReview,
    OutboxMessage,
    Person,
    PersonRole,
)
from bot.core.outbox import EmailDraft, Urgency, enqueue_email
from bot.core.rendering.messages import notice
from bot.engine.reminders import next_reminder
from bot.features.decisions.rules import (
    DECISION_CADENCE,
    DUE_SOON_DAYS,
    REVIEW_KEY_PREFIX,
    SHORT_KINDS,
    DecisionInput,
    decision_reference,
    review_key,
    review_recipients,
    review_subject,
    seen_stage,
)
from bot.features.reports.api import store_files

__all__ = [
    "ReviewReminder",
    "active_people",
    "audit_decision",
    "count_decisions_due",
    "count_decisions_overdue",
    "create_decision",
    "decision_makers",
    "plan_decision_reminders",
    "review_decision",
    "review_reach",
    "reviews_coming",
    "store_attachments",
]


def audit_decision(
    session: Session,
    actor: str,
    action: str,
    school_id: str,
    decision_id: int | None = None,
    **details: Any,
) -> None:
    """Audit an event on the register: ids, kinds and counts only, never who or what."""
    audit.record(
        session,
        actor=actor,
        action=action,
        object_type="decision",
        object_id=decision_id,
        school_id=school_id,
        details=details,
    )


def store_attachments(
    session: Session, decision: Decision, files: Sequence[CleanFile], uploads_dir: Path, actor: str
) -> list[Path]:
    """Write checked files under random names (owner-only), record and audit them; returns the
    paths.

    The caller deletes the returned paths if its transaction does not commit.
    """
    written = store_files(
        session,
        uploads_dir / "decisions" / decision.school_id,
        files,
        DecisionAttachment,
        school_id=decision.school_id,
        decision_id=decision.id,
        uploaded_by=actor,
    )
    if written:
        audit_decision(
            session,
            actor,
            "decision.files_added",
            decision.school_id,
            decision.id,
            count=len(written),
        )
    return written


def create_decision(
    session: Session,
    school: SchoolConfig,
    data: DecisionInput,
    actor: Person,
    today: date,
    form_key: str | None = None,
) -> Decision:
    """Store a checked decision and audit it (ids and kind only, never who or what).
    ``form_key``: the key of the form it came from; one already stored raises IntegrityError."""
    decision = Decision(  # every checked field has its column of the same name
        school_id=school.id,
        **asdict(data),
        review_set_on=today,
        status="open",
        recorded_by=actor.email,
        form_key=form_key,
    )
    session.add(decision)
    session.flush()
    audit_decision(
        session,
        actor.email,
        "decision.recorded",
        school.id,
        decision.id,
        kind=data.kind,
        subject_type=data.subject_type,
    )
    return decision


def sent_before(session: Session, school_id: str, form_key: str) -> int | None:
    """The id of the decision already stored from this same form (a double click, or Refresh
    and send again), or None."""
    return session.scalar(
        select(Decision.id).where(Decision.school_id == school_id, Decision.form_key == form_key)
    )


def review_decision(
    session: Session,
    decision: Decision,
    actor: Person,
    outcome: str,
    next_review_on: date | None,
    notes: str,
    today: date,
) -> DecisionReview:
    """Record a review: a new review date (reminders start again) or the decision closed."""
    review = DecisionReview(
        school_id=decision.school_id,
        decision_id=decision.id,
        reviewed_on=today,
        reviewed_by_id=actor.id,
        outcome=outcome,
        notes=notes or None,
        next_review_on=next_review_on,
        recorded_by=actor.email,
    )
    session.add(review)
    if outcome == "closed":
        decision.status, decision.closed_on, decision.review_on = "closed", today, None
    else:
        decision.status, decision.closed_on = "open", None
        decision.review_on, decision.review_set_on = next_review_on, today
    session.flush()
    action = "decision.closed" if outcome == "closed" else "decision.reviewed"
    audit_decision(
        session,
        actor.email,
        action,
        decision.school_id,
        decision.id,
        review=review.id,
        next_review_on=str(next_review_on or ""),
    )
    return review


def count_decisions_due(session: Session, school_id: str, today: date) -> int:
    """How many open decisions are due for review (within 14 days, or overdue)."""
    day = today + timedelta(DUE_SOON_DAYS)
    return int(session.scalar(_DUE_BY, {"school_id": school_id, "day": day}) or 0)


def count_decisions_overdue(session: Session, school_id: str, today: date) -> int:
    """How many open decisions are past their review date."""
    return int(session.scalar(_DUE_BEFORE, {"school_id": school_id, "day": today}) or 0)


# a school's open decisions due by (or before) a day: built once, as every dashboard view asks
_OPEN = select(func.count()).where(
    Decision.school_id == bindparam("school_id"), Decision.status == "open"
)
_DUE_BY = _OPEN.where(Decision.review_on <= bindparam("day"))
_DUE_BEFORE = _OPEN.where(Decision.review_on < bindparam("day"))


# --------------------------------------------------------------------------- review reminders


@dataclass(frozen=True)
class ReviewReminder:
    """One review reminder: which decision, to whom, and whether it was queued."""

    decision_id: int
    recipients: tuple[str, ...]
    queued: bool


def _sent_stages(session: Session, school_id: str) -> dict[tuple[int, date], list[int]]:
    """Stages already in the outbox per (decision, review date)."""
    prefix = f"{REVIEW_KEY_PREFIX}:{school_id}:"
    sent: dict[tuple[int, date], list[int]] = defaultdict(list)
    for (key,) in session.execute(
        select(OutboxMessage.idempotency_key).where(
            OutboxMessage.idempotency_key.like(f"{prefix}%")
        )
    ):
        try:
            decision_id, day, stage = key[len(prefix) :].split(":")
            sent[(int(decision_id), date.fromisoformat(day))].append(int(stage))
        except ValueError:
            continue
    return sent


def review_reach(school: SchoolConfig, today: date) -> date:
    """The last review date the school's first review reminder reaches ``today``."""
    cadence = school.cadences.get("decision-review", DECISION_CADENCE)
    return today + timedelta(days=max(cadence.before_due, default=0))


def reviews_coming(
    school_id: str | ColumnElement[str], reach: date | ColumnElement[date]
) -> ColumnElement[bool]:
    """The school's open decisions whose review date is on or before ``reach``
    (``review_reach``: within the first reminder's reach)."""
    return and_(
        Decision.school_id == school_id,
        Decision.status == "open",
        Decision.review_on.is_not(None),
        Decision.review_on <= reach,
    )


def _review_draft(
    school: SchoolConfig,
    to: list[str],
    label: str,
    kind: str,
    decided_on: date,
    review_on: date,
    today: date,
    reference: str,
    url: str,
) -> EmailDraft:
    """A review reminder in the school's language: *that* a review is due, never who it is
    about."""
    values = {
        "school": school.name,
        "day": Day(review_on),
        "dsl": said_words(school_words(school)).dsl,
    }
    if label.startswith("overdue:"):
        due = Msg(
            "A decision in %(school)s's decisions and exceptions register is overdue for review.",
            **values,
        )
    else:
        due = Msg(
            "A decision in %(school)s's decisions and exceptions register is due for review "
            "on %(day)s.",
            **values,
        )
    return notice(
        school=school,
        to=to,
        subject=review_subject(label, review_on, today, reference),
        greeting=Msg("Hello,"),
        paragraphs=[
            due,
            Msg(
                "Please review it with the people involved, then record the outcome on the "
                "register: a new review date, or that it has ended."
            ),
        ],
        facts=[
            (Msg("Reference"), reference),
            (Msg("Type"), Msg(SHORT_KINDS[kind]) if kind in SHORT_KINDS else kind),
            (Msg("Decided on"), Day(decided_on)),
            (Msg("Review date"), Day(review_on)),
        ],
        button_url=url,
        button_text=Msg("Open the decision"),
        small=Msg(
            "This email does not say who the decision is about: sign in to see it. "
            "You receive it as the person who decided, or as the %(dsl)s.",
            **values,
        ),
    )


def plan_decision_reminders(
    session: Session,
    school: SchoolConfig,
    today: date,
    now: datetime,
    *,
    write: bool,
    base_url: str = "",
) -> list[ReviewReminder]:
    """Email the decider and the DSL before each review date, on it, then weekly while overdue.

    The emails say *that* a review is due (reference, type, dates), never who it is about.
    """
    if not school.is_sending_day(today):
        return []
    cadence = school.cadences.get("decision-review", DECISION_CADENCE)
    decisions = session.execute(
        select(
            Decision.id,
            Decision.kind,
            Decision.decided_on,
            Decision.review_on,
            Decision.review_set_on,
            Person.email,
            Person.active,
        )
        .join(Person, Person.id == Decision.decided_by_id)
        .where(reviews_coming(school.id, review_reach(school, today)))
        .order_by(Decision.review_on, Decision.id)
    ).all()
    if not decisions:
        return []
    sent = _sent_stages(session, school.id)
    base_url = base_url.rstrip("/") if write else ""
    not_before = send_after(school, today, now)
    planned: list[ReviewReminder] = []
    for decision_id, kind, decided_on, review_on, set_on, decider, active in decisions:
        if review_on is None:  # pragma: no cover - filtered by the query
            continue
        already = sent.get((decision_id, review_on), [])
        last = max([*already, seen_stage(review_on, set_on, cadence)])
        opened = review_on - timedelta(days=max(cadence.before_due, default=0))
        reminder = next_reminder(opened, review_on, last, len(already), cadence, today)
        if reminder is None:
            continue
        recipients = review_recipients(decider, active, school.dsl, school.headteacher)
        key = review_key(school.id, decision_id, review_on, reminder.stage)
        queued = False
        if write:  # the email says *that* a review is due, never who it is about
            reference = decision_reference(decision_id)
            draft = _review_draft(
                school,
                recipients,
                reminder.label,
                kind,
                decided_on,
                review_on,
                today,
                reference,
                f"{base_url}/decisions/{decision_id}",
            )
            queued = enqueue_email(
                session,
                school_id=school.id,
                key=key,
                purpose="decision_review",
                urgency=Urgency.ROUTINE,
                draft=draft,
                not_before=not_before,
            )
        planned.append(ReviewReminder(decision_id, tuple(recipients), queued))
    return planned


# --------------------------------------------------------------------------- for the pages


def decision_makers(session: Session, school_id: str) -> dict[int, str]:
    """Who may decide: active DSLs, deputies and headteachers of the school (id -> name)."""
    leaders = select(PersonRole.person_id).where(PersonRole.role.in_(LEADERSHIP))
    return active_people(session, school_id, Person.id.in_(leaders))


def active_people(session: Session, school_id: str, *only: ColumnElement[bool]) -> dict[int, str]:
    """The school's active people (``only`` those meeting each condition), by name (id -> name)."""
    rows = session.execute(
        select(Person.id, Person.display_name)
        .where(Person.school_id == school_id, Person.active.is_(True), *only)
        .order_by(Person.display_name)
    ).all()
    return {pid: name for pid, name in rows}
