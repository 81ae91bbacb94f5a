"""Policies, their versions and governor reviews, and the requirements that make duties."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.core.models.base import SchoolRecord, utcnow

if TYPE_CHECKING:
    from bot.core.models.people import Person

__all__ = ["Policy", "PolicyReview", "PolicyVersion", "Requirement"]


class Policy(SchoolRecord):
    """A policy in the register (title, owner, approving body, review cycle and dates)."""

    __tablename__ = "policies"
    __table_args__ = (UniqueConstraint("school_id", "key"),)
    key: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(300))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    approving_body: Mapped[str] = mapped_column(String(120), default="FGB")
    review_cycle_months: Mapped[int] = mapped_column(Integer, default=12)
    last_reviewed: Mapped[date | None] = mapped_column(Date)
    ratified_on: Mapped[date | None] = mapped_column(Date)
    next_review_due: Mapped[date | None] = mapped_column(Date)
    # worked out (ratified + cycle) rather than stated, until someone confirms it
    next_review_derived: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    under_review: Mapped[bool] = mapped_column(Boolean, default=False)
    # the review date the emailed calendar event last carried, and its SEQUENCE: a changed
    # date goes out as an update of the same event (same UID, higher SEQUENCE)
    review_event_due: Mapped[date | None] = mapped_column(Date)
    review_event_sequence: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    is_aup: Mapped[bool] = mapped_column(Boolean, default=False)
    # "policy": the school's own, reviewed by governors; "reading": a reading campaign's
    # document (e.g. KCSIE Part one), whose editions come from the publisher: read and
    # acknowledged like a policy, never reviewed by governors nor listed in the register
    kind: Mapped[str] = mapped_column(String(20), default="policy", server_default="policy")
    reviewers: Mapped[list[Any]] = mapped_column(default=list)  # emails of named governors
    linked_policies: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    versions: Mapped[list[PolicyVersion]] = relationship(
        back_populates="policy", order_by="PolicyVersion.id", lazy="selectin"
    )
    owner: Mapped[Person | None] = relationship()

    @property
    def current_version(self) -> PolicyVersion | None:
        """The newest published version."""
        return self.versions[-1] if self.versions else None


class PolicyVersion(SchoolRecord):
    """One version of a policy document, identified by its sha256."""

    __tablename__ = "policy_versions"
    __table_args__ = (UniqueConstraint("policy_id", "label"),)
    policy_id: Mapped[int] = mapped_column(ForeignKey("policies.id"))
    label: Mapped[str] = mapped_column(String(40))
    document_name: Mapped[str] = mapped_column(String(300))
    document: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    published_on: Mapped[date] = mapped_column(Date)
    statement: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    policy: Mapped[Policy] = relationship(back_populates="versions")


class PolicyReview(SchoolRecord):
    """A recorded review (and ratification) of a policy."""

    __tablename__ = "policy_reviews"
    policy_id: Mapped[int] = mapped_column(ForeignKey("policies.id"))
    reviewed_on: Mapped[date] = mapped_column(Date)
    body: Mapped[str] = mapped_column(String(120))
    minute_ref: Mapped[str | None] = mapped_column(String(120))
    new_version_id: Mapped[int | None] = mapped_column(ForeignKey("policy_versions.id"))
    recorded_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Requirement(SchoolRecord):
    """Who owes what and how often (mirrors the YAML; the YAML is the source)."""

    __tablename__ = "requirements"
    __table_args__ = (UniqueConstraint("school_id", "key"),)
    key: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300))
    policy_id: Mapped[int | None] = mapped_column(ForeignKey("policies.id"))
    spec: Mapped[dict[str, Any]] = mapped_column(default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    first_seen: Mapped[date] = mapped_column(Date)
