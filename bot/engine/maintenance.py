"""Maintenance (retention): what the bot drops by itself, on the days the deploy guide states.

- Delivered messages keep their evidence — who (recipients, copies), what (purpose, subject),
  when (queued, sent), the provider's id and a SHA-256 of the rendered message — and drop the
  rendered body (text, HTML, attachments) ``outbox_body_days`` after they were sent. Messages
  that wait, failed or may not have arrived keep everything: a person may send them again.
- The sweep-run log goes after ``sweep_run_days``; the newest run of each school always stays.
- Visitors' confirmations go after the school's ``visitor_retention_days`` (``visitors``).
- The outbox folder's .eml files go with their messages (a message a rule deleted).
- The mailbox's send counts (``outbox.pacing``) go once no 24-hour window counts them.
- A SQLite file gives its free pages back to the disk (``Store.release_free_space``); a file
  made before that was possible keeps them (reused for new rows) until ``Store.compact``.

Each step deletes or blanks in batches, commits per batch, and audits the counts only.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Row, Select, delete, func, insert, select, update
from sqlalchemy.orm import Session

from bot.core import audit
from bot.core.config import SchoolConfig
from bot.core.database.store import Store
from bot.core.days.clock import local_today
from bot.core.deployment.settings import RetentionSettings
from bot.core.models import (
    DecisionAttachment,
    OutboxMessage,
    ReportAttachment,
    SweepRun,
    TrainingRecord,
)
from bot.core.outbox import bodies as outbox_bodies
from bot.core.outbox import pacing as mail_pacing
from bot.engine.steps import registered

__all__ = ["BATCH", "COMPACT_WORTH", "Kept", "body_sha256", "run_maintenance"]

BATCH = 1000
# free space an older SQLite file cannot give back before the CLI and the job suggest compacting
COMPACT_WORTH = 64 * 1024 * 1024


@dataclass
class Kept:
    """What one maintenance run dropped (counts only)."""

    bodies: int = 0
    sweep_runs: int = 0
    visitors: int = 0
    pacing_rows: int = 0
    disposed: int = 0  # records disposed of under the schools' retention schedules
    files: int = 0  # .eml files in the outbox folder whose message the database no longer keeps
    space_returned: int = 0  # bytes the SQLite file gave back to the disk
    space_stuck: int = 0  # free bytes a SQLite file made before auto_vacuum keeps (compact it)

    @property
    def should_compact(self) -> bool:
        """Whether an older SQLite file holds enough free space to be worth compacting once."""
        return self.space_stuck >= COMPACT_WORTH


class _Message(Protocol):
    """What a message's fingerprint covers (an ``OutboxMessage`` or a row of its table)."""

    @property
    def subject(self) -> str: ...
    @property
    def recipients(self) -> list[Any]: ...
    @property
    def cc(self) -> list[Any]: ...
    @property
    def payload(self) -> dict[str, Any]: ...


