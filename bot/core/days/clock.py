"""Time in the school's zone (Europe/London): today's date, and sending-window instants in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:  # a type only: the clock stays light enough for `--help`'s modules
    from bot.core.config import SchoolConfig

__all__ = ["LONDON", "last_school_day", "local_instant", "local_today", "send_after", "to_local"]

LONDON = ZoneInfo("Europe/London")


def to_local(moment: datetime, tz: ZoneInfo = LONDON) -> datetime:
    """An aware instant shown in the school's zone."""
    return moment.astimezone(tz)


def local_today(now: datetime, tz: ZoneInfo = LONDON) -> date:
    """The school's calendar date at ``now`` (aware)."""
    return now.astimezone(tz).date()


def local_instant(day: date, clock: time = time(0), tz: ZoneInfo = LONDON) -> datetime:
    """A local wall-clock time (midnight: the day's start) as an aware UTC instant (zoneinfo
    handles the clock changes)."""
    return datetime.combine(day, clock, tzinfo=tz).astimezone(UTC)


def send_after(school: SchoolConfig, day: date, now: datetime, tz: ZoneInfo = LONDON) -> datetime:
    """The earliest instant a reminder for ``day`` may go: inside a sending window.

    The window is judged when the message is queued, not on the day it was planned for: a
    past day caught up (missed sweeps) goes in today's window if today has one and it is open,
    else at the next school day's; a day whose window has closed rolls to the next school day.
    """
    window = school.sending_window
    today = local_today(now, tz)
    if day < today and school.is_sending_day(today):
        day = today
    if day >= today and now <= local_instant(day, window.end, tz):
        return max(local_instant(day, window.start, tz), now)
    return local_instant(
        school.next_school_day(max(day, today) + date.resolution), window.start, tz
    )


def last_school_day(school: SchoolConfig, day: date) -> date:
    """``day`` if it is a school day, else the most recent school day before it."""
    current = day
    for _ in range(366):
        if school.is_school_day(current):
            return current
        current -= date.resolution
    return day
