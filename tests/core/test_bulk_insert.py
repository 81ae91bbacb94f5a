"""bulk_insert writes what an INSERT would (COPY on PostgreSQL), in the caller's transaction."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.core.models import School
from bot.core.store import Store, bulk_insert

CREATED = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def test_rows_arrive_as_given_and_roll_back_with_the_transaction(database_url: str) -> None:
    store = Store(database_url)
    store.upgrade()
    rows = [{"id": f"s{n}", "name": f"St Mary's, \"Tab\there\" \\ {n}", "created_at": CREATED}
            for n in range(3)]
    with store.session() as session, session.begin():
        bulk_insert(session, School, rows)
        session.rollback()
    with store.session() as session:
        assert session.scalars(select(School)).all() == []
    with store.transaction() as session:
        bulk_insert(session, School, rows)
    with store.session() as session:
        schools = session.scalars(select(School).order_by(School.id))
        stored = [(s.id, s.name, s.created_at) for s in schools]
    assert stored == [(r["id"], r["name"], CREATED) for r in rows]


def test_a_column_with_a_default_must_be_given(database_url: str) -> None:
    store = Store(database_url)
    store.upgrade()
    with store.session() as session, pytest.raises(ValueError, match="needs created_at"):
        bulk_insert(session, School, [{"id": "s1", "name": "Oak"}])
