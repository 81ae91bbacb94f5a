"""Maintenance: delivered messages keep their evidence and lose their bodies; logs are pruned."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import delete, event, select, text, update

from bot.core.database.store import Store
from bot.core.deployment.settings import RetentionSettings
from bot.core.models import AuditEvent, MailSend, OutboxMessage, School, SweepRun, utcnow
from bot.core.outbox import EmailDraft, Urgency, enqueue_email
from bot.engine.maintenance import body_sha256, run_maintenance
from tests.support.keys import TEST_KEYS


def test_retention_drops_old_bodies_keeps_evidence_and_prunes_logs(database_url: str) -> None:
    store = Store(database_url, keys=TEST_KEYS)
    store.upgrade()
    now = utcnow()
    with store.transaction() as session:
        session.add_all([School(id="oak", name="Oakfield"), School(id="elm", name="Elmwood")])
        session.flush()
        for key in ("old-sent", "new-sent", "old-failed", "waiting"):
            enqueue_email(
                session,
                school_id="oak",
                key=key,
                purpose="reminder",
                urgency=Urgency.ROUTINE,
                draft=EmailDraft(
                    to=("ben.teacher@oakfield.example",),
                    cc=("head@oakfield.example",),
                    subject="Please acknowledge: Online Safety Policy",
                    text="Dear Ben " * 200,
                    html="<p>Dear Ben</p>" * 200,
                ),
            )
        rows = {r.idempotency_key: r for r in session.scalars(select(OutboxMessage))}
        for key, status, age in (
            ("old-sent", "sent", 40),
            ("new-sent", "sent", 5),
            ("old-failed", "failed", 40),
        ):
            rows[key].status, rows[key].sent_at = status, now - timedelta(days=age)
            rows[key].provider_id = f"<{key}@oakfield.example>"
        fingerprint = body_sha256(rows["old-sent"])
        for school, age in (("oak", 200), ("oak", 100), ("oak", 10), ("elm", 300)):
            session.add(
                SweepRun(
                    school_id=school, as_of=date(2026, 1, 1), started_at=now - timedelta(days=age)
                )
            )
        session.add(
            MailSend(
                mailbox="bot@oakfield.example", at=now - timedelta(days=3), recipients=2, done=True
            )
        )

    kept = run_maintenance(store, RetentionSettings(), [], now)

    assert (kept.bodies, kept.sweep_runs, kept.pacing_rows) == (1, 2, 1)
    with store.session() as session:
        rows = {r.idempotency_key: r for r in session.scalars(select(OutboxMessage))}
        old = rows["old-sent"]
        assert old.payload == {} and old.body_dropped_at == now
        assert old.body_sha256 == fingerprint  # the evidence: who, what, when, id, hash
        assert old.recipients == ["ben.teacher@oakfield.example"]
        assert old.cc == ["head@oakfield.example"]
        assert old.subject.startswith("Please acknowledge")
        assert old.provider_id == "<old-sent@oakfield.example>" and old.sent_at is not None
        for key in ("new-sent", "old-failed", "waiting"):  # too recent, or a person may resend
            assert rows[key].payload["text"].startswith("Dear Ben")
            assert rows[key].body_dropped_at is None
        ages = sorted(
            (r.school_id, (now - r.started_at).days) for r in session.scalars(select(SweepRun))
        )
        assert ages == [("elm", 300), ("oak", 10)]  # each school's newest run stays
        actions = [e.action for e in session.scalars(select(AuditEvent))]
        assert actions.count("outbox.bodies_dropped") == 1
        assert actions.count("sweep_runs.purged") == 1
        details = [e.details for e in session.scalars(select(AuditEvent))]
        assert all("Ben" not in str(d) for d in details)  # counts only, never content
    again = run_maintenance(store, RetentionSettings(), [], now)
    assert (again.bodies, again.sweep_runs, again.pacing_rows) == (0, 0, 0)
    store.dispose()


NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
BODY = "Please read and acknowledge the Online Safety Policy before Friday. " * 70  # ~4.7 KB


def _queue_delivered(store: Store, count: int) -> dict[str, dict[str, Any]]:
    """Queue ``count`` digests with ~9 KB bodies, delivered 40 days before NOW; their rows."""
    with store.transaction() as session:
        session.merge(School(id="oak", name="Oakfield"))
        session.flush()
        for i in range(count):
            enqueue_email(
                session,
                school_id="oak",
                key=f"digest:{i}",
                purpose="reminder",
                urgency=Urgency.ROUTINE,
                draft=EmailDraft(
                    to=(f"p{i}@oakfield.example",),
                    cc=(("head@oakfield.example",) if i % 2 else ()),
                    subject=f"Your compliance digest ({i})",
                    text=f"{i} {BODY}",
                    html=f"<p>{i} {BODY}</p>",
                ),
            )
        session.execute(
            update(OutboxMessage).values(
                status="sent",
                sent_at=NOW - timedelta(days=40),
                attempts=1,
                provider_id=OutboxMessage.idempotency_key + "@graph",
            )
        )
    with store.session() as session:
        return {
            row.idempotency_key: row._asdict()
            for row in session.execute(select(OutboxMessage.__table__))
        }


def _outbox_page_use(store: Store) -> float:
    """The share of the outbox table's pages that holds data (SQLite's dbstat)."""
    with store.engine.connect() as conn:
        size, unused = conn.execute(
            text("SELECT SUM(pgsize), SUM(unused) FROM dbstat WHERE name = 'outbox'")
        ).one()
    return 1 - float(unused) / float(size)


def test_dropping_bodies_keeps_every_other_column_and_frees_the_space(database_url: str) -> None:
    store = Store(database_url, keys=TEST_KEYS)
    store.upgrade()
    before = _queue_delivered(store, 120)
    fingerprints = {key: body_sha256(SimpleNamespace(**row)) for key, row in before.items()}

    kept = run_maintenance(store, RetentionSettings(), [], NOW)

    assert kept.bodies == 120
    with store.session() as session:
        after = {
            row.idempotency_key: row._asdict()
            for row in session.execute(select(OutboxMessage.__table__))
        }
    assert after.keys() == before.keys()
    for key, row in after.items():
        assert row["payload"] == {} and row["body_dropped_at"] == NOW
        assert row["body_sha256"] == fingerprints[key]
        evidence = ("payload", "body_sha256", "body_dropped_at")
        assert {k: v for k, v in row.items() if k not in evidence} == {
            k: v for k, v in before[key].items() if k not in evidence
        }  # same id, who, when...
    space = store.space()
    if space is None:  # PostgreSQL: autovacuum reuses the space; nothing to give back
        assert (kept.space_returned, kept.space_stuck) == (0, 0)
    else:
        # the rows were rewritten, not shrunk in place: their pages are full, not 3/4 empty
        assert _outbox_page_use(store) > 0.6
        assert kept.space_returned > 120 * 9000  # the bodies went back to the disk ...
        assert space.free_bytes == 0 and space.file_bytes == space.used_bytes  # ... and the log
        assert (space.returns_free_space, kept.space_stuck) == (True, 0)
    store.dispose()


def test_an_older_sqlite_file_reuses_its_free_pages_until_compacted(sqlite_url: str) -> None:
    store = Store(sqlite_url, keys=TEST_KEYS)
    store.upgrade()
    database = store.engine.url.database
    assert database is not None
    with closing(sqlite3.connect(database)) as old:  # as a version before auto_vacuum made it
        old.executescript("PRAGMA auto_vacuum=NONE; VACUUM;")
    before = _queue_delivered(store, 60)

    kept = run_maintenance(store, RetentionSettings(), [], NOW)

    space = store.space()
    assert space is not None and not space.returns_free_space
    assert kept.space_returned == 0 and kept.space_stuck == space.free_bytes > 60 * 9000
    assert not kept.should_compact  # half a megabyte is not worth a rewrite
    compacted = store.compact()
    assert compacted is not None and compacted.returns_free_space
    assert compacted.free_bytes == 0 and compacted.file_bytes < space.file_bytes - 60 * 9000
    with store.session() as session:
        rows = {
            row.idempotency_key: row
            for row in session.execute(
                select(
                    OutboxMessage.idempotency_key,
                    OutboxMessage.provider_id,
                    OutboxMessage.body_sha256,
                )
            )
        }
    assert rows.keys() == before.keys()
    assert all(row.provider_id == f"{key}@graph" and row.body_sha256 for key, row in rows.items())
    store.dispose()


def test_a_busy_sqlite_file_gives_its_space_back_at_the_next_run(sqlite_url: str) -> None:
    store = Store(sqlite_url, keys=TEST_KEYS)
    event.listen(
        store.engine,
        "connect",  # after the store's own pragmas: wait briefly
        lambda conn, _record: conn.execute("PRAGMA busy_timeout=50"),
    )
    store.upgrade()
    _queue_delivered(store, 30)
    with store.transaction() as session:  # leaves ~30 free pages of bodies in the file
        session.execute(delete(OutboxMessage))
    database = store.engine.url.database
    assert database is not None
    with closing(sqlite3.connect(database)) as writer:
        writer.execute("BEGIN IMMEDIATE")  # another process writing, past the busy timeout
        assert store.release_free_space() == 0  # no error: it waits for the next run
        writer.rollback()
    space = store.space()
    assert space is not None and space.free_bytes > 30 * 9000  # reused meanwhile, not lost
    assert store.release_free_space() > 30 * 9000
    store.dispose()
