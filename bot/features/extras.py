"""What else the policies promise: a decisions and exceptions register, recurring tasks with
owners, and visitors' assurances about phones and photos.

**Decisions and exceptions.** The policies promise that a pre-existing relationship (a member of
staff who is also a pupil's relative, or connected to a family on social media), a pupil's
exceptional use of a personal device (medical monitoring, with the written agreement), a
visitor's use of devices for multi-agency work and a member of staff's permission to use a
personal device in an emergency are discussed with the DSL or headteacher, and that the decision
is *formally recorded*. The register keeps who it is about (a person in the directory, or a
pupil's initials and year group, or a visitor's name), the decision, the reasons, who decided
(the DSL, a deputy or the headteacher), when, and when to review it. Only the DSL, deputies and
headteacher can see it; every view and change is audited. The sweep emails the decider and the
DSL 14 days before the review date, on the day, then weekly while it is overdue (a cadence named
``decision-review`` in the school file changes that).

**Recurring tasks** are requirements of kind ``recurring_task`` (the engine is in
``bot.engine.duties``). Owners share one task: when one of them marks it done, nobody else is
chased for
that period. An audience (roles, groups, people) makes everyone in it owe their own::

    cadences:
      task-weekly: {before_due: [], on_due: true, overdue_every_days: 7}
    requirements:
      - id: phone-lock-code
        kind: recurring_task
        title: Change the school phone's lock code
        every: yearly            # the school year from 1 September (yearly_on changes it)
        owners: [office@school.example]
      - id: phone-photos
        kind: recurring_task
        title: Upload and clear the photos on the school phone
        every: weekly            # due by Friday; half-term weeks owe nothing new
        owners: [office@school.example, year4@school.example]
        cadence: task-weekly
      - id: filtering-check
        kind: recurring_task
        title: Check filtering and monitoring
        every: termly            # the configured terms ('Autumn 1' + 'Autumn 2' = Autumn)
        due_days: 21
        owners: [dsl@school.example]

The owner's digest email links to ``/task/<token>``; opening it records nothing, the "Done"
button records a ``TaskCompletion`` and closes the duty for that period. A period nobody marked
done is closed as ``missed`` when the next one begins; overdue ones escalate like any duty.

**Visitors** (contractors, volunteers, other agencies) confirm on ``/visit/<school id>`` — on
their own phone, without an account — that they will follow the school's rules on phones and
photography (``visitor_rules`` in the school file, or the text below). Confirmations are kept
for ``visitor_retention_days`` and then deleted by the sweep, which audits the count only.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bot.core import audit
from bot.core.clock import local_today, send_after
from bot.core.config import Cadence, RequirementConfig, SchoolConfig
from bot.core.context import StepContext
from bot.core.messages import human_date, notice
from bot.core.models import (
    Decision,
    DecisionAttachment,
    DecisionReview,
    Duty,
    OutboxMessage,
    Person,
    Requirement,
    TaskCompletion,
    VisitorAssurance,
)
from bot.core.outbox import enqueue_email
from bot.core.uploads import CleanFile, remove_files, store_file
from bot.engine.duties import next_reminder, reminder_stages

__all__ = [
    "DECISION_CADENCE",
    "DECISION_KINDS",
    "DEFAULT_VISITOR_RULES",
    "DUE_SOON_DAYS",
    "SHORT_KINDS",
    "SUBJECT_TYPES",
    "YEAR_GROUPS",
    "DecisionInput",
    "DecisionInputError",
    "ReviewReminder",
    "TaskResult",
    "VisitInput",
    "VisitInputError",
    "attachment_path",
    "complete_task",
    "create_decision",
    "cycle_label",
    "dashboard_counts",
    "decision_reference",
    "extras_step",
    "plan_decision_reminders",
    "purge_visitors",
    "reconcile_tasks",
    "record_visit",
    "review_decision",
    "review_state",
    "rules_blocks",
    "rules_sha256",
    "store_attachments",
    "task_config",
    "task_done_by",
    "task_owner_ids",
    "validate_decision",
    "validate_review",
    "validate_visit",
    "visitor_rules",
]

log = logging.getLogger(__name__)

DUE_SOON_DAYS = 14  # a decision is "due" when its review date is this close (or past)
DECISION_CADENCE = Cadence(
    before_due=(DUE_SOON_DAYS,), on_due=True, overdue_every_days=7, max_reminders=60, escalate=()
)
DECISION_KINDS: dict[str, str] = {
    "relationship": "Pre-existing relationship (e.g. related to a pupil, or connected to a "
    "family on social media)",
    "pupil_device": "A pupil's exceptional use of a personal device (e.g. medical monitoring)",
    "visitor_device": "A visitor's access to devices (e.g. multi-agency work)",
    "staff_device": "Permission for staff to use a personal device (e.g. an emergency)",
    "other": "Another decision or exception",
}
SHORT_KINDS: dict[str, str] = {
    "relationship": "Pre-existing relationship",
    "pupil_device": "Pupil's personal device",
    "visitor_device": "Visitor device access",
    "staff_device": "Staff personal device",
    "other": "Other",
}
SUBJECT_TYPES: dict[str, str] = {
    "staff": "A member of staff, governor or volunteer in the directory",
    "pupil": "A pupil (initials and year group only)",
    "visitor": "A visitor or someone from another agency",
    "other": "Someone else",
}
YEAR_GROUPS = ("Nursery", "Reception", *(f"Year {n}" for n in range(1, 14)))
MAX_TEXT = 4000
MAX_REVIEW_YEARS = 3
DEFAULT_VISITOR_RULES = """\
Welcome. While you are with us, please help us keep every child safe.

