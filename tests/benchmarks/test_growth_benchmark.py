"""Benchmark: database growth per digest day at 10,000 staff, before and after retention.

Run with ``uv run pytest tests/benchmarks/test_growth_benchmark.py -s`` (add
``COMPLIANCE_BOT_TEST_POSTGRES_URL`` for PostgreSQL). Each simulated day queues 10,000 digests
of about 9.5 KB each (the size the issue measured: +95 MB a day), delivers them, and — once
their retention has passed — runs maintenance, which keeps each message's evidence and drops
its body. Growth is the difference in the space the database uses between the end of day one
and the end of day two (freed space is reused: SQLite's free pages, PostgreSQL after VACUUM).
Only correctness is asserted; the figures are printed (the issue's target: < 10 MB a day).
"""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from sqlalchemy import text, update

from bot.core.models import OutboxMessage, School, utcnow
from bot.core.outbox import EmailDraft, enqueue_emails
from bot.core.settings import RetentionSettings
from bot.core.store import Store
from bot.engine.maintenance import run_maintenance

PEOPLE = int(os.environ.get("COMPLIANCE_BOT_BENCH_PEOPLE", "10000"))
TEXT = "You have 3 things to do this week: read and acknowledge a policy. " * 45  # ~3 KB
HTML = "<tr><td>Online Safety Policy</td><td>due Friday 27 November</td></tr>" * 90  # ~6.5 KB


def _used_bytes(store: Store) -> int:
    if store.is_sqlite:
        with store.engine.connect() as conn:
            pages = conn.execute(text("PRAGMA page_count")).scalar_one()
            free = conn.execute(text("PRAGMA freelist_count")).scalar_one()
            size = conn.execute(text("PRAGMA page_size")).scalar_one()
        return int((pages - free) * size)
    with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM"))
        return int(conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one())


def _day(store: Store, day: int) -> None:
    """Queue and deliver one digest day; its messages count as sent ``day`` days ago + 31."""
    now = utcnow()
    with store.transaction() as session:
        enqueue_emails(session, school_id="bench", purpose="reminder", items=[
            (f"digest:{day}:{i}", EmailDraft(
                to=(f"p{i}@bench.example",), cc=(), subject="Your compliance digest",
                text=TEXT, html=HTML))
            for i in range(PEOPLE)
        ])
        session.execute(
            update(OutboxMessage).where(OutboxMessage.status == "pending")
            .values(status="sent", sent_at=now - timedelta(days=31), provider_id="<id@x>")
        )


@pytest.mark.benchmark
def test_database_growth_per_digest_day_after_retention(database_url: str) -> None:
    store = Store(database_url)
    store.upgrade()
    with store.transaction() as session:
        session.add(School(id="bench", name="Benchmark Academy"))
    start = _used_bytes(store)
    _day(store, 1)
    raw = _used_bytes(store) - start
    kept = run_maintenance(store, RetentionSettings(), [], utcnow())
    assert kept.bodies == PEOPLE
    after_one = _used_bytes(store)
    _day(store, 2)
    assert run_maintenance(store, RetentionSettings(), [], utcnow()).bodies == PEOPLE
    growth = _used_bytes(store) - after_one
    store.dispose()
    mb = 1024 * 1024
    print(f"\nGrowth per digest day ({store.engine.dialect.name}, {PEOPLE:,} messages): "
          f"{raw / mb:.1f} MB with bodies, {growth / mb:.1f} MB after retention "
          f"(evidence kept: who, what, when, provider id, hash)")
