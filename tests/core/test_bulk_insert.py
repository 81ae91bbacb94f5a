"""bulk_insert writes what an INSERT would (COPY on PostgreSQL), in the caller's transaction;
allocate_ids hands out ids before the rows are written."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bot.core.database.store import Store, allocate_ids, bulk_insert, insert_later, one_of
from bot.core.models import OutboxMessage, Requirement, School
from tests.support.keys import TEST_KEYS

CREATED = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def test_rows_arrive_as_given_and_roll_back_with_the_transaction(database_url: str) -> None:
    store = Store(database_url, keys=TEST_KEYS)
    store.upgrade()
    rows = [
        {"id": f"s{n}", "name": f'St Mary\'s, "Tab\there" \\ {n}', "created_at": CREATED}
        for n in range(3)
    ]
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
    store = Store(database_url, keys=TEST_KEYS)
    store.upgrade()
    with store.session() as session, pytest.raises(ValueError, match="needs created_at"):
        bulk_insert(session, School, [{"id": "s1", "name": "Oak"}])


def test_one_of_finds_exactly_the_values_given_a_chunk_at_a_time(database_url: str) -> None:
    store = Store(database_url, keys=TEST_KEYS)
    store.upgrade()
    rows = [{"id": f"s{n:05}", "name": "x", "created_at": CREATED} for n in range(6000)]
    wanted = [f"s{n:05}" for n in range(0, 6000, 3)] + ["nobody", "s'; --"]
    with store.transaction() as session:
        bulk_insert(session, School, rows)
        among, chunk = one_of(session, School.id, "ids")
        query = select(School.id).where(among)
        found = [
            school
            for start in range(0, len(wanted), chunk)
            for school in session.scalars(query, {"ids": wanted[start : start + chunk]})
        ]
    assert sorted(found) == wanted[:-2]
    assert chunk == 5000  # one array (PostgreSQL) or one JSON list (SQLite) a statement


def _requirement(key: str, **given: object) -> dict[str, object]:
    return {
        "school_id": "oak",
        "key": key,
        "kind": "complete_training",
        "title": key,
        "policy_id": None,
        "spec": {},
        "active": True,
        "first_seen": CREATED.date(),
        **given,
    }


def test_allocated_ids_are_new_ascending_and_never_handed_out_again(database_url: str) -> None:
    store = Store(database_url, keys=TEST_KEYS)
    store.upgrade()
    with store.transaction() as session:
        bulk_insert(session, School, [{"id": "oak", "name": "Oak", "created_at": CREATED}])
        bulk_insert(session, Requirement, [_requirement("before")])
        assert allocate_ids(session, Requirement, 0) == []
        ids = allocate_ids(session, Requirement, 3)
        bulk_insert(
            session, Requirement, [_requirement(f"given{n}", id=i) for n, i in enumerate(ids)]
        )
        bulk_insert(session, Requirement, [_requirement("after")])  # the database's own id
    with store.session() as session:
        stored = {key: rid for key, rid in session.execute(select(Requirement.key, Requirement.id))}
    assert ids == sorted(set(ids)) and len(ids) == 3
    assert stored["before"] < ids[0] and stored["after"] > ids[-1]
    assert [stored[f"given{n}"] for n in range(3)] == ids


def test_two_writers_never_get_the_same_ids(database_url: str) -> None:
    store = Store(database_url, keys=TEST_KEYS)
    store.upgrade()
    first = store.session()
    first.begin()
    mine = allocate_ids(first, Requirement, 5)
    if store.is_sqlite:  # SQLite: the first holds the write lock until it ends
        path = make_url(database_url).database
        other = sqlite3.connect(str(path), timeout=0.05)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("INSERT INTO schools (id, name, created_at) VALUES ('elm', 'Elm', '')")
        other.close()
        first.rollback()
        first.close()
        return
    with store.session() as second, second.begin():  # PostgreSQL: the sequence serves both
        theirs = allocate_ids(second, Requirement, 5)
    first.rollback()
    first.close()
    assert not set(mine) & set(theirs)


def test_json_columns_arrive_as_given(database_url: str) -> None:
    store = Store(database_url, keys=TEST_KEYS)
    store.upgrade()
    awkward = 'Tab\there, new\nline, back\\slash, "quotes", \u00e9 \u2014 \U0001f600, \\N'
    payload = {
        "text": awkward,
        "slots": {"name": awkward},
        "parts": [[awkward, None], []],
        "n": 3,
        "empty": {},
    }
    row = {
        "school_id": "oak",
        "idempotency_key": "k1",
        "channel": "email",
        "purpose": "p",
        "urgency": 2,
        "recipients": [awkward],
        "cc": [],
        "subject": awkward,
        "payload": payload,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": CREATED,
        "created_at": CREATED,
    }
    with store.transaction() as session:
        bulk_insert(session, School, [{"id": "oak", "name": "Oak", "created_at": CREATED}])
        bulk_insert(session, OutboxMessage, [row])
    with store.session() as session:
        stored = session.scalars(select(OutboxMessage)).one()
        assert (stored.payload, stored.recipients, stored.cc, stored.subject) == (
            payload,
            [awkward],
            [],
            awkward,
        )


def test_prepared_writes_insert_their_rows_in_the_order_given(database_url: str) -> None:
    store = Store(database_url, keys=TEST_KEYS)
    store.upgrade()
    with store.transaction() as session:
        bulk_insert(session, School, [{"id": "oak", "name": "Oak", "created_at": CREATED}])
        first = insert_later(session, Requirement, [_requirement(f"r{n}") for n in range(3000)])
        then = insert_later(session, Requirement, [_requirement("last")])
        first()
        then()
        assert session.scalar(select(func.count()).select_from(Requirement)) == 3001
    with store.session() as session:  # committed with the transaction, in the order given
        keys = list(session.scalars(select(Requirement.key).order_by(Requirement.id)))
    assert keys == [f"r{n}" for n in range(3000)] + ["last"]


def test_a_failed_prepared_write_is_raised_and_the_transaction_rolls_back(
    database_url: str,
) -> None:
    store = Store(database_url, keys=TEST_KEYS)
    store.upgrade()
    with store.session() as session:
        session.begin()
        bulk_insert(session, School, [{"id": "oak", "name": "Oak", "created_at": CREATED}])
        with pytest.raises(Exception, match=r"(?i)unique"):  # the same key twice
            rows = [_requirement("same"), _requirement("same")]
            insert_later(session, Requirement, rows)()
        session.rollback()
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(School)) == 0