- Keep your mobile phone on silent and out of sight whenever children are around.
- Make or take calls only in the office or reception area.
- Do not take photographs, videos or recordings of children, or of anything that could \
identify a child, on any device.
- If your work needs a phone, tablet, laptop or camera near children (for example a visit \
from another agency), agree it with the headteacher before you use it.
- Never post anything about the children or the school on social media.
- Phones and cameras must never be used in toilets or changing areas.
- If you are worried about a child, or see someone breaking these rules, tell the Designated \
Safeguarding Lead or the office straight away.
"""
VISITOR_STATEMENT = (
    "I have read {school}'s rules on mobile phones and photography, and I will follow them "
    "during my visit."
)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


# --------------------------------------------------------------------------- runtime


def _clean(text: str | None, limit: int) -> str:
    """Trimmed text without control characters (new lines kept), cut to ``limit``."""
    value = "".join(
        c for c in (text or "") if c in "\n\t" or unicodedata.category(c)[0] != "C"
    ).strip()
    return value[:limit]


def _parse_date(raw: str | None) -> date | None:
    try:
        return date.fromisoformat((raw or "").strip())
    except ValueError:
        return None


# --------------------------------------------------------------------------- decisions


class DecisionInputError(ValueError):
    """The decision form has problems: ``errors`` maps each field to one plain message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@dataclass(frozen=True)
class DecisionInput:
    """A checked decision, ready to store."""

    kind: str
    subject_type: str
    subject_person_id: int | None
    subject_name: str | None
    decision: str
    reasons: str
    decided_by_id: int
    decided_on: date
    review_on: date
    agreement_on_paper: bool


def decision_reference(decision_id: int) -> str:
    """The reference people quote: ``DEC-0007``."""
    return f"DEC-{decision_id:04d}"


def _initials(raw: str) -> str | None:
    """A pupil's initials ('j.s.' -> 'JS'); None when it looks like more than initials."""
    letters = re.sub(r"[\s.\-']", "", raw)
    if not letters or len(letters) > 4 or not letters.isalpha():
        return None
    return letters.upper()


