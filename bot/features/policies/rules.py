"""Policy rules (pure): governor alert stages and recipients, the review calendar entry,
version labels, acceptable documents, and matching policy titles.

Who is alerted about a policy's review date:

- the policy's named governors (``Policy.reviewers``, emails from the YAML or an import);
- the clerk (role ``clerk``) and the policy owner/lead (``Policy.owner``);
- the approving body: for the whole body (``FGB``, "Full Governing Body", "Governing Body",
  "Governors", "Board of Governors", an independent school's "proprietor" or "Proprietor
  Body": ``FGB_NAMES``, from every nation pack) everyone with the role ``governor`` or
  ``chair_of_governors``; for a committee, the members of the **directory group named exactly
  as the approving body** (case and spacing ignored), e.g. a Microsoft 365 / Google group
  called "Resources Committee" for ``approving_body: Resources Committee``. No configuration
  key is needed: committee membership lives where the school already keeps it. A committee
  with no such group falls back to the chair of governors, so somebody on the board hears.

When: each policy has stages 60, 30, 14, 7 and 0 days before its review date, then every 7 days
while overdue; each governor is told a review is overdue at most ``OVERDUE_REPEATS`` times, counted
as the emails go (a policy found years overdue is mentioned that many times too), and then the
dashboard and register keep showing it and nobody is emailed again. Governors get **one review
digest** listing every policy due or overdue for them, on a school day on which one of their
policies reached a new stage, and **at most one in any 7 days** (``DIGEST_EVERY_DAYS``): a stage
that fell in a holiday or inside the week goes once, in the next digest. Each digest's idempotency
key names the school, the recipient (hashed) and the day, so a rerun never sends twice. Every
digest carries an ``.ics`` all-day event per policy listed.

Nothing here reads or writes the database: functions take data and dates.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from bot.core.days.dates import shift
from bot.core.files.uploads import DOCUMENT_TYPES, MAX_DOCUMENT_BYTES
from bot.core.guards.forms import SaidError
from bot.core.language.i18n import N_, Dated, Joined, Msg, html_lang, nmsg, nsay, say, spoken
from bot.core.nations import NATIONS, school_words_for

if TYPE_CHECKING:
    from bot.core.models import Policy

__all__ = [
    "ALERT_DAYS_BEFORE",
    "CALENDAR_CONTENT_TYPE",
    "CANCEL_CONTENT_TYPE",
    "DERIVED_NOTE",
    "DIGEST_EVERY_DAYS",
    "DIGEST_KEY_PREFIX",
    "DOCUMENT_TYPES",
    "FGB_NAMES",
    "MAX_DOCUMENT_BYTES",
    "OVERDUE_EVERY_DAYS",
    "OVERDUE_REPEATS",
    "REVIEW_DUE_SOON_DAYS",
    "AlertStage",
    "DigestEntry",
    "Directory",
    "LinkedGap",
    "ReviewError",
    "alert_recipients",
    "alert_stages",
    "dated_label",
    "digest_entries",
    "digest_key",
    "digest_subject",
    "document_version_label",
    "latest_stage",
    "linked_policy_gaps",
    "normalise_group_name",
    "normalise_title",
    "policy_key",
    "recipient_tag",
    "review_calendar",
    "review_state",
    "review_status",
    "title_keys",
    "titles_match",
    "weekly_email_free",
]

ALERT_DAYS_BEFORE = (60, 30, 14, 7, 0)
OVERDUE_EVERY_DAYS = 7
OVERDUE_REPEATS = 4  # weekly overdue alerts after the due date; then the dashboard only
DIGEST_EVERY_DAYS = 7  # at most one review digest per governor in any 7 days
DIGEST_KEY_PREFIX = "governor-digest"
DERIVED_NOTE = N_("worked out from the ratification date — please confirm")
# every pack's names for the whole body, with and without "the" (bot/core/nations: England's
# FGB, Wales' governing body, Northern Ireland's Board of Governors, a Scottish board, an
# independent school's proprietor body, "the proprietor" that approves its policies by
# default), and the names schools write for it
FGB_NAMES = frozenset(
    name.removeprefix("the ")
    for name in (
        "fgb",
        "governors",
        "board",
        "bog",
        *(
            re.sub(r"\s+", " ", getattr(words, key)).strip().lower()
            for nation in NATIONS
            for words in (school_words_for(nation), school_words_for(nation, independent=True))
            for key in ("governing_body", "governing_body_short", "governors")
        ),
    )
)


# --------------------------------------------------------------------------- stages


@dataclass(frozen=True)
class AlertStage:
    """One alert in a policy's sequence: its order, label and calendar date."""

    index: int
    label: str  # before:60 ... before:7 | due | overdue:N
    on: date


