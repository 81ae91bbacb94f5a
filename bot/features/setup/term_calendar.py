"""Term dates from a local authority's published ``.ics`` calendar (icalendar), for both
``compliance-bot init`` and the web's term-dates page.

Pure: the file's bytes in, terms, holidays and INSET days out, with every event and what it
was read as, so the person setting up can see exactly what was taken from the calendar.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, BinaryIO, Literal

from bot.core.files.contained import ContainedError, run_contained
from bot.core.guards.forms import SaidError, Text
from bot.core.language.i18n import N_, Dated, Lazy, Msg

__all__ = ["MAX_ICS_BYTES", "CalendarError", "CalendarEvent", "TermCalendar", "read_term_calendar"]

MAX_ICS_BYTES = 2 * 1024 * 1024
# a term-dates calendar has a few dozen events in a few hundred lines; counted in the bytes
# before icalendar (pure Python, ~0.2 ms a line) reads anything
MAX_ICS_EVENTS = 2_000
MAX_ICS_LINES = 40_000

Kind = Literal["term", "term starts", "term ends", "holiday", "INSET day", "not used"]
# what an event was read as, in the words a person reads (init's table of the calendar)
KINDS: dict[str, str] = {
    "term": N_("term"),
    "term starts": N_("term starts"),
    "term ends": N_("term ends"),
    "holiday": N_("holiday"),
    "INSET day": N_("INSET day"),
    "not used": N_("not used"),
}
_SPAN = N_("%(first)s to %(last)s")  # an event's days: "Mon 26 Oct 2026 to Fri 30 Oct 2026"
_DAY = ("%a %d %b %Y", "EEE dd MMM y")  # a day in the table: "Tue 01 Sep 2026", "Maw 01 Medi"

_INSET = re.compile(
    r"\binsets?\b|\bin[- ]?service\b|training day|staff (development|training)"
    r"|non[- ]pupil|pupil[- ]free|teachers?'? day|\bbaker day"
    r"|professional development|school closed to pupils|\bpd day",
    re.I,
)
_HALF_TERM = re.compile(r"\bhalf[- ]?term\b", re.I)
_STARTS = re.compile(
    r"\bterm\b.*\b(starts?|begins?|opens?)\b|\b(start|first day) of\b.*\bterm\b"
    r"|\bterm (start|begin)",
    re.I,
)
_ENDS = re.compile(
    r"\bterm\b.*\b(ends?|finish(es)?|closes?)\b|\b(end|last day) of\b.*\bterm\b", re.I
)
_HOLIDAY = re.compile(
    r"holiday|\bbreak\b|\bbank\b|\bclosed\b|\bclosure\b|easter|christmas"
    r"|whitsun|may day",
    re.I,
)
_TERM = re.compile(r"\bterm\b", re.I)
_MARKER = re.compile(
    r"\b(starts?|begins?|opens?|ends?|finish(es)?|closes?)\b"
    r"|\b(start|first day|end|last day) of( the)?\b",
    re.I,
)


class CalendarError(SaidError, ValueError):
    """The file is not a calendar that can be read; ``str()`` names the file (English), its
    sentence and values said where shown. Both kept in ``args``, so it crosses the child
    process (pickled as ``cls(*args)``)."""

    def __init__(self, message: str, values: dict[str, object]) -> None:
        super().__init__(message, **values)
        self.args = (message, values)

    def __str__(self) -> str:
        return self.msg.said("en")


@dataclass(frozen=True)
class CalendarEvent:
    """One event of the calendar and what it was read as."""

    summary: str
    start: date
    end: date  # inclusive
    kind: Kind

    @property
    def dates(self) -> Lazy:
        """The event's day or days, as a person writes them ('Tue 01 Sep 2026')."""
        if self.start == self.end:
            return Dated(self.start, *_DAY)
        return Msg(_SPAN, first=Dated(self.start, *_DAY), last=Dated(self.end, *_DAY))

    @property
    def kind_said(self) -> Msg:
        """What the event was read as ('diwrnod HMS' in Welsh)."""
        return Msg(KINDS[self.kind])


