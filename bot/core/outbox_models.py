"""The mail pacing table (each mailbox's sends, counted the same by every dispatch worker), the
bodies many messages share, and the outbox's retention index."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.models import Base, OutboxMessage, utcnow

__all__ = ["WITH_BODY", "WITH_SHARED_BODY", "MailSend", "OutboxBody"]


class MailSend(Base):
    """One send of a mailbox (in flight while not ``done``): what its shared limits count.

    Whoever takes sending permits first locks the mailbox's ``rate_limits`` row
    (``bot.core.mail_pacing``), so every dispatch worker counts the same sends.
    """

    __tablename__ = "mail_sends"
    __table_args__ = (Index("ix_mail_sends_mailbox_at", "mailbox", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    mailbox: Mapped[str] = mapped_column(String(320))
    at: Mapped[datetime] = mapped_column()
    recipients: Mapped[int] = mapped_column(Integer, default=1)
    outbox_id: Mapped[int | None] = mapped_column(Integer, index=True)
    done: Mapped[bool] = mapped_column(Boolean, default=False)


class OutboxBody(Base):
    """Both parts of an email many people get alike (a digest with the same items), stored once.

    A message made from it keeps only its own values (name, signed links) and ``body_id``; the
    dispatcher fills them in when it sends. Rows are never changed, and ids never come back
    after a delete (``sqlite_autoincrement``), so a worker may keep a body it has read.
    Retention deletes a body once no message that keeps its body refers to it.
    """

    __tablename__ = "outbox_bodies"
    __table_args__ = ({"sqlite_autoincrement": True},)
    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))  # of both parts, as stored
    # each part split at its slots (``Rendered.split``): literal text, slot name, literal text...
    text: Mapped[list[Any]] = mapped_column()
    html: Mapped[list[Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# what retention still has to do (bot.engine.maintenance): the messages that keep their body;
# the evidence kept for years, once its body is dropped, leaves this index
WITH_BODY = Index(
    "ix_outbox_with_body", OutboxMessage.status, OutboxMessage.sent_at,
    sqlite_where=OutboxMessage.body_dropped_at.is_(None),
    postgresql_where=OutboxMessage.body_dropped_at.is_(None),
)

# the messages that refer to a shared body (a few days' worth: retention lets go of them)
WITH_SHARED_BODY = Index(
    "ix_outbox_body_id", OutboxMessage.body_id,
    sqlite_where=OutboxMessage.body_id.is_not(None),
    postgresql_where=OutboxMessage.body_id.is_not(None),
)
