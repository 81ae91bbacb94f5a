"""The single central record as the bot reads it: per person, per check, whether it was done
and its dates only (never a certificate number, a document or an identity detail); the
interview panels the head or office enter; and the gaps found, open and closed."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.core.models.base import SchoolRecord, utcnow

__all__ = ["ScrCheck", "ScrEntry", "ScrGap", "ScrPanel", "ScrPanelMember"]


class ScrEntry(SchoolRecord):
    """One person's row of the school's SCR (matched to a person of the school, or not)."""

    __tablename__ = "scr_entries"
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))  # as the SCR writes it (for unmatched rows)
    line: Mapped[int] = mapped_column(Integer)  # the spreadsheet's row, for messages
    start_date: Mapped[date | None] = mapped_column(Date)
    left_on: Mapped[date | None] = mapped_column(Date)
    lived_abroad: Mapped[bool] = mapped_column(Boolean, default=False)
    agency: Mapped[bool] = mapped_column(Boolean, default=False)
    management: Mapped[bool] = mapped_column(Boolean, default=False)
    teaching: Mapped[bool] = mapped_column(Boolean, default=False)
    risk_assessed: Mapped[bool] = mapped_column(Boolean, default=False)
    safeguarding_training_on: Mapped[date | None] = mapped_column(Date)
    safer_recruitment_on: Mapped[date | None] = mapped_column(Date)
    # staff, volunteer, supply or governor: the last three are never called leavers
    kind: Mapped[str] = mapped_column(String(12), default="staff", server_default="staff")
    source: Mapped[str] = mapped_column(String(20), default="sheet")  # sheet | mis
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    imported_by: Mapped[str | None] = mapped_column(String(320))  # who (sealed with the row)

    checks: Mapped[list[ScrCheck]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="ScrCheck.id"
    )


class ScrCheck(SchoolRecord):
    """One check of one SCR row: done or not, when, and when it runs out."""

    __tablename__ = "scr_checks"
    __table_args__ = (UniqueConstraint("entry_id", "check"),)
    entry_id: Mapped[int] = mapped_column(ForeignKey("scr_entries.id", ondelete="CASCADE"))
    check: Mapped[str] = mapped_column(String(40))
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    checked_on: Mapped[date | None] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date)


class ScrPanel(SchoolRecord):
    """An interview panel: a named set of people on one recruitment (entered on /scr)."""

    __tablename__ = "scr_panels"
    title: Mapped[str] = mapped_column(String(200))
    recorded_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    members: Mapped[list[ScrPanelMember]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="ScrPanelMember.id"
    )


class ScrPanelMember(SchoolRecord):
    """One person on an interview panel."""

    __tablename__ = "scr_panel_members"
    __table_args__ = (UniqueConstraint("panel_id", "person_id"),)
    panel_id: Mapped[int] = mapped_column(ForeignKey("scr_panels.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))


class ScrGap(SchoolRecord):
    """A gap the check found: open until a sweep no longer finds it (then closed, audited);
    ``told_on``: the day it reached the SCR owner's weekly email."""

    __tablename__ = "scr_gaps"
    __table_args__ = (UniqueConstraint("school_id", "key"),)
    key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    subject: Mapped[str] = mapped_column(String(200))  # whom it is about, as the page names them
    check: Mapped[str | None] = mapped_column(String(40))
    opened_on: Mapped[date] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    told_on: Mapped[date | None] = mapped_column(Date)
