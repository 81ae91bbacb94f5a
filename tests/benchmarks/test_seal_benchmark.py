"""Benchmark: what sealing costs on the bulk paths — 10,000 outbox rows (6,000 unless
``COMPLIANCE_BOT_BENCH=full``: still two audit entries) marked sent in one transaction (a digest
morning's queue delivered), and as many queued (not sealed: the baseline).

Run with ``uv run pytest tests/benchmarks/test_seal_benchmark.py -m benchmark -s`` (add
``COMPLIANCE_BOT_TEST_POSTGRES_URL`` for PostgreSQL too). Printed: the seconds for the queue,
for marking every row sent (the triggers note them, the commit reads them back and writes
their keyed digests: two audit entries of 5,000 rows), and the audit entries written. Only
correctness is asserted: the log and every row verify.
"""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bot.core.audit.check import check
from bot.core.database.store import Store
from bot.core.models import AuditEvent, OutboxMessage, School
from bot.core.outbox import EmailDraft, Urgency, enqueue_emails
from tests.support.keys import TEST_KEYS
from tests.support.scale import bench_size

ROWS = bench_size(6_000, 10_000)


def _circumstances(session: Session, before: int, after: int) -> str:
    """What a failure needs to be understood: the log's entries, the rows noted and not
    sealed, the triggers in place and this connection's tag (seen on CI once, not since)."""
    noted = session.execute(text("SELECT tag, count(*) FROM seal_queue GROUP BY tag")).all()
    if session.get_bind().dialect.name == "postgresql":
        triggers = session.scalar(
            text("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'seal_outbox_%'")
        )
        tag = session.scalar(text("SELECT current_setting('compliance_bot.seal_tag', true)"))
    else:
        triggers = session.scalar(
            text("SELECT count(*) FROM sqlite_master WHERE name LIKE 'seal_outbox_%'")
        )
        tag = "(a function)"
    return (
        f"audit entries before {before}, after {after}; rows noted and not sealed "
        f"{[(t[:6], n) for t, n in noted]}; outbox triggers {triggers}; "
        f"the connection's tag {(tag or 'none')[:6]}; its info {session.connection().info}"
    )


@pytest.mark.benchmark
def test_sealing_thousands_of_sent_messages(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    store = Store(database_url, keys=TEST_KEYS)
    store.upgrade()
    with store.transaction() as session:
        session.add(School(id="oak", name="Oak"))
    drafts = [
        (
            f"bench:{i}",
            EmailDraft(
                to=(f"p{i}@oak.example",),
                subject="Please read it",
                text="The policy has changed.",
                html="<p>Changed.</p>",
            ),
        )
        for i in range(ROWS)
    ]
    started = time.perf_counter()
    with store.transaction() as session:
        enqueue_emails(
            session, school_id="oak", purpose="reminder", urgency=Urgency.ROUTINE, items=drafts
        )
    queued = time.perf_counter() - started
    with store.session() as session:
        before = session.scalar(select(func.count()).select_from(AuditEvent)) or 0
    started = time.perf_counter()
    with store.transaction() as session:
        session.execute(update(OutboxMessage).values(status="sent", provider_id="p"))
    sent = time.perf_counter() - started
    with store.session() as session:
        after = session.scalar(select(func.count()).select_from(AuditEvent)) or 0
        verdict = check(session)
        circumstances = "" if verdict.ok else _circumstances(session, before, after)
    store.dispose()
    assert verdict.ok, f"{verdict.problems[:2]} ({circumstances})"
    assert verdict.records["sent_message"] == ROWS
    with capsys.disabled():
        print(
            f"\nsealing ({make_url(database_url).get_backend_name()}): {ROWS:,} queued in "
            f"{queued:.2f} s (not sealed); all marked sent and sealed in {sent:.2f} s, "
            f"{after - before} audit entries"
        )
