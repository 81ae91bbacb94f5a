"""A person's data-protection requests to the school: complaints (Data Protection Act 2018
s.164A), subject access and erasure requests (UK GDPR Arts. 15, 17). A complaint keeps what the
complainant wrote (never changed), when it was acknowledged, the outcome and when they were
told. Kept apart from safeguarding reports: other readers, other clocks."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.models.base import SchoolRecord

__all__ = ["Complaint"]


class Complaint(SchoolRecord):
    """One complaint; its clocks are dates (the acknowledgement's 30 days, the outcome's)."""

    __tablename__ = "complaints"
    __table_args__ = (
        UniqueConstraint("school_id", "reference"),
        Index("ix_complaints_open", "school_id", "outcome_at", "received_at"),
        Index("uq_complaints_form_key", "school_id", "form_key", unique=True),
    )
    reference: Mapped[str] = mapped_column(String(20))
    # complaint | access (UK GDPR Art. 15) | erasure (Art. 17): one tracked request each
    kind: Mapped[str] = mapped_column(String(20), default="complaint", server_default="complaint")
    received_at: Mapped[datetime]
    channel: Mapped[str] = mapped_column(String(20))  # form | staff
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    relationship: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)
    wanted: Mapped[str | None] = mapped_column(Text)
    # the person was told it read like a safeguarding concern, and sent it here anyway
    safeguarding_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    ack_due_on: Mapped[date] = mapped_column(Date)
    acknowledged_at: Mapped[datetime | None]
    acknowledged_how: Mapped[str | None] = mapped_column(String(20))
    outcome_due_on: Mapped[date] = mapped_column(Date)
    outcome_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(Text)
    outcome_how: Mapped[str | None] = mapped_column(String(20))
    recorded_by: Mapped[str] = mapped_column(String(320))
    # the key of the form page it was sent from: the same form sent twice is one complaint
    form_key: Mapped[str | None] = mapped_column(String(64))
