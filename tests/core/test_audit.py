"""The hash-chained audit log detects edits, deletions and truncation."""

from __future__ import annotations

from sqlalchemy import delete, text, update

from bot.core import audit
from bot.core.models import AuditEvent
from bot.core.store import Store


def _chain(store: Store, n: int = 5) -> None:
    with store.transaction() as session:
        for i in range(n):
            audit.record(session, actor=f"user{i}@x.org", action="report.viewed",
                         object_type="report", object_id=i, school_id="s", details={"i": i})


def test_chain_verifies_on_both_backends(database_url: str) -> None:
    store = Store(database_url)
    store.upgrade()
    _chain(store)
    with store.session() as session:
        result = audit.verify(session)
    assert result.ok and result.checked == 5
    with store.transaction() as session:
        session.execute(update(AuditEvent).where(AuditEvent.seq == 3).values(actor="someone@x.org"))
    with store.session() as session:
        broken = audit.verify(session)
    assert not broken.ok and broken.broken_seq == 3
    store.dispose()


def test_deleting_the_last_events_is_detected(sqlite_url: str) -> None:
    store = Store(sqlite_url)
    store.upgrade()
    _chain(store)
    with store.transaction() as session:
        session.execute(delete(AuditEvent).where(AuditEvent.seq >= 4))
    with store.session() as session:
        result = audit.verify(session)
    assert not result.ok and result.reason == "events after the last one were removed"


def test_raw_sql_edit_of_details_is_detected(sqlite_url: str) -> None:
    store = Store(sqlite_url)
    store.upgrade()
    _chain(store)
    with store.transaction() as session:
        session.execute(text("UPDATE audit_events SET details = '{\"i\": 99}' WHERE seq = 2"))
    with store.session() as session:
        assert audit.verify(session).broken_seq == 2
