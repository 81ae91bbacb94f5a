"""Breach and concern reports: the report, its entries, clocks and attachments."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.core.models.base import SchoolRecord, utcnow

if TYPE_CHECKING:
    from bot.core.models.people import Person

__all__ = [
    "OPEN_REPORT",
    "REPORTS_VERSION",
    "RUNNING_CLOCKS",
    "Report",
    "ReportAttachment",
    "ReportClock",
    "ReportEntry",
]


OPEN_REPORT = text("status != 'closed'")
# a number the database changes in every transaction that writes a report or a clock, whoever
# writes it (migration 0039's triggers): what is kept from those tables is right while it holds
REPORTS_VERSION = text("SELECT version FROM report_changes WHERE id = 1")


class Report(SchoolRecord):
    """A breach or concern report; the original text never changes."""

    __tablename__ = "reports"
    __table_args__ = (
        UniqueConstraint("school_id", "reference"),
        # the tracked list: its order (newest or oldest first) and, beside it, what its filters
        # and its reader's rule look at, so a page and its count are read from the index alone
        Index(
            "ix_reports_list",
            "school_id",
            "created_at",
            "id",
            "status",
            "category",
            "urgency",
            "about_headteacher",
            "about_person",
        ),
        # the open reports (a few, however many closed ones years leave): the DSL's usual
        # "open, deadline soonest" list and its count read them without reading the rest
        Index(
            "ix_reports_open",
            "school_id",
            "created_at",
            "id",
            sqlite_where=OPEN_REPORT,
            postgresql_where=OPEN_REPORT,
        ),
    )
    reference: Mapped[str] = mapped_column(String(30))
    category: Mapped[str] = mapped_column(String(40))
    urgency: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="new")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    involved: Mapped[list[Any]] = mapped_column(default=list)
    what_happened: Mapped[str] = mapped_column(Text)
    occurred_at: Mapped[str | None] = mapped_column(String(60))
    location: Mapped[str | None] = mapped_column(String(200))
    actions_taken: Mapped[str | None] = mapped_column(Text)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    reporter_name: Mapped[str | None] = mapped_column(String(200))
    reporter_email: Mapped[str | None] = mapped_column(String(320))
    # how they know the school, as the public form asked it (a key of reports' RELATIONSHIPS;
    # staff and governors signed in: their role); None: not stated (or anonymous)
    reporter_relationship: Mapped[str | None] = mapped_column(String(20))
    about_headteacher: Mapped[bool] = mapped_column(Boolean, default=False)
    # who else the report is about (a DSL, a deputy, a member of staff): never alerted, never
    # shown it; lower-case email
    about_person: Mapped[str | None] = mapped_column(String(320))
    suspected_illegal: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(40), default="web")
    source_ref: Mapped[str | None] = mapped_column(String(120), unique=True)
    outcome: Mapped[str | None] = mapped_column(Text)
    lessons: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column()
    entries: Mapped[list[ReportEntry]] = relationship(order_by="ReportEntry.id", lazy="selectin")
    clocks: Mapped[list[ReportClock]] = relationship(order_by="ReportClock.id", lazy="selectin")
    owner: Mapped[Person | None] = relationship(foreign_keys=[owner_id])


class ReportEntry(SchoolRecord):
    """The chronology: actions, decisions with reasons, corrections — appended, attributed."""

    __tablename__ = "report_entries"
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    author: Mapped[str] = mapped_column(String(320))
    kind: Mapped[str] = mapped_column(String(20))  # action | decision | correction | status | note
    text: Mapped[str] = mapped_column(Text)  # as written (a bot's line: its English)
    reason: Mapped[str | None] = mapped_column(Text)
    # a line the bot wrote: its catalogue sentence and values
    # (``bot.core.language.kept_text.to_data``), said
    # in the reader's language where shown; None for a person's own words or an older line
    said: Mapped[dict[str, Any] | None] = mapped_column()


class ReportClock(SchoolRecord):
    """A deadline attached to a report: LADO, ICO 72 hours, DSL triage."""

    __tablename__ = "report_clocks"
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime] = mapped_column()
    due_at: Mapped[datetime] = mapped_column()
    stopped_at: Mapped[datetime | None] = mapped_column()
    stopped_by: Mapped[str | None] = mapped_column(String(320))
    escalations_sent: Mapped[int] = mapped_column(Integer, default=0)


# the running clocks (a few, however many reports there are): the tracked list's "deadline
# soonest" reads them, with each one's deadline, without touching the stopped ones
RUNNING_CLOCKS = Index(
    "ix_report_clocks_running",
    ReportClock.report_id,
    ReportClock.id,
    ReportClock.due_at,
    sqlite_where=ReportClock.stopped_at.is_(None),
    postgresql_where=ReportClock.stopped_at.is_(None),
)


class ReportAttachment(SchoolRecord):
    """A file attached to a report, stored outside the web root under a random name."""

    __tablename__ = "report_attachments"
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    stored_as: Mapped[str] = mapped_column(String(200))