def validate_decision(
    fields: Mapping[str, str],
    *,
    leaders: Mapping[int, str],
    people: Mapping[int, str],
    has_files: bool,
    today: date,
) -> DecisionInput:
    """Check the decision form; raise DecisionInputError naming every problem.

    Args:
        fields: the form's text fields.
        leaders: who may decide (DSL, deputies, headteacher): id -> name.
        people: the school's active people (for "a member of staff"): id -> name.
        has_files: whether files are attached (a pupil's device needs the written agreement).
        today: the school's date.
    """
    errors: dict[str, str] = {}
    kind = fields.get("kind", "")
    if kind not in DECISION_KINDS:
        errors["kind"] = "Choose what kind of decision this is."
    subject_type = fields.get("subject_type", "")
    person_id: int | None = None
    name: str | None = None
    if subject_type == "staff":
        raw = fields.get("subject_person_id", "")
        person_id = int(raw) if raw.isdigit() and int(raw) in people else None
        if person_id is None:
            errors["subject_person_id"] = "Choose the person from the list."
    elif subject_type == "pupil":
        initials = _initials(fields.get("pupil_initials", ""))
        year = fields.get("pupil_year", "")
        if initials is None:
            errors["pupil_initials"] = (
                "Give the pupil's initials only (up to 4 letters, e.g. J.S.), not their name."
            )
        if year not in YEAR_GROUPS:
            errors["pupil_year"] = "Choose the pupil's year group."
        name = f"{initials}, {year}"
    elif subject_type == "visitor":
        visitor = _clean(fields.get("visitor_name"), 100).replace("\n", " ")
        organisation = _clean(fields.get("visitor_organisation"), 100).replace("\n", " ")
        if len(visitor) < 2:
            errors["visitor_name"] = "Give the visitor's name."
        name = f"{visitor} ({organisation})" if organisation else visitor
    elif subject_type == "other":
        name = _clean(fields.get("subject_other"), 120).replace("\n", " ")
        if len(name) < 2:
            errors["subject_other"] = "Say briefly who this is about (keep it minimal)."
    else:
        errors["subject_type"] = "Choose who the decision is about."
    decision = _clean(fields.get("decision"), MAX_TEXT + 1)
    reasons = _clean(fields.get("reasons"), MAX_TEXT + 1)
    if not decision:
        errors["decision"] = "Write down what was decided."
    elif len(decision) > MAX_TEXT:
        errors["decision"] = f"Keep the decision to {MAX_TEXT} characters."
    if not reasons:
        errors["reasons"] = "Write down the reasons for the decision."
    elif len(reasons) > MAX_TEXT:
        errors["reasons"] = f"Keep the reasons to {MAX_TEXT} characters."
    raw_decider = fields.get("decided_by_id", "")
    decider = int(raw_decider) if raw_decider.isdigit() else None
    if decider is None or decider not in leaders:
        errors["decided_by_id"] = (
            "Choose who decided: it must be the DSL, a deputy DSL or the headteacher."
        )
    decided_on = _parse_date(fields.get("decided_on"))
    if decided_on is None:
        errors["decided_on"] = "Give the date of the decision, like 2026-11-23."
    elif decided_on > today:
        errors["decided_on"] = "The date of the decision cannot be in the future."
    elif decided_on < today - timedelta(days=3653):
        errors["decided_on"] = "The date of the decision is more than ten years ago."
    review_on = _parse_date(fields.get("review_on"))
    if review_on is None:
        errors["review_on"] = "Give a review date, like 2027-03-01."
    elif decided_on is not None and review_on <= decided_on:
        errors["review_on"] = "The review date must be after the date of the decision."
    elif review_on > (decided_on or today) + timedelta(days=365 * MAX_REVIEW_YEARS):
        errors["review_on"] = f"Review it within {MAX_REVIEW_YEARS} years."
    on_paper = fields.get("agreement_on_paper") == "yes"
    if kind == "pupil_device" and not (has_files or on_paper):
        errors["agreement_on_paper"] = (
            "A pupil's device needs the written agreement: attach it, or tick that the signed "
            "copy is kept on paper."
        )
    if errors:
        raise DecisionInputError(errors)
    assert decider is not None and decided_on is not None and review_on is not None
    return DecisionInput(
        kind=kind,
        subject_type=subject_type,
        subject_person_id=person_id,
        subject_name=name,
        decision=decision,
        reasons=reasons,
        decided_by_id=decider,
        decided_on=decided_on,
        review_on=review_on,
        agreement_on_paper=on_paper,
    )


def attachment_path(uploads_dir: Path, attachment: DecisionAttachment) -> Path:
    """Where a decision's file lives (never under the web root)."""
    return uploads_dir / "decisions" / attachment.school_id / Path(attachment.stored_as).name


