"""Why a queued message has not gone yet, and when it will: in words a school business manager
reads in ``outbox`` and in the sweep summary (the sending window, a platform's pause, a retry)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.clock import local_today, to_local
from bot.core.models import OutboxMessage
from bot.core.outbox.pause import DAILY_LIMIT_REASON, ChannelState, channel_of, channel_states

__all__ = ["Waiting", "lane_of", "pending_summary", "when_words", "why_waiting"]


def when_words(moment: datetime, now: datetime) -> str:
    """``today at 08:00``, ``tomorrow at 08:00`` or ``Mon 23 Nov at 08:00`` (school's zone)."""
    local = to_local(moment)
    days = (local.date() - local_today(now)).days
    day = {0: "today", 1: "tomorrow"}.get(days, f"{local:%a} {local.day} {local:%b}")
    return f"{day} at {local:%H:%M}"


@dataclass(frozen=True)
class Waiting:
    """One reason messages wait, how many do, and when the first of them goes."""

    reason: str
    count: int
    goes: datetime | None

    def sentence(self, now: datetime) -> str:
        """E.g. ``12 wait for the school's sending window: they go tomorrow at 08:00.``"""
        they = "it goes" if self.count == 1 else "they go"
        verb = "waits" if self.count == 1 else "wait"
        if self.goes is None or self.goes <= now:
            return f"{self.count} {'is' if self.count == 1 else 'are'} due: {they} " + (
                "at the next delivery run (every few minutes while `compliance-bot run` is "
                "running, or run `compliance-bot sweep`)."
            )
        return f"{self.count} {verb} {self.reason}: {they} {when_words(self.goes, now)}."


def lane_of(channel: str, school_id: str | None, senders: Mapping[str, str]) -> str:
    """Where a row is sent from, as its pause is kept: its school's own mailbox (``senders``:
    school id -> address) for email, else its channel."""
    return senders.get(school_id or "", channel) if channel == "email" else channel


def why_waiting(
    lane: str,
    next_attempt_at: datetime,
    attempts: int,
    pauses: Mapping[str, ChannelState],
    now: datetime,
) -> tuple[str, datetime | None]:
    """Why one pending message has not gone (a phrase after "waits") and when it may go;
    ``("", None)`` when it is due now. ``lane``: its channel, or its school's own mailbox
    (``lane_of``)."""
    pause = pauses.get(lane)
    own = lane != channel_of(lane)  # a school's own mailbox: named, only its mail waits
    if pause is not None and pause.paused(now):
        what = f"sending from {lane}" if own else f"{pause.what.lower()} sending"
        why = f"because {what} is paused after the platform asked the bot to slow down"
        if pause.reason == DAILY_LIMIT_REASON:
            why = (
                f"because {lane if own else 'the sending mailbox'} has sent as much as its "
                "platform allows in 24 hours"
            )
        return why, max(next_attempt_at, pause.paused_until or now)
    if next_attempt_at <= now:
        return "", None
    if attempts == 0:
        return "for the school's sending window", next_attempt_at
    times = "once" if attempts == 1 else f"{attempts} times"
    return f"to be tried again (tried {times}; the platform said not yet)", next_attempt_at


def pending_summary(
    session: Session, now: datetime, school_ids: list[str] | None = None,
    senders: Mapping[str, str] | None = None,
) -> list[Waiting]:
    """The pending messages grouped by why they wait, soonest first (a few queries, no loop
    over every row's content); ``senders``: the schools' own mailboxes (``lane_of``)."""
    query = select(
        OutboxMessage.channel, OutboxMessage.next_attempt_at, OutboxMessage.attempts,
        OutboxMessage.school_id,
    ).where(OutboxMessage.status == "pending")
    if school_ids is not None:
        query = query.where(OutboxMessage.school_id.in_(school_ids))
    pauses = channel_states(session)
    counts: Counter[str] = Counter()
    first: dict[str, datetime | None] = {}
    rows = session.execute(query.order_by(OutboxMessage.next_attempt_at)).yield_per(500)
    for channel, next_attempt_at, attempts, school_id in rows:
        lane = lane_of(channel, school_id, senders or {})
        reason, goes = why_waiting(lane, next_attempt_at, attempts, pauses, now)
        counts[reason] += 1
        first.setdefault(reason, goes)
    return sorted(
        (Waiting(reason, n, first[reason]) for reason, n in counts.items()),
        key=lambda w: (w.goes is not None and w.goes > now, w.goes or now),
    )
