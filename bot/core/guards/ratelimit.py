"""Rate limits kept in the database, so every web worker counts the same hits.

A hit is checked and recorded in the caller's transaction: the key's row is locked first (an
upsert — a row lock on PostgreSQL, the single write lock on SQLite), then counted, so two
concurrent requests can never both see room for the last hit. Committing with what the limit
protects (a stored report) means a request that fails gives its hit back. Keys are keyed
hashes: the database never holds an address in clear.

The platforms' own limits on the bots' calls (Google Chat's writes per project and per space,
its space set-ups, Teams' calls per app per tenant, Graph's directory reads per app per tenant,
the Admin SDK's per project and admin, Gmail's quota units per user and per project) are
counted the same way by :class:`DatabasePacer`, so any number of dispatch workers and web
processes keep them together.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from bot.core.database.store import Store, dialect_insert
from bot.core.models import RateLimitBucket
from bot.core.ports import Limit

__all__ = ["DatabasePacer", "RateLimit", "allowed", "limit_key", "lock_bucket", "take"]

PRUNE_BATCH = 200  # idle rows removed per prune (a steady trickle keeps the table small)
PRUNE_EVERY = timedelta(seconds=30)  # per scope and process: a busy form does not prune per hit
_pruned: dict[str, datetime] = {}  # scope -> when this process last pruned it


@dataclass(frozen=True)
class RateLimit:
    """At most ``limit`` hits per key in any ``window``; ``scope`` names what is limited."""

    scope: str
    limit: int
    window: timedelta


def limit_key(secret: str, rule: RateLimit, raw: str) -> str:
    """The stored key for ``raw`` (an address or an account): an HMAC, never the value."""
    message = f"{rule.scope}\0{raw}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _recent(hits: list[float], rule: RateLimit, now: datetime) -> list[float]:
    """The hits still inside the window at ``now``."""
    stamp, window = now.timestamp(), rule.window.total_seconds()
    return [float(h) for h in hits if stamp - float(h) < window]


def allowed(session: Session, rule: RateLimit, key: str, now: datetime) -> bool:
    """Whether one more hit would fit at ``now`` (reads only: :func:`take` decides)."""
    hits = session.scalar(
        select(RateLimitBucket.hits).where(
            RateLimitBucket.scope == rule.scope, RateLimitBucket.key == key
        )
    )
    return len(_recent(list(hits or []), rule, now)) < rule.limit


def take(session: Session, rule: RateLimit, key: str, now: datetime) -> bool:
    """Record one hit for ``key`` at ``now`` if it fits; False (nothing recorded) when full.

    Call it in the transaction that does the limited work, and commit them together. The
    key's row stays locked from the call to the commit, and one key may be a whole school
    behind one address: when the work takes a while, do it first and call this last, rolling
    the work back when the answer is False.

    Example::

        with store.transaction() as session:
            store_the_report(session)
            if not take(session, REPORTS, limit_key(secret, REPORTS, address), now):
                raise OverTheLimit  # rolls the report back
    """
    bucket_id, hits = lock_bucket(session, rule.scope, key, now)
    recent = _recent(hits, rule, now)
    fits = len(recent) < rule.limit
    _keep(session, bucket_id, [*recent, now.timestamp()] if fits else recent, rule, now)
    return fits


def _keep(
    session: Session, bucket_id: int, hits: list[Any], rule: RateLimit, now: datetime
) -> None:
    """Store a bucket's hits, and prune ``rule``'s scope now and then (``PRUNE_EVERY``)."""
    session.execute(
        update(RateLimitBucket)
        .where(RateLimitBucket.id == bucket_id)
        .values(hits=hits)
        .execution_options(synchronize_session=False)
    )
    last = _pruned.get(rule.scope)
    if last is None or not last <= now < last + PRUNE_EVERY:
        _pruned[rule.scope] = now
        _prune(session, rule, now)


def lock_bucket(session: Session, scope: str, key: str, now: datetime) -> tuple[int, list[float]]:
    """Lock ``key``'s row of ``scope`` for the rest of the transaction, made on first use: one
    upsert makes or touches it, holds it (a row lock on PostgreSQL, the single write lock on
    SQLite) and reads its id and hits."""
    insert = dialect_insert(session, RateLimitBucket).values(
        scope=scope, key=key, hits=[], updated_at=now
    )
    bucket_id, hits = session.execute(
        insert.on_conflict_do_update(
            index_elements=["scope", "key"], set_={"updated_at": insert.excluded.updated_at}
        ).returning(RateLimitBucket.id, RateLimitBucket.hits)
    ).one()
    return bucket_id, list(hits or [])


def _prune(session: Session, rule: RateLimit, now: datetime) -> None:
    """Delete a batch of this scope's rows idle for a whole window (their hits have expired).

    Rows another transaction holds are skipped (``SKIP LOCKED`` on PostgreSQL), so pruning
    never waits for, or deadlocks with, a request counting its own key.
    """
    idle = (
        select(RateLimitBucket.id)
        .where(RateLimitBucket.scope == rule.scope, RateLimitBucket.updated_at <= now - rule.window)
        .limit(PRUNE_BATCH)
        .with_for_update(skip_locked=True)
    )
    session.execute(
        delete(RateLimitBucket)
        .where(RateLimitBucket.id.in_(idle))
        .execution_options(synchronize_session=False)
    )


SLOTS = 60  # a platform limit's window is counted in this many slots (a minute: by the second)


class DatabasePacer:
    """Platform limits (``bot.core.ports.Limit``) counted in the database: a ``Pacer`` every
    process shares. Each limit's calls are kept as counts per slot of ``window / SLOTS``
    seconds (a minute's 3,000 writes are 60 numbers, not 3,000), and a slot counts while any
    of it is inside the window: never more than ``calls`` in any window, at worst one slot's
    worth fewer. Times are the computers' clocks (``time.time``), as every worker reads its own.

    Args:
        store: the migrated store (asked for on first use).
        clock: seconds since the epoch; injectable for tests.
    """

    def __init__(self, store: Callable[[], Store], clock: Callable[[], float] = time.time):
        self._store, self._clock = store, clock

    def take(self, limits: Sequence[Limit]) -> float:
        """Count one call under every one of ``limits`` if all have room now (0.0), in one
        transaction with their rows locked (in key order: no two workers deadlock); else count
        nothing and return the seconds until they would."""
        now = self._clock()
        at = datetime.fromtimestamp(now, UTC)
        with self._store().transaction() as session:
            held = [
                (limit, *lock_bucket(session, _scope(limit), _hashed(limit), at))
                for limit in sorted(limits, key=lambda limit: limit.key)
            ]
            counted = [(limit, row, _live(hits, limit, now)) for limit, row, hits in held]
            wait = max((_wait(live, limit, now) for limit, _, live in counted), default=0.0)
            if wait > 0:
                return wait
            for limit, row, live in counted:
                slot = now - now % (limit.window / SLOTS)
                if live and live[-1][0] == slot:
                    live[-1][1] += limit.cost
                else:
                    live.append([slot, limit.cost])
                rule = RateLimit(_scope(limit), limit.calls, timedelta(seconds=limit.window))
                _keep(session, row, live, rule, at)
        return 0.0


def _scope(limit: Limit) -> str:
    """The rows of limits of one window share a scope (pruned by that window)."""
    return f"platform-{limit.window:g}s"


def _hashed(limit: Limit) -> str:
    """The stored key: a hash (a space's name is the person's direct message)."""
    return hashlib.sha256(limit.key.encode()).hexdigest()


def _live(hits: Sequence[Any], limit: Limit, now: float) -> list[list[float]]:
    """The ``[slot start, calls]`` still (partly) inside the window at ``now``."""
    width = limit.window / SLOTS
    return [[float(t), int(n)] for t, n in hits if float(t) + width > now - limit.window]


def _wait(live: list[list[float]], limit: Limit, now: float) -> float:
    """Seconds until one more call fits (0.0: now): until enough of the oldest slots leave."""
    used, room = sum(int(n) for _, n in live), limit.calls - limit.cost  # units a call spends
    for start, n in live:  # oldest first
        if used <= room:
            break
        used -= int(n)
        leaves = start + limit.window / SLOTS + limit.window
        if used <= room:
            return max(leaves - now, 0.001)
    return 0.0
