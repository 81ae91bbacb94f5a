"""Rate limits kept in the database, so every web worker counts the same hits.

A hit is checked and recorded in the caller's transaction: the key's row is locked first (an
upsert — a row lock on PostgreSQL, the single write lock on SQLite), then counted, so two
concurrent requests can never both see room for the last hit. Committing with what the limit
protects (a stored report) means a request that fails gives its hit back. Keys are keyed
hashes: the database never holds an address in clear.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from bot.core.models import RateLimitBucket
from bot.core.store import dialect_insert

__all__ = ["RateLimit", "allowed", "limit_key", "lock_bucket", "take"]

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
    session.execute(
        update(RateLimitBucket)
        .where(RateLimitBucket.id == bucket_id)
        .values(hits=[*recent, now.timestamp()] if fits else recent)
        .execution_options(synchronize_session=False)
    )
    last = _pruned.get(rule.scope)
    if last is None or not last <= now < last + PRUNE_EVERY:
        _pruned[rule.scope] = now
        _prune(session, rule, now)
    return fits


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
        .where(
            RateLimitBucket.scope == rule.scope,
            RateLimitBucket.updated_at <= now - rule.window,
        )
        .limit(PRUNE_BATCH)
        .with_for_update(skip_locked=True)
    )
    session.execute(
        delete(RateLimitBucket)
        .where(RateLimitBucket.id.in_(idle))
        .execution_options(synchronize_session=False)
    )
