"""The database rate limit on SQLite and PostgreSQL: the window (time injected), keys that are
independent and never stored in clear, hits given back on rollback, idle rows pruned, and
concurrent sessions that cannot pass the limit together; the platforms' limits on the bots'
calls (``DatabasePacer``) counted the same way, all of a call's limits or none."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from bot.core.database.store import Store
from bot.core.guards.ratelimit import DatabasePacer, RateLimit, allowed, limit_key, take
from bot.core.models import RateLimitBucket
from bot.core.ports import Limit
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


# ------------------------------------------------------------------ the platforms' limits

WRITES = Limit("chat-writes:123456789012", 3, 60.0)
SPACE = Limit("chat-space:spaces/AAAA1", 1, 1.0)


class Clock:
    """Seconds since the epoch, moved by hand."""

    def __init__(self) -> None:
        self.now = NOW.timestamp()

    def __call__(self) -> float:
        return self.now


def test_platform_limits_are_counted_together_all_or_none_and_free_again(store: Store) -> None:
    clock = Clock()
    one, other = DatabasePacer(lambda: store, clock), DatabasePacer(lambda: store, clock)
    assert one.take([WRITES, SPACE]) == 0.0
    wait = other.take([WRITES, SPACE])  # the space's second write within the second
    assert 1.0 < wait <= 1.0 + 1.0 / 60 + 1e-6
    clock.now += wait
    assert other.take([WRITES, SPACE]) == 0.0
    assert one.take([WRITES]) == 0.0  # the project's third write of the minute
    assert 59.0 < other.take([WRITES]) <= 60.0 + 1.0  # the fourth waits for the first to leave
    clock.now += other.take([WRITES])
    assert one.take([WRITES]) == 0.0
    with store.session() as session:
        dump = " ".join(str(row) for row in session.execute(text("SELECT * FROM rate_limits")))
    assert "spaces/AAAA1" not in dump  # a space is a person's direct message: kept hashed


def test_workers_together_never_pass_a_platform_limit(store: Store) -> None:
    clock = Clock()
    limit = Limit("teams-feed:app@tenant", 4, 1.0)
    start = threading.Barrier(12)
    results: list[float] = []

    def call() -> None:
        start.wait()
        results.append(DatabasePacer(lambda: store, clock).take([limit]))

    threads = [threading.Thread(target=call) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results).count(0.0) == 4 and len(results) == 12  # 4 a second, 8 told to wait
