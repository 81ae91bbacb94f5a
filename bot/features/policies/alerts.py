"""Governor review alerts: who hears about each policy's review date, and queuing today's
alerts in the outbox (timing and recipients are the rules in ``policies.rules``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.clock import send_after
from bot.core.config import SchoolConfig
from bot.core.messages import human_date, notice
from bot.core.models import OutboxMessage, Person, PersonGroup, PersonRole, Policy
from bot.core.outbox import EmailDraft, enqueue_email
from bot.features.policies.rules import (
    KEY_PREFIX,
    AlertStage,
    Directory,
    alert_key,
    alert_recipients,
    due_alert,
    normalise_group_name,
    review_calendar,
    stage_index,
)
from connectors.base import Attachment

__all__ = ["AlertPlanned", "load_directory", "plan_alerts"]


def load_directory(session: Session, school_id: str) -> Directory:
    """Read the people, roles and groups the recipients rule needs (three column queries)."""
    emails: dict[int, str] = {}
    inactive: set[str] = set()
    for pid, email, active in session.execute(
        select(Person.id, Person.email, Person.active).where(Person.school_id == school_id)
    ):
        if active:
            emails[pid] = email
        else:
            inactive.add(email)
    roles: dict[str, set[int]] = defaultdict(set)
    for pid, role in session.execute(
        select(PersonRole.person_id, PersonRole.role).where(PersonRole.school_id == school_id)
    ):
        roles[role].add(pid)
    groups: dict[str, set[int]] = defaultdict(set)
    for pid, name in session.execute(
        select(PersonGroup.person_id, PersonGroup.name).where(PersonGroup.school_id == school_id)
    ):
        groups[normalise_group_name(name)].add(pid)
    return Directory(
        emails=emails,
        inactive=frozenset(inactive),
        roles={k: frozenset(v) for k, v in roles.items()},
        groups={k: frozenset(v) for k, v in groups.items()},
    )


@dataclass(frozen=True)
class AlertPlanned:
    """One governor alert: which policy, which stage, to whom, queued or not."""

    policy_key: str
    review_due: date
    stage: str
    recipients: tuple[str, ...]
    key: str
    queued: bool


def _last_sent(session: Session, school_id: str) -> dict[tuple[int, date], int]:
    """The highest stage already in the outbox per (policy, review date)."""
    sent: dict[tuple[int, date], int] = {}
    prefix = f"{KEY_PREFIX}:{school_id}:"
    for (key,) in session.execute(
        select(OutboxMessage.idempotency_key).where(
            OutboxMessage.idempotency_key.like(f"{prefix}%")
        )
    ):
        try:
            policy_id, day, label = key[len(prefix) :].split(":", 2)
            slot = (int(policy_id), date.fromisoformat(day))
            index = stage_index(label)
        except ValueError:
            continue
        sent[slot] = max(sent.get(slot, -1), index)
    return sent


def _subject(policy: Policy, stage: AlertStage, review_due: date, today: date) -> str:
    if stage.label.startswith("overdue:"):
        return f"Overdue policy review: {policy.title} (was due {review_due:%d %B %Y})"
    days = (review_due - today).days
    if days < 0:  # the due-day alert, moved past a weekend or holiday
        return f"Policy review was due {review_due:%A %d %B}: {policy.title}"
    if days == 0:
        return f"Policy review due today: {policy.title}"
    return f"Policy review due in {days} day{'s' if days != 1 else ''}: {policy.title}"


def _alert_draft(
    school: SchoolConfig,
    policy: Policy,
    stage: AlertStage,
    review_due: date,
    recipients: Sequence[str],
    today: date,
    now: datetime,
    base_url: str,
) -> EmailDraft:
    subject = _subject(policy, stage, review_due, today)
    if stage.label.startswith("overdue:"):
        weeks = int(stage.label.split(":")[1])
        lead = (
            f"The {policy.title} was due for review by the {policy.approving_body} on "
            f"{human_date(review_due)} and no review has been recorded "
            f"({weeks} week{'s' if weeks != 1 else ''} overdue)."
        )
    else:
        lead = (
            f"The {policy.title} is due for review and ratification by the "
            f"{policy.approving_body} by {human_date(review_due)}."
        )
    version = policy.current_version
    facts = [
        ("Policy", policy.title),
        ("Approving body", policy.approving_body),
        ("Review due", human_date(review_due)),
        ("Review cycle", f"every {policy.review_cycle_months} months"),
        ("Last reviewed", human_date(policy.last_reviewed) if policy.last_reviewed else "—"),
        ("Ratified on", human_date(policy.ratified_on) if policy.ratified_on else "—"),
    ]
    if version is not None:
        facts.append(("Current version", version.label))
    return notice(
        school_name=school.mail_from_name or school.name,
        reply_to=school.reply_address(),
        to=recipients,
        subject=subject,
        greeting="Dear governors,",
        paragraphs=[
            lead,
            "Please make sure it is on the agenda. After the meeting, the clerk or the "
            "headteacher records the review — the date, the minute reference and the new "
            "document if it changed — on the policy register "
            f"({base_url}/policies/{policy.key}). Staff are then asked to acknowledge any "
            "new version.",
            "The attached calendar entry marks the review date.",
        ],
        facts=facts,
        small="You receive this as a named governor, the clerk, the policy lead or a member "
        f"of the {policy.approving_body}.",
        attachments=(
            Attachment(
                f"policy-review-{policy.key}.ics",
                "text/calendar",
                review_calendar(
                    school_id=school.id,
                    school_name=school.name,
                    policy=policy,
                    review_due=review_due,
                    now=now,
                ),
            ),
        ),
    )


def plan_alerts(
    session: Session,
    school: SchoolConfig,
    today: date,
    now: datetime,
    *,
    write: bool,
    base_url: str,
) -> list[AlertPlanned]:
    """Queue today's governor alerts (or, with ``write`` False, only say what they would be)."""
    if school.sending_window.school_days_only and not school.is_school_day(today):
        return []
    sent = _last_sent(session, school.id)
    planned: list[AlertPlanned] = []
    not_before = send_after(school, today, now)
    policies = session.scalars(
        select(Policy).where(Policy.school_id == school.id).order_by(Policy.key)
    ).all()
    directory: Directory | None = None
    for policy in policies:
        review_due = policy.next_review_due
        if review_due is None:
            continue
        stage = due_alert(review_due, sent.get((policy.id, review_due), -1), today)
        if stage is None:
            continue
        directory = directory or load_directory(session, school.id)
        recipients = alert_recipients(policy, directory)
        key = alert_key(school.id, policy.id, review_due, stage.label)
        queued = False
        if recipients and write:
            draft = _alert_draft(
                school, policy, stage, review_due, recipients, today, now, base_url
            )
            queued = enqueue_email(
                session,
                school_id=school.id,
                key=key,
                purpose="governor_review",
                draft=draft,
                not_before=not_before,
            )
        planned.append(
            AlertPlanned(policy.key, review_due, stage.label, tuple(recipients), key, queued)
        )
    return planned
