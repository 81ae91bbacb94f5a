"""Visitors' confirmations in the database: recording one, deleting them after the school's
retention, and the count of today's visitors.

No email goes to an address a visitor types: a public form that mails anyone in the school's
name would be an open relay. Copies queued by earlier versions are still purged with their
confirmation."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, and_, bindparam, delete, func, select
from sqlalchemy.orm import Session

from bot.core import audit
from bot.core.config import SchoolConfig
from bot.core.models import OutboxMessage, VisitorAssurance
from bot.features.visitors.rules import VisitInput, rules_sha256, visitor_rules

__all__ = ["count_visitors_today", "expired", "purge_visitors", "record_visit"]


def record_visit(
    session: Session, school: SchoolConfig, data: VisitInput, now: datetime
) -> VisitorAssurance:
    """Store a visitor's confirmation (no email is sent: the rules stay on the public page),
    with the fingerprint of the rules as the visitor read them (in the active language)."""
    assurance = VisitorAssurance(
        school_id=school.id,
        **asdict(data),  # name, organisation, visit_date
        rules_sha256=rules_sha256(visitor_rules(school)),
        copy_sent=False,
        created_at=now,
    )
    session.add(assurance)
    session.flush()
    audit.record(
        session,
        actor="visitor",
        action="visitor.confirmed",
        object_type="visitor_assurance",
        object_id=assurance.id,
        school_id=school.id,
        details={"copy": False},
    )
    return assurance


def kept_from(school: SchoolConfig, today: date) -> date:
    """The first visit day the school's retention keeps ``today``."""
    return today - timedelta(days=school.visitor_retention_days)


def expired(
    school_id: str | ColumnElement[str], before: date | ColumnElement[date]
) -> ColumnElement[bool]:
    """The school's confirmations of visits before ``before`` (``kept_from``: older than its
    retention)."""
    return and_(VisitorAssurance.school_id == school_id, VisitorAssurance.visit_date < before)


def purge_visitors(session: Session, school: SchoolConfig, today: date, *, write: bool) -> int:
    """Delete confirmations older than the school's retention; audit the counts only.

    The outbox record of any copy emailed goes too: it holds the visitor's address.
    """
    before = kept_from(school, today)
    ids = list(session.scalars(select(VisitorAssurance.id).where(expired(school.id, before))))
    if not ids or not write:
        return len(ids)
    copies = 0
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        keys = [f"visit-copy:{school.id}:{i}" for i in chunk]
        sent = list(
            session.scalars(
                select(OutboxMessage.id).where(
                    OutboxMessage.idempotency_key.in_(keys),
                    OutboxMessage.status.not_in(("pending", "claimed", "sending")),
                )
            )
        )
        if sent:
            session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(sent)))
        copies += len(sent)
        session.execute(delete(VisitorAssurance).where(VisitorAssurance.id.in_(chunk)))
    audit.record(
        session,
        actor="system:sweep",
        action="visitors.purged",
        object_type="visitor_assurance",
        school_id=school.id,
        details={
            "count": len(ids),
            "copies": copies,
            "visited_before": before.isoformat(),
            "retention_days": school.visitor_retention_days,
        },
    )
    return len(ids)


def count_visitors_today(session: Session, school_id: str, today: date) -> int:
    """How many visitors confirmed the rules for a visit today."""
    return int(session.scalar(_VISITS_ON, {"school_id": school_id, "day": today}) or 0)


_VISITS_ON = select(func.count()).where(  # built once: every dashboard view asks
    VisitorAssurance.school_id == bindparam("school_id"),
    VisitorAssurance.visit_date == bindparam("day"),
)
