"""Review dates kept true in governors' calendars: when a policy's review date moves after its
calendar event went out (a corrected date, a recorded review), the people who were sent review
digests and still hear about that policy get an update of the same event — same UID, higher
SEQUENCE — or, when the policy no longer has a review date, a CANCEL of it. What was last sent
is stored on the policy (``review_event_due``, ``review_event_sequence``)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.clock import send_after
from bot.core.config import SchoolConfig
from bot.core.messages import human_date, notice
from bot.core.models import Policy
from bot.core.outbox import EmailDraft, Urgency, enqueue_emails
from bot.features.policies.alerts import last_digests, load_directory, school_domain
from bot.features.policies.rules import (
    CALENDAR_CONTENT_TYPE,
    CANCEL_CONTENT_TYPE,
    alert_recipients,
    recipient_tag,
    review_calendar,
)
from connectors.base import Attachment

__all__ = ["UPDATE_KEY_PREFIX", "plan_event_updates"]

UPDATE_KEY_PREFIX = "review-event"
PURPOSE = "governor_review_moved"


def _draft(
    school: SchoolConfig, policy: Policy, old: date, sequence: int, recipient: str, now: datetime
) -> EmailDraft:
    """The short email carrying the updated (or cancelled) event."""
    new = policy.next_review_due
    cancel = new is None
    if cancel:
        subject = f"Policy review date removed: {policy.title}"
        words = (
            f"The {policy.title} no longer has a review date on the policy register (it was "
            f"{human_date(old)}). The attached calendar entry removes the event from your "
            "calendar."
        )
    else:
        assert new is not None
        subject = f"Policy review date changed: {policy.title}"
        words = (
            f"The next review of the {policy.title} by the {policy.approving_body} is now due "
            f"by {human_date(new)}, not {human_date(old)}. The attached calendar entry moves "
            "the event already in your calendar."
        )
    ics = review_calendar(
        school_id=school.id,
        school_name=school.name,
        policy=policy,
        review_due=new or old,
        now=now,
        domain=school_domain(school),
        sequence=sequence,
        cancel=cancel,
    )
    return notice(
        school_name=school.mail_from_name or school.name,
        reply_to=school.reply_address(),
        to=[recipient],
        subject=subject,
        greeting="Hello,",
        paragraphs=[words],
        small="You receive this because you were sent the earlier calendar entry for this "
        "policy's review.",
        attachments=(
            Attachment(
                f"policy-review-{policy.key}.ics",
                CANCEL_CONTENT_TYPE if cancel else CALENDAR_CONTENT_TYPE,
                ics,
            ),
        ),
    )


def plan_event_updates(
    session: Session, school: SchoolConfig, today: date, now: datetime, *, write: bool
) -> int:
    """Queue an update (or cancellation) for each review event whose date has moved.

    Returns how many emails were queued (with ``write`` False: how many would be).
    """
    if school.sending_window.school_days_only and not school.is_school_day(today):
        return 0
    sent = session.scalars(
        select(Policy)
        .where(
            Policy.school_id == school.id,
            Policy.kind == "policy",
            Policy.review_event_due.is_not(None),
        )
        .order_by(Policy.key)
    ).all()
    moved = [p for p in sent if p.review_event_due != p.next_review_due]
    if not moved:
        return 0
    directory = load_directory(session, school.id)
    had_digests = set(last_digests(session, school.id))
    not_before = send_after(school, today, now)
    count = 0
    for policy in moved:
        old = policy.review_event_due
        assert old is not None
        sequence = (policy.review_event_sequence or 0) + 1
        recipients = [
            email
            for email in alert_recipients(policy, directory)
            if recipient_tag(email) in had_digests
        ]
        count += len(recipients)
        if not write:
            continue
        items = [
            (
                f"{UPDATE_KEY_PREFIX}:{school.id}:{policy.key}:{sequence}:{recipient_tag(email)}",
                _draft(school, policy, old, sequence, email, now),
            )
            for email in recipients
        ]
        enqueue_emails(
            session, school_id=school.id, purpose=PURPOSE, urgency=Urgency.ROUTINE, items=items,
            not_before=not_before,
        )
        policy.review_event_sequence = sequence
        policy.review_event_due = policy.next_review_due
    return count
