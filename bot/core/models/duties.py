"""What a person owes (a duty), what they signed (an attestation), and training completed."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.core.models.base import SchoolRecord, utcnow

if TYPE_CHECKING:
    from bot.core.models.accounts import OfficialAccount
    from bot.core.models.people import Person
    from bot.core.models.policies import PolicyVersion, Requirement

__all__ = ["Attestation", "Duty", "TrainingRecord"]


class Duty(SchoolRecord):
    """One person's instance of a requirement in one cycle."""

    __tablename__ = "duties"
    __table_args__ = (
        UniqueConstraint("requirement_id", "person_id", "cycle"),
        Index("ix_duties_open", "school_id", "status", "due_on"),
        Index("ix_duties_kind", "school_id", "kind", "status", "policy_version_id"),
    )
    requirement_id: Mapped[int] = mapped_column(ForeignKey("requirements.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    cycle: Mapped[str] = mapped_column(String(120))
    policy_version_id: Mapped[int | None] = mapped_column(ForeignKey("policy_versions.id"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("official_accounts.id"))
    opened_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="open")
    closed_on: Mapped[date | None] = mapped_column(Date)
    closed_reason: Mapped[str | None] = mapped_column(String(40))
    evidence_ref: Mapped[str | None] = mapped_column(String(80))
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)
    last_stage: Mapped[int] = mapped_column(Integer, default=-1)
    last_reminded_on: Mapped[date | None] = mapped_column(Date)
    # the day the line manager (or head) was told the reminder cap was reached ("please talk")
    chasing_stopped_on: Mapped[date | None] = mapped_column(Date)

    requirement: Mapped[Requirement] = relationship(lazy="joined")
    person: Mapped[Person] = relationship()
    policy_version: Mapped[PolicyVersion | None] = relationship()
    account: Mapped[OfficialAccount | None] = relationship()


class Attestation(SchoolRecord):
    """Append-only evidence: an acknowledgement or an AUP signature."""

    __tablename__ = "attestations"
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # acknowledgement | aup_signature
    policy_version_id: Mapped[int] = mapped_column(ForeignKey("policy_versions.id"))
    document_sha256: Mapped[str] = mapped_column(String(64))
    statement: Mapped[str] = mapped_column(Text)
    typed_name: Mapped[str | None] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    method: Mapped[str] = mapped_column(String(20))  # link | sso | import
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(400))
    duty_id: Mapped[int | None] = mapped_column(ForeignKey("duties.id"))
    # proof of reading, where the school asks for it: pages (or sections) shown of the total
    pages_seen: Mapped[int | None] = mapped_column(Integer)
    pages_total: Mapped[int | None] = mapped_column(Integer)
    # who recorded it on the person's behalf (someone without an email address); None: themselves
    recorded_by_id: Mapped[int | None] = mapped_column(Integer)


class PageSeen(SchoolRecord):
    """One page (or section) of a version shown to a person for a duty (proof of reading)."""

    __tablename__ = "pages_seen"
    __table_args__ = (UniqueConstraint("duty_id", "page"),)
    duty_id: Mapped[int] = mapped_column(ForeignKey("duties.id"), index=True)
    page: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class ReadingCheck(SchoolRecord):
    """One attempt at a policy's reading check: how many right of how many, passed or not."""

    __tablename__ = "reading_checks"
    duty_id: Mapped[int] = mapped_column(ForeignKey("duties.id"), index=True)
    policy_version_id: Mapped[int] = mapped_column(ForeignKey("policy_versions.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    right: Mapped[int] = mapped_column(Integer)
    questions: Mapped[int] = mapped_column(Integer)
    passed: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class TrainingRecord(SchoolRecord):
    """A training completion (course, date, provider, optional certificate)."""

    __tablename__ = "training_records"
    __table_args__ = (UniqueConstraint("school_id", "import_key"),)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    course: Mapped[str] = mapped_column(String(200))
    completed_on: Mapped[date] = mapped_column(Date)
    provider: Mapped[str | None] = mapped_column(String(200))
    certificate_path: Mapped[str | None] = mapped_column(String(500))
    source: Mapped[str] = mapped_column(String(20), default="manual")
    import_key: Mapped[str] = mapped_column(String(120))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    # who recorded it on the person's behalf (someone without an email address)
    recorded_by_id: Mapped[int | None] = mapped_column(Integer)