def store_attachments(
    session: Session,
    decision: Decision,
    files: Sequence[CleanFile],
    uploads_dir: Path,
    actor: str,
) -> list[Path]:
    """Write checked files under random names (owner-only) and record them; returns the paths.

    The caller deletes the returned paths if its transaction does not commit.
    """
    folder = uploads_dir / "decisions" / decision.school_id
    written: list[Path] = []
    for clean in files:
        try:
            target = store_file(folder, clean)
        except OSError:
            remove_files(written)
            raise
        written.append(target)
        session.add(
            DecisionAttachment(
                school_id=decision.school_id,
                decision_id=decision.id,
                filename=clean.filename,
                content_type=clean.content_type,
                size=len(clean.data),
                sha256=clean.sha256,
                stored_as=target.name,
                uploaded_by=actor,
            )
        )
    session.flush()
    return written


def create_decision(
    session: Session, school: SchoolConfig, data: DecisionInput, actor: Person, today: date
) -> Decision:
    """Store a checked decision and audit it (ids and kind only, never who or what)."""
    decision = Decision(
        school_id=school.id,
        kind=data.kind,
        subject_type=data.subject_type,
        subject_person_id=data.subject_person_id,
        subject_name=data.subject_name,
        decision=data.decision,
        reasons=data.reasons,
        agreement_on_paper=data.agreement_on_paper,
        decided_by_id=data.decided_by_id,
        decided_on=data.decided_on,
        review_on=data.review_on,
        review_set_on=today,
        status="open",
        recorded_by=actor.email,
    )
    session.add(decision)
    session.flush()
    audit.record(
        session,
        actor=actor.email,
        action="decision.recorded",
        object_type="decision",
        object_id=decision.id,
        school_id=school.id,
        details={"kind": data.kind, "subject_type": data.subject_type},
    )
    return decision


def validate_review(fields: Mapping[str, str], today: date) -> tuple[str, date | None, str]:
    """Check a review: (outcome, next review date or None when closed, notes)."""
    errors: dict[str, str] = {}
    outcome = fields.get("outcome", "")
    next_on: date | None = None
    if outcome == "continue":
        next_on = _parse_date(fields.get("next_review_on"))
        if next_on is None:
            errors["next_review_on"] = "Give the next review date, like 2027-03-01."
        elif next_on <= today:
            errors["next_review_on"] = "The next review date must be after today."
        elif next_on > today + timedelta(days=365 * MAX_REVIEW_YEARS):
            errors["next_review_on"] = f"Review it again within {MAX_REVIEW_YEARS} years."
    elif outcome != "closed":
        errors["outcome"] = "Choose whether the decision continues or is closed."
    notes = _clean(fields.get("notes"), MAX_TEXT + 1)
    if len(notes) > MAX_TEXT:
        errors["notes"] = f"Keep the notes to {MAX_TEXT} characters."
    if errors:
        raise DecisionInputError(errors)
    return outcome, next_on, notes


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
    audit.record(
        session,
        actor=actor.email,
        action="decision.closed" if outcome == "closed" else "decision.reviewed",
        object_type="decision",
        object_id=decision.id,
        school_id=decision.school_id,
        details={"review": review.id, "next_review_on": str(next_review_on or "")},
    )
    return review


def review_state(review_on: date | None, status: str, today: date) -> str:
    """'closed', 'overdue', 'due' (within 14 days or today) or 'ok'."""
    if status != "open" or review_on is None:
        return "closed"
    if review_on < today:
        return "overdue"
    if review_on <= today + timedelta(days=DUE_SOON_DAYS):
        return "due"
    return "ok"


# --------------------------------------------------------------------------- review reminders


KEY_PREFIX = "decision-review"


@dataclass(frozen=True)
class ReviewReminder:
    """One review reminder: which decision, which stage, to whom."""

    decision_id: int
    review_on: date
    stage: int
    label: str
    recipients: tuple[str, ...]
    key: str
    queued: bool


def _sent_stages(session: Session, school_id: str) -> dict[tuple[int, date], list[int]]:
    """Stages already in the outbox per (decision, review date)."""
    prefix = f"{KEY_PREFIX}:{school_id}:"
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


def _seen_stage(review_on: date, set_on: date, cadence: Cadence) -> int:
    """The stage already reached when the review date was set (not worth an email)."""
    opened = review_on - timedelta(days=max(cadence.before_due, default=0))
    reached = [s for s in reminder_stages(opened, review_on, cadence, set_on) if s[2] <= set_on]
    return reached[-1][0] if reached else -1


