"""The outbox's tables: every outgoing message (with its urgency), each channel's pause, the
mail pacing table (each mailbox's sends, counted the same by every dispatch worker), the bodies
many messages share, and the outbox's retention indexes."""

from __future__ import annotations

from datetime import datetime
from enum import IntEnum
from typing import Any

from sqlalchemy import Boolean, Index, Integer, LargeBinary, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.models.base import Base, Numbered, SchoolRecord, utcnow

__all__ = [
    "WITH_BODY",
    "WITH_SHARED_BODY",
    "DispatchWorker",
    "MailSend",
    "OutboxAttachment",
    "OutboxAttachmentUse",
    "OutboxBody",
    "OutboxChannel",
    "OutboxMessage",
    "Urgency",
]


class Urgency(IntEnum):
    """How soon a message must reach its platform; every dispatcher takes the lowest first.

    Set where a message is queued (``enqueue_email(..., urgency=...)``), never guessed later.
    """

    SAFEGUARDING = 0  # a new concern's alerts, its clocks' warnings and escalations
    WAITING = 1  # someone is waiting on the bot: a sign-in or fresh link, a receipt
    ROUTINE = 2  # reminders, digests, governors' mail, chasing


class OutboxMessage(SchoolRecord):
    """Every outgoing message: written first, delivered by the dispatcher, never twice."""

    __tablename__ = "outbox"
    # retention's index of the messages that keep their body: WITH_BODY below
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        # the claim's order: the most urgent due rows first, then the oldest
        Index("ix_outbox_claim", "status", "urgency", "next_attempt_at"),
    )
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    channel: Mapped[str] = mapped_column(String(20))  # email | card
    purpose: Mapped[str] = mapped_column(String(40))
    urgency: Mapped[int] = mapped_column(SmallInteger)  # an ``Urgency``: no default, stated
    recipients: Mapped[list[Any]] = mapped_column(default=list)
    cc: Mapped[list[Any]] = mapped_column(default=list)
    subject: Mapped[str] = mapped_column(String(300))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column()
    sent_at: Mapped[datetime | None] = mapped_column()
    provider_id: Mapped[str | None] = mapped_column(String(300))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # when the school's admins were told this ``failed`` message was refused (None: not yet)
    alerted_at: Mapped[datetime | None] = mapped_column()
    # retention drops the rendered body after the configured days; its hash stays
    body_sha256: Mapped[str | None] = mapped_column(String(64))
    body_dropped_at: Mapped[datetime | None] = mapped_column()
    body_id: Mapped[int | None] = mapped_column(Integer)  # a shared body: ``OutboxBody``
    # the dispatcher that claimed it (``outbox.workers``): its rows go back once it is dead
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    # times its mailbox's sent items were searched for it while its outcome was unknown
    sent_lookups: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    # keyed digests of what steers the message, made when it was queued: checked before it is
    # sent and by ``audit verify`` (``bot.core.audit.queued``)
    seal: Mapped[str | None] = mapped_column(String(120))


class DispatchWorker(Base):
    """A dispatch worker alive (``outbox.workers``): it renews ``beat_at`` every few seconds
    while it runs and removes its row when it stops; a row gone quiet, or whose process is
    gone from this host, is a dead worker whose claims the others take back at once."""

    __tablename__ = "dispatch_workers"
    id: Mapped[str] = mapped_column(String(200), primary_key=True)  # host:pid:start:token
    host: Mapped[str] = mapped_column(String(200))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    beat_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutboxChannel(Base):
    """One sending channel's pause (``email``: the install's mailbox; a school's own mailbox,
    by its address; ``card``, ``teams``): nothing of it is claimed before ``paused_until``.
    ``streak`` counts the platform's "not now" and unknown answers in a row that gave no
    Retry-After (the backoff grows with it); a delivered message clears both."""

    __tablename__ = "outbox_channels"
    channel: Mapped[str] = mapped_column(String(320), primary_key=True)
    paused_until: Mapped[datetime | None] = mapped_column()
    streak: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class MailSend(Numbered):
    """One send of a mailbox (in flight while not ``done``): what its shared limits count.

    Whoever takes sending permits first locks the mailbox's ``rate_limits`` row
    (``bot.core.outbox.pacing``), so every dispatch worker counts the same sends.
    """

    __tablename__ = "mail_sends"
    __table_args__ = (Index("ix_mail_sends_mailbox_at", "mailbox", "at"),)
    mailbox: Mapped[str] = mapped_column(String(320))
    at: Mapped[datetime] = mapped_column()
    recipients: Mapped[int] = mapped_column(Integer, default=1)
    outbox_id: Mapped[int | None] = mapped_column(Integer, index=True)
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    # routine mail's sends count against the mailbox's limits less its urgent reserve too
    routine: Mapped[bool] = mapped_column(Boolean, default=True)


class OutboxBody(Numbered):
    """Both parts of an email many people get alike (a digest with the same items), stored once.

    A message made from it keeps only its own values (name, signed links) and ``body_id``; the
    dispatcher fills them in when it sends. Rows are never changed, and ids never come back
    after a delete (``sqlite_autoincrement``), so a worker may keep a body it has read.
    Retention deletes a body once no message that keeps its body refers to it.
    """

    __tablename__ = "outbox_bodies"
    __table_args__ = ({"sqlite_autoincrement": True},)
    sha256: Mapped[str] = mapped_column(String(64))  # of both parts, as stored
    # each part split at its slots (``Rendered.split``): literal text, slot name, literal text...
    text: Mapped[list[Any]] = mapped_column()
    html: Mapped[list[Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutboxAttachment(Numbered):
    """A file many messages carry alike (a policy's review event for every governor), stored
    once; a message's payload names it (``id`` and ``sha256``). Like ``OutboxBody``: written by
    the messages of one transaction, never changed, deleted once no message uses it."""

    __tablename__ = "outbox_attachments"
    __table_args__ = ({"sqlite_autoincrement": True},)
    sha256: Mapped[str] = mapped_column(String(64))  # of ``data``
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutboxAttachmentUse(Base):
    """A message (by its key) that carries an attachment while it keeps its body."""

    __tablename__ = "outbox_attachment_uses"
    message_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    attachment_id: Mapped[int] = mapped_column(Integer, primary_key=True, index=True)


# what retention still has to do (bot.engine.maintenance): the messages that keep their body;
# the evidence kept for years, once its body is dropped, leaves this index
WITH_BODY = Index(
    "ix_outbox_with_body",
    OutboxMessage.status,
    OutboxMessage.sent_at,
    sqlite_where=OutboxMessage.body_dropped_at.is_(None),
    postgresql_where=OutboxMessage.body_dropped_at.is_(None),
)

# the messages that refer to a shared body (a few days' worth: retention lets go of them)
WITH_SHARED_BODY = Index(
    "ix_outbox_body_id",
    OutboxMessage.body_id,
    sqlite_where=OutboxMessage.body_id.is_not(None),
    postgresql_where=OutboxMessage.body_id.is_not(None),
)
