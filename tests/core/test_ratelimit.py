"""The database rate limit on SQLite and PostgreSQL: the window (time injected), keys that are
independent and never stored in clear, hits given back on rollback, idle rows pruned, and
concurrent sessions that cannot pass the limit together."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from bot.core.models import RateLimitBucket
from bot.core.ratelimit import RateLimit, allowed, limit_key, take
from bot.core.store import Store
from tests.support.keys import TEST_KEYS

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
RULE = RateLimit("report", 5, timedelta(minutes=10))
SECRET = "test-secret-key-0123456789"


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    made = Store(database_url, keys=TEST_KEYS)
    made.upgrade()
    yield made
    made.dispose()


def _take(store: Store, key: str, now: datetime, rule: RateLimit = RULE) -> bool:
    with store.transaction() as session:
        return take(session, rule, key, now)


def test_the_window_slides_and_keys_are_independent(store: Store) -> None:
    a, b = limit_key(SECRET, RULE, "ip:203.0.113.9"), limit_key(SECRET, RULE, "ip:203.0.113.10")
    minute = timedelta(minutes=1)
    assert [_take(store, a, NOW + i * minute) for i in range(5)] == [True] * 5
    assert not _take(store, a, NOW + 5 * minute)  # a refused hit is not recorded...
    assert _take(store, b, NOW + 5 * minute)  # ...and another address is not affected
    with store.session() as session:
        assert not allowed(session, RULE, a, NOW + 9 * minute)
        assert allowed(session, RULE, a, NOW + 10 * minute)  # the first hit has expired
    assert _take(store, a, NOW + 10 * minute)
    assert not _take(store, a, NOW + 10 * minute)  # only one slot came free
    assert [_take(store, a, NOW + 11 * minute) for _ in range(2)] == [True, False]  # sliding


def test_scopes_are_independent_and_addresses_never_stored(store: Store) -> None:
    visits = RateLimit("visit", 1, timedelta(minutes=10))
    assert _take(store, limit_key(SECRET, RULE, "203.0.113.9"), NOW)
    assert _take(store, limit_key(SECRET, visits, "203.0.113.9"), NOW, visits)
    assert not _take(store, limit_key(SECRET, visits, "203.0.113.9"), NOW, visits)
    with store.session() as session:
        dump = " ".join(str(row) for row in session.execute(text("SELECT * FROM rate_limits")))
    assert "203.0.113" not in dump
    assert limit_key(SECRET, RULE, "x") != limit_key("another-secret-key-0123456789", RULE, "x")


def test_a_rolled_back_transaction_gives_its_hit_back(store: Store) -> None:
    key = limit_key(SECRET, RULE, "user:7")
    for _ in range(4):
        assert _take(store, key, NOW)
    with pytest.raises(RuntimeError), store.transaction() as session:
        assert take(session, RULE, key, NOW)
        raise RuntimeError("storing the report failed")
    assert _take(store, key, NOW)  # the fifth slot was still free
    assert not _take(store, key, NOW)


def test_idle_rows_are_pruned(store: Store) -> None:
    for number in range(30):
        assert _take(store, limit_key(SECRET, RULE, f"ip:10.0.0.{number}"), NOW)
    with store.transaction() as session:
        take(session, RULE, limit_key(SECRET, RULE, "ip:10.0.0.1"), NOW + timedelta(minutes=10))
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(RateLimitBucket)) == 1


def test_concurrent_sessions_cannot_pass_the_limit_together(store: Store) -> None:
    key = limit_key(SECRET, RULE, "ip:198.51.100.7")
    start = threading.Barrier(20)
    results: list[bool] = []
    errors: list[BaseException] = []

    def hit() -> None:
        try:
            start.wait()
            with store.transaction() as session:
                fits = take(session, RULE, key, NOW)
                # hold the transaction a moment, as storing a report does
                session.execute(select(func.count()).select_from(RateLimitBucket)).all()
            results.append(fits)
        except BaseException as exc:  # reported below, in the test thread
            errors.append(exc)

    threads = [threading.Thread(target=hit) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(results) == [False] * 15 + [True] * 5
    with store.session() as session:
        [hits] = session.scalars(select(RateLimitBucket.hits)).all()
    assert len(hits) == 5
