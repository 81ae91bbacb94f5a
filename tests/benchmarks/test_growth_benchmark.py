"""Benchmark: database growth per digest day for a school, before and after retention.

Run with ``uv run pytest -n0 -m benchmark tests/benchmarks/test_growth_benchmark.py -s`` (add
``COMPLIANCE_BOT_TEST_POSTGRES_URL`` for PostgreSQL). Each simulated day queues a digest a person
(1,000 people over 2 days; 10,000 over 3 with ``COMPLIANCE_BOT_BENCH=full``)
of about 9.5 KB each (the size the issue measured: +95 MB a day), delivers them, and — once
their retention has passed — runs maintenance, which keeps each message's evidence and drops
its body. Growth is the mean daily difference from the end of day one to the end of the last day
(day one leaves the free space later days reuse),
each after maintenance, in two figures:

- **on disk**: SQLite's files (the database and its write-ahead log); PostgreSQL's
  ``pg_database_size`` after ``VACUUM`` (space freed inside a table is reused, not returned);
- **in use**: SQLite's pages in use (free pages left out, but a half-empty page counts whole);
  PostgreSQL's relations less their free space (``pgstattuple``; "n/a" without it).

The tables and indexes that grew are listed (SQLite: ``dbstat``, bytes in pages in use).
Only correctness is asserted; the figures are printed (the issue's target: < 10 MB a day).
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import text, update
from sqlalchemy.exc import DBAPIError

from bot.core.database.store import Store
from bot.core.deployment.settings import RetentionSettings
from bot.core.models import OutboxMessage, School, utcnow
from bot.core.outbox import EmailDraft, Urgency, enqueue_emails
from bot.engine.maintenance import run_maintenance
from tests.support.keys import TEST_KEYS
from tests.support.scale import bench_size

PEOPLE = bench_size(1_000, 10_000)
DAYS = bench_size(2, 3)
TEXT = "You have 3 things to do this week: read and acknowledge a policy. " * 45  # ~3 KB
HTML = "<tr><td>Online Safety Policy</td><td>due Friday 27 November</td></tr>" * 90  # ~6.5 KB


@dataclass(frozen=True)
class Size:
    """The database's size at one moment: on disk, in use, and in use by each table/index."""

    disk: int
    used: int | None
    parts: dict[str, int]


def _sqlite_size(store: Store) -> Size:
    space = store.space()
    assert space is not None
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name")).all()
    return Size(space.file_bytes, space.used_bytes, {name: int(size) for name, size in rows})


def _postgres_size(store: Store) -> Size:
    with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM"))
        disk = int(conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one())
        try:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS pgstattuple"))
        except DBAPIError:  # a server without the contrib module: no "in use" figure
            return Size(disk, None, {})
        rows = conn.execute(
            text(
                "SELECT c.relname, s.table_len - s.free_space FROM pg_class c "
                "CROSS JOIN LATERAL pgstattuple(c.oid) s "
                "WHERE c.relkind IN ('r', 'i', 't') AND c.relam IN (0, 2, 403) "
                "AND c.relnamespace IN ('public'::regnamespace, 'pg_toast'::regnamespace)"
            )
        ).all()
    parts = {name: int(size) for name, size in rows}
    return Size(disk, sum(parts.values()), parts)


def _size(store: Store) -> Size:
    return _sqlite_size(store) if store.is_sqlite else _postgres_size(store)


def _day(store: Store, day: int) -> None:
    """Queue and deliver one digest day; its messages count as sent ``day`` days ago + 31."""
    now = utcnow()
    with store.transaction() as session:
        enqueue_emails(
            session,
            school_id="bench",
            purpose="reminder",
            urgency=Urgency.ROUTINE,
            items=[
                (
                    f"reminder:bench:{i}:2026-11-{day + 10}",
                    EmailDraft(  # keys as the sweep makes
                        to=(f"firstname.lastname{i}@benchmark-academy.example",),
                        cc=(),
                        subject="Your compliance digest",
                        text=TEXT,
                        html=HTML,
                    ),
                )
                for i in range(PEOPLE)
            ],
        )
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.status == "pending")
            .values(
                status="sent",
                sent_at=now - timedelta(days=31),
                attempts=1,
                # a Message-ID as make_msgid writes it (the m365 and SMTP mailers keep it)
                provider_id="<176435280012."
                + OutboxMessage.idempotency_key
                + "@mail.benchmark-academy.example>",
            )
        )


def _mb(size: int | None) -> str:
    return "n/a" if size is None else f"{size / (1024 * 1024):.1f} MB"


def _grew(before: int | None, after: int | None) -> int | None:
    return None if before is None or after is None else after - before


@pytest.mark.benchmark
def test_database_growth_per_digest_day_after_retention(database_url: str) -> None:
    store = Store(database_url, keys=TEST_KEYS)
    store.upgrade()
    with store.transaction() as session:
        session.add(School(id="bench", name="Benchmark Academy"))
    start = _size(store)
    _day(store, 1)
    raw = _size(store)
    began = time.perf_counter()
    assert run_maintenance(store, RetentionSettings(), [], utcnow()).bodies == PEOPLE
    seconds = time.perf_counter() - began
    sizes = [_size(store)]  # after each day and its maintenance; day one warms the free space
    for day in range(2, DAYS + 1):
        _day(store, day)
        assert run_maintenance(store, RetentionSettings(), [], utcnow()).bodies == PEOPLE
        sizes.append(_size(store))
    with store.session() as session:  # the evidence stays: who, what, when, provider id, hash
        kept = session.execute(
            text(
                "SELECT COUNT(*) FROM outbox WHERE body_sha256 IS NOT NULL AND provider_id IS NOT "
                "NULL AND sent_at IS NOT NULL AND recipients IS NOT NULL "
                "AND CAST(payload AS TEXT) = '{}'"
            )
        ).scalar_one()
    assert kept == DAYS * PEOPLE
    store.dispose()
    one, last, days = sizes[0], sizes[-1], DAYS - 1
    used = _grew(one.used, last.used)
    print(
        f"\nGrowth per digest day ({store.engine.dialect.name}, {PEOPLE:,} messages), "
        f"on disk / in use: with bodies {_mb(raw.disk - start.disk)} / "
        f"{_mb(_grew(start.used, raw.used))}; after retention, the mean of days 2-{DAYS}: "
        f"{_mb((last.disk - one.disk) // days)} / {_mb(None if used is None else used // days)}"
        f" (each day on disk: "
        f"{', '.join(_mb(b.disk - a.disk) for a, b in itertools.pairwise(sizes))}; evidence "
        f"kept: who, what, when, provider id, hash); maintenance of one day {seconds:.1f} s"
    )
    grown = sorted(
        (((last.parts.get(name, 0) - one.parts.get(name, 0)) // days, name) for name in last.parts),
        reverse=True,
    )
    print(
        "  in use a day: "
        + ", ".join(f"{name} {_mb(size)}" for size, name in grown[:6] if size > 0)
    )
