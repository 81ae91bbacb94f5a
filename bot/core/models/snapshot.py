"""The dashboard's summary rows: duty counts per school, requirement and person, kept by the
sweep and refreshed by every attestation (see ``bot.engine.snapshot``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.models.base import Base, Numbered, utcnow
from bot.core.models.duties import Duty
from bot.core.models.outbox import OutboxMessage
from bot.core.models.people import Person

__all__ = ["AudienceSize", "DutySnapshot", "DutyTally", "KeptFigures", "PersonTally"]


class DutySnapshot(Base):
    """One school's snapshot: when it was built, the day its overdue counts are as of, and the
    number of active people. Its row is locked while the snapshot is rebuilt."""

    __tablename__ = "duty_snapshots"
    school_id: Mapped[str] = mapped_column(ForeignKey("schools.id"), primary_key=True)
    as_of: Mapped[date] = mapped_column(Date)  # the day PersonTally.overdue is counted for
    built_at: Mapped[datetime] = mapped_column(default=utcnow)
    people: Mapped[int] = mapped_column(Integer, default=0)


class DutyTally(Numbered):
    """How many duties of one requirement and cycle, due on one day, are in one status (open or
    done), for active or inactive people. Overdue on any day is a sum over ``due_on``."""

    __tablename__ = "duty_tallies"
    __table_args__ = (
        UniqueConstraint("school_id", "requirement_id", "cycle", "due_on", "status", "active"),
        Index("ix_duty_tallies_status", "school_id", "status", "kind"),
    )
    school_id: Mapped[str] = mapped_column(ForeignKey("schools.id"))
    requirement_id: Mapped[int] = mapped_column(ForeignKey("requirements.id"))
    kind: Mapped[str] = mapped_column(String(40))
    cycle: Mapped[str] = mapped_column(String(120))
    policy_version_id: Mapped[int | None] = mapped_column(Integer)
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean)
    duties: Mapped[int] = mapped_column(Integer, default=0)


class AudienceSize(Numbered):
    """How many active people a training requirement's audience holds."""

    __tablename__ = "audience_sizes"
    __table_args__ = (UniqueConstraint("school_id", "requirement_id"),)
    school_id: Mapped[str] = mapped_column(ForeignKey("schools.id"))
    requirement_id: Mapped[int] = mapped_column(ForeignKey("requirements.id"))
    people: Mapped[int] = mapped_column(Integer, default=0)


class PersonTally(Numbered):
    """One active person's open duties and how many were overdue on the snapshot's day, with
    their name, so the people list pages through an index in the order it shows."""

    __tablename__ = "person_tallies"
    __table_args__ = (
        UniqueConstraint("school_id", "person_id"),
        Index("ix_person_tallies_name", "school_id", "name", "person_id"),
        Index("ix_person_tallies_overdue", "school_id", "overdue", "name"),
    )
    school_id: Mapped[str] = mapped_column(ForeignKey("schools.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    name: Mapped[str] = mapped_column(String(200))
    open: Mapped[int] = mapped_column(Integer, default=0)
    overdue: Mapped[int] = mapped_column(Integer, default=0)


class KeptFigures(Base):
    """One part of a school's figures as its rows last left it (``bot.core.database.figures``):
    its policies and requirements, its official accounts, or its open reports and clocks. Dates
    and instants are kept as they are, never judged: the reader judges them against its day.
    Its row is locked while the part is refreshed."""

    __tablename__ = "kept_figures"
    school_id: Mapped[str] = mapped_column(ForeignKey("schools.id"), primary_key=True)
    part: Mapped[str] = mapped_column(String(20), primary_key=True)
    facts: Mapped[Any] = mapped_column(JSON, nullable=True)  # None: being made
    built_at: Mapped[datetime] = mapped_column(default=utcnow)


# The dashboard's live parts, as indexed reads: messages needing a person (a handful among a
# school's whole outbox), duties past their reminder cap (a handful among the open ones) and
# the viewer's records in every school of a trust (by address).
Index("ix_people_email", Person.email)
Index("ix_outbox_school_status", OutboxMessage.school_id, OutboxMessage.status)
Index("ix_duties_reminders", Duty.school_id, Duty.status, Duty.reminders_sent)
