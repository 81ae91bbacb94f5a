"""Pure rules of the web setup: edits of the school's configuration, typed and ``.ics`` term
dates, requirement packs that follow the school's policies, and how far setup has got.

Nothing here touches a database: every function takes the configuration (and ``today`` where a
date matters) and returns a new one, or raises :class:`SetupError` naming the box at fault.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import ValidationError

from bot.core.config import OrgConfig, PolicyConfig, SchoolConfig

__all__ = [
    "PACKS",
    "CalendarRead",
    "Pack",
    "SetupError",
    "SetupStep",
    "edit_school",
    "pack_requirements",
    "parse_day",
    "parse_days",
    "parse_terms",
    "read_ics",
    "setup_steps",
    "slug",
    "terms_text",
]

MAX_ICS_BYTES = 2 * 1024 * 1024


class SetupError(ValueError):
    """A change that cannot be made; ``field`` names the box, ``str()`` says why."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name


def slug(text: str, fallback: str = "item") -> str:
    """A short id from a name ("School Facebook page" -> ``school-facebook-page``)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60].strip("-") or fallback


def _pydantic_message(exc: ValidationError) -> tuple[str, str]:
    """The first problem of a validation error as (box name, sentence)."""
    error = exc.errors()[0]
    loc = [str(p) for p in error["loc"] if not isinstance(p, int)]
    box = loc[-1] if loc else "settings"
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "string_pattern_mismatch" and box in {"headteacher", "dsl", "clerk"}:
        message = "give an email address"
    return box, message


def edit_school(
    org: OrgConfig, school_id: str, change: Callable[[dict[str, Any]], None]
) -> OrgConfig:
    """A new configuration with ``change`` applied to one school's settings, validated.

    Args:
        org: the configuration as it is now (never modified).
        school_id: which school to change.
        change: edits the school's settings as plain data (lists and dicts), in place.

    Returns:
        The validated configuration; raises :class:`SetupError` naming the box otherwise.

    Example::

        new = edit_school(org, "oak", lambda s: s.update(name="Oak Primary School"))
    """
    data = org.model_dump(mode="python")
    school = next((s for s in data["schools"] if s["id"] == school_id), None)
    if school is None:
        raise SetupError("school", f"There is no school '{school_id}' in the settings.")
    change(school)
    try:
        return OrgConfig.model_validate(data)
    except ValidationError as exc:
        box, message = _pydantic_message(exc)
        raise SetupError(box, f"{box.replace('_', ' ').capitalize()}: {message}.") from None


# --------------------------------------------------------------------------- dates typed


_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}


def parse_day(text: str) -> date | None:
    """A typed date: ``2026-09-02``, ``02/09/2026`` (UK, day first) or ``2 September 2026``."""
    value = text.strip().rstrip(".")
    try:
        return date.fromisoformat(value)
    except ValueError:
        pass
    found = re.fullmatch(r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})", value)
    if found:
        day, month, year = (int(g) for g in found.groups())
    else:
        found = re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]+)\s+(\d{4})", value)
        if not found or found.group(2).lower() not in _MONTHS:
            return None
        day, month, year = int(found.group(1)), _MONTHS[found.group(2).lower()], int(found[3])
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_days(text: str, box: str, label: str) -> list[date]:
    """One date a line (blank lines skipped); SetupError naming the line otherwise."""
    days: list[date] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        day = parse_day(line)
        if day is None:
            raise SetupError(
                box,
                f"{label}, line {number}: “{line.strip()[:40]}” is not a date; write it like "
                "2026-10-23 or 23/10/2026.",
            )
        days.append(day)
    return sorted(set(days))


def parse_terms(text: str) -> list[dict[str, Any]]:
    """Terms typed one a line as "name, first day, last day"; SetupError naming the line."""
    terms: list[dict[str, Any]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in re.split(r"[,;\t]", line)]
        if len(parts) != 3 or not parts[0]:
            raise SetupError(
                "terms",
                f"Terms, line {number}: write the term's name, its first day and its last day, "
                "separated by commas, e.g. “Autumn 1, 2026-09-02, 2026-10-23”.",
            )
        start, end = parse_day(parts[1]), parse_day(parts[2])
        if start is None or end is None:
            bad = parts[1] if start is None else parts[2]
            raise SetupError(
                "terms",
                f"Terms, line {number}: “{bad[:40]}” is not a date; write it like 2026-09-02.",
            )
        if end < start:
            raise SetupError("terms", f"Terms, line {number}: “{parts[0]}” ends before it starts.")
        terms.append({"name": parts[0][:80], "start": start, "end": end})
    return sorted(terms, key=lambda t: t["start"])


def terms_text(school: SchoolConfig) -> str:
    """The school's terms as the typed form shows them."""
    return "\n".join(f"{t.name}, {t.start.isoformat()}, {t.end.isoformat()}" for t in school.terms)


# --------------------------------------------------------------------------- .ics calendars


