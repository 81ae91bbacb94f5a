"""Append-only, hash-chained audit log: every read and change of sensitive data leaves a link."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.core.models import AuditEvent, AuditHead, utcnow

__all__ = ["GENESIS", "Entry", "VerifyResult", "record", "record_many", "verify"]

GENESIS = "0" * 64


def _digest(
    prev_hash: str,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    object_type: str,
    object_id: str | None,
    school_id: str | None,
    details: dict[str, Any],
) -> str:
    """The hash of one event chained to the previous one (canonical JSON, UTC seconds)."""
    body = json.dumps(
        {
            "prev": prev_hash,
            "seq": seq,
            "at": at.strftime("%Y-%m-%dT%H:%M:%S.%f"),
            "actor": actor,
            "action": action,
            "type": object_type,
            "id": object_id,
            "school": school_id,
            "details": details,
        },
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(body.encode()).hexdigest()


@dataclass(frozen=True)
class Entry:
    """One event to append (see ``record``)."""

    actor: str
    action: str
    object_type: str
    object_id: str | int | None = None
    school_id: str | None = None
    details: dict[str, Any] | None = None


def record_many(session: Session, entries: Sequence[Entry]) -> list[AuditEvent]:
    """Append several events under one take of the chain head's row lock (in order)."""
    if not entries:
        return []
    head = session.execute(
        update(AuditHead)
        .where(AuditHead.id == 1)
        .values(count=AuditHead.count + len(entries))
        .returning(AuditHead.last_hash, AuditHead.count)
    ).first()
    if head is None:
        session.add(AuditHead(id=1, last_hash=GENESIS, count=len(entries)))
        session.flush()
        prev_hash, seq = GENESIS, 1
    else:
        prev_hash, seq = head[0], head[1] - len(entries) + 1
    at = utcnow()
    events = []
    for offset, entry in enumerate(entries):
        oid = None if entry.object_id is None else str(entry.object_id)
        payload = entry.details or {}
        digest = _digest(
            prev_hash, seq + offset, at, entry.actor, entry.action, entry.object_type, oid,
            entry.school_id, payload,
        )
        events.append(
            AuditEvent(
                seq=seq + offset,
                school_id=entry.school_id,
                at=at,
                actor=entry.actor,
                action=entry.action,
                object_type=entry.object_type,
                object_id=oid,
                details=payload,
                prev_hash=prev_hash,
                hash=digest,
            )
        )
        prev_hash = digest
    session.add_all(events)
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(last_hash=prev_hash))
    return events


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    object_type: str,
    object_id: str | int | None = None,
    school_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event. Takes the chain head's row lock so concurrent writers stay in order.

    ``details`` must never hold report contents: ids, fields changed, counts only.
    """
    entry = Entry(actor, action, object_type, object_id, school_id, details)
    return record_many(session, [entry])[0]


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of a chain check."""

    ok: bool
    checked: int
    broken_seq: int | None = None
    reason: str | None = None


def verify(
    session: Session, on_event: Callable[[AuditEvent], None] | None = None
) -> VerifyResult:
    """Walk the chain in order; stop at the first event whose link or hash does not hold.

    ``on_event`` sees every event whose link and hash held, in order (streamed).
    """
    prev = GENESIS
    checked = 0
    expected_seq = 1
    for event in session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).yield_per(1000):
        if event.seq != expected_seq:
            return VerifyResult(False, checked, expected_seq, "an event is missing")
        if event.prev_hash != prev:
            return VerifyResult(False, checked, event.seq, "previous-hash link does not match")
        digest = _digest(
            prev,
            event.seq,
            event.at,
            event.actor,
            event.action,
            event.object_type,
            event.object_id,
            event.school_id,
            event.details,
        )
        if digest != event.hash:
            return VerifyResult(False, checked, event.seq, "event content does not match its hash")
        if on_event is not None:
            on_event(event)
        prev = event.hash
        checked += 1
        expected_seq += 1
    head = session.get(AuditHead, 1)
    if head is not None and (head.last_hash != prev or head.count != checked):
        return VerifyResult(False, checked, checked + 1, "events after the last one were removed")
    return VerifyResult(True, checked)
