"""The school's official accounts (its Facebook page, Tapestry, the school phone) and who
holds them."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.core.models.base import SchoolRecord

if TYPE_CHECKING:
    from bot.core.models.people import Person

__all__ = ["AccountHolder", "OfficialAccount"]


class OfficialAccount(SchoolRecord):
    """A school-run account (Facebook page, Tapestry, the school phone...)."""

    __tablename__ = "official_accounts"
    __table_args__ = (UniqueConstraint("school_id", "key"),)
    key: Mapped[str] = mapped_column(String(80))
    platform: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(String(500))
    purpose: Mapped[str | None] = mapped_column(Text)
    custodian_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    aup_policy_id: Mapped[int | None] = mapped_column(ForeignKey("policies.id"))
    notes: Mapped[str | None] = mapped_column(Text)
    handover_needed: Mapped[bool] = mapped_column(Boolean, default=False)
    handover_reason: Mapped[str | None] = mapped_column(Text)
    handover_since: Mapped[date | None] = mapped_column(Date)  # when the handover was flagged
    holders: Mapped[list[AccountHolder]] = relationship(
        back_populates="account", lazy="selectin", cascade="all, delete-orphan"
    )
    custodian: Mapped[Person | None] = relationship()

class AccountHolder(SchoolRecord):
    """A person holding an official account from ``since`` (until ``until`` when removed)."""

    __tablename__ = "account_holders"
    account_id: Mapped[int] = mapped_column(ForeignKey("official_accounts.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    since: Mapped[date] = mapped_column(Date)
    until: Mapped[date | None] = mapped_column(Date)
    account: Mapped[OfficialAccount] = relationship(back_populates="holders")
    person: Mapped[Person] = relationship()
