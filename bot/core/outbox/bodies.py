"""Bodies and attachments many messages share (``OutboxBody``, ``OutboxAttachment``): written
once when their messages are queued, filled with each message's own values when it is sent,
and read back whole as evidence."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any, cast

from sqlalchemy import delete, exists, insert, select
from sqlalchemy.orm import Session

from bot.core.models import OutboxAttachment, OutboxAttachmentUse, OutboxBody, OutboxMessage, utcnow
from bot.core.ports import Attachment
from bot.core.rendering.rendered import Rendered

__all__ = ["drop_unused", "read", "read_files", "resolve_payload", "store", "store_files"]


def _written(
    session: Session, model: type[OutboxBody | OutboxAttachment], rows: Iterable[dict[str, Any]]
) -> dict[str, int]:
    """The id of each distinct row (by its ``sha256``), written once per transaction.

    A row is shared only by messages queued in the same transaction: one written earlier may
    be deleted by retention at any moment (``drop_unused``), so it is never reused.
    """
    transaction, name = session.get_transaction(), f"outbox:{model.__tablename__}"
    memo_of, memo = cast(tuple[object, dict[str, int]], session.info.get(name, (None, {})))
    if memo_of is not transaction:
        memo = {}
        session.info[name] = (transaction, memo)
    new = {row["sha256"]: row for row in rows if row["sha256"] not in memo}
    if new:
        written = session.execute(
            insert(model).returning(model.sha256, model.id),
            [{**row, "created_at": utcnow()} for row in new.values()],
        )
        memo.update((sha, row_id) for sha, row_id in written)
    return memo


def store(session: Session, bodies: Iterable[Rendered]) -> dict[str, int]:
    """The id of each distinct body, by fingerprint, written once per transaction."""
    rows = ({"sha256": b.sha256, "text": t, "html": h} for b in bodies for t, h in [b.split()])
    return _written(session, OutboxBody, rows)


def store_files(session: Session, files: Iterable[Attachment]) -> dict[str, int]:
    """The id of each distinct attachment, by its content's SHA-256, written once per
    transaction."""
    rows = ({"sha256": hashlib.sha256(f.data).hexdigest(), "data": f.data} for f in files)
    return _written(session, OutboxAttachment, rows)


def read_files(session: Session, payloads: Iterable[Mapping[str, Any]]) -> dict[int, bytes]:
    """The stored attachments these payloads name, by id, each only if its content is still
    the one named (a changed file is missing: its message is refused, never sent)."""
    named = {a["id"]: a["sha256"] for p in payloads for a in p.get("attachments", ()) if "id" in a}
    if not named:
        return {}
    rows = session.execute(
        select(OutboxAttachment.id, OutboxAttachment.data).where(OutboxAttachment.id.in_(named))
    )
    return {i: d for i, d in rows if hashlib.sha256(d).hexdigest() == named[i]}


def read(session: Session, ids: Iterable[int]) -> dict[int, Rendered]:
    """The bodies with these ids (one query)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = session.execute(
        select(OutboxBody.id, OutboxBody.text, OutboxBody.html).where(OutboxBody.id.in_(wanted))
    )
    return {row.id: Rendered.joined(row.text, row.html) for row in rows}


def resolve_payload(payload: Mapping[str, Any], body: Rendered) -> dict[str, Any]:
    """A message's payload as if it had been queued alone: its body filled with its values."""
    text, html = body.fill(payload["slots"])
    return {**{k: v for k, v in payload.items() if k != "slots"}, "text": text, "html": html}


def drop_unused(session: Session) -> int:
    """Delete the bodies and attachments no message keeping its body uses any more; how many
    bodies (a message gone, or keeping only its evidence, uses no attachment)."""
    keeps = exists().where(
        OutboxMessage.idempotency_key == OutboxAttachmentUse.message_key,
        OutboxMessage.body_dropped_at.is_(None),
    )
    session.execute(delete(OutboxAttachmentUse).where(~keeps))
    used = exists().where(OutboxAttachmentUse.attachment_id == OutboxAttachment.id)
    session.execute(delete(OutboxAttachment).where(~used))
    used = exists().where(OutboxMessage.body_id == OutboxBody.id)
    result = session.execute(delete(OutboxBody).where(~used))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