@dataclass
class TermCalendar:
    """What the calendar gave: terms, holiday days inside them, INSET days, and notes."""

    events: list[CalendarEvent] = field(default_factory=list)
    terms: list[dict[str, Any]] = field(default_factory=list)
    holidays: list[date] = field(default_factory=list)
    inset_days: list[date] = field(default_factory=list)
    notes: list[Text] = field(default_factory=list)  # each said where shown

    @property
    def ignored(self) -> list[str]:
        """The events that were not used, as "summary (dates)" (English)."""
        return [f"{e.summary} ({e.dates.said('en')})" for e in self.events if e.kind == "not used"]


def _kind(summary: str, days: int) -> Kind:
    """What an event is, from its summary (and its length, for a whole term)."""
    if _INSET.search(summary):
        return "INSET day"
    if _HALF_TERM.search(summary):
        return "holiday"
    if _TERM.search(summary) and _STARTS.search(summary):
        return "term starts"
    if _TERM.search(summary) and _ENDS.search(summary):
        return "term ends"
    if _HOLIDAY.search(summary):
        return "holiday"
    if _TERM.search(summary) and days >= 5:
        return "term"
    return "not used"


def _day(value: Any) -> date:
    """A DTSTART/DTEND value as a date (a timed event counts on its day)."""
    return value.date() if isinstance(value, datetime) else value


_TOO_MANY = N_(
    "%(name)s: the calendar holds far more than a term-dates calendar does (over %(events)s "
    "events, or a very long file). Download the term dates alone, or type them."
)
_UNREADABLE = N_(
    "%(name)s: this is not an iCalendar (.ics) file we can read. Download the term dates again "
    "from the local authority's page, choosing the .ics or “add to calendar” link."
)
_TOO_LARGE = N_("%(name)s: the calendar is larger than 2 MB.")
_NOT_WITHIN_LIMITS = N_(
    "%(name)s: this calendar could not be read within our limits (it may be damaged). "
    "Download the term dates again, or type them."
)
_NO_EVENTS = N_("%(name)s: the calendar has no events.")
_NO_TERM_DATES = N_(
    "%(name)s: no term dates found (events named like 'Autumn term begins' and 'Autumn term "
    "ends', or one event spanning the term)"
)
_NO_END = N_("'%(summary)s' (%(dates)s) has no matching term end")
_NO_START = N_("'%(summary)s' (%(dates)s) has no matching term start")


def _parse(name: str, data: bytes) -> list[CalendarEvent]:
    """The calendar's events (in the child process of :func:`_events`); CalendarError."""
    # lazy: icalendar adds ~70 ms to the web app's start; the forkserver preloads it (contained)
    from icalendar import Calendar

    unreadable = CalendarError(_UNREADABLE, {"name": name})
    try:
        calendar = Calendar.from_ical(data.decode("utf-8-sig"))
        items = list(calendar.walk("VEVENT"))
    except Exception:  # any parser failure on untrusted bytes is a refusal
        raise unreadable from None
    events = []
    for item in items[: MAX_ICS_EVENTS + 1]:
        try:
            start = item.get("dtstart")
            if start is None:
                continue
            first = _day(start.dt)
            end_prop = item.get("dtend")
            last = first
            if end_prop is not None:
                end = _day(end_prop.dt)
                # an all-day DTEND is the day after the last day (RFC 5545)
                last = end - timedelta(days=1) if not isinstance(start.dt, datetime) else end
                last = max(last, first)
        except Exception:  # a date no calendar program would write
            raise unreadable from None
        summary = " ".join(str(item.get("summary", "")).split())[:120]
        events.append(CalendarEvent(summary, first, last, _kind(summary, (last - first).days + 1)))
    if len(events) > MAX_ICS_EVENTS:
        raise CalendarError(_TOO_MANY, {"name": name, "events": f"{MAX_ICS_EVENTS:,}"})
    return events


