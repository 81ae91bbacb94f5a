"""Why a queued message has not gone yet, and when it will: in words a school business manager
reads in ``outbox`` and in the sweep summary (the sending window, a platform's pause, a retry),
in the school's language (the catalogue's sentences; dates by ``babel.dates``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from bot.core.outbox.delivery import Trouble

from bot.core.days.clock import local_today, to_local
from bot.core.guards.forms import Text
from bot.core.language.i18n import N_, Dated, Lazy, Msg, nmsg, shown
from bot.core.models import OutboxMessage
from bot.core.outbox.pause import (
    CHANNEL_WORDS,
    DAILY_LIMIT_REASON,
    ChannelState,
    channel_of,
    channel_states,
)

__all__ = [
    "Waiting",
    "Why",
    "channel_words",
    "lane_of",
    "moment_words",
    "pause_reason",
    "pending_summary",
    "row_sentence",
    "trouble_lines",
    "when_words",
    "why_waiting",
]


class _Moment(Lazy):
    """A moment in the school's zone: its day in the language's own pattern, then its time."""

    __slots__ = ("english", "local", "welsh")

    def __init__(
        self, moment: datetime, english: str = "%a %d %b", welsh: str = "EEE dd MMM"
    ) -> None:
        self.local, self.english, self.welsh = to_local(moment), english, welsh

    def said(self, language: str) -> str:
        """'Mon 23 Nov 09:30', 'Llun 23 Tach 09:30'."""
        return (
            f"{Dated(self.local.date(), self.english, self.welsh).said(language)} "
            f"{self.local:%H:%M}"
        )


# a moment in the school's zone: its day (``english``: a strftime pattern; ``welsh``: babel's)
# and its time: 'Mon 23 Nov 09:30', 'Llun 23 Tach 09:30'
moment_words = _Moment


def when_words(moment: datetime, now: datetime) -> Msg:
    """``today at 08:00``, ``tomorrow at 08:00`` or ``Mon 23 Nov at 08:00`` (school's zone);
    in Welsh 'heddiw am 08:00', 'Llun 23 Tach am 08:00' (``babel.dates``)."""
    local = to_local(moment)
    days = (local.date() - local_today(now)).days
    time = f"{local:%H:%M}"
    if days == 0:
        return Msg(N_("today at %(time)s"), time=time)
    if days == 1:
        return Msg(N_("tomorrow at %(time)s"), time=time)
    return Msg(
        N_("%(day)s at %(time)s"), time=time, day=Dated(local.date(), "%a %-d %b", "EEE d MMM")
    )


def channel_words(state: ChannelState) -> Msg:
    """What a paused channel sends: 'Email', 'E-bost o office@school.example'."""
    if state.channel in CHANNEL_WORDS:
        return Msg(CHANNEL_WORDS[state.channel])
    return Msg(N_("Email from %(address)s"), address=state.channel)


def pause_reason(state: ChannelState) -> Text:
    """Why a channel is paused: the bot's own reason from the catalogue, a platform's as it
    gave it."""
    return Msg(state.reason) if state.reason else str(state.reason)


_SLOWED = N_("because %(what)s sending is paused after the platform asked the bot to slow down")
_SLOWED_OWN = N_(
    "because sending from %(lane)s is paused after the platform asked the bot to slow down"
)
_DAILY = N_("because the sending mailbox has sent as much as its platform allows in 24 hours")
_DAILY_OWN = N_("because %(lane)s has sent as much as its platform allows in 24 hours")
_WINDOW = N_("for the school's sending window")
_RETRIED_ONCE = N_("to be tried again (tried once; the platform said not yet)")
_RETRIED = "retried"  # said by ``ngettext`` (``Why.said``): its count is a plural
# a channel's words inside ``_SLOWED`` (English: ``CHANNEL_WORDS`` in lower case)
_CHANNEL_LOWER = {
    "email": N_("email"),
    "card": N_("teams/chat cards"),
    "teams": N_("cards in staff's teams or google chat"),
}


@dataclass(frozen=True)
class Why:
    """Why pending messages wait, said after "wait" ("for the school's sending window"): the
    catalogue's ``phrase`` (none: due now) with the lane it names and the tries made."""

    phrase: str = ""
    lane: str = ""
    tried: int = 0

    def words(self) -> Text:
        """The phrase, said where shown."""
        if self.phrase == _RETRIED:  # English: "times" whatever the count, as it always was
            return nmsg(
                "to be tried again (tried %(num)d times; the platform said not yet)",
                "to be tried again (tried %(num)d times; the platform said not yet)",
                self.tried,
            )
        if not self.phrase:
            return ""
        what = _CHANNEL_LOWER.get(self.lane)
        return Msg(
            self.phrase,
            lane=self.lane,
            what=Msg(what) if what else ChannelState(self.lane, None, 0, None).what.lower(),
        )

    def __str__(self) -> str:
        return str(shown(self.words(), "en"))


@dataclass(frozen=True)
class Waiting:
    """One reason messages wait, how many do, and when the first of them goes."""

    reason: Why
    count: int
    goes: datetime | None

    def sentence(self, now: datetime) -> Msg:
        """E.g. ``12 wait for the school's sending window: they go tomorrow at 08:00.``"""
        n = self.count
        if self.goes is None or self.goes <= now:
            return nmsg(
                "%(num)d is due: it goes at the next delivery run (every few minutes while "
                "`compliance-bot run` is running, or run `compliance-bot sweep`).",
                "%(num)d are due: they go at the next delivery run (every few minutes while "
                "`compliance-bot run` is running, or run `compliance-bot sweep`).",
                n,
            )
        return nmsg(
            "%(num)d waits %(reason)s: it goes %(when)s.",
            "%(num)d wait %(reason)s: they go %(when)s.",
            n,
            reason=self.reason.words(),
            when=when_words(self.goes, now),
        )


def row_sentence(reason: Why, goes: datetime | None, now: datetime, last_error: str | None) -> Lazy:
    """One pending message, after its number in ``outbox``: 'waits for the school's sending
    window: it goes today at 08:00 (last answer: 429)'."""
    if goes is None:
        line: Lazy = Msg(N_("due now: it goes at the next delivery run"))
    else:
        line = Msg(
            N_("waits %(reason)s: it goes %(when)s"),
            reason=reason.words(),
            when=when_words(goes, now),
        )
    if last_error:  # the platform's own answer (a code), as it gave it
        line = line + Msg(N_(" (last answer: %(error)s)"), error=last_error)
    return line


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
) -> tuple[Why, datetime | None]:
    """Why one pending message has not gone (said after "waits") and when it may go;
    ``(Why(), None)`` when it is due now. ``lane``: its channel, or its school's own mailbox
    (``lane_of``)."""
    pause = pauses.get(lane)
    own = lane != channel_of(lane)  # a school's own mailbox: named, only its mail waits
    if pause is not None and pause.paused(now):
        why = Why(_SLOWED_OWN if own else _SLOWED, lane)
        if pause.reason == DAILY_LIMIT_REASON:
            why = Why(_DAILY_OWN, lane) if own else Why(_DAILY)
        return why, max(next_attempt_at, pause.paused_until or now)
    if next_attempt_at <= now:
        return Why(), None
    if attempts == 0:
        return Why(_WINDOW), next_attempt_at
    return Why(_RETRIED_ONCE if attempts == 1 else _RETRIED, tried=attempts), next_attempt_at


