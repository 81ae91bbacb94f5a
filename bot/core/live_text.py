"""Words about time that are written when a message is sent, not when it was queued.

A message may wait in the outbox (a paused channel, a catch-up run "as of" an earlier day):
a countdown written at queue time could be false on arrival. A draft carries ``TIME_LEFT``
where the countdown belongs and its deadline; the dispatcher fills it in with ``time_left``
from its own clock just before handing the message to the provider.
"""

from __future__ import annotations

from datetime import datetime
from gettext import NullTranslations

from bot.core.i18n import translations

__all__ = ["TIME_LEFT", "fill_time_left", "time_left", "time_left_marker"]

# a marker no person types; it never reaches a reader (see ``fill_time_left``)
TIME_LEFT = "\u2063[time left when sent]\u2063"
_MARKERS = {"en": TIME_LEFT, "cy": "\u2063[time left when sent:cy]\u2063"}


def time_left_marker(language: str = "en") -> str:
    """The marker for a countdown in ``language`` (``en`` or ``cy``): ``TIME_LEFT`` in English."""
    return _MARKERS.get(language, TIME_LEFT)


def _minutes(number: int, tr: NullTranslations) -> str:
    return tr.ngettext("%(num)d minute", "%(num)d minutes", number) % {"num": number}


def _hours(number: int, tr: NullTranslations) -> str:
    return tr.ngettext("%(num)d hour", "%(num)d hours", number) % {"num": number}


def _days(number: int, tr: NullTranslations) -> str:
    return tr.ngettext("%(num)d day", "%(num)d days", number) % {"num": number}


def _span(seconds: float, tr: NullTranslations) -> str:
    """'45 minutes', '1 hour 20 minutes', '32 hours', '3 days 4 hours'."""
    minutes = int(seconds // 60)
    if minutes < 60:
        return _minutes(minutes, tr)
    hours, rest = divmod(minutes, 60)
    if hours < 3 and rest:
        return f"{_hours(hours, tr)} {_minutes(rest, tr)}"
    if hours < 72:
        return _hours(hours, tr)
    days, hours = divmod(hours, 24)
    return _days(days, tr) + (f" {_hours(hours, tr)}" if hours else "")


def time_left(due: datetime, now: datetime, language: str = "en") -> str:
    """'5 hours were left' / 'the deadline had passed 32 hours earlier', true at ``now`` (in
    ``language``: 'roedd 5 awr ar ôl')."""
    tr = translations(language)
    seconds = (due - now).total_seconds()
    if seconds >= 60:
        span = _span(seconds, tr)
        one = span.startswith("1 ") and " " not in span[2:]
        words = tr.gettext("%(span)s was left") if one else tr.gettext("%(span)s were left")
        return words % {"span": span}
    if seconds > -60:
        return tr.gettext("the deadline was due that minute")
    return tr.gettext("the deadline had passed %(span)s earlier") % {"span": _span(-seconds, tr)}


def fill_time_left(text: str, due: datetime | None, now: datetime) -> str:
    """``text`` with every countdown marker replaced by the countdown at ``now``, each in its
    own language."""
    if due is None:
        return text
    for language, marker in _MARKERS.items():
        if marker in text:
            text = text.replace(marker, time_left(due, now, language))
    return text