def _review_subject(label: str, review_on: date, today: date, reference: str) -> str:
    if label.startswith("overdue:"):
        return f"Overdue review: decision {reference} (was due {human_date(review_on)})"
    days = (review_on - today).days
    if days <= 0:
        return f"Review due today: decision {reference}"
    return f"Review due in {days} day{'s' if days != 1 else ''}: decision {reference}"


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
    if school.sending_window.school_days_only and not school.is_school_day(today):
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
        .where(
            Decision.school_id == school.id,
            Decision.status == "open",
            Decision.review_on.is_not(None),
            Decision.review_on <= today + timedelta(days=max(cadence.before_due, default=0)),
        )
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
        last = max([*already, _seen_stage(review_on, set_on, cadence)])
        opened = review_on - timedelta(days=max(cadence.before_due, default=0))
        reminder = next_reminder(opened, review_on, last, len(already), cadence, today)
        if reminder is None:
            continue
        recipients = [decider] if active else []
        recipients += [e for e in school.dsl if e not in recipients]
        if not recipients:
            recipients = [school.headteacher]
        key = f"{KEY_PREFIX}:{school.id}:{decision_id}:{review_on.isoformat()}:{reminder.stage}"
        reference = decision_reference(decision_id)
        queued = False
        if write:
            subject = _review_subject(reminder.label, review_on, today, reference)
            draft = notice(
                school_name=school.mail_from_name or school.name,
                to=recipients,
                subject=subject,
                greeting="Hello,",
                paragraphs=[
                    f"A decision in {school.name}'s decisions and exceptions register is "
                    + (
                        "overdue for review."
                        if reminder.label.startswith("overdue:")
                        else f"due for review on {human_date(review_on)}."
                    ),
                    "Please review it with the people involved, then record the outcome on the "
                    "register: a new review date, or that it has ended.",
                ],
                facts=[
                    ("Reference", reference),
                    ("Type", SHORT_KINDS.get(kind, kind)),
                    ("Decided on", human_date(decided_on)),
                    ("Review date", human_date(review_on)),
                ],
                button_url=f"{base_url}/decisions/{decision_id}",
                button_text="Open the decision",
                small="This email does not say who the decision is about: sign in to see it. "
                "You receive it as the person who decided, or as the DSL.",
            )
            queued = enqueue_email(
                session,
                school_id=school.id,
                key=key,
                purpose="decision_review",
                draft=draft,
                not_before=not_before,
            )
        planned.append(
            ReviewReminder(
                decision_id,
                review_on,
                reminder.stage,
                reminder.label,
                tuple(recipients),
                key,
                queued,
            )
        )
    return planned


# --------------------------------------------------------------------------- recurring tasks


@dataclass(frozen=True)
class TaskResult:
    """What pressing "Done" did: a new completion, or 'already done' (and by whom, when)."""

    completion: TaskCompletion | None
    already: bool
    closed: int
    done_by: str | None = None
    done_at: datetime | None = None


def task_config(school: SchoolConfig, key: str) -> RequirementConfig | None:
    """The recurring-task requirement with this key, if it is still configured."""
    for cfg in school.requirements:
        if cfg.id == key and cfg.kind == "recurring_task":
            return cfg
    return None


def task_owner_ids(session: Session, school_id: str, cfg: RequirementConfig | None) -> set[int]:
    """The ids of the people named as the task's owners (they share one task)."""
    if cfg is None or not cfg.owners:
        return set()
    return set(
        session.scalars(
            select(Person.id).where(Person.school_id == school_id, Person.email.in_(cfg.owners))
        )
    )


def cycle_label(cfg: RequirementConfig | None, cycle: str) -> str:
    """A cycle key in words: 'the week beginning Monday 23 November 2026', 'Autumn 2026'."""
    if (week := re.fullmatch(r"(\d{4})-W(\d{2})", cycle)) is not None:
        monday = date.fromisocalendar(int(week[1]), int(week[2]), 1)
        return f"the week beginning {human_date(monday)}"
    if cfg is not None and cfg.every == "yearly":
        return f"the year {cycle}" if len(cycle) == 4 else f"the school year {cycle}"
    if (month := re.fullmatch(r"(\d{4})-(\d{2})", cycle)) is not None:
        return f"{date(int(month[1]), int(month[2]), 1):%B %Y}"
    if (start := _parse_date(cycle)) is not None:
        return f"the period starting {human_date(start)}"
    return f"the {cycle} term"