@dataclass
class CalendarRead:
    """What a term-dates calendar said: terms, holidays, INSET days and what was left out."""

    terms: list[dict[str, Any]] = field(default_factory=list)
    holidays: list[date] = field(default_factory=list)
    inset_days: list[date] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)


_INSET = re.compile(r"\binset\b|training day|staff development|teacher day|\bpd day", re.I)
_HOLIDAY = re.compile(r"half[\s-]?term|holiday|\bbreak\b|closed|closure|bank hol", re.I)
_TERM = re.compile(r"\bterm\b", re.I)
_MARK = re.compile(r"\b(starts?|begins?|opens?|first day|ends?|finish(?:es)?|closes|last day)\b",
                   re.I)
_ENDS = re.compile(r"\b(ends?|finish(?:es)?|closes|last day)\b", re.I)


def _as_day(value: Any) -> date | None:
    """An iCalendar DTSTART/DTEND value as a day."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return None


def _days(first: date, last: date) -> list[date]:
    """Every weekday from first to last."""
    count = (last - first).days + 1
    return [d for d in (first + timedelta(n) for n in range(max(count, 0))) if d.weekday() < 5]


def _events(name: str, data: bytes) -> list[tuple[str, date, date]]:
    """(summary, first day, last day) of every event in the calendar; SetupError if unreadable."""
    from icalendar import Calendar

    if len(data) > MAX_ICS_BYTES:
        raise SetupError("calendar", f"{name}: the calendar is larger than 2 MB.")
    try:
        calendar = Calendar.from_ical(data.decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError, IndexError, KeyError):
        raise SetupError(
            "calendar",
            f"{name}: this is not an iCalendar (.ics) file we can read. Download the term "
            "dates again from the local authority's page, choosing the .ics or “add to "
            "calendar” link.",
        ) from None
    events: list[tuple[str, date, date]] = []
    for event in calendar.walk("VEVENT"):
        summary = str(event.get("SUMMARY") or "").strip()
        start = _as_day(event.decoded("DTSTART", None))
        if start is None or not summary:
            continue
        end = _as_day(event.decoded("DTEND", None)) if event.get("DTEND") else None
        all_day = not isinstance(event.decoded("DTSTART"), datetime)
        # an all-day event's DTEND is the day after it ends (RFC 5545)
        last = (end - timedelta(days=1) if all_day else end) if end else start
        events.append((summary[:120], start, max(last, start)))
    return sorted(events, key=lambda e: e[1])


def read_ics(name: str, data: bytes) -> CalendarRead:
    """Terms, holidays and INSET days from a local authority's published ``.ics`` calendar.

    Events are recognised by their summary: "INSET day" (or "training day") is an INSET day,
    "half term", "holiday", "break" or "closed" a holiday (its weekdays), and an event naming a
    "term" either spans the term or marks its first or last day ("Autumn term starts").

    Example::

        read = read_ics("term-dates.ics", path.read_bytes())
        read.terms  # [{"name": "Autumn term", "start": date(2026, 9, 2), "end": ...}]
    """
    read = CalendarRead()
    opened: dict[str, tuple[str, date]] = {}
    for summary, first, last in _events(name, data):
        if _INSET.search(summary):
            read.inset_days += _days(first, last)
        elif _HOLIDAY.search(summary):
            read.holidays += _days(first, last)
        elif _TERM.search(summary) and _MARK.search(summary):
            key = _MARK.sub("", summary).strip(" -:").lower()
            title = _MARK.sub("", summary).strip(" -:")
            if _ENDS.search(summary) and key in opened:
                started_name, started = opened.pop(key)
                read.terms.append({"name": started_name, "start": started, "end": last})
            elif not _ENDS.search(summary):
                opened[key] = (title, first)
            else:
                read.ignored.append(f"{summary} ({first.isoformat()}): no start found")
        elif _TERM.search(summary) and last > first:
            read.terms.append({"name": summary, "start": first, "end": last})
        else:
            read.ignored.append(f"{summary} ({first.isoformat()})")
    read.ignored += [f"{n} ({d.isoformat()}): no end found" for n, d in opened.values()]
    read.terms.sort(key=lambda t: t["start"])
    read.holidays = sorted(set(read.holidays) - set(read.inset_days))
    read.inset_days = sorted(set(read.inset_days))
    if not (read.terms or read.holidays or read.inset_days):
        raise SetupError(
            "calendar",
            f"{name}: no term, holiday or INSET day was found in this calendar "
            f"({len(read.ignored)} other events). Type the term dates instead.",
        )
    return read


# --------------------------------------------------------------------------- requirement packs


@dataclass(frozen=True)
class _Ack:
    """An acknowledgement the pack asks for, when the school has a policy matching ``words``."""

    id: str
    words: tuple[str, ...]
    audience: tuple[str, ...] = ("staff", "volunteer")
    yearly: bool = False


@dataclass(frozen=True)
class Pack:
    """A built-in set of requirements: acknowledgements matched to policies, training, the AUP."""

    id: str
    title: str
    summary: str
    acks: tuple[_Ack, ...] = ()
    training: tuple[tuple[str, str], ...] = ()  # (id, course)
    aup: bool = False


_ACKS = (
    _Ack("ack-child-protection", ("child protection", "safeguarding"), yearly=True),
    _Ack("ack-online-safety", ("online safety", "e-safety", "esafety")),
    _Ack("ack-mobile-phones", ("mobile", "social media", "personal device")),
    _Ack("ack-code-of-conduct", ("code of conduct",), audience=("staff",)),
)
PACKS: dict[str, Pack] = {
    pack.id: pack
    for pack in (
        Pack(
            "kcsie",
            "Keeping Children Safe in Education: the essentials",
            "Annual safeguarding and online-safety training for staff and volunteers; "
            "everyone acknowledges the child protection (every September), online safety, "
            "mobile phone and social media policies, and staff the code of conduct; official "
            "account holders sign the social media AUP.",
            acks=_ACKS,
            training=(
                ("training-safeguarding", "Safeguarding and child protection"),
                ("training-online-safety", "Online safety"),
            ),
            aup=True,
        ),
        Pack(
            "acknowledgements",
            "Policy acknowledgements only",
            "Staff and volunteers acknowledge the child protection, online safety, mobile "
            "phone and social media policies, and staff the code of conduct. No training is "
            "chased.",
            acks=_ACKS,
        ),
    )
}


def _matching(policies: Iterable[PolicyConfig], words: tuple[str, ...]) -> PolicyConfig | None:
    """The first policy (not an AUP) whose title holds one of ``words``."""
    for policy in policies:
        title = policy.title.lower()
        if not policy.aup and any(w in title for w in words):
            return policy
    return None


def pack_requirements(pack_id: str, school: SchoolConfig) -> tuple[list[dict[str, Any]], list[str]]:
    """The requirements a pack adds to this school (ids it already has are kept), and notes
    saying what could not be matched. Governors' reviews follow each policy's review date and
    need no requirement."""
    pack = PACKS.get(pack_id)
    if pack is None:
        raise SetupError("pack", "Please choose one of the requirement packs.")
    have = {r.id for r in school.requirements}
    added: list[dict[str, Any]] = []
    notes: list[str] = []
    used: set[str] = set()
    for ack in pack.acks:
        policy = _matching((p for p in school.policies if p.id not in used), ack.words)
        if policy is None:
            notes.append(f"No policy about {ack.words[0]} yet: add it, then choose the pack again.")
            continue
        used.add(policy.id)
        if ack.id in have:
            continue
        entry: dict[str, Any] = {
            "id": ack.id,
            "kind": "acknowledge_policy",
            "policy": policy.id,
            "audience": {"roles": list(ack.audience)},
            "due_days": 14,
        }
        if ack.yearly:
            entry["yearly_on"] = "09-01"
        added.append(entry)
    for rid, course in pack.training:
        if rid not in have:
            added.append({
                "id": rid,
                "kind": "complete_training",
                "course": course,
                "valid_months": 12,
                "audience": {"roles": ["staff", "volunteer"]},
                "due_days": 28,
            })
    if pack.aup:
        aup = next((p for p in school.policies if p.aup), None)
        if aup is None:
            notes.append("No policy is marked as the social media AUP yet: official account "
                         "holders are not asked to sign one.")
        elif "sign-aup" not in have and not any(r.kind == "sign_aup" for r in school.requirements):
            added.append({"id": "sign-aup", "kind": "sign_aup", "policy": aup.id, "due_days": 10})
    return added, notes


# --------------------------------------------------------------------------- progress


@dataclass(frozen=True)
class SetupStep:
    """One step of the first-run setup and whether it has something saved."""

    key: str
    title: str
    done: bool
    summary: str


def _names(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def setup_steps(school: SchoolConfig, source: str) -> list[SetupStep]:
    """The setup steps in order, each with a one-line summary of what is saved."""
    roles = [school.headteacher, *school.dsl, *school.deputy_dsl]
    return [
        SetupStep("school", "School details", bool(school.name), f"{school.name}"),
        SetupStep(
            "people",
            "People in roles",
            bool(school.dsl),
            f"headteacher, {_names(len(school.dsl), 'DSL', 'DSLs')}, "
            f"{_names(len(school.deputy_dsl), 'deputy DSL', 'deputy DSLs')}"
            if school.dsl
            else f"{_names(len(set(roles)), 'person', 'people')} named so far; no DSL yet",
        ),
        SetupStep(
            "policies",
            "Policies",
            bool(school.policies),
            _names(len(school.policies), "policy", "policies"),
        ),
        SetupStep(
            "terms",
            "Term dates",
            bool(school.terms),
            f"{_names(len(school.terms), 'term', 'terms')}, "
            f"{_names(len(school.inset_days), 'INSET day', 'INSET days')}",
        ),
        SetupStep(
            "requirements",
            "What staff are asked to do",
            bool(school.requirements),
            _names(len(school.requirements), "requirement", "requirements"),
        ),
        SetupStep(
            "source",
            "Where the settings are managed",
            True,
            "on these pages" if source == "web" else "in school.yaml, by your IT provider",
        ),
    ]
