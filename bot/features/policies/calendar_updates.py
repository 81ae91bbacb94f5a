"""Review dates kept true in governors' calendars: when a policy's review date moves after its
calendar event went out (a corrected date, a recorded review), the people who were sent review
digests and still hear about that policy get an update of the same event — same UID, higher
SEQUENCE — or, when the policy no longer has a review date, a CANCEL of it. What was last sent
is stored on the policy (``review_event_due``, ``review_event_sequence``).

A governor hears about reviews at most once a week: a moved date waits for a day when each of
the people to tell either gets that day's review digest (which then carries the change) or has
had no review email for a week (who then gets one short email for every date moved that day).
The wait is bounded: review digests about one date stop after its last overdue repeat."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.clock import send_after
from bot.core.config import SchoolConfig
from bot.core.messages import notice
from bot.core.models import Policy
from bot.core.outbox import EmailDraft, Urgency, enqueue_emails
from bot.features.policies.alerts import (
    UPDATE_KEY_PREFIX,
    Move,
    digest_days,
    last_review_emails,
    load_directory,
)
from bot.features.policies.rules import (
    Directory,
    alert_recipients,
    recipient_tag,
    weekly_email_free,
)

__all__ = [
    "moves_ready",
    "plan_event_updates",
    "record_moves",
]

PURPOSE = "governor_review_moved"


def _to_tell(policy: Policy, directory: Directory, had_digests: Collection[str]) -> list[str]:
    """Who has the policy's event in their calendar and still hears about the policy."""
    recipients = alert_recipients(policy, directory)
    return [email for email in recipients if recipient_tag(email) in had_digests]


def moves_ready(
    session: Session, school: SchoolConfig, today: date, digest_today: Collection[str]
) -> list[Policy]:
    """The moved review dates that can be told today without anyone getting a second review
    email this week: each person to tell gets a digest today or has had none for a week."""
    if school.sending_window.school_days_only and not school.is_school_day(today):
        return []
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
        return []
    directory = load_directory(session, school.id)
    had = set(digest_days(session, school.id))
    last = last_review_emails(session, school.id)
    return [
        policy
        for policy in moved
        if all(
            email in digest_today or weekly_email_free(last.get(recipient_tag(email)), today)
            for email in _to_tell(policy, directory, had)
        )
    ]


def record_moves(policies: Sequence[Policy]) -> list[Move]:
    """Raise each moved event's sequence and store its new date (before any email is built)."""
    moves = []
    for policy in policies:
        old = policy.review_event_due
        assert old is not None
        sequence = (policy.review_event_sequence or 0) + 1
        policy.review_event_sequence = sequence
        policy.review_event_due = policy.next_review_due
        moves.append(Move(policy, old, sequence))
    return moves


def _draft(school: SchoolConfig, moves: Sequence[Move], recipient: str, now: datetime
           ) -> EmailDraft:
    """The short email carrying the updated (or cancelled) events of one day."""
    if len(moves) == 1:
        move = moves[0]
        what = "removed" if move.cancel else "changed"
        subject = f"Policy review date {what}: {move.policy.title}"
    else:
        subject = f"Policy review dates changed: {len(moves)} policies"
    return notice(
        school=school,
        to=[recipient],
        subject=subject,
        greeting="Hello,",
        paragraphs=[m.words() for m in moves],
        small="You receive this because you were sent the earlier calendar entry for this "
        "policy's review; you get at most one email about policy reviews a week.",
        attachments=tuple(m.attachment(school, now) for m in moves),
    )


def plan_event_updates(
    session: Session,
    school: SchoolConfig,
    today: date,
    now: datetime,
    moves: Sequence[Move],
    *,
    write: bool,
    digest_today: Collection[str] = (),
) -> int:
    """Queue one email per person to tell about today's moves, except those whose digest today
    carries them. Returns how many emails were queued (with ``write`` False: would be)."""
    if not moves:
        return 0
    directory = load_directory(session, school.id)
    had = set(digest_days(session, school.id))
    by_recipient: dict[str, list[Move]] = defaultdict(list)
    for move in moves:
        for email in _to_tell(move.policy, directory, had):
            if email not in digest_today:
                by_recipient[email].append(move)
    if not write:
        return len(by_recipient)
    items = [
        (f"{UPDATE_KEY_PREFIX}:{school.id}:{recipient_tag(email)}:{today.isoformat()}",
         _draft(school, found, email, now))
        for email, found in sorted(by_recipient.items())
    ]
    added = enqueue_emails(
        session, school_id=school.id, purpose=PURPOSE, urgency=Urgency.ROUTINE, items=items,
        not_before=send_after(school, today, now),
    )
    return len(added)