def _close_duties(duties: Sequence[Duty], ref: str, today: date) -> int:
    for duty in duties:
        duty.status, duty.closed_on, duty.closed_reason, duty.evidence_ref = (
            "done",
            today,
            "done",
            ref,
        )
    return len(duties)


def task_done_by(session: Session, duty: Duty) -> tuple[str | None, datetime | None]:
    """Who first marked this duty's period done, and when (None, None if nobody has)."""
    row = session.execute(
        select(Person.display_name, TaskCompletion.at)
        .join(Person, Person.id == TaskCompletion.person_id)
        .where(
            TaskCompletion.requirement_id == duty.requirement_id,
            TaskCompletion.cycle == duty.cycle,
        )
        .order_by(TaskCompletion.id)
    ).first()
    return (row[0], row[1]) if row is not None else (None, None)


def complete_task(
    session: Session,
    school: SchoolConfig,
    duty: Duty,
    person: Person,
    *,
    method: str,
    ip: str | None,
    user_agent: str | None,
    now: datetime,
) -> TaskResult:
    """Record that ``person`` did this period's task and close the duty ('already done' twice).

    When the task's owners share it, every owner's duty for the period closes.
    """
    if duty.status != "open":
        return TaskResult(None, True, 0, *task_done_by(session, duty))
    cfg = task_config(school, duty.requirement.key)
    owners = task_owner_ids(session, school.id, cfg)
    today = local_today(now)
    existing = session.scalar(
        select(TaskCompletion).where(
            TaskCompletion.requirement_id == duty.requirement_id,
            TaskCompletion.cycle == duty.cycle,
            TaskCompletion.person_id == person.id,
        )
    )
    if existing is not None:
        _close_duties([duty], f"task:{existing.id}", today)
        return TaskResult(None, True, 1, person.display_name, existing.at)
    completion = TaskCompletion(
        school_id=school.id,
        requirement_id=duty.requirement_id,
        cycle=duty.cycle,
        person_id=person.id,
        duty_id=duty.id,
        at=now,
        method=method,
        ip=ip,
        user_agent=(user_agent or "")[:400],
    )
    session.add(completion)
    session.flush()
    duties = [duty]
    if person.id in owners:
        duties += list(
            session.scalars(
                select(Duty).where(
                    Duty.requirement_id == duty.requirement_id,
                    Duty.cycle == duty.cycle,
                    Duty.status == "open",
                    Duty.person_id.in_(owners - {person.id}),
                )
            )
        )
    closed = _close_duties(duties, f"task:{completion.id}", today)
    audit.record(
        session,
        actor=person.email,
        action="task.completed",
        object_type="requirement",
        object_id=duty.requirement_id,
        school_id=school.id,
        details={
            "cycle": duty.cycle,
            "completion": completion.id,
            "duties_closed": closed,
            "method": method,
        },
    )
    return TaskResult(completion, False, closed, person.display_name, now)


def reconcile_tasks(session: Session, school: SchoolConfig, today: date, *, write: bool) -> int:
    """Close open task duties a recorded completion already satisfies; returns how many.

    E.g. an owner added after another owner marked the period done.
    """
    rows = session.execute(
        select(Duty.id, Duty.requirement_id, Duty.cycle, Duty.person_id, Requirement.key)
        .join(Requirement, Requirement.id == Duty.requirement_id)
        .where(Duty.school_id == school.id, Duty.kind == "recurring_task", Duty.status == "open")
    ).all()
    if not rows:
        return 0
    done: dict[tuple[int, str], dict[int, int]] = defaultdict(dict)
    for req_id, cycle, person_id, completion_id in session.execute(
        select(
            TaskCompletion.requirement_id,
            TaskCompletion.cycle,
            TaskCompletion.person_id,
            TaskCompletion.id,
        ).where(
            TaskCompletion.school_id == school.id,
            TaskCompletion.requirement_id.in_({r[1] for r in rows}),
        )
    ):
        done[(req_id, cycle)][person_id] = completion_id
    owners: dict[str, set[int]] = {}
    to_close: list[tuple[int, int]] = []
    for duty_id, req_id, cycle, person_id, key in rows:
        by = done.get((req_id, cycle))
        if not by:
            continue
        if key not in owners:
            owners[key] = task_owner_ids(session, school.id, task_config(school, key))
        shared = person_id in owners[key]
        match = [c for p, c in by.items() if p == person_id or (shared and p in owners[key])]
        if match:
            to_close.append((duty_id, min(match)))
    if write:
        for duty_id, completion_id in to_close:
            duty = session.get(Duty, duty_id)
            if duty is not None:
                _close_duties([duty], f"task:{completion_id}", today)
    return len(to_close)


