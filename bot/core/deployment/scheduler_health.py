"""Whether the scheduler is running its jobs: a heartbeat job checks the scheduler's lock
every ``scheduler_beat_seconds`` and, while the lock is still ours, beats.

A scheduler that lost its lock stops (``schedules.runner``) and beats no more: two intervals
without a beat and ``/readyz`` fails with a short reason, and the head's and administrators'
dashboard says in plain words that the bot's regular jobs have stopped. On PostgreSQL the
scheduler also keeps its beat in the database (``SchedulerBeat``), so a process without a
scheduler (``run --web-only``), which ``watch``es, judges whether any scheduler runs; on SQLite
such a process judges only the database (the beat is not stored: one host, one file). The
stored beat carries a keyed seal (``beat_seal``): one written without the audit key is no beat,
and ``audit verify`` names it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, select
from sqlalchemy.exc import SQLAlchemyError

from bot.core.audit.batches import canon
from bot.core.audit.chain import keyed_digest
from bot.core.days.clock import to_local
from bot.core.guards.keys import Keyring, key_id
from bot.core.language.i18n import N_, Msg
from bot.core.models import SchedulerBeat

__all__ = [
    "SchedulerStopped",
    "beat",
    "beat_is_ours",
    "beat_seal",
    "ended",
    "started",
    "stopped",
    "watch",
]


@dataclass(frozen=True)
class SchedulerStopped:
    """The scheduler has not run for two intervals: since when (None: no scheduler has run
    at all since this process began to watch)."""

    since: datetime | None  # its last beat (UTC)
    seconds: int  # how long ago (or since watching began)

    @property
    def reason(self) -> str:
        """A short reason for ``/readyz`` (no path, host or lock detail)."""
        return f"scheduler not running: no run for {self.seconds} s"

    @property
    def said(self) -> Msg:
        """The same for the head and the administrators, in plain words (said where shown)."""
        if self.since is None:
            return Msg(
                N_(
                    "The bot's regular jobs are not running: reminders, digests and the emails "
                    "waiting in its queue are not being sent. Please tell whoever runs the bot "
                    "for the school (your IT provider): restarting it starts them again."
                )
            )
        local = to_local(self.since)
        return Msg(
            N_(
                "The bot's regular jobs have not run since %(day)s at %(time)s: reminders, digests "
                "and the emails waiting in its queue are not being sent. Please tell whoever runs "
                "the bot for the school (your IT provider): restarting it starts them again."
            ),
            day=local.date(),
            time=f"{local:%H:%M}",
        )


@dataclass
class _Beat:
    every: float  # seconds between beats
    last: datetime
    never: bool = False  # ``last`` is when watching began: no beat was ever stored


_lock = threading.Lock()
_beat: _Beat | None = None  # this process's own scheduler
_watch: _Beat | None = None  # no scheduler here: the database's beat is judged (PostgreSQL)
_keys: Keyring | None = None  # what the stored beat's seal is checked with


def beat_seal(keys: Keyring | None, beat_at: datetime, every_seconds: int) -> str | None:
    """The stored beat's seal: its time and interval, keyed with the audit key (None without
    one)."""
    return None if keys is None else _seal(keys.current, beat_at, every_seconds)


def _seal(key: bytes, beat_at: datetime, every_seconds: int) -> str:
    """A beat's seal made with ``key``: its key's id, then the keyed digest."""
    body = f"scheduler-beat|{canon(beat_at)}|{every_seconds}".encode()
    return f"{key_id(key)}:{keyed_digest(key, body)[:32]}"


def _sealed(keys: Keyring | None, seal: str | None, beat_at: datetime, every: int) -> bool:
    """Whether a stored beat's seal was made with a key of ``keys`` (no keys: any beat)."""
    if keys is None:
        return True
    key = keys.find((seal or "").partition(":")[0])
    return key is not None and _seal(key, beat_at, every) == seal


# the stored beat (one row)
_STORED = select(SchedulerBeat.beat_at, SchedulerBeat.every_seconds, SchedulerBeat.seal)


def beat_is_ours(conn: Connection, keys: Keyring | None) -> bool:
    """Whether the stored beat, if any, was written by the bot (``audit verify``)."""
    row = conn.execute(_STORED).first()
    return row is None or _sealed(keys, row.seal, row.beat_at, row.every_seconds)


def started(every: float, now: datetime) -> None:
    """A scheduler started in this process, beating every ``every`` seconds."""
    global _beat
    with _lock:
        _beat = _Beat(every, now)


def beat(now: datetime) -> None:
    """The scheduler checked that its lock is still its own, and runs."""
    with _lock:
        if _beat is not None:
            _beat.last = max(_beat.last, now)


def ended() -> None:
    """The scheduler of this process was shut down on purpose (the process is stopping)."""
    global _beat
    with _lock:
        _beat = None


def watch(every: float, now: datetime, keys: Keyring | None = None) -> None:
    """This process (PostgreSQL) judges the beat the schedulers keep in the database, from
    ``now``: with none stored (or none sealed with ``keys``), no scheduler runs once two
    intervals have passed."""
    global _watch, _keys
    with _lock:
        _watch, _keys = _Beat(every, now), keys


def _judged(conn: Connection | None) -> _Beat | None:
    """The beat to judge: this process's scheduler's; else, when watching, the stored one
    (its own interval), or the start of watching while none is stored (or it cannot be read:
    a database that cannot answer is ``/readyz``'s own failure)."""
    with _lock:
        own = None if _beat is None else _Beat(_beat.every, _beat.last)
        watching = None if _watch is None else _Beat(_watch.every, _watch.last)
    if own is not None or watching is None or conn is None:
        return own
    try:
        row = conn.execute(_STORED.where(SchedulerBeat.id == 1)).first()
    except SQLAlchemyError:
        return None
    if row is None or not _sealed(_keys, row.seal, row.beat_at, row.every_seconds):
        return _Beat(watching.every, watching.last, never=True)
    return _Beat(float(row.every_seconds), row.beat_at)


def stopped(now: datetime, conn: Connection | None = None) -> SchedulerStopped | None:
    """The scheduler when it has not run for two intervals (this process's own; else, on
    PostgreSQL with ``conn``, any scheduler's); None when it has, or nothing is judged."""
    state = _judged(conn)
    if state is None or now - state.last <= timedelta(seconds=2 * state.every):
        return None
    return SchedulerStopped(
        None if state.never else state.last, int((now - state.last).total_seconds())
    )
