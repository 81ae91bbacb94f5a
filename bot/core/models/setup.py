"""Tables of the setup spine: where the settings live, preview, saved configuration versions,
each school's last good settings and what is wrong with its entry now."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.models.base import Numbered, utcnow

__all__ = ["ConfigVersion", "SchoolLifecycle", "SchoolSettings", "SetupState"]


class SetupState(Numbered):
    """The one org-wide row written at setup: where the settings live, and since when.

    No row means the install predates setup: settings come from school.yaml and every school
    sends as it always has. Whether a school has started sending is its own
    (``SchoolLifecycle``); the row's own ``sending_started_*`` are kept from before (#54).
    """

    __tablename__ = "setup_state"
    # "file": school.yaml is the source of truth; "web": the admin pages are
    config_source: Mapped[str] = mapped_column(String(10), default="file")
    begun_at: Mapped[datetime] = mapped_column(default=utcnow)
    begun_by: Mapped[str] = mapped_column(String(320))
    sending_started_at: Mapped[datetime | None] = mapped_column()
    sending_started_by: Mapped[str | None] = mapped_column(String(320))


class SchoolLifecycle(Numbered):
    """One school's own preview / sending state (a trust's schools start one by one, #54).

    Once setup exists, a school without a row is in preview (a school added to a live trust);
    sealed into the audit chain (``audit.seals``), so a change made behind the bot's back is
    found by ``audit verify``. ``school_id`` is the configuration's id: the row may be written
    before the school's first sweep has stored the school.
    """

    __tablename__ = "school_lifecycles"
    __table_args__ = (UniqueConstraint("school_id"),)
    school_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sending_started_at: Mapped[datetime | None] = mapped_column()
    sending_started_by: Mapped[str | None] = mapped_column(String(320))


class ConfigVersion(Numbered):
    """One saved version of the whole configuration (the web pages' edits, or an import)."""

    __tablename__ = "config_versions"
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(320))
    note: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    document: Mapped[str] = mapped_column(Text)


class SchoolSettings(Numbered):
    """One school's settings as last accepted, and the problem with its entry now (if any).

    Written by the sweep: a school whose entry passes the checks has it stored here (the
    organisation's part with it); one whose entry fails keeps the stored settings in force
    (``bot.core.config.per_school``). Not tied to ``schools``: a school whose entry never
    passed has no row there, and its problem is still kept here.
    """

    __tablename__ = "school_settings"
    school_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))  # as the entry names it (for the pages)
    document: Mapped[str | None] = mapped_column(Text)  # canonical JSON, None: never accepted
    sha256: Mapped[str | None] = mapped_column(String(64))
    accepted_at: Mapped[datetime | None] = mapped_column()
    problem: Mapped[str | None] = mapped_column(Text)  # file, line, field and what is wrong
    problem_sha256: Mapped[str | None] = mapped_column(String(64))
    problem_since: Mapped[datetime | None] = mapped_column()
