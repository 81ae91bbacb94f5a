"""Policy rules (pure): governor alert stages and recipients, the review calendar entry,
version labels, acceptable documents, and matching policy titles.

Who is alerted about a policy's review date:

- the policy's named governors (``Policy.reviewers``, emails from the YAML or an import);
- the clerk (role ``clerk``) and the policy owner/lead (``Policy.owner``);
- the approving body: for the full governing body (``FGB``, "Full Governing Body",
  "Governing Body", "Governors", "Board of Governors") everyone with the role ``governor`` or
  ``chair_of_governors``; for a committee, the members of the **directory group named exactly
  as the approving body** (case and spacing ignored), e.g. a Microsoft 365 / Google group
  called "Resources Committee" for ``approving_body: Resources Committee``. No configuration
  key is needed: committee membership lives where the school already keeps it. A committee
  with no such group falls back to the chair of governors, so somebody on the board hears.

When: 60, 30, 14, 7 and 0 days before the review date, then every 7 days while overdue. Alerts
go on school days only; a stage that falls on a weekend or holiday goes on the next school
day, and after a break only the latest missed stage goes (as ``bot.engine.duties.next_reminder``).
Each alert's idempotency key names the school, policy, review date and stage, so a rerun never
sends twice and a new review date starts a fresh sequence. Every alert carries an ``.ics``
all-day event for the review deadline.

Nothing here reads or writes the database: functions take data and dates.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import PurePath
from typing import TYPE_CHECKING

from icalendar import Calendar, Event

if TYPE_CHECKING:
    from bot.core.models import Policy

__all__ = [
    "ALERT_DAYS_BEFORE",
    "DOCUMENT_TYPES",
    "FGB_NAMES",
    "KEY_PREFIX",
    "MAX_DOCUMENT_BYTES",
    "OVERDUE_EVERY_DAYS",
    "AlertStage",
    "Directory",
    "LinkedGap",
    "ReviewError",
    "alert_key",
    "alert_recipients",
    "alert_stages",
    "check_document",
    "due_alert",
    "import_version_label",
    "is_full_governing_body",
    "linked_policy_gaps",
    "next_version_label",
    "normalise_group_name",
    "normalise_title",
    "policy_key",
    "review_calendar",
    "stage_index",
    "title_keys",
    "titles_match",
]

ALERT_DAYS_BEFORE = (60, 30, 14, 7, 0)
OVERDUE_EVERY_DAYS = 7
FGB_NAMES = frozenset(
    {"fgb", "full governing body", "governing body", "governors", "board of governors"}
)
DOCUMENT_TYPES = (".pdf", ".docx", ".md", ".txt")
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
KEY_PREFIX = "governor-review"


# --------------------------------------------------------------------------- stages


@dataclass(frozen=True)
class AlertStage:
    """One alert in a policy's sequence: its order, label and calendar date."""

    index: int
    label: str  # before:60 ... before:7 | due | overdue:N
    on: date


def alert_stages(review_due: date, until: date) -> list[AlertStage]:
    """The numbered alert dates for one review date, overdue ones up to ``until``."""
    stages: list[AlertStage] = []
    for days in ALERT_DAYS_BEFORE:
        label = "due" if days == 0 else f"before:{days}"
        stages.append(AlertStage(len(stages), label, review_due - timedelta(days=days)))
    number = 1
    while (when := review_due + timedelta(days=OVERDUE_EVERY_DAYS * number)) <= until:
        stages.append(AlertStage(len(stages), f"overdue:{number}", when))
        number += 1
    return stages


def stage_index(label: str) -> int:
    """The position of a stage label in the sequence (for comparing with what was sent)."""
    if label.startswith("overdue:"):
        return len(ALERT_DAYS_BEFORE) - 1 + int(label.split(":", 1)[1])
    if label == "due":
        return len(ALERT_DAYS_BEFORE) - 1
    return ALERT_DAYS_BEFORE.index(int(label.split(":", 1)[1]))


def due_alert(review_due: date, last_sent: int, today: date) -> AlertStage | None:
    """The stage to send today: the latest one reached, if it is later than the last sent."""
    reached = [s for s in alert_stages(review_due, today) if s.on <= today]
    if not reached or reached[-1].index <= last_sent:
        return None
    return reached[-1]