def _events(data: bytes, name: str) -> list[CalendarEvent]:
    """The calendar's events, in date order: its size checked here, then read by icalendar in
    a child process limited in memory and time (``bot.core.files.contained``)."""
    if len(data) > MAX_ICS_BYTES:
        raise CalendarError(_TOO_LARGE, {"name": name})
    if data.count(b"BEGIN:VEVENT") > MAX_ICS_EVENTS or data.count(b"\n") > MAX_ICS_LINES:
        raise CalendarError(_TOO_MANY, {"name": name, "events": f"{MAX_ICS_EVENTS:,}"})
    try:
        events = run_contained(functools.partial(_parse, name), data, passed=(CalendarError,))
    except ContainedError:
        raise CalendarError(_NOT_WITHIN_LIMITS, {"name": name}) from None
    if not events:
        raise CalendarError(_NO_EVENTS, {"name": name})
    return sorted(events, key=lambda e: (e.start, e.end))


def _plain_name(text: str) -> str:
    """A term's name without the commas, semicolons and tabs that separate the typed form's
    columns (the name is shown there and read back)."""
    return " ".join(re.sub(r"[,;\t]", " ", text).split()).strip(" -:")[:80]


def _term_name(summary: str, start: date) -> str:
    """The term's name from its start marker: "Autumn term begins" -> "Autumn term 2026",
    "Summer term 2 starts" -> "Summer term 2"."""
    name = _plain_name(_MARKER.sub(" ", summary))
    if not name:
        return f"Term from {start:%d %B %Y}"
    return name if name[-1].isdigit() else f"{name} {start.year}"


def _weekdays(first: date, last: date) -> list[date]:
    """Monday to Friday from ``first`` to ``last``."""
    days = (first + timedelta(days=n) for n in range((last - first).days + 1))
    return [d for d in days if d.weekday() < 5]


def _terms(events: list[CalendarEvent], notes: list[Text]) -> list[dict[str, Any]]:
    """Whole-term events, and "term starts"/"term ends" markers paired in date order."""
    terms = [
        {"name": _plain_name(e.summary), "start": e.start, "end": e.end}
        for e in events
        if e.kind == "term"
    ]
    pending: CalendarEvent | None = None
    for event in events:
        if event.kind == "term starts":
            if pending is not None:
                notes.append(Msg(_NO_END, summary=pending.summary, dates=pending.dates))
            pending = event
        elif event.kind == "term ends":
            if pending is None:
                notes.append(Msg(_NO_START, summary=event.summary, dates=event.dates))
                continue
            terms.append(
                {
                    "name": _term_name(pending.summary, pending.start),
                    "start": pending.start,
                    "end": event.end,
                }
            )
            pending = None
    if pending is not None:
        notes.append(Msg(_NO_END, summary=pending.summary, dates=pending.dates))
    return sorted(terms, key=lambda t: t["start"])


def read_term_calendar(data: bytes | BinaryIO, name: str) -> TermCalendar:
    """Read terms, holidays and INSET days from a published calendar (its bytes, or a file
    of which no more than the largest taken is read); raises CalendarError."""
    data = data if isinstance(data, bytes) else data.read(MAX_ICS_BYTES + 1)
    result = TermCalendar(events=_events(data, name))
    result.terms = _terms(result.events, result.notes)

    def in_term(day: date) -> bool:
        return not result.terms or any(t["start"] <= day <= t["end"] for t in result.terms)

    def days(kind: Kind) -> set[date]:
        return {d for e in result.events if e.kind == kind for d in _weekdays(e.start, e.end)}

    inset = days("INSET day")
    result.holidays = sorted({d for d in days("holiday") if in_term(d)} - inset)
    result.inset_days = sorted(inset)
    if not result.terms:
        result.notes.append(Msg(_NO_TERM_DATES, name=name))
    return result
