"""The dispatcher: delivers each queued row exactly once, the most urgent first.

A row is claimed (``sending``) and committed *before* the provider call, then marked ``sent``,
``failed`` or ``delivery_unknown`` — or given back (``pending``, no attempt spent) when the
platform said "not now". A crash between the two leaves ``sending``; the next dispatcher marks
such rows ``delivery_unknown`` rather than sending them again — unless the mailer is idempotent
by key (the .eml writer), in which case resending is harmless. Answers are recorded by
``record``, channel pauses by ``pause``, each a transaction on the pass's one connection; what
people do about uncertain and refused messages is ``delivery``.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.core.database.store import Store
from bot.core.models import OutboxMessage, Urgency, utcnow
from bot.core.outbox import claim as outbox_claim
from bot.core.outbox import lookup as outbox_lookup
from bot.core.outbox import workers as outbox_workers
from bot.core.outbox.claim import start as _claim  # by this name: the crash tests kill after it
from bot.core.outbox.pause import DAILY_LIMIT_REASON, channel_of, channel_states, pause
from bot.core.outbox.record import DispatchStats, FailureAlerts, Outcome
from bot.core.outbox.record import settle as _settle  # by this name: tests interrupt it
from bot.core.outbox.recovery import MAX_ATTEMPTS, recover_stale, wait_for_dead_claims
from bot.core.outbox.rows import (
    FEED_BULK,
    answer,
    answer_batch,
    feed_chunks,
    load_messages,
    no_bot,
    notify_all,
    refuse,
)
from bot.core.ports import BulkFeed, CardMessage, Mailer, Notifier, OutgoingEmail, SendResult

__all__ = ["Mailbox", "dispatch"]

log = logging.getLogger("bot.core.outbox")  # the outbox's one logger (record, lookup too)


CHANNELS = ("email", "card", "teams")  # teams: a card in one person's chat with the bot
PAGE = 20  # rows a worker claims at once (more when the mailer batches)
LONG_HOLD = timedelta(minutes=5)  # a longer hold by the mailbox's limits is recorded as a pause
# a long pass takes back a dead worker's rows this often (``_Pass.recover``)
RECOVER_EVERY = timedelta(seconds=10)
# a pass that may wait waits this long at most for the mailbox's next permit: passes a minute
# apart then keep a paced mailbox sending at its limit, not every other minute
SHORT_WAIT = timedelta(seconds=5)


@dataclass(frozen=True)
class Mailbox:
    """A school's own sending mailbox (``SchoolConfig.sender``): its mailer and the schools
    whose mail it sends; every other school's mail goes from the install's mailer."""

    mailer: Mailer
    schools: frozenset[str]
    address: str  # the mailbox's address: its lane's name, and what its pause is kept under


def _lanes(mailer: Mailer, mailboxes: Sequence[Mailbox]) -> dict[str, tuple[Mailer, Any]]:
    """The email lanes of a pass, by name: the install's (``email``: the schools without a
    mailbox of their own) and one per own mailbox (its address), each with its mailer and
    the SQL that selects its schools' rows (None: every row). A lane is paused on its own: a
    429 is about one mailbox (Exchange's and Gmail's limits are per mailbox)."""
    if not mailboxes:
        return {"email": (mailer, None)}
    own = frozenset().union(*(box.schools for box in mailboxes))
    return {
        "email": (mailer, OutboxMessage.school_id.not_in(sorted(own))),
        **{
            box.address: (box.mailer, OutboxMessage.school_id.in_(sorted(box.schools)))
            for box in mailboxes
        },
    }


@dataclass
class _Pass:
    """One dispatch run: its connectors, clock, counts, and the channels told to wait."""

    store: Store
    mailer: Mailer
    notifier: Notifier | None
    now: Callable[[], datetime]
    limit: int | None
    on_sent: Callable[[str], None] | None
    stats: DispatchStats
    alerts: FailureAlerts | None = None
    # email lanes: name -> (mailer, SQL selecting its schools' rows); see ``_lanes``
    boxes: dict[str, tuple[Mailer, Any]] = field(default_factory=dict)
    lane: str = "email"  # the email lane being delivered
    chat: Notifier | None = None  # where ``teams`` rows go: the school's bot (None: they wait)
    # the schools of a connection (a tenant of their own): school id -> that tenant's bot
    # (None: it has none, and their cards are refused, never sent through another tenant's)
    chats: Mapping[str, Notifier | None] = field(default_factory=dict)
    up_to: Urgency = Urgency.ROUTINE  # the least urgent rows this pass takes
    wait: Callable[[float], object] | None = None  # sleeps for a permit a moment away
    waited_for: datetime | None = None  # the last permit it waited for
    handled: int = 0
    recovered_at: datetime | None = None  # when this pass last took back a dead worker's rows
    paused: set[str] = field(default_factory=set)  # lanes whose platform said "not now"
    probing: set[str] = field(default_factory=set)  # paused since it last answered: one at a time
    done: set[str] = field(default_factory=set)  # channels with nothing (more) to claim now
    batch: list[tuple[int, OutgoingEmail]] = field(default_factory=list)

    def refresh(self) -> None:
        """Read the lanes' pauses (another process may have recorded one)."""
        now = self.now()
        with self.store.session() as session:
            states = channel_states(session)
        for state in states.values():
            if state.paused(now):
                assert state.paused_until is not None
                self.paused.add(state.channel)
                self.stats.paused[state.channel] = state.paused_until
            if state.troubled:
                self.probing.add(state.channel)

    def full(self) -> bool:
        """The row limit is reached."""
        return self.limit is not None and self.handled >= self.limit

    def channels(self) -> list[str]:
        """The channels still taking messages (cards only with a notifier, chat cards only
        with the school's bot)."""
        lanes = [*(self.boxes or ["email"]), *CHANNELS[1:]]
        skip = (
            self.done
            | self.paused
            | {
                c
                for c, target in (("card", self.notifier), ("teams", self.chat))
                if target is None and (c != "teams" or not any(self.chats.values()))
            }
        )
        return [c for c in lanes if c not in skip]

    def want(self, channel: str) -> int:
        """How many rows of ``channel`` to claim next."""
        if channel in self.probing:
            return 1
        want = max(PAGE, self.mailer.max_batch) if channel_of(channel) == "email" else PAGE
        if channel == "teams" and any(
            isinstance(bot, BulkFeed) for bot in (self.chat, *self.chats.values())
        ):
            want = 2 * FEED_BULK  # a card and a nudge a person: a bulk call's worth of nudges
        if self.limit is not None:
            want = min(want, self.limit - self.handled)
            if self.up_to < Urgency.ROUTINE:
                # a hand-over shares its rows among the channels: a burst's cards go beside
                # its emails, not after them
                want = min(want, max(self.limit // max(len(self.channels()), 1), 1))
        return want

    def use(self, lane: str) -> None:
        """Deliver email from ``lane``'s mailbox from now on."""
        if lane in self.boxes and lane != self.lane:
            self.lane = lane
            self.mailer = self.boxes[lane][0]

    def claim_and_deliver(self, lane: str) -> bool:
        """Claim a page of ``lane`` (a channel, or one mailbox's email) and deliver it; False
        when nothing could be claimed."""
        self.recover()
        channel = channel_of(lane)
        self.use(lane)
        if channel == "email" and self.mailer.ready_in() > 0:
            self.paused.add(lane)  # the platform's Retry-After has not passed: claim nothing
            return False
        pacing = self.mailer.pacing if channel == "email" else None
        now = self.now()
        mine = self.boxes[lane][1] if lane in self.boxes else None
        claimed = outbox_claim.claim(
            self.store, lane, now, self.want(lane), pacing, up_to=self.up_to, mine=mine
        )
        if claimed.paced_until is not None:
            if self.stats.paced_until is None or claimed.paced_until < self.stats.paced_until:
                self.stats.paced_until = claimed.paced_until
            held = claimed.paced_until - now
            # a day's limit of the whole mailbox: say so, as its pause (a routine share spent
            # is no pause: urgent mail still goes)
            if held > LONG_HOLD and not claimed.routine_only:
                with self.store.transaction() as session:
                    self.stats.paused[lane] = pause(
                        session,
                        lane,
                        now,
                        reason=DAILY_LIMIT_REASON,
                        retry_after=held.total_seconds(),
                    )
            elif (
                not claimed.ids
                and self.wait is not None
                and held <= SHORT_WAIT
                and claimed.paced_until != self.waited_for
                and len(self.boxes) <= 1
            ):
                # a permit a moment away: wait for it (once for each moment, so a clock that
                # does not move on cannot keep a pass waiting)
                self.waited_for = claimed.paced_until
                self.wait(max(held.total_seconds(), 0.0))
                return True
        if not claimed.ids:
            self.done.add(lane)
            self.refresh()  # nothing due, or its channel was just paused by someone else
            return False
        wanted = self.want(lane)
        self.deliver_rows(lane, claimed.ids)
        if (
            self.up_to < Urgency.ROUTINE
            and len(claimed.ids) < wanted
            and claimed.paced_until is None
        ):
            # a hand-over took every urgent row there was: asking again would find none (a
            # row queued meanwhile has its own request, which sends it or goes round again)
            self.done.add(lane)
        return True

    def recover(self, *, at_once: bool = False) -> None:
        """Take back rows a dead worker left (``recover_stale``), at the start of the pass and
        every ``RECOVER_EVERY`` of a long one: an alert it claimed must not wait for the
        end of a pass through a long backlog."""
        now = self.now()
        if self.up_to < Urgency.ROUTINE:  # a hand-over takes back only dead workers' urgent
            if at_once:  # claims (the rest of recovery is the passes')
                self.stats.recovered += outbox_workers.release_dead(
                    self.store,
                    now,
                    idempotent_mailer=self.mailer.idempotent,
                    max_attempts=MAX_ATTEMPTS,
                    up_to=self.up_to,
                )
            return
        if at_once or self.recovered_at is None or now - self.recovered_at >= RECOVER_EVERY:
            self.recovered_at = now
            boxes = self.boxes or {"email": (self.mailer, None)}
            self.stats.recovered += recover_stale(
                self.store, now, idempotent_mailer=boxes["email"][0].idempotent
            )
            # unknown outcomes each mailbox's sent items can settle (Graph, Gmail), and messages
            # accepted then bounced: a non-delivery report came back to the mailbox
            for mailer, mine in boxes.values():
                self.stats.found_sent += outbox_lookup.settle_unknown(
                    self.store, mailer, now, mine=mine
                ).found
                outbox_lookup.record_bounces(self.store, mailer, now)

    def deliver_all(self) -> None:
        """Claim and deliver until nothing more may go now (or the row limit is reached); a
        lane whose channel has no row due is done without a claim."""
        lanes = self.channels()
        due = outbox_claim.due_channels(
            self.store, self.now(), self.up_to, {channel_of(lane) for lane in lanes}
        )
        self.done.update(lane for lane in lanes if channel_of(lane) not in due)
        while not self.full():
            channels = self.channels()
            if not channels:
                return
            for channel in channels:
                if not self.full():
                    self.claim_and_deliver(channel)

    def deliver_rows(self, lane: str, row_ids: Sequence[int]) -> None:
        """Deliver claimed rows in order; give back the rest once the lane is paused."""
        channel = channel_of(lane)
        messages, tampered = load_messages(self.store, row_ids, channel, self.now())
        self.batch = []
        for row_id, parts in tampered.items():
            self.handled += 1
            self.send_one(
                row_id, messages[row_id].idempotency_key, functools.partial(refuse, parts), lane
            )
        row_ids = [row_id for row_id in row_ids if row_id not in tampered]
        if channel == "teams":
            row_ids = self.send_feeds(row_ids, messages)
        for index, row_id in enumerate(row_ids):
            if lane in self.paused or (channel == "email" and self.mailer.ready_in() > 0):
                if self.batch:
                    self.send_batch()
                outbox_claim.release(self.store, row_ids[index:])
                return
            self.handled += 1
            self.deliver(row_id, lane, messages[row_id])
        if self.batch:
            self.send_batch()

    def chat_of(self, card: CardMessage | OutgoingEmail) -> Notifier | None:
        """The bot a ``teams`` row goes through: its school's tenant's (``chats``), else the
        install's; never another tenant's."""
        school = card.school_id if isinstance(card, CardMessage) else None
        return self.chats.get(school or "", self.chat)

    def send_feeds(
        self, row_ids: Sequence[int], messages: dict[int, OutgoingEmail | CardMessage]
    ) -> list[int]:
        """Send the page's activity-feed rows that share one notification in bulk calls (up to
        ``FEED_BULK`` people each, one person once a call); the rows left to send one by one.

        A bulk call is accepted or refused as a whole, so its answer is every row's.
        """
        chunks = [
            chunk
            for chunk in feed_chunks(row_ids, messages)
            if isinstance(self.chat_of(messages[chunk[0][0]]), BulkFeed)
        ]
        for chunk in chunks:
            bot = self.chat_of(messages[chunk[0][0]])  # one school's a chunk: one tenant's bot
            assert isinstance(bot, BulkFeed)
            notify_many = bot.notify_many
            ids = [row_id for row_id, _, _ in chunk]
            if "teams" in self.paused:
                outbox_claim.release(self.store, ids)
                continue
            started = _claim(self.store, ids, "teams", self.now())
            if len(started) < len(ids):
                self.gone([i for i in ids if i not in started], "teams")
            going = [row for row in chunk if row[0] in started]
            if not going:
                continue
            self.handled += len(going)
            outcome = answer(
                going[0][0],
                functools.partial(
                    notify_all, notify_many, [str(r[2]["user_id"]) for r in going], going[0][2]
                ),
            )
            self.settled("teams", [(row_id, key, outcome) for row_id, key, _ in going])
        sent = {row_id for chunk in chunks for row_id, _, _ in chunk}
        return [row_id for row_id in row_ids if row_id not in sent]

    def deliver(self, row_id: int, channel: str, message: OutgoingEmail | CardMessage) -> None:
        """Deliver one claimed row (emails wait for a full batch when the mailer batches)."""
        if isinstance(message, CardMessage):
            target = self.chat_of(message) if channel == "teams" else self.notifier
            call = functools.partial(target.post if target is not None else no_bot, message)
            self.send_one(row_id, message.idempotency_key, call, channel)
            return
        if self.mailer.max_batch > 1 and channel not in self.probing:
            self.batch.append((row_id, message))
            if len(self.batch) >= self.mailer.max_batch:
                self.send_batch()
            return
        self.send_one(
            row_id, message.idempotency_key, functools.partial(self.mailer.send, message), channel
        )

    def settled(self, channel: str, answers: Sequence[tuple[int, str, Outcome]]) -> None:
        """Record the answers; pause the channel if the platform said so."""
        until = _settle(
            self.store,
            channel,
            answers,
            self.now(),
            self.stats,
            self.alerts,
            troubled_before=channel in self.probing,
            paced=channel_of(channel) == "email" and self.mailer.pacing is not None,
        )
        if until is not None:
            self.paused.add(channel)
            self.probing.add(channel)
            self.stats.paused[channel] = until
        else:
            self.probing.discard(channel)  # it answered: the streak is over
        for _, key, outcome in answers:
            if isinstance(outcome, SendResult) and self.on_sent is not None:
                self.on_sent(key)

    def send_one(self, row_id: int, key: str, call: Callable[[], SendResult], channel: str) -> None:
        """Deliver one row; a "not now" or an unknown outcome pauses its channel."""
        if not _claim(self.store, [row_id], channel, self.now()):
            self.gone([row_id], channel)
            return
        self.settled(channel, [(row_id, key, answer(row_id, call))])

    def send_batch(self) -> None:
        """Deliver the waiting batch of emails; a "not now" or an unknown outcome pauses the
        mailbox's lane."""
        batch, self.batch = self.batch, []
        started = _claim(self.store, [row_id for row_id, _ in batch], self.lane, self.now())
        if len(started) < len(batch):
            self.gone([row_id for row_id, _ in batch if row_id not in started], self.lane)
            batch = [(row_id, m) for row_id, m in batch if row_id in started]
            if not batch:
                return
        outcomes = answer_batch(self.mailer, [m for _, m in batch])
        self.settled(
            self.lane,
            [
                (row_id, m.idempotency_key, o)
                for (row_id, m), o in zip(batch, outcomes, strict=True)
            ],
        )

    def run(self) -> DispatchStats:
        """The whole pass (``dispatch``)."""
        stats, now = self.stats, self.now
        self.recover(at_once=True)
        if self.up_to >= Urgency.ROUTINE and self.alerts is not None:  # a hand-over only sends
            with self.store.transaction() as session:
                stats.alerts += self.alerts.queue(session, now())
        self.refresh()
        try:
            self.deliver_all()
            if self.wait is not None and wait_for_dead_claims(
                self.store, now, self.wait, self.up_to
            ):
                self.recover(at_once=True)
                self.done.clear()
                self.deliver_all()
        finally:
            self.boxes["email"][0].end_pass()  # the install's: e.g. its SMTP connection
        for channel, until in sorted(stats.paused.items()):
            log.info("outbox: %s paused until %s", channel, until.isoformat(timespec="seconds"))
        return stats

    def gone(self, row_ids: Sequence[int], channel: str) -> None:
        """Rows that could not start (the channel was paused meanwhile): give them back."""
        outbox_claim.release(self.store, row_ids)
        self.paused.add(channel)
        self.refresh()


def dispatch(
    store: Store,
    mailer: Mailer,
    notifier: Notifier | None,
    *,
    now: Callable[[], datetime] = utcnow,
    limit: int | None = None,
    on_sent: Callable[[str], None] | None = None,
    alerts: FailureAlerts | None = None,
    up_to: Urgency = Urgency.ROUTINE,
    wait: Callable[[float], object] | None = None,
    chat: Notifier | None = None,
    mailboxes: Sequence[Mailbox] = (),
    chats: Mapping[str, Notifier | None] | None = None,
) -> DispatchStats:
    """Deliver due rows once each, the most urgent first (then the oldest), and never let a
    throttle cost a message.

    Any number of dispatchers may run at once (scheduler, dispatch workers, a web request,
    a command): each claims pages of rows no other holds (``outbox.claim``), the most urgent
    first, and a mailer with ``pacing`` gets only what its mailbox's limits allow now, counted
    in the database (``outbox.pacing``); routine mail never spends the mailbox's urgent reserve.
    What they hold back waits for a later pass (``DispatchStats.paced_until``).

    - A ``RetryableError`` (a 429, a quota, an unreachable platform, a ``SetupError``) says the
      *platform* is not taking messages now: the row keeps its place and spends no attempt, and
      the channel — for email, that mailbox: a school's own mailbox holds only its schools'
      mail — pauses until ``Retry-After`` (or a growing backoff). It never fails.
    - A ``DeliveryUnknownError`` (503/504, a lost answer) flags that one row for a person
      (``delivery_unknown``: never resent blindly) and pauses the channel the same way, so a
      struggling platform costs one uncertain message a pause, not the whole queue. After a
      pause, messages go one at a time until the platform answers again.
    - A ``PermanentError`` fails that row only; ``alerts`` then tells the school's admins.

    Args:
        store: the database.
        mailer: where emails go.
        notifier: where cards go (rows for it wait when None).
        now: the clock (injected for tests).
        limit: stop after this many rows (None: all due).
        on_sent: called with each delivered key (progress bars, tests).
        alerts: queues the admins' alert about refused messages (None: the next dispatch or
            sweep that has one catches up).
        up_to: the least urgent rows to take: ``Urgency.WAITING`` hands over only what people
            wait for (a web request after it committed a report), never the routine backlog.
        wait: sleeps (injected clock's seconds); with it, a pass held by the mailbox's limits
            for a moment (``SHORT_WAIT``) waits for the permit instead of ending.
        chat: where ``teams`` rows go (a card in a person's chat with the school's bot; None:
            they wait, as cards do without a notifier).
        mailboxes: the schools' own sending mailboxes (``mailer`` sends every other school's
            mail); each is paced, reserved and claimed on its own, a page of each in turn.
        chats: the schools of a connection with a tenant of its own: school id -> that
            tenant's bot (``school_chats``); their ``teams`` rows go through it, never ``chat``.
    """
    # a pass is thousands of short transactions: one connection for them
    with store.pinned() as one_connection:
        return _Pass(
            one_connection,
            mailer,
            notifier,
            now,
            limit,
            on_sent,
            DispatchStats(),
            alerts=alerts,
            up_to=up_to,
            wait=wait,
            chat=chat,
            chats=chats or {},
            boxes=_lanes(mailer, mailboxes),
        ).run()