def alert_key(school_id: str, policy_id: int, review_due: date, label: str) -> str:
    """The outbox idempotency key for one stage of one policy's review date."""
    return f"{KEY_PREFIX}:{school_id}:{policy_id}:{review_due.isoformat()}:{label}"


# --------------------------------------------------------------------------- recipients


def normalise_group_name(text: str) -> str:
    """A group or body name in lower case with single spaces (how such names are compared)."""
    return re.sub(r"\s+", " ", text).strip().lower()


def is_full_governing_body(body: str) -> bool:
    """Whether the approving body names the full governing body rather than a committee."""
    return normalise_group_name(body) in FGB_NAMES


@dataclass(frozen=True)
class Directory:
    """Who is who, read once per sweep: active emails, roles and groups by person."""

    emails: dict[int, str]  # active people only
    inactive: frozenset[str]
    roles: dict[str, frozenset[int]]
    groups: dict[str, frozenset[int]]  # normalised group name -> people


def alert_recipients(policy: Policy, directory: Directory) -> list[str]:
    """Named governors, the clerk, the owner and the approving body's members (sorted)."""
    none: frozenset[int] = frozenset()
    wanted = {
        str(email).lower()
        for email in policy.reviewers
        if str(email).lower() not in directory.inactive
    }
    member_ids = set(directory.roles.get("clerk", none))
    if policy.owner_id is not None:
        member_ids.add(policy.owner_id)
    if is_full_governing_body(policy.approving_body):
        member_ids |= directory.roles.get("governor", none)
        member_ids |= directory.roles.get("chair_of_governors", none)
    else:
        committee = directory.groups.get(normalise_group_name(policy.approving_body), none)
        member_ids |= committee or directory.roles.get("chair_of_governors", none)
    wanted |= {directory.emails[pid] for pid in member_ids if pid in directory.emails}
    return sorted(wanted)


# --------------------------------------------------------------------------- calendar