def alert_stages(review_due: date, until: date) -> list[AlertStage]:
    """The numbered alert dates for one review date, overdue ones up to ``until`` (capped)."""
    stages = [
        AlertStage(index, "due" if days == 0 else f"before:{days}", shift(review_due, -days))
        for index, days in enumerate(ALERT_DAYS_BEFORE)
    ]
    for number in range(1, OVERDUE_REPEATS + 1):
        when = shift(review_due, OVERDUE_EVERY_DAYS * number)
        if when > until or when >= date.max:
            break
        stages.append(AlertStage(len(stages), f"overdue:{number}", when))
    return stages


def latest_stage(review_due: date, today: date) -> AlertStage | None:
    """The latest stage reached by ``today`` (None before the first one)."""
    reached = [s for s in alert_stages(review_due, today) if s.on <= today]
    return reached[-1] if reached else None


def recipient_tag(email: str) -> str:
    """A short stable tag for a recipient's address (keys stay short and carry no address)."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:16]


def digest_key(school_id: str, email: str, day: date) -> str:
    """The outbox idempotency key of one governor's review digest on one day."""
    return f"{DIGEST_KEY_PREFIX}:{school_id}:{recipient_tag(email)}:{day.isoformat()}"


def weekly_email_free(last_email: date | None, today: date) -> bool:
    """Whether a governor may be emailed about reviews today (none in the last 7 days)."""
    return last_email is None or (today - last_email).days >= DIGEST_EVERY_DAYS


@dataclass(frozen=True)
class DigestEntry:
    """One policy in a governor's digest: its review date, the stage reached, and if it is new."""

    policy_key: str
    review_due: date
    stage: AlertStage
    fresh: bool  # the stage was reached since this governor's last digest
    final: bool  # the last overdue email: no more emails about it


def digest_entries(
    reviews: Sequence[tuple[str, date]],
    last_digest: date | None,
    today: date,
    *,
    last_email: date | None = None,
    told_overdue: Mapping[str, int] | None = None,
) -> list[DigestEntry]:
    """The policies a governor's digest lists today (empty: no digest is owed today).

    Args:
        reviews: ``(policy key, review date)`` of every policy this governor hears about.
        last_digest: the day of their last review digest, if any.
        today: the day of the sweep.
        last_email: the day of their last email about reviews of any kind (a digest, or a
            review date changed): the weekly limit counts from it (default ``last_digest``).
        told_overdue: by policy key, how many digests have already told this governor the
            review is overdue (none if absent). The ``OVERDUE_REPEATS`` overdue emails are
            counted as they go, not from the calendar: a policy found years overdue is
            mentioned that many times too, and only the last says it is the last.

    Returns:
        Every policy with a stage reached, except those already told overdue
        ``OVERDUE_REPEATS`` times — or nothing at all when no stage is new (nor an overdue
        repeat owed) since the last digest, or the last digest was less than
        ``DIGEST_EVERY_DAYS`` ago. Overdue first, then by date.
    """
    if not weekly_email_free(max(filter(None, (last_digest, last_email)), default=None), today):
        return []
    told = told_overdue or {}
    entries: list[DigestEntry] = []
    for key, review_due in reviews:
        stage = latest_stage(review_due, today)
        if stage is None:
            continue
        overdue = stage.label.startswith("overdue:")
        repeats = told.get(key, 0) if overdue else 0
        if repeats >= OVERDUE_REPEATS:
            continue  # chasing has ended: the register and dashboard keep showing it
        fresh = last_digest is None or stage.on > last_digest or overdue
        final = overdue and repeats + 1 >= OVERDUE_REPEATS
        entries.append(DigestEntry(key, review_due, stage, fresh, final))
    if not any(e.fresh for e in entries):
        return []
    return sorted(entries, key=lambda e: (e.review_due, e.policy_key))


