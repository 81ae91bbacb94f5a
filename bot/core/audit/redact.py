"""Personal data taken out of the audit log when the schedule disposes of it, the chain kept.

An event's link is a keyed hash of its fields, so changing a field (an actor's address, a name
in its details) would look like tampering. ``redact`` rewrites the events that name what is
disposed of, then appends one ``audit.redacted`` event carrying, for each rewritten event, a
keyed digest of its new form: ``chain.verify`` accepts an event whose own hash no longer
matches only when a later, keyed redaction vouches for exactly what is stored now. The links
(``prev_hash``, ``hash``) are never rewritten, so the order and the anchored head still hold,
and every other field of a redacted event is still proved, by the redaction's digest.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, Text, cast, func, or_, select, update
from sqlalchemy.orm import Session

from bot.core.audit.chain import REDACTED, Entry, body_of, keyed_digest, record_many, signer
from bot.core.models import AuditEvent

__all__ = ["DISPOSED", "REDACTED", "found_in", "redact"]

DISPOSED = "retention.disposed"  # what the schedule disposed of, in counts (features' disposal)

_FIELDS = ("actor", "object_id", "details")


def found_in(column: Any, needles: list[str]) -> ColumnElement[bool]:
    """Whether the column (text, or JSON as stored: "Si\\u00e2n") holds one of ``needles``,
    in any case."""
    stored = {form.lower() for n in needles for form in (n, json.dumps(n)[1:-1])}
    text = func.lower(cast(column, Text))
    return or_(*(text.contains(form, autoescape=True) for form in sorted(stored)))


def redact(session: Session, needles: list[str], fix: Callable[[Any], Any]) -> int:
    """Rewrite every event whose actor, object or details hold one of ``needles`` (any case)
    with ``fix`` applied to those fields, and vouch for their new form; returns how many."""
    if not needles:
        return 0
    found = session.scalars(
        select(AuditEvent)
        .where(
            or_(
                *(
                    found_in(c, needles)
                    for c in (AuditEvent.actor, AuditEvent.object_id, AuditEvent.details)
                )
            )
        )
        .order_by(AuditEvent.seq)
    ).all()
    key, kid = signer(session)
    proofs: dict[str, list[str]] = {}
    for event in found:
        new = {name: fix(getattr(event, name)) for name in _FIELDS}
        session.execute(update(AuditEvent).where(AuditEvent.id == event.id).values(**new))
        row = {name: getattr(event, name) for name in ("seq", "at", "action", "object_type")}
        row |= {"school_id": event.school_id, "key_id": event.key_id, **new}
        proofs[str(event.seq)] = [kid, keyed_digest(key, body_of(event.prev_hash, row))]
        session.expire(event)
    if proofs:
        entry = Entry("system:retention", REDACTED, "audit_log", None, None, {"events": proofs})
        record_many(session, [entry])
    return len(proofs)
