"""Channel pauses: when a platform says "not now" or may have failed, its channel waits.

A 429 (or any ``RetryableError``: a quota, a refused connection, a setup refusal) and a
503/504 (``DeliveryUnknownError``) are facts about the *platform*, not about one message. The
dispatcher records them here, in the database, per channel (``card``, ``teams``) and per
sending mailbox (``email``: the install's; a school's own, by its address: Exchange's and
Gmail's limits are per mailbox, so one school's throttled mailbox holds only its own mail), so
every process — the scheduler, a ``sweep`` from the command line — sees the same pause and
claims nothing of that channel or mailbox until it ends. The wait is the platform's
``Retry-After`` when it gave one, else a backoff that doubles with each such answer in a row
(1, 2, 4 ... minutes, at most an hour, or six after unknown outcomes). Until the channel
delivers again, the dispatcher sends one message at a time (a probe), never a whole batch.
The first delivery ends it all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import BindParameter, ColumnElement

from bot.core.database.store import dialect_insert
from bot.core.language.i18n import N_
from bot.core.models import OutboxChannel

__all__ = [
    "CHANNEL_WORDS",
    "DAILY_LIMIT_REASON",
    "MAX_PAUSE",
    "ChannelState",
    "backoff",
    "channel_of",
    "channel_states",
    "is_paused",
    "pause",
    "resume",
]

MAX_PAUSE = timedelta(hours=24)  # a Retry-After beyond this is taken as a day
# the reason recorded when the dispatcher holds mail back for the mailbox's own 24-hour limit
# (stored in English; said in the reader's language from the catalogue where shown)
DAILY_LIMIT_REASON = N_("the sending mailbox reached its 24-hour limit")
# what a paused channel sends, in words (a school's own mailbox: ``ChannelState.what``),
# translated where shown (``bot.core.outbox.waiting.channel_words``)
CHANNEL_WORDS = {
    "email": N_("Email"),
    "card": N_("Teams/Chat cards"),
    "teams": N_("Cards in staff's Teams or Google Chat"),
}


def channel_of(lane: str) -> str:
    """The channel a lane's rows are queued on: a school's own mailbox (its address) sends
    ``email``; any other lane is its channel."""
    return "email" if "@" in lane else lane


def backoff(streak: int, *, unknown: bool = False) -> timedelta:
    """The wait after ``streak`` answers in a row with no Retry-After: 1, 2, 4 ... minutes, at
    most an hour after a "not now" (a probe costs nothing) and six hours after an unknown
    outcome (each probe may leave one more message uncertain)."""
    return timedelta(minutes=min(2 ** max(streak - 1, 0), 360 if unknown else 60))


@dataclass(frozen=True)
class ChannelState:
    """A channel as the dispatcher sees it: paused until when, after how many answers, why."""

    channel: str
    paused_until: datetime | None
    streak: int
    reason: str | None

    def paused(self, now: datetime) -> bool:
        """True while nothing of this channel may be claimed."""
        return self.paused_until is not None and self.paused_until > now

    @property
    def what(self) -> str:
        """What waits, in words: ``Email``, ``Email from office@school.example``..."""
        return CHANNEL_WORDS.get(self.channel) or f"Email from {self.channel}"

    @property
    def troubled(self) -> bool:
        """Paused since its last delivery (the pause may be over): send one at a time."""
        return self.paused_until is not None


def channel_states(session: Session) -> dict[str, ChannelState]:
    """Every channel that has met a "not now" or an unknown outcome, by name."""
    return {
        row.channel: ChannelState(row.channel, row.paused_until, row.streak, row.reason)
        for row in session.scalars(select(OutboxChannel))
    }


def is_paused(
    channel: ColumnElement[str] | str,
    now: datetime | BindParameter[datetime],
    *,
    unless: str | None = None,
) -> ColumnElement[bool]:
    """SQL: the channel is paused at ``now`` (for an atomic "claim unless paused"); a pause
    whose reason is ``unless`` does not count. ``now`` may be a bound parameter, for a
    statement built once and run many times."""
    paused = exists().where(
        OutboxChannel.channel == channel,
        OutboxChannel.paused_until.is_not(None),
        OutboxChannel.paused_until > now,
    )
    if unless is not None:
        paused = paused.where(OutboxChannel.reason.is_distinct_from(unless))
    return paused


def _state(session: Session, channel: str, now: datetime) -> OutboxChannel:
    """The channel's row, locked where the database can (created on first use: the upsert
    leaves one made by another dispatcher at the same moment as it is)."""
    session.execute(
        dialect_insert(session, OutboxChannel)
        .values(channel=channel, streak=0, updated_at=now)
        .on_conflict_do_nothing(index_elements=["channel"])
    )
    row = session.get(OutboxChannel, channel, with_for_update=True, populate_existing=True)
    assert row is not None
    return row


def pause(
    session: Session,
    channel: str,
    now: datetime,
    *,
    retry_after: float | None,
    reason: str,
    unknown: bool = False,
) -> datetime:
    """Pause ``channel`` after a "not now" or an unknown outcome; returns when it may resume.

    Args:
        session: the transaction that also settles the message (both commit, or neither).
        channel: ``card``, ``teams``, ``email`` (the install's mailbox) or a school's own
            mailbox's address.
        now: the dispatcher's clock.
        retry_after: the platform's ``Retry-After`` in seconds, when it gave one.
        reason: the connector's error text (safe to show: no content, no secrets).
        unknown: the answer left a message uncertain (503/504), not just "not now".
    """
    row = _state(session, channel, now)
    if retry_after is not None:  # the platform said exactly how long: no guessing, no growth
        wait = timedelta(seconds=retry_after)
    else:
        row.streak += 1
        wait = backoff(row.streak, unknown=unknown)
    until = now + min(max(wait, timedelta(seconds=1)), MAX_PAUSE)
    row.paused_until = max(row.paused_until or until, until)  # a longer pause stands
    row.reason = reason[:500]
    row.updated_at = now
    return row.paused_until


def resume(session: Session, channel: str, now: datetime) -> None:
    """The platform answered (delivered, or refused one message): the streak is over."""
    session.execute(
        update(OutboxChannel)
        .where(
            OutboxChannel.channel == channel,
            (OutboxChannel.streak > 0) | OutboxChannel.paused_until.is_not(None),
        )
        .values(streak=0, paused_until=None, reason=None, updated_at=now)
    )
