"""Recording a policy review and ratification, and publishing a changed document.

Recording a review sets ``last_reviewed`` and ``ratified_on`` to the meeting date and
``next_review_due`` to that date plus the review cycle. A changed document becomes a new
``PolicyVersion`` labelled ``YYYY.N`` (the review's year, N counting that year's versions of
this policy: ``2026.1``, ``2026.2``...), published on the day it is recorded; the duties engine
then asks staff to acknowledge it on the next sweep and supersedes the old duties.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core import audit
from bot.core.days.dates import HAPPENED, REVIEW, DateWindow, DateWindowError
from bot.core.language.i18n import N_
from bot.core.models import Policy, PolicyReview, PolicyVersion
from bot.engine.periods import add_months
from bot.features.policies.rules import ReviewError, dated_label
from bot.features.policies.store import accepted_document, new_version

__all__ = ["ReviewRecorded", "confirm_review_date", "record_review"]


@dataclass(frozen=True)
class ReviewRecorded:
    """What recording a review did."""

    review_id: int
    reviewed_on: date
    next_review_due: date
    new_version: str | None
    document_unchanged: bool = False


class _OutOfWindow(DateWindowError, ReviewError):
    """A date outside its window, refused as a review error: said with its field."""


def _in_window(window: DateWindow, day: date, field: str, today: date) -> None:
    """Refuse a date outside its window (``bot.core.days.dates``) as a ``ReviewError``."""
    refused = window.refusal(day, field, today)
    if refused is not None:
        values = {k: v for k, v in refused.values.items() if k != "field"}
        raise _OutOfWindow(refused.message, field, years=refused.years, **values)


def _repeat_of(
    session: Session,
    policy: Policy,
    reviewed_on: date,
    body: str,
    minute: str | None,
    document: tuple[str, bytes] | None,
) -> PolicyReview | None:
    """The policy's last review when this one repeats it: the same meeting, body and minute,
    with no document or the one now current (so nothing would change but a second record)."""
    last = session.scalars(
        select(PolicyReview)
        .where(PolicyReview.policy_id == policy.id)
        .order_by(PolicyReview.id.desc())
    ).first()
    current = policy.current_version
    same_file = document is None or (
        current is not None and current.sha256 == hashlib.sha256(document[1]).hexdigest()
    )
    said = (reviewed_on, body, minute)
    same = last is not None and said == (last.reviewed_on, last.body, last.minute_ref)
    return last if same and same_file else None


def record_review(
    session: Session,
    policy: Policy,
    *,
    reviewed_on: date,
    body: str,
    minute_ref: str | None,
    actor: str,
    today: date,
    document: tuple[str, bytes] | None = None,
) -> ReviewRecorded:
    """Record a review and ratification; a changed document becomes a new version.

    Args:
        session: the caller's transaction.
        policy: the policy reviewed.
        reviewed_on: the meeting date (not in the future, not before the last review).
        body: who reviewed and ratified it (FGB, a committee).
        minute_ref: the minute reference, if any.
        actor: who is recording it (an email, or ``cli``).
        today: the date it is recorded (new versions are published on it).
        document: ``(file name, bytes)`` of the reviewed document when it changed.

    Returns:
        What was recorded (the new version's label, or None when the document is unchanged).
    """
    body = body.strip()
    minute = (minute_ref or "").strip() or None
    _in_window(HAPPENED, reviewed_on, N_("Review date"), today)
    if reviewed_on > today:
        raise ReviewError(
            N_("the review date %(day)s is in the future"), day=reviewed_on.isoformat()
        )
    if not body:
        raise ReviewError(
            N_("say which body reviewed the policy (the governing body, or a committee)")
        )
    if len(body) > 120 or (minute is not None and len(minute) > 120):
        raise ReviewError(N_("the body and the minute reference must be at most 120 characters"))
    if policy.last_reviewed is not None and reviewed_on < policy.last_reviewed:
        raise ReviewError(
            N_("a later review (%(day)s) is already recorded"), day=policy.last_reviewed.isoformat()
        )
    repeat = _repeat_of(session, policy, reviewed_on, body, minute, document)
    if repeat is not None:  # the form sent twice (a double click, Back and Send): kept once
        return ReviewRecorded(
            review_id=repeat.id,
            reviewed_on=reviewed_on,
            next_review_due=add_months(reviewed_on, policy.review_cycle_months),
            new_version=None,
            document_unchanged=document is not None,
        )
    added: PolicyVersion | None = None
    unchanged = False
    if document is not None:
        name = accepted_document(*document)
        data = document[1]
        current = policy.current_version
        unchanged = current is not None and current.sha256 == hashlib.sha256(data).hexdigest()
        if not unchanged:
            label = dated_label({v.label for v in policy.versions}, "reviewed", reviewed_on)
            added = new_version(session, policy, label, name, data, today)
    policy.last_reviewed = reviewed_on
    policy.ratified_on = reviewed_on
    policy.next_review_due = next_due = add_months(reviewed_on, policy.review_cycle_months)
    policy.next_review_derived = False  # set by a recorded review, not worked out
    policy.under_review = False
    review = PolicyReview(
        school_id=policy.school_id,
        policy_id=policy.id,
        reviewed_on=reviewed_on,
        body=body,
        minute_ref=minute,
        new_version_id=added.id if added else None,
        recorded_by=actor[:320],
    )
    session.add(review)
    session.flush()
    session.refresh(policy)
    audit.record(
        session,
        actor=actor,
        action="policy.reviewed",
        object_type="policy",
        object_id=policy.id,
        school_id=policy.school_id,
        details={
            "review": review.id,
            "reviewed_on": reviewed_on.isoformat(),
            "body": body,
            "minute_ref": minute,
            "next_review_due": next_due.isoformat(),
            "new_version": added.label if added else None,
            "sha256": added.sha256 if added else None,
        },
    )
    return ReviewRecorded(
        review_id=review.id,
        reviewed_on=reviewed_on,
        next_review_due=next_due,
        new_version=added.label if added else None,
        document_unchanged=unchanged,
    )


def confirm_review_date(
    session: Session, policy: Policy, *, actor: str, today: date, new_date: date | None = None
) -> date:
    """Confirm a policy's next review date (or correct it); it is no longer marked derived.

    Args:
        session: the caller's transaction.
        policy: the policy whose date is confirmed.
        actor: who confirms (an email, or ``cli``).
        today: the day it is confirmed (a corrected date may not be before it).
        new_date: the right date when the worked-out one is wrong.

    Returns:
        The confirmed next review date.
    """
    before = policy.next_review_due
    if new_date is None and before is None:
        raise ReviewError(N_("this policy has no next review date to confirm; give the date"))
    if new_date is not None:
        _in_window(REVIEW, new_date, N_("Next review date"), today)
        if new_date < today:
            raise ReviewError(
                N_(
                    "the next review date %(day)s is in the past; record the review instead if "
                    "it has happened"
                ),
                day=new_date.isoformat(),
            )
    elif not policy.next_review_derived:
        raise ReviewError(N_("the next review date is already confirmed"))
    policy.next_review_due = confirmed = new_date or before
    assert confirmed is not None  # a date given, or the one to confirm (checked above)
    policy.next_review_derived = False
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="policy.review_date.confirmed",
        object_type="policy",
        object_id=policy.id,
        school_id=policy.school_id,
        details={
            "was": before.isoformat() if before else None,
            "next_review_due": confirmed.isoformat(),
        },
    )
    return confirmed
