"""The mail pacing table (each mailbox's sends, counted the same by every dispatch worker), and
the outbox's retention index."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.models import Base, OutboxMessage

__all__ = ["WITH_BODY", "MailSend"]


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


# what retention still has to do (bot.engine.maintenance): the messages that keep their body;
# the evidence kept for years, once its body is dropped, leaves this index
WITH_BODY = Index(
    "ix_outbox_with_body", OutboxMessage.status, OutboxMessage.sent_at,
    sqlite_where=OutboxMessage.body_dropped_at.is_(None),
    postgresql_where=OutboxMessage.body_dropped_at.is_(None),
)