def review_state(review_due: date, on: date) -> Msg:
    """'overdue by 3 weeks', 'overdue by 2 days', 'due today', 'due in 12 days' as of ``on``."""
    days = (review_due - on).days
    if days <= -14:
        return nmsg("overdue by %(num)d week", "overdue by %(num)d weeks", -days // 7)
    if days < 0:
        return nmsg("overdue by %(num)d day", "overdue by %(num)d days", -days)
    if days == 0:
        return Msg(N_("due today"))
    return nmsg("due in %(num)d day", "due in %(num)d days", days)


def digest_subject(titles_due: Sequence[tuple[str, date]], on: date, governors: object) -> Msg:
    """The digest's subject as of the day it is delivered (``governors``: the school's word
    for them, said where shown)."""
    if len(titles_due) == 1:
        title, review_due = titles_due[0]
        days = (review_due - on).days
        if days < 0:
            return Msg(
                N_("Overdue policy review: %(title)s (was due %(date)s)"),
                title=title,
                date=Dated(review_due, "%d %B %Y", "dd MMMM y"),
            )
        if days == 0:
            return Msg(N_("Policy review due today: %(title)s"), title=title)
        return nmsg(
            "Policy review due in %(num)d day: %(title)s",
            "Policy review due in %(num)d days: %(title)s",
            days,
            title=title,
        )
    overdue = sum(1 for _, due in titles_due if due < on)
    coming = len(titles_due) - overdue
    parts = [
        Msg(what, num=n)
        for n, what in ((overdue, N_("%(num)d overdue")), (coming, N_("%(num)d due soon")))
        if n
    ]
    return Msg(
        N_("Policy reviews for %(governors)s: %(parts)s"),
        parts=Joined(parts, ", "),
        governors=governors,
    )


# --------------------------------------------------------------------------- recipients


def normalise_group_name(text: str) -> str:
    """A group or body name in lower case with single spaces (how such names are compared)."""
    return re.sub(r"\s+", " ", text).strip().lower()


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
    if normalise_group_name(policy.approving_body).removeprefix("the ") in FGB_NAMES:  # whole
        member_ids |= directory.roles.get("governor", none)
        member_ids |= directory.roles.get("chair_of_governors", none)
    else:
        committee = directory.groups.get(normalise_group_name(policy.approving_body), none)
        member_ids |= committee or directory.roles.get("chair_of_governors", none)
    wanted |= {directory.emails[pid] for pid in member_ids if pid in directory.emails}
    return sorted(wanted)


# --------------------------------------------------------------------------- calendar


CALENDAR_CONTENT_TYPE = "text/calendar; method=PUBLISH"  # RFC 5545 3.7.2: METHOD on the part
CANCEL_CONTENT_TYPE = "text/calendar; method=CANCEL"


def review_calendar(
    *,
    school_id: str,
    school_name: str,
    policy: Policy,
    review_due: date,
    now: datetime,
    domain: str,
    sequence: int = 0,
    cancel: bool = False,
) -> bytes:
    """An RFC 5545 calendar with one all-day event on the review date.

    The UID is stable: one per school and policy, under the school's domain, the same when the
    review date changes, so a calendar moves the event (by its higher SEQUENCE) instead of
    keeping the old date beside the new one; ``sequence`` is raised each time the date
    changes, so the entry updates the event a governor already has. ``cancel`` makes it a
    ``METHOD:CANCEL`` of that event (send it with ``CANCEL_CONTENT_TYPE``). The summary,
    description and category a governor reads are in the active language (the school's).
    """
    from icalendar import Calendar, Event  # lazy: ~60 ms on every command; only invitations

    cal = Calendar()
    cal.add("prodid", "-//compliance-bot//policy reviews//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "CANCEL" if cancel else "PUBLISH")
    event = Event()
    event.add("uid", f"policy-review-{school_id}-{policy.key}@{domain}")
    event.add("sequence", sequence)
    if cancel:
        event.add("status", "CANCELLED")
    event.add("dtstamp", now)
    event.add("dtstart", review_due)
    event.add("dtend", shift(review_due, 1))
    # RFC 5545 3.2.10: the language of the text a calendar shows (Welsh first in cy+en)
    said_in = {} if spoken() == "en" else {"LANGUAGE": html_lang(spoken())}
    event.add(
        "summary", say("Policy review due: %(title)s", title=policy.title), parameters=said_in
    )
    event.add(
        "description",
        nsay(
            "%(school)s: the %(title)s is due for review and ratification by the %(body)s "
            "(every %(num)d month). After the meeting, record the review (date, minute "
            "reference and any new document) on the policy register.",
            "%(school)s: the %(title)s is due for review and ratification by the %(body)s "
            "(every %(num)d months). After the meeting, record the review (date, minute "
            "reference and any new document) on the policy register.",
            policy.review_cycle_months,
            school=school_name,
            title=policy.title,
            body=Msg(policy.approving_body),
        ),
        parameters=said_in,
    )
    event.add("categories", [say("Policy review")], parameters=said_in)
    event.add("transp", "TRANSPARENT")
    cal.add_component(event)
    return bytes(cal.to_ical())


# --------------------------------------------------------------------------- documents, versions


class ReviewError(SaidError, ValueError):
    """A review cannot be recorded as given; ``str()`` says why in one line, ``said(tr)`` in
    the page's language."""


_VERSION_TOKEN = re.compile(r"^v?\d+(?:[.-]\d+)*[a-z]?$", re.IGNORECASE)


def dated_label(labels: set[str], word: str, on: date, *, month_only: bool = False) -> str:
    """A version label for a document that states no version: what happened and when
    ("adopted 12 November 2026", "reviewed November 2025"), new among ``labels``. Never a
    number: staff would take an invented number for the document's own."""
    when = f"{on:%B %Y}" if month_only else f"{on.day} {on:%B %Y}"
    label = f"{word} {when}"[:34]
    number = 2
    candidate = label
    while candidate in labels:
        candidate = f"{label} ({number})"
        number += 1
    return candidate


def document_version_label(
    labels: set[str],
    stated: str | None,
    *,
    ratified: date | None,
    last_reviewed: date | None,
    today: date,
    month_only: frozenset[str] = frozenset(),
    chosen: str | None = None,
) -> str:
    """The label of an imported document's version, new among ``labels``: the label the school
    chose (``chosen``), else the document's own version number when usable, else dated by what
    the document says happened ("adopted" on its ratification, "reviewed" on its last review,
    else "added" today; ``dated_label``). ``month_only`` names the dates given only as a month."""
    typed = " ".join((chosen or "").split())[:40]
    if typed and typed not in labels:
        return typed
    token = (stated or "").strip()
    if token and _VERSION_TOKEN.match(token) and token not in labels:
        return token[:40]
    if ratified is not None:
        return dated_label(labels, "adopted", ratified, month_only="ratified" in month_only)
    if last_reviewed is not None:
        month = "last_reviewed" in month_only
        return dated_label(labels, "reviewed", last_reviewed, month_only=month)
    return dated_label(labels, "added", today)


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
    words = (w for word in plain.split() for w in _SYNONYMS.get(word, word).split())
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
    register_titles: Sequence[str], links: Iterable[tuple[str, Sequence[str]]]
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
            if not _words(wanted) or any(titles_match(wanted, held) for held in register_titles):
                continue
            entry = found.setdefault(_words(wanted), (wanted, []))
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


REVIEW_DUE_SOON_DAYS = 30  # a policy is "due soon" when its review date is this close


def review_status(policy: Policy, today: date) -> str:
    """current / due soon / overdue / under review."""
    if policy.under_review:
        return "under review"
    if policy.next_review_due is None:
        return "no review date"
    if policy.next_review_due < today:
        return "overdue"
    if policy.next_review_due <= today + timedelta(days=REVIEW_DUE_SOON_DAYS):
        return "due soon"
    return "current"
