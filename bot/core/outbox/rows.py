"""A claimed row as the platform takes it (an email with its time words written now, a card, a
bulk activity-feed call), and the platform's answer as the outbox records it (``Outcome``): a
connector's bug becomes "delivery unknown", never a lost row."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from bot.core.audit import queued
from bot.core.database.store import Store
from bot.core.language.live_text import fill_time_left
from bot.core.models import OutboxMessage
from bot.core.outbox import bodies as outbox_bodies
from bot.core.outbox.record import Outcome
from bot.core.ports import (
    Attachment,
    CardMessage,
    ConnectorError,
    DeliveryUnknownError,
    Mailer,
    OutgoingEmail,
    PermanentError,
    SendResult,
)

if TYPE_CHECKING:
    from bot.core.rendering.rendered import Rendered

__all__ = [
    "FEED_BULK",
    "FeedRow",
    "answer",
    "answer_batch",
    "feed_chunks",
    "load_messages",
    "no_bot",
    "notify_all",
    "refuse",
]

log = logging.getLogger("bot.core.outbox")  # the outbox's one logger


def to_email(
    row: OutboxMessage, now: datetime, body: Rendered | None, files: dict[int, bytes]
) -> OutgoingEmail:
    """The message as sent at ``now``; ``body`` is its shared body, if it has one; ``files``
    the stored attachments it names (``outbox.bodies``)."""
    payload = row.payload if body is None else outbox_bodies.resolve_payload(row.payload, body)
    due = datetime.fromisoformat(payload["deadline"]) if payload.get("deadline") else None
    return OutgoingEmail(
        idempotency_key=row.idempotency_key,
        to=tuple(row.recipients),
        cc=tuple(row.cc),
        subject=row.subject,
        text=fill_time_left(payload["text"], due, now),
        html=fill_time_left(payload["html"], due, now),
        from_name=payload.get("from_name"),
        reply_to=payload.get("reply_to"),
        attachments=tuple(
            Attachment(
                a["filename"],
                a["content_type"],
                files.get(a["id"], b"") if "id" in a else base64.b64decode(a["data"]),
            )
            for a in payload.get("attachments", [])
        ),
    )


def to_card(row: OutboxMessage) -> CardMessage:
    payload = row.payload
    return CardMessage(
        idempotency_key=row.idempotency_key,
        title=row.subject,
        text=payload["text"],
        teams_payload=payload.get("teams", {}),
        chat_payload=payload.get("chat", {}),
        school_id=row.school_id,
    )


def load_messages(
    store: Store, row_ids: Sequence[int], channel: str, now: datetime
) -> tuple[dict[int, OutgoingEmail | CardMessage], dict[int, list[str]]]:
    """The claimed rows as emails (their time words written at ``now``) or cards, by id; and
    the rows changed since they were queued (``audit.queued``), never to be sent."""
    with store.session() as session:
        rows = session.scalars(
            select(OutboxMessage).where(OutboxMessage.id.in_(list(row_ids)))
        ).all()
        bodies = outbox_bodies.read(session, [row.body_id for row in rows if row.body_id])
        tampered = queued.changed_rows(session, rows, bodies)
        if channel != "email":
            return {row.id: to_card(row) for row in rows}, tampered
        files = outbox_bodies.read_files(session, [row.payload for row in rows])
        for row in rows:  # a stored file changed (or gone) since: its message is refused
            if any(a["id"] not in files for a in row.payload.get("attachments", ()) if "id" in a):
                tampered.setdefault(row.id, []).append("attachment")
        return {
            row.id: to_email(row, now, bodies.get(row.body_id or 0), files) for row in rows
        }, tampered


def refuse(parts: Sequence[str]) -> SendResult:
    """A row changed after it was queued is refused, never sent (the admins' alert follows)."""
    raise PermanentError(f"not sent: its {', '.join(parts)} changed after it was queued")


# the same activity-feed notification to many people goes in one bulk call of up to this many
# recipients (Graph's sendActivityNotificationToRecipients), when the bot has ``notify_many``
FEED_BULK = 100


FeedRow = tuple[int, str, dict[str, Any]]  # (row id, idempotency key, the feed's payload)


def feed_chunks(
    row_ids: Sequence[int], messages: dict[int, OutgoingEmail | CardMessage]
) -> list[list[FeedRow]]:
    """The bulk calls a page's activity-feed rows make: rows with one notification grouped,
    up to ``FEED_BULK`` people a call and each person once (a lone row goes on its own)."""
    groups: dict[str, list[FeedRow]] = {}
    for row_id in row_ids:
        message = messages[row_id]
        if not isinstance(message, CardMessage):
            continue
        feed = message.teams_payload.get("feed")
        if isinstance(feed, dict) and feed.get("user_id"):
            # one school's a call: its tenant's bot sends it (``_Pass.chat_of``)
            same = json.dumps(
                {k: v for k, v in feed.items() if k != "user_id"} | {"school": message.school_id},
                sort_keys=True,
            )
            groups.setdefault(same, []).append((row_id, message.idempotency_key, feed))
    chunks: list[list[FeedRow]] = []
    for rows in groups.values():
        while len(rows) > 1:
            chunk: list[FeedRow] = []
            users: set[str] = set()
            later = []
            for row in rows:
                user = str(row[2]["user_id"])
                if len(chunk) < FEED_BULK and user not in users:
                    chunk.append(row)
                    users.add(user)
                else:
                    later.append(row)
            if len(chunk) < 2:
                break
            chunks.append(chunk)
            rows = later
    return chunks


def notify_all(
    notify_many: Callable[..., None], users: list[str], feed: dict[str, Any]
) -> SendResult:
    """One bulk activity-feed call for ``users`` (the bot's ``notify_many``)."""
    notify_many(
        users,
        activity_type=str(feed["activity_type"]),
        preview=str(feed["preview"]),
        web_url=str(feed["web_url"]),
        template=dict(feed.get("template") or {}),
    )
    return SendResult(provider_id=None)


def no_bot(card: CardMessage) -> SendResult:
    """A card for a school whose tenant has no bot: refused (its email fallback goes), never
    sent through another tenant's bot."""
    raise PermanentError(f"card {card.idempotency_key}: the school's tenant has no Teams bot")


def answer(row_id: int, call: Callable[[], SendResult]) -> Outcome:
    """The provider's answer for one row; a connector bug becomes an unknown outcome."""
    try:
        return call()
    except ConnectorError as exc:
        log.warning("outbox %s not delivered: %s", row_id, exc)
        return exc
    except Exception as exc:  # a connector bug must not lose the row: flag it for a human
        log.exception("outbox %s: unexpected error from connector", row_id)
        return DeliveryUnknownError(f"unexpected {type(exc).__name__}")


def answer_batch(mailer: Mailer, messages: list[OutgoingEmail]) -> list[Outcome]:
    """The provider's answers for a batch, one per message."""
    try:
        outcomes: list[Outcome] = mailer.send_batch(messages)
    except ConnectorError as exc:
        return [exc] * len(messages)
    except Exception as exc:
        log.exception("outbox batch: unexpected error from connector")
        return [DeliveryUnknownError(f"unexpected {type(exc).__name__}")] * len(messages)
    return outcomes
