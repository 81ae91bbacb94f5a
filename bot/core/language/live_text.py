"""Words about time that are written when a message is sent, not when it was queued.

A message may wait in the outbox (a paused channel, a catch-up run "as of" an earlier day):
a countdown written at queue time could be false on arrival. A draft carries ``TIME_LEFT``
where the countdown belongs (a marker in the language of the sentence it is in) and its
deadline; the dispatcher fills it in with ``time_left`` from its own clock just before
handing the message to the provider.
"""

from __future__ import annotations

from datetime import datetime

from bot.core.language.i18n import N_, Lazy, Msg, nmsg, speaking

__all__ = ["TIME_LEFT", "fill_time_left", "time_left"]

# a marker no person types, one per language; it never reaches a reader (``fill_time_left``)
_MARKERS = {"en": "\u2063[time left when sent]\u2063", "cy": "\u2063[time left when sent:cy]\u2063"}


class _TimeLeft(Lazy):
    """Where the countdown goes, in the language of the sentence it is in."""

    __slots__ = ()

    def said(self, language: str) -> str:
        """The marker ``fill_time_left`` replaces in ``language``."""
        return _MARKERS.get(language, _MARKERS["en"])


TIME_LEFT = _TimeLeft()


def _span(seconds: float) -> Msg | str:
    """'45 minutes', '1 hour 20 minutes', '32 hours', '3 days 4 hours'."""
    minutes = int(seconds // 60)
    if minutes < 60:
        return nmsg("%(num)d minute", "%(num)d minutes", minutes)
    hours, rest = divmod(minutes, 60)
    said_hours = nmsg("%(num)d hour", "%(num)d hours", hours)
    if hours < 3 and rest:
        return f"{said_hours} {nmsg('%(num)d minute', '%(num)d minutes', rest)}"
    if hours < 72:
        return said_hours
    days, hours = divmod(hours, 24)
    said_days = nmsg("%(num)d day", "%(num)d days", days)
    if not hours:
        return said_days
    return f"{said_days} {nmsg('%(num)d hour', '%(num)d hours', hours)}"


def time_left(due: datetime, now: datetime) -> str:
    """'5 hours were left' / 'the deadline had passed 32 hours earlier', true at ``now``, in
    the active language ('roedd 5 awr ar ôl')."""
    seconds = (due - now).total_seconds()
    if seconds >= 60:
        span = str(_span(seconds))
        one = span.startswith("1 ") and " " not in span[2:]
        words = N_("%(span)s was left") if one else N_("%(span)s were left")
        return str(Msg(words, span=span))
    if seconds > -60:
        return str(Msg(N_("the deadline was due that minute")))
    return str(Msg(N_("the deadline had passed %(span)s earlier"), span=str(_span(-seconds))))


def fill_time_left(text: str, due: datetime | None, now: datetime) -> str:
    """``text`` with every countdown marker replaced by the countdown at ``now``, each in its
    own language."""
    if due is None:
        return text
    for language, marker in _MARKERS.items():
        if marker in text:
            with speaking(language):
                text = text.replace(marker, time_left(due, now))
    return text
