"""The mail pacing table: each mailbox's sends, counted the same by every dispatch worker."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.models import Base

__all__ = ["MailSend"]


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
