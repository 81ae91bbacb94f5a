"""Whether the scheduler of this process is running its jobs: a heartbeat job checks the
scheduler's lock every ``scheduler_beat_seconds`` and, while the lock is still ours, beats.

A scheduler that lost its lock stops (``schedules.runner``) and beats no more: two intervals
without a beat and ``/readyz`` fails with a short reason, and the head's and administrators'
dashboard says in plain words that the bot's regular jobs have stopped. A process without a
scheduler (``run --web-only``) has nothing to say here.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.clock import to_local
from bot.core.words import human_date

__all__ = ["SchedulerStopped", "beat", "due_by", "ended", "started", "stopped"]


@dataclass(frozen=True)
class SchedulerStopped:
    """The scheduler of this process has not run for two intervals: since when."""

    since: datetime  # its last beat (UTC)
    seconds: int  # how long ago

    @property
    def reason(self) -> str:
        """A short reason for ``/readyz`` (no path, host or lock detail)."""
        return f"scheduler not running: no run for {self.seconds} s"

    @property
    def said(self) -> str:
        """The same for the head and the administrators, in plain words."""
        local = to_local(self.since)
        return (
            f"The bot's regular jobs have not run since {human_date(local.date())} at "
            f"{local:%H:%M}: reminders, digests and the emails waiting in its queue are not "
            "being sent. Please tell whoever runs the bot for the school (your IT "
            "provider): restarting it starts them again."
        )


@dataclass
class _Beat:
    every: float  # seconds between beats
    last: datetime


_lock = threading.Lock()
_beat: _Beat | None = None


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


def stopped(now: datetime) -> SchedulerStopped | None:
    """The scheduler of this process when it has not run for two intervals; None when it has,
    or when this process runs no scheduler."""
    with _lock:
        state = None if _beat is None else _Beat(_beat.every, _beat.last)
    if state is None or now - state.last <= timedelta(seconds=2 * state.every):
        return None
    return SchedulerStopped(state.last, int((now - state.last).total_seconds()))


def due_by() -> datetime | None:
    """When the scheduler of this process counts as stopped unless it beats again (a page
    that says it runs is true until then); None when this process runs no scheduler."""
    with _lock:
        return None if _beat is None else _beat.last + timedelta(seconds=2 * _beat.every)
