"""bulk_insert writes what an INSERT would (COPY on PostgreSQL), in the caller's transaction."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.core.models import School
from bot.core.store import Store, bulk_insert, one_of

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


def test_one_of_finds_exactly_the_values_given_a_chunk_at_a_time(database_url: str) -> None:
    store = Store(database_url)
    store.upgrade()
    rows = [{"id": f"s{n:05}", "name": "x", "created_at": CREATED} for n in range(6000)]
    wanted = [f"s{n:05}" for n in range(0, 6000, 3)] + ["nobody", "s'; --"]
    with store.transaction() as session:
        bulk_insert(session, School, rows)
        among, chunk = one_of(session, School.id, "ids")
        query = select(School.id).where(among)
        found = [school for start in range(0, len(wanted), chunk)
                 for school in session.scalars(query, {"ids": wanted[start:start + chunk]})]
    assert sorted(found) == wanted[:-2]
    assert chunk == (500 if store.is_sqlite else 5000)