# --------------------------------------------------------------------------- visitors


class VisitInputError(ValueError):
    """The visitor form has problems: ``errors`` maps each field to one plain message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@dataclass(frozen=True)
class VisitInput:
    """A checked visitor confirmation."""

    name: str
    organisation: str | None
    visit_date: date
    email: str | None


def visitor_rules(school: SchoolConfig) -> str:
    """The rules visitors agree to: the school's own text, or the built-in one."""
    return (school.visitor_rules or "").strip() or DEFAULT_VISITOR_RULES.strip()


def rules_sha256(text: str) -> str:
    """The fingerprint of the rules as shown (stored with each confirmation)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def rules_blocks(text: str) -> list[tuple[str, list[str]]]:
    """The rules as paragraphs and bullet lists: [('p', [text]) | ('ul', [items])]."""
    blocks: list[tuple[str, list[str]]] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        bullet = re.match(r"^(?:[-*•]|\d+[.)])\s+(.*)$", line)
        if bullet is not None:
            if blocks and blocks[-1][0] == "ul":
                blocks[-1][1].append(bullet[1])
            else:
                blocks.append(("ul", [bullet[1]]))
        elif blocks and blocks[-1][0] == "p" and raw.startswith((" ", "\t")):
            blocks[-1][1][0] += " " + line
        else:
            blocks.append(("p", [line]))
    return blocks


def validate_visit(fields: Mapping[str, str], today: date) -> VisitInput:
    """Check the visitor form; raise VisitInputError naming every problem."""
    errors: dict[str, str] = {}
    name = _clean(fields.get("name"), 121).replace("\n", " ")
    if len(name) < 2:
        errors["name"] = "Enter your full name."
    elif len(name) > 120:
        errors["name"] = "Your name can be at most 120 characters."
    organisation = _clean(fields.get("organisation"), 121).replace("\n", " ") or None
    if organisation and len(organisation) > 120:
        errors["organisation"] = "The organisation can be at most 120 characters."
    raw_date = (fields.get("visit_date") or "").strip()
    visit_date = _parse_date(raw_date) if raw_date else today
    if visit_date is None:
        errors["visit_date"] = "Enter the date of your visit, like 2026-11-23."
    elif not today - timedelta(days=7) <= visit_date <= today + timedelta(days=90):
        errors["visit_date"] = "The date of your visit must be within the next 90 days."
    email = (fields.get("email") or "").strip().lower() or None
    if email and (len(email) > 320 or not _EMAIL.match(email)):
        errors["email"] = "Enter an email address like name@example.org, or leave it empty."
    if fields.get("agree") != "yes":
        errors["agree"] = "Tick the box to confirm you will follow the rules."
    if errors:
        raise VisitInputError(errors)
    assert visit_date is not None
    return VisitInput(name, organisation, visit_date, email)


def record_visit(
    session: Session, school: SchoolConfig, data: VisitInput, now: datetime
) -> VisitorAssurance:
    """Store a visitor's confirmation and queue the copy they asked for (HTML and text)."""
    rules = visitor_rules(school)
    assurance = VisitorAssurance(
        school_id=school.id,
        name=data.name,
        organisation=data.organisation,
        visit_date=data.visit_date,
        rules_sha256=rules_sha256(rules),
        copy_sent=data.email is not None,
        created_at=now,
    )
    session.add(assurance)
    session.flush()
    audit.record(
        session,
        actor="visitor",
        action="visitor.confirmed",
        object_type="visitor_assurance",
        object_id=assurance.id,
        school_id=school.id,
        details={"copy": data.email is not None},
    )
    if data.email:
        paragraphs = [
            f"Thank you for agreeing to follow {school.name}'s rules on mobile phones and "
            f"photography during your visit on {human_date(data.visit_date)}. Here they are "
            "for you to keep:",
        ]
        for kind, lines in rules_blocks(rules):
            paragraphs += [f"• {line}" for line in lines] if kind == "ul" else lines
        draft = notice(
            school_name=school.mail_from_name or school.name,
            to=[data.email],
            subject=f"Your visit to {school.name}: the rules you agreed to",
            greeting=f"Dear {data.name},",
            paragraphs=paragraphs,
            facts=[
                ("Name", data.name),
                ("Organisation", data.organisation or "—"),
                ("Date of visit", human_date(data.visit_date)),
                ("Reference", f"VIS-{assurance.id:06d}"),
            ],
            small=f"You asked for this copy when you confirmed. {school.name} keeps your "
            f"confirmation, and the record of this email, for {school.visitor_retention_days} "
            "days and then deletes them.",
        )
        enqueue_email(
            session,
            school_id=school.id,
            key=f"visit-copy:{school.id}:{assurance.id}",
            purpose="visitor_copy",
            draft=draft,
        )
    return assurance