def pending_summary(
    session: Session,
    now: datetime,
    school_ids: list[str] | None = None,
    senders: Mapping[str, str] | None = None,
) -> list[Waiting]:
    """The pending messages grouped by why they wait, soonest first (a few queries, no loop
    over every row's content); ``senders``: the schools' own mailboxes (``lane_of``)."""
    query = select(
        OutboxMessage.channel,
        OutboxMessage.next_attempt_at,
        OutboxMessage.attempts,
        OutboxMessage.school_id,
    ).where(OutboxMessage.status == "pending")
    if school_ids is not None:
        query = query.where(OutboxMessage.school_id.in_(school_ids))
    pauses = channel_states(session)
    counts: Counter[Why] = Counter()
    first: dict[Why, datetime | None] = {}
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


def trouble_lines(trouble: Trouble) -> list[Msg]:
    """Paused channels and the messages that need a person, with what to do: ``sweep``'s and
    ``status``'s closing lines."""
    lines = [
        Msg(
            N_(
                "[yellow]%(what)s paused[/] until %(until)s after the platform's last answer "
                "(%(reason)s). Its queued messages wait; none is lost."
            ),
            what=channel_words(state),
            until=moment_words(state.paused_until),
            reason=pause_reason(state),
        )
        for state in trouble.paused
        if state.paused_until
    ]
    if trouble.unknown:
        lines.append(
            nmsg(
                "[yellow]%(num)d message may not have arrived[/]: the platform did not confirm it, "
                "so the bot will not send it again on its own. Check the sending mailbox's Sent "
                "Items, then run `compliance-bot outbox resolve ID --sent --as YOU` (it arrived) "
                "or "
                "`--resend`; `compliance-bot outbox --status delivery_unknown` lists it.",
                "[yellow]%(num)d messages may not have arrived[/]: the platform did not confirm "
                "them, so the bot will not send them again on its own. Check the sending mailbox's "
                "Sent Items, then run `compliance-bot outbox resolve ID --sent --as YOU` (it "
                "arrived) or `--resend`; `compliance-bot outbox --status delivery_unknown` lists "
                "them.",
                trouble.unknown,
            )
        )
    if trouble.failed:
        lines.append(
            nmsg(
                "[red]%(num)d message could not be delivered[/]: the platform refused it (often a "
                "wrong address); `compliance-bot outbox --status failed` says why.",
                "[red]%(num)d messages could not be delivered[/]: the platform refused them (often "
                "a wrong address); `compliance-bot outbox --status failed` says why.",
                trouble.failed,
            )
        )
    return lines
