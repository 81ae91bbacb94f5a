"""The hash-chained audit log (its head and events) and the note of rows written to
bulk-sealed tables, read and emptied at each commit (``audit.batches``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.models.base import Numbered, utcnow

__all__ = ["AuditEvent", "AuditHead", "SealNote"]


class AuditHead(Numbered):
    """The single row that serialises appends to the audit chain."""

    __tablename__ = "audit_head"
    last_hash: Mapped[str] = mapped_column(String(64))
    count: Mapped[int] = mapped_column(Integer, default=0)
    # the key the last entry was made with, and an HMAC of count and hash with it: only a
    # holder of the key can move the head (None before the log was keyed)
    key_id: Mapped[str | None] = mapped_column(String(12))
    mac: Mapped[str | None] = mapped_column(String(64))


class AuditEvent(Numbered):
    """Append-only, hash-chained record of every read and change of sensitive data."""

    __tablename__ = "audit_events"
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    school_id: Mapped[str | None] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(80))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))  # HMAC-SHA256 with the key named by key_id
    key_id: Mapped[str | None] = mapped_column(String(12))  # None: made before keying


class SealNote(Numbered):
    """One row written by a tagged connection: which kind, which row, which connection."""

    __tablename__ = "seal_queue"
    __table_args__ = (Index("ix_seal_queue_tag", "tag"),)
    tag: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(40))
    row_id: Mapped[int] = mapped_column(BigInteger)