def purge_visitors(session: Session, school: SchoolConfig, today: date, *, write: bool) -> int:
    """Delete confirmations older than the school's retention; audit the counts only.

    The outbox record of any copy emailed goes too: it holds the visitor's address.
    """
    before = today - timedelta(days=school.visitor_retention_days)
    ids = list(
        session.scalars(
            select(VisitorAssurance.id).where(
                VisitorAssurance.school_id == school.id, VisitorAssurance.visit_date < before
            )
        )
    )
    if not ids or not write:
        return len(ids)
    copies = 0
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        keys = [f"visit-copy:{school.id}:{i}" for i in chunk]
        sent = list(
            session.scalars(
                select(OutboxMessage.id).where(
                    OutboxMessage.idempotency_key.in_(keys),
                    OutboxMessage.status.not_in(("pending", "sending")),
                )
            )
        )
        if sent:
            session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(sent)))
        copies += len(sent)
        session.execute(delete(VisitorAssurance).where(VisitorAssurance.id.in_(chunk)))
    audit.record(
        session,
        actor="system:sweep",
        action="visitors.purged",
        object_type="visitor_assurance",
        school_id=school.id,
        details={
            "count": len(ids),
            "copies": copies,
            "visited_before": before.isoformat(),
            "retention_days": school.visitor_retention_days,
        },
    )
    return len(ids)


# --------------------------------------------------------------------------- sweep & dashboard


def extras_step(run: StepContext) -> dict[str, int]:
    """The sweep step: task completions, decision review reminders, visitor purge."""
    session, school, today, write = run.session, run.school, run.today, run.write
    reminders = plan_decision_reminders(
        session, school, today, run.now, write=write, base_url=run.base_url
    )
    return {
        "tasks_closed": reconcile_tasks(session, school, today, write=write),
        "decision_reminders": sum(1 for r in reminders if r.queued or not write),
        "visitors_purged": purge_visitors(session, school, today, write=write),
    }



def dashboard_counts(session: Session, school_id: str, today: date) -> dict[str, int]:
    """Figures for the dashboard: decisions due for review, overdue tasks, visitors today."""
    decisions_due = session.scalar(
        select(func.count())
        .select_from(Decision)
        .where(
            Decision.school_id == school_id,
            Decision.status == "open",
            Decision.review_on <= today + timedelta(days=DUE_SOON_DAYS),
        )
    )
    tasks_overdue = session.scalar(
        select(func.count())
        .select_from(Duty)
        .where(
            Duty.school_id == school_id,
            Duty.kind == "recurring_task",
            Duty.status == "open",
            Duty.due_on < today,
        )
    )
    visitors_today = session.scalar(
        select(func.count())
        .select_from(VisitorAssurance)
        .where(VisitorAssurance.school_id == school_id, VisitorAssurance.visit_date == today)
    )
    return {
        "decisions_due": int(decisions_due or 0),
        "tasks_overdue": int(tasks_overdue or 0),
        "visitors_today": int(visitors_today or 0),
    }