def review_calendar(
    *, school_id: str, school_name: str, policy: Policy, review_due: date, now: datetime
) -> bytes:
    """An RFC 5545 calendar with one all-day event on the review date (stable UID)."""
    cal = Calendar()
    cal.add("prodid", "-//compliance-bot//policy reviews//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"policy-review-{school_id}-{policy.key}-{review_due:%Y%m%d}@compliance-bot")
    event.add("dtstamp", now)
    event.add("dtstart", review_due)
    event.add("dtend", review_due + timedelta(days=1))
    event.add("summary", f"Policy review due: {policy.title}")
    event.add(
        "description",
        f"{school_name}: the {policy.title} is due for review and ratification by the "
        f"{policy.approving_body} (every {policy.review_cycle_months} months). After the "
        "meeting, record the review (date, minute reference and any new document) on the "
        "policy register.",
    )
    event.add("categories", ["Policy review"])
    event.add("transp", "TRANSPARENT")
    cal.add_component(event)
    return bytes(cal.to_ical())


# --------------------------------------------------------------------------- documents, versions


class ReviewError(ValueError):
    """A review cannot be recorded as given; ``str()`` says why in one line."""


def next_version_label(existing: Iterable[str], on: date) -> str:
    """``YYYY.N``: the year of ``on`` and one more than that year's highest N (``2026.1``...)."""
    labels = set(existing)
    pattern = re.compile(rf"^{on.year}\.(\d+)$")
    highest = max((int(m.group(1)) for lbl in labels if (m := pattern.match(lbl))), default=0)
    number = highest + 1
    while f"{on.year}.{number}" in labels:  # pragma: no cover - max() already skips these
        number += 1
    return f"{on.year}.{number}"


_VERSION_TOKEN = re.compile(r"^v?\d+(?:[.-]\d+)*[a-z]?$", re.IGNORECASE)


def import_version_label(labels: set[str], stated: str | None, on: date) -> str:
    """The document's own version number when usable and new, else the next ``YYYY.N``."""
    token = (stated or "").strip()
    if token and _VERSION_TOKEN.match(token) and token not in labels:
        return token[:40]
    return next_version_label(labels, on)


def check_document(name: str, data: bytes) -> str:
    """The file's base name if it is an acceptable policy document, else ReviewError."""
    base = PurePath(name.replace("\\", "/")).name.strip()
    if not base.lower().endswith(DOCUMENT_TYPES):
        raise ReviewError(
            f"{base or 'the document'}: use a .pdf, .docx, .md or .txt file for the policy"
        )
    if not data:
        raise ReviewError(f"{base}: the file is empty")
    if len(data) > MAX_DOCUMENT_BYTES:
        raise ReviewError(f"{base}: the file is larger than 10 MB")
    return base[:300]


# --------------------------------------------------------------------------- titles and gaps

# abbreviations and old names people use for the same policy
_SYNONYMS = {
    "aup": "acceptable use",
    "aups": "acceptable use",
    "e safety": "online safety",
    "esafety": "online safety",
    "gdpr": "data protection",
    "cp": "child protection",
}
_NOISE = {"policy", "policies", "the", "our", "school", "schools", "s", "and", "or", "of", "for"}


def _words(text: str) -> tuple[str, ...]:
    """Lower-case words without punctuation, with abbreviations expanded and noise dropped."""
    plain = re.sub(r"[^a-z0-9]+", " ", text.lower().replace("&", " and ")).strip()
    plain = re.sub(r"\be safety\b", "online safety", plain)
    words: list[str] = []
    for word in plain.split():
        words.extend(_SYNONYMS.get(word, word).split())
    return tuple(w for w in words if w not in _NOISE)


def normalise_title(title: str) -> str:
    """A title reduced to its significant words ("Online Safety Policy" -> "online safety")."""
    return " ".join(_words(title))


def title_keys(title: str) -> list[tuple[str, ...]]:
    """The ways a title may be referred to: the whole, any ``(ABBR)`` and each and/or part."""
    keys: list[tuple[str, ...]] = []
    inner = re.findall(r"\(([^)]*)\)", title)
    outer = re.sub(r"\([^)]*\)", " ", title)
    for part in [outer, *inner, *re.split(r"\s+and/or\s+|/|;|,", outer)]:
        words = _words(part)
        if words and words not in keys:
            keys.append(words)
    return keys


def titles_match(wanted: str, title: str) -> bool:
    """Loose match: case, "policy" suffix and AUP/Acceptable Use Policy do not matter.

    A reference matches when every significant word of one of its forms appears in the
    register title ("Child protection policy" finds "Child Protection and Safeguarding Policy").
    """
    have = set(_words(title))
    for alias in title_keys(title):
        have |= set(alias)
    return any(set(key) <= have for key in title_keys(wanted))


@dataclass(frozen=True)
class LinkedGap:
    """A policy that others link to but the register does not hold."""

    title: str
    wanted_by: tuple[str, ...]


def linked_policy_gaps(
    register_titles: Sequence[str],
    links: Iterable[tuple[str, Sequence[str]]],
) -> list[LinkedGap]:
    """Linked policies missing from the register, each with the policies that name it.

    Args:
        register_titles: titles (and keys) of the policies held.
        links: ``(policy title, [linked titles])`` pairs, e.g. from the register or an import.
    """
    found: dict[tuple[str, ...], tuple[str, list[str]]] = {}
    for owner, linked in links:
        for wanted in linked:
            wanted = re.sub(r"\s+", " ", str(wanted)).strip(" -•*\t")
            if not wanted or not _words(wanted):
                continue
            if any(titles_match(wanted, held) for held in register_titles):
                continue
            slot = _words(wanted)
            entry = found.setdefault(slot, (wanted, []))
            if owner not in entry[1]:
                entry[1].append(owner)
    return [
        LinkedGap(title, tuple(owners))
        for title, owners in sorted(found.values(), key=lambda v: v[0].lower())
    ]


def policy_key(title: str) -> str:
    """A register key from a title ("Online Safety Policy" -> ``online-safety``)."""
    key = ""
    for word in dict.fromkeys(normalise_title(re.sub(r"\([^)]*\)", " ", title)).split()):
        if key and len(key) + 1 + len(word) > 32:
            break
        key = f"{key}-{word}" if key else word
    return key[:64] or "policy"
