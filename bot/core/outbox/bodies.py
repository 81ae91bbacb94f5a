"""Bodies many messages share (``OutboxBody``): written once when their messages are queued,
filled with each message's own values when it is sent, and read back whole as evidence."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, cast

from sqlalchemy import delete, exists, insert, select
from sqlalchemy.orm import Session

from bot.core.models import OutboxBody, OutboxMessage, utcnow
from bot.core.rendering.rendered import Rendered

__all__ = ["drop_unused", "read", "resolve_payload", "store"]

_MEMO = "outbox_bodies"  # session.info: the bodies this transaction wrote, by fingerprint


def store(session: Session, bodies: Iterable[Rendered]) -> dict[str, int]:
    """The id of each distinct body, by fingerprint, written once per transaction.

    A body is shared only by messages queued in the same transaction: a body written earlier
    may be deleted by retention at any moment (``drop_unused``), so it is never reused.
    """
    transaction = session.get_transaction()
    memo_of, memo = cast(tuple[object, dict[str, int]], session.info.get(_MEMO, (None, {})))
    if memo_of is not transaction:
        memo = {}
        session.info[_MEMO] = (transaction, memo)
    rows: dict[str, dict[str, Any]] = {}
    now = utcnow()
    for body in bodies:
        if body.sha256 not in memo and body.sha256 not in rows:
            text, html = body.split()
            rows[body.sha256] = {
                "sha256": body.sha256,
                "text": text,
                "html": html,
                "created_at": now,
            }
    if rows:
        written = session.execute(
            insert(OutboxBody).returning(OutboxBody.sha256, OutboxBody.id), list(rows.values())
        )
        memo.update((sha, body_id) for sha, body_id in written)
    return memo


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
    """Delete the bodies no message keeping its body refers to any more; how many."""
    used = exists().where(OutboxMessage.body_id == OutboxBody.id)
    result = session.execute(delete(OutboxBody).where(~used))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
