"""The decisions and exceptions register, recurring tasks' completions and visitors'
confirmations."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.core.models.base import SchoolRecord, utcnow

if TYPE_CHECKING:
    from bot.core.models.people import Person

__all__ = ["Decision", "DecisionAttachment", "DecisionReview", "TaskCompletion", "VisitorAssurance"]


class Decision(SchoolRecord):
    """A recorded decision or exception (a pre-existing relationship, a pupil's device...).

    ``subject_name`` is free text for someone outside the directory and stays minimal: a
    pupil's initials and year group, a visitor's name and organisation.
    """

    __tablename__ = "decisions"
    __table_args__ = (
        Index("ix_decisions_review", "school_id", "status", "review_on"),
        Index("uq_decisions_form_key", "school_id", "form_key", unique=True),
    )
    kind: Mapped[str] = mapped_column(String(40))
    subject_type: Mapped[str] = mapped_column(String(20))  # staff | pupil | visitor | other
    subject_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    subject_name: Mapped[str | None] = mapped_column(String(200))
    decision: Mapped[str] = mapped_column(Text)
    reasons: Mapped[str] = mapped_column(Text)
    agreement_on_paper: Mapped[bool] = mapped_column(Boolean, default=False)
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    decided_on: Mapped[date] = mapped_column(Date)
    review_on: Mapped[date | None] = mapped_column(Date)
    review_set_on: Mapped[date] = mapped_column(Date)  # reminders already due then are not sent
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | closed
    closed_on: Mapped[date | None] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # the key of the form page it was recorded from: the same form sent twice is one decision
    form_key: Mapped[str | None] = mapped_column(String(64))

    subject_person: Mapped[Person | None] = relationship(foreign_keys=[subject_person_id])
    decided_by: Mapped[Person] = relationship(foreign_keys=[decided_by_id])
    reviews: Mapped[list[DecisionReview]] = relationship(
        order_by="DecisionReview.id", lazy="selectin"
    )
    attachments: Mapped[list[DecisionAttachment]] = relationship(
        order_by="DecisionAttachment.id", lazy="selectin"
    )


class DecisionReview(SchoolRecord):
    """A review of a decision: kept with a new review date, or closed."""

    __tablename__ = "decision_reviews"
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"), index=True)
    reviewed_on: Mapped[date] = mapped_column(Date)
    reviewed_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    outcome: Mapped[str] = mapped_column(String(20))  # continue | closed
    notes: Mapped[str | None] = mapped_column(Text)
    next_review_on: Mapped[date | None] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    reviewed_by: Mapped[Person] = relationship()


class DecisionAttachment(SchoolRecord):
    """A file kept with a decision (a signed agreement), stored outside the web root."""

    __tablename__ = "decision_attachments"
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    stored_as: Mapped[str] = mapped_column(String(200))
    uploaded_by: Mapped[str] = mapped_column(String(320))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class TaskCompletion(SchoolRecord):
    """Evidence that a recurring task was done for one cycle (append-only)."""

    __tablename__ = "task_completions"
    __table_args__ = (UniqueConstraint("requirement_id", "cycle", "person_id"),)
    requirement_id: Mapped[int] = mapped_column(ForeignKey("requirements.id"))
    cycle: Mapped[str] = mapped_column(String(120))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    duty_id: Mapped[int | None] = mapped_column(ForeignKey("duties.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    method: Mapped[str] = mapped_column(String(20))  # link | sso
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(400))
    outcome: Mapped[str | None] = mapped_column(Text)  # a review's outcome, in the owner's words


class ReviewEvent(SchoolRecord):
    """Something that happened which opens dated reviews (a new AI tool, new guidance...)."""

    __tablename__ = "review_events"
    kind: Mapped[str] = mapped_column(String(40))
    what: Mapped[str] = mapped_column(String(300))
    happened_on: Mapped[date] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(320))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class VisitorAssurance(SchoolRecord):
    """A visitor's, contractor's or volunteer's promise to follow the phone and photo rules.

    Kept for the school's ``visitor_retention_days``, then deleted by the sweep.
    """

    __tablename__ = "visitor_assurances"
    __table_args__ = (Index("ix_visitor_assurances_visit", "school_id", "visit_date"),)
    name: Mapped[str] = mapped_column(String(120))
    organisation: Mapped[str | None] = mapped_column(String(120))
    visit_date: Mapped[date] = mapped_column(Date)
    rules_sha256: Mapped[str] = mapped_column(String(64))
    copy_sent: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
