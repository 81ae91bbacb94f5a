"""The people register's table: people outside the directory, merged in by the directory sync."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.models import Base, utcnow

__all__ = ["ExtraPerson"]


class ExtraPerson(Base):
    """Someone outside the directory (a governor on a personal address, a volunteer, supply
    staff), entered on the people register page; the directory sync merges them in."""

    __tablename__ = "extra_people"
    __table_args__ = (UniqueConstraint("school_id", "email"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[str] = mapped_column(ForeignKey("schools.id"), index=True)
    email: Mapped[str] = mapped_column(String(320))
    display_name: Mapped[str] = mapped_column(String(200))
    job_title: Mapped[str | None] = mapped_column(String(200))
    roles: Mapped[list[Any]] = mapped_column(default=list)
    start_date: Mapped[date | None] = mapped_column(Date)
    manager_email: Mapped[str | None] = mapped_column(String(320))
    left_on: Mapped[date | None] = mapped_column(Date)  # marked as left on the page
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