def body_sha256(row: _Message, payload: dict[str, Any] | None = None) -> str:
    """The fingerprint of a message as it was queued: subject, recipients and rendered body.

    ``payload`` is the message's whole payload when its body is shared (``outbox.bodies``).
    """
    canonical = json.dumps(
        {
            "subject": row.subject,
            "to": row.recipients,
            "cc": row.cc,
            "payload": row.payload if payload is None else payload,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _drop_bodies(store: Store, now: datetime, days: int) -> int:
    """Blank the bodies of messages delivered more than ``days`` ago, a batch at a time."""
    cutoff = now - timedelta(days=days)
    due = (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.status == "sent",
            OutboxMessage.sent_at < cutoff,
            OutboxMessage.body_dropped_at.is_(None),
        )
        .order_by(OutboxMessage.id)
        .limit(BATCH)
    )
    dropped = 0
    while True:
        with store.transaction() as session:
            count = (_rewrite_sqlite if store.is_sqlite else _update)(session, due, now)
            if count:
                _audit(
                    session,
                    "outbox.bodies_dropped",
                    "outbox",
                    count,
                    {"sent_before": cutoff.isoformat(), "days": days},
                )
        dropped += count
        if count < BATCH:
            break
    return dropped


def _without_bodies(
    session: Session, rows: Sequence[Row[Any]], now: datetime
) -> list[dict[str, Any]]:
    """Every column of each message as it was, but its body: only its fingerprint stays (the
    fingerprint of the whole body, shared part filled in)."""
    shared = outbox_bodies.read(session, [row.body_id for row in rows if row.body_id])

    def fingerprint(row: Row[Any]) -> str:
        if row.body_id is None:
            return body_sha256(row)
        return body_sha256(row, outbox_bodies.resolve_payload(row.payload, shared[row.body_id]))

    return [
        {
            **row._asdict(),
            "payload": {},
            "body_id": None,
            "body_sha256": fingerprint(row),
            "body_dropped_at": now,
        }
        for row in rows
    ]


def _rewrite_sqlite(session: Session, due: Select[int], now: datetime) -> int:
    """Delete the due messages and write them again without their bodies (same ids).

    SQLite leaves a table page as sparse as shrinking its rows made it (a page that held two
    9 KB messages then holds two 300-byte ones), so each day's evidence would take four times
    its size; written again, the rows fill their pages. The DELETE comes first so that the
    transaction holds the write lock before it reads: no change made meanwhile is written over.
    """
    rows = session.execute(
        delete(OutboxMessage)
        .where(OutboxMessage.id.in_(due.scalar_subquery()))
        .returning(*OutboxMessage.__table__.columns)
    ).all()
    if rows:
        session.execute(
            insert(OutboxMessage),
            sorted(_without_bodies(session, rows, now), key=lambda r: r["id"]),
        )
    return len(rows)


def _update(session: Session, due: Select[int], now: datetime) -> int:
    """Blank the due messages' bodies in place (PostgreSQL writes a new row version anyway);
    rows another worker holds are left for the next run."""
    rows = session.execute(
        due.with_only_columns(*OutboxMessage.__table__.columns).with_for_update(skip_locked=True)
    ).all()
    if rows:
        session.execute(
            update(OutboxMessage),
            [
                {
                    key: value
                    for key, value in row.items()
                    if key in ("id", "payload", "body_id", "body_sha256", "body_dropped_at")
                }
                for row in _without_bodies(session, rows, now)
            ],
        )
    return len(rows)


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


def _prune_folder(store: Store, folder: Path | None, now: datetime) -> int:
    """Delete the outbox folder's .eml files whose message a retention rule deleted (the file's
    name is the message's provider id); a file a day old at least, so one just written whose
    message is not yet recorded as sent stays."""
    if folder is None or not folder.is_dir():
        return 0
    with store.session() as session:
        named = select(OutboxMessage.provider_id).where(OutboxMessage.provider_id.is_not(None))
        kept = set(session.scalars(named))
    before = (now - timedelta(days=1)).timestamp()
    gone = [f for f in folder.glob("*.eml") if f.name not in kept and f.stat().st_mtime < before]
    for file in gone:
        file.unlink()
    return len(gone)


def _prune_uploads(store: Store, folder: Path | None, now: datetime) -> int:
    """Delete the uploaded files (report and decision files, certificates) no record names any
    more, a day old at least (one just stored waits for its record's commit)."""
    if folder is None or not folder.is_dir():
        return 0
    with store.session() as session:
        kept = {
            folder / area / school / Path(name).name
            for area, model in (("reports", ReportAttachment), ("decisions", DecisionAttachment))
            for school, name in session.execute(select(model.school_id, model.stored_as))
        }
        certificates = select(TrainingRecord.certificate_path).where(
            TrainingRecord.certificate_path.is_not(None)
        )
        kept |= {folder / str(path) for path in session.scalars(certificates)}
    before = (now - timedelta(days=1)).timestamp()
    areas = [folder / area for area in ("reports", "decisions", "certificates")]
    gone = [
        f
        for area in areas
        for f in area.rglob("*")
        if f.is_file() and f not in kept and f.stat().st_mtime < before
    ]
    for file in gone:
        file.unlink()
    return len(gone)


def _audit(
    session: Session, action: str, object_type: str, count: int, details: dict[str, object]
) -> None:
    audit.record(
        session,
        actor="system:maintenance",
        action=action,
        object_type=object_type,
        details={"count": count, **details},
    )


def run_maintenance(
    store: Store,
    retention: RetentionSettings,
    schools: Sequence[SchoolConfig],
    now: datetime,
    outbox_dir: Path | None = None,
    uploads_dir: Path | None = None,
) -> Kept:
    """Apply every retention rule once (safe to repeat; the scheduler runs it daily); the
    .eml files in ``outbox_dir`` and the files in ``uploads_dir`` whose records went, go too."""
    purge_visitors, dispose = registered().purge_visitors, registered().dispose
    kept = Kept(bodies=_drop_bodies(store, now, retention.outbox_body_days))
    with store.transaction() as session:
        kept.sweep_runs = _prune_sweep_runs(session, now, retention.sweep_run_days)
        kept.pacing_rows = mail_pacing.prune(session, now)
        for school in schools:
            if dispose is not None:
                kept.disposed += dispose(session, school, local_today(now), outbox_dir)
            kept.visitors += purge_visitors(session, school, local_today(now))
    with store.transaction() as session:  # the shared bodies and files no message needs now
        outbox_bodies.drop_unused(session)
    kept.files = _prune_folder(store, outbox_dir, now) + _prune_uploads(store, uploads_dir, now)
    kept.space_returned = store.release_free_space()
    space = store.space()
    if space is not None and not space.returns_free_space:
        kept.space_stuck = space.free_bytes
    return kept
