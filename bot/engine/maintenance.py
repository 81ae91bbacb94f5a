"""Maintenance (retention): what the bot drops by itself, on the days the deploy guide states.

- Delivered messages keep their evidence — who (recipients, copies), what (purpose, subject),
  when (queued, sent), the provider's id and a SHA-256 of the rendered message — and drop the
  rendered body (text, HTML, attachments) ``outbox_body_days`` after they were sent. Messages
  that wait, failed or may not have arrived keep everything: a person may send them again.
- The sweep-run log goes after ``sweep_run_days``; the newest run of each school always stays.
- Visitors' confirmations go after the school's ``visitor_retention_days`` (``visitors``).
- The mailbox's send counts (``mail_pacing``) go once no 24-hour window counts them.

Each step deletes or blanks in batches, commits per batch, and audits the counts only.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bot.core import audit, mail_pacing
from bot.core.clock import local_today
from bot.core.config import SchoolConfig
from bot.core.models import OutboxMessage, SweepRun
from bot.core.settings import RetentionSettings
from bot.core.store import Store
from bot.features.visitors.service import purge_visitors

__all__ = ["BATCH", "Kept", "body_sha256", "run_maintenance"]

BATCH = 1000


@dataclass
class Kept:
    """What one maintenance run dropped (counts only)."""

    bodies: int = 0
    sweep_runs: int = 0
    visitors: int = 0
    pacing_rows: int = 0


def body_sha256(row: OutboxMessage) -> str:
    """The fingerprint of a message as it was queued: subject, recipients and rendered body."""
    canonical = json.dumps(
        {"subject": row.subject, "to": row.recipients, "cc": row.cc, "payload": row.payload},
        sort_keys=True, separators=(",", ":"), ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _drop_bodies(store: Store, now: datetime, days: int) -> int:
    """Blank the bodies of messages delivered more than ``days`` ago, a batch at a time."""
    cutoff = now - timedelta(days=days)
    dropped = 0
    while True:
        with store.transaction() as session:
            rows = session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.status == "sent", OutboxMessage.sent_at < cutoff,
                       OutboxMessage.body_dropped_at.is_(None))
                .order_by(OutboxMessage.id)
                .limit(BATCH)
                .with_for_update(skip_locked=True)
            ).all()
            for row in rows:
                row.body_sha256 = body_sha256(row)
                row.payload = {}
                row.body_dropped_at = now
            if rows:
                _audit(session, "outbox.bodies_dropped", "outbox", len(rows),
                       {"sent_before": cutoff.isoformat(), "days": days})
        dropped += len(rows)
        if len(rows) < BATCH:
            return dropped


def _prune_sweep_runs(session: Session, now: datetime, days: int) -> int:
    """Delete sweep runs older than ``days``, keeping each school's newest."""
    newest = select(func.max(SweepRun.id)).group_by(SweepRun.school_id)
    result = session.execute(
        delete(SweepRun)
        .where(SweepRun.started_at < now - timedelta(days=days), SweepRun.id.not_in(newest))
        .execution_options(synchronize_session=False)
    )
    count = int(result.rowcount or 0)  # type: ignore[attr-defined]
    if count:
        _audit(session, "sweep_runs.purged", "sweep_run", count, {"days": days})
    return count


def _audit(
    session: Session, action: str, object_type: str, count: int, details: dict[str, object]
) -> None:
    audit.record(session, actor="system:maintenance", action=action, object_type=object_type,
                 details={"count": count, **details})


def run_maintenance(
    store: Store,
    retention: RetentionSettings,
    schools: Sequence[SchoolConfig],
    now: datetime,
) -> Kept:
    """Apply every retention rule once (safe to repeat; the scheduler runs it daily)."""
    kept = Kept(bodies=_drop_bodies(store, now, retention.outbox_body_days))
    with store.transaction() as session:
        kept.sweep_runs = _prune_sweep_runs(session, now, retention.sweep_run_days)
        kept.pacing_rows = mail_pacing.prune(session, now)
        for school in schools:
            kept.visitors += purge_visitors(session, school, local_today(now), write=True)
    return kept
