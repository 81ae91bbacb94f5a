"""Legal holds: a record the DSL says must be kept (a claim, an inquiry, the police), whatever
the retention schedule says; who set it, when and why, and when it was lifted."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.models.base import SchoolRecord, utcnow

__all__ = ["LegalHold"]


class LegalHold(SchoolRecord):
    """One hold on a person's records or on a report (by its id); lifted, it holds no more."""

    __tablename__ = "legal_holds"
    __table_args__ = (Index("ix_legal_holds_subject", "school_id", "subject_type", "subject_id"),)
    subject_type: Mapped[str] = mapped_column(String(20))  # person | report
    subject_id: Mapped[int] = mapped_column(Integer)
    set_by: Mapped[str] = mapped_column(String(320))
    reason: Mapped[str] = mapped_column(Text)
    set_at: Mapped[datetime] = mapped_column(default=utcnow)
    lifted_at: Mapped[datetime | None]
    lifted_by: Mapped[str | None] = mapped_column(String(320))
