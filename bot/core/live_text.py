"""Words about time that are written when a message is sent, not when it was queued.

A message may wait in the outbox (a paused channel, a catch-up run "as of" an earlier day):
a countdown written at queue time could be false on arrival. A draft carries ``TIME_LEFT``
where the countdown belongs and its deadline; the dispatcher fills it in with ``time_left``
from its own clock just before handing the message to the provider.
"""

from __future__ import annotations

from datetime import datetime

__all__ = ["TIME_LEFT", "fill_time_left", "time_left"]

# a marker no person types; it never reaches a reader (see ``fill_time_left``)
TIME_LEFT = "\u2063[time left when sent]\u2063"


def _span(seconds: float) -> str:
    """'45 minutes', '1 hour 20 minutes', '32 hours', '3 days 4 hours'."""
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours, rest = divmod(minutes, 60)
    if hours < 3 and rest:
        return f"{hours} hour{'s' if hours != 1 else ''} {rest} minute{'s' if rest != 1 else ''}"
    if hours < 72:
        return f"{hours} hour{'s' if hours != 1 else ''}"
    days, hours = divmod(hours, 24)
    return f"{days} days" + (f" {hours} hour{'s' if hours != 1 else ''}" if hours else "")


def time_left(due: datetime, now: datetime) -> str:
    """'5 hours were left' / 'the deadline had passed 32 hours earlier', true at ``now``."""
    seconds = (due - now).total_seconds()
    if seconds >= 60:
        span = _span(seconds)
        return f"{span} {'was' if span.startswith('1 ') and ' ' not in span[2:] else 'were'} left"
    if seconds > -60:
        return "the deadline was due that minute"
    return f"the deadline had passed {_span(-seconds)} earlier"


def fill_time_left(text: str, due: datetime | None, now: datetime) -> str:
    """``text`` with every ``TIME_LEFT`` marker replaced by the countdown at ``now``."""
    if due is None or TIME_LEFT not in text:
        return text
    return text.replace(TIME_LEFT, time_left(due, now))
