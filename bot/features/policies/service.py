"""Governance: the policy register, review alerts to governors, recording reviews, and
linked-policy gaps (issue #5).

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

Recording a review sets ``last_reviewed`` and ``ratified_on`` to the meeting date and
``next_review_due`` to that date plus the review cycle. A changed document becomes a new
``PolicyVersion`` labelled ``YYYY.N`` (the review's year, N counting that year's versions of
this policy: ``2026.1``, ``2026.2``...), published on the day it is recorded; the duties engine
then asks staff to acknowledge it on the next sweep and supersedes the old duties.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import PurePath

from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core import audit
from bot.core.clock import send_after
from bot.core.config import SchoolConfig
from bot.core.context import StepContext
from bot.core.messages import human_date, notice
from bot.core.models import (
    OutboxMessage,
    Person,
    PersonGroup,
    PersonRole,
    Policy,
    PolicyReview,
    PolicyVersion,
)
from bot.core.outbox import EmailDraft, enqueue_email
from bot.engine.duties import add_months
from bot.engine.sync import default_statement
from bot.features.dashboard.figures import review_status
from connectors.base import Attachment

__all__ = [
    "ALERT_DAYS_BEFORE",
    "DOCUMENT_TYPES",
    "FGB_NAMES",
    "MAX_DOCUMENT_BYTES",
    "OVERDUE_EVERY_DAYS",
    "AlertPlanned",
    "AlertStage",
    "Directory",
    "ImportedFacts",
    "LinkedGap",
    "RegisterRow",
    "ReviewError",
    "ReviewRecorded",
    "StoredPolicy",
    "alert_key",
    "alert_recipients",
    "alert_stages",
    "due_alert",
    "governor_alerts",
    "is_full_governing_body",
    "linked_policy_gaps",
    "load_directory",
    "next_version_label",
    "normalise_title",
    "plan_alerts",
    "policy_key",
    "record_review",
    "register",
    "register_gaps",
    "review_calendar",
    "store_imported",
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


# --------------------------------------------------------------------------- stages (pure)


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


def _stage_index(label: str) -> int:
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


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def is_full_governing_body(body: str) -> bool:
    """Whether the approving body names the full governing body rather than a committee."""
    return _norm(body) in FGB_NAMES


@dataclass(frozen=True)
class Directory:
    """Who is who, read once per sweep: active emails, roles and groups by person."""

    emails: dict[int, str]  # active people only
    inactive: frozenset[str]
    roles: dict[str, frozenset[int]]
    groups: dict[str, frozenset[int]]  # normalised group name -> people


def load_directory(session: Session, school_id: str) -> Directory:
    """Read the people, roles and groups the recipients rule needs (three column queries)."""
    emails: dict[int, str] = {}
    inactive: set[str] = set()
    for pid, email, active in session.execute(
        select(Person.id, Person.email, Person.active).where(Person.school_id == school_id)
    ):
        if active:
            emails[pid] = email
        else:
            inactive.add(email)
    roles: dict[str, set[int]] = defaultdict(set)
    for pid, role in session.execute(
        select(PersonRole.person_id, PersonRole.role).where(PersonRole.school_id == school_id)
    ):
        roles[role].add(pid)
    groups: dict[str, set[int]] = defaultdict(set)
    for pid, name in session.execute(
        select(PersonGroup.person_id, PersonGroup.name).where(PersonGroup.school_id == school_id)
    ):
        groups[_norm(name)].add(pid)
    return Directory(
        emails=emails,
        inactive=frozenset(inactive),
        roles={k: frozenset(v) for k, v in roles.items()},
        groups={k: frozenset(v) for k, v in groups.items()},
    )


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
        committee = directory.groups.get(_norm(policy.approving_body), none)
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


# --------------------------------------------------------------------------- the sweep step


@dataclass(frozen=True)
class AlertPlanned:
    """One governor alert: which policy, which stage, to whom, queued or not."""

    policy_key: str
    review_due: date
    stage: str
    recipients: tuple[str, ...]
    key: str
    queued: bool


def _last_sent(session: Session, school_id: str) -> dict[tuple[int, date], int]:
    """The highest stage already in the outbox per (policy, review date)."""
    sent: dict[tuple[int, date], int] = {}
    prefix = f"{KEY_PREFIX}:{school_id}:"
    for (key,) in session.execute(
        select(OutboxMessage.idempotency_key).where(
            OutboxMessage.idempotency_key.like(f"{prefix}%")
        )
    ):
        try:
            policy_id, day, label = key[len(prefix) :].split(":", 2)
            slot = (int(policy_id), date.fromisoformat(day))
            index = _stage_index(label)
        except ValueError:
            continue
        sent[slot] = max(sent.get(slot, -1), index)
    return sent


def _subject(policy: Policy, stage: AlertStage, review_due: date, today: date) -> str:
    if stage.label.startswith("overdue:"):
        return f"Overdue policy review: {policy.title} (was due {review_due:%d %B %Y})"
    days = (review_due - today).days
    if days < 0:  # the due-day alert, moved past a weekend or holiday
        return f"Policy review was due {review_due:%A %d %B}: {policy.title}"
    if days == 0:
        return f"Policy review due today: {policy.title}"
    return f"Policy review due in {days} day{'s' if days != 1 else ''}: {policy.title}"


def _alert_draft(
    school: SchoolConfig,
    policy: Policy,
    stage: AlertStage,
    review_due: date,
    recipients: Sequence[str],
    today: date,
    now: datetime,
    base_url: str,
) -> EmailDraft:
    subject = _subject(policy, stage, review_due, today)
    if stage.label.startswith("overdue:"):
        weeks = int(stage.label.split(":")[1])
        lead = (
            f"The {policy.title} was due for review by the {policy.approving_body} on "
            f"{human_date(review_due)} and no review has been recorded "
            f"({weeks} week{'s' if weeks != 1 else ''} overdue)."
        )
    else:
        lead = (
            f"The {policy.title} is due for review and ratification by the "
            f"{policy.approving_body} by {human_date(review_due)}."
        )
    version = policy.current_version
    facts = [
        ("Policy", policy.title),
        ("Approving body", policy.approving_body),
        ("Review due", human_date(review_due)),
        ("Review cycle", f"every {policy.review_cycle_months} months"),
        ("Last reviewed", human_date(policy.last_reviewed) if policy.last_reviewed else "—"),
        ("Ratified on", human_date(policy.ratified_on) if policy.ratified_on else "—"),
    ]
    if version is not None:
        facts.append(("Current version", version.label))
    return notice(
        school_name=school.mail_from_name or school.name,
        to=recipients,
        subject=subject,
        greeting="Dear governors,",
        paragraphs=[
            lead,
            "Please make sure it is on the agenda. After the meeting, the clerk or the "
            "headteacher records the review — the date, the minute reference and the new "
            "document if it changed — on the policy register "
            f"({base_url}/policies/{policy.key}). Staff are then asked to acknowledge any "
            "new version.",
            "The attached calendar entry marks the review date.",
        ],
        facts=facts,
        small="You receive this as a named governor, the clerk, the policy lead or a member "
        f"of the {policy.approving_body}.",
        attachments=(
            Attachment(
                f"policy-review-{policy.key}.ics",
                "text/calendar",
                review_calendar(
                    school_id=school.id,
                    school_name=school.name,
                    policy=policy,
                    review_due=review_due,
                    now=now,
                ),
            ),
        ),
    )


def plan_alerts(
    session: Session,
    school: SchoolConfig,
    today: date,
    now: datetime,
    *,
    write: bool,
    base_url: str,
) -> list[AlertPlanned]:
    """Queue today's governor alerts (or, with ``write`` False, only say what they would be)."""
    if school.sending_window.school_days_only and not school.is_school_day(today):
        return []
    sent = _last_sent(session, school.id)
    planned: list[AlertPlanned] = []
    not_before = send_after(school, today, now)
    policies = session.scalars(
        select(Policy).where(Policy.school_id == school.id).order_by(Policy.key)
    ).all()
    directory: Directory | None = None
    for policy in policies:
        review_due = policy.next_review_due
        if review_due is None:
            continue
        stage = due_alert(review_due, sent.get((policy.id, review_due), -1), today)
        if stage is None:
            continue
        directory = directory or load_directory(session, school.id)
        recipients = alert_recipients(policy, directory)
        key = alert_key(school.id, policy.id, review_due, stage.label)
        queued = False
        if recipients and write:
            draft = _alert_draft(
                school, policy, stage, review_due, recipients, today, now, base_url
            )
            queued = enqueue_email(
                session,
                school_id=school.id,
                key=key,
                purpose="governor_review",
                draft=draft,
                not_before=not_before,
            )
        planned.append(
            AlertPlanned(policy.key, review_due, stage.label, tuple(recipients), key, queued)
        )
    return planned


def governor_alerts(run: StepContext) -> dict[str, int]:
    """The sweep step: governor review alerts for every policy of the school."""
    planned = plan_alerts(
        run.session, run.school, run.today, run.now, write=run.write, base_url=run.base_url
    )
    write = run.write
    return {
        "governor_alerts": sum(1 for p in planned if p.queued or (not write and p.recipients)),
        "governor_alerts_unaddressed": sum(1 for p in planned if not p.recipients),
    }



# --------------------------------------------------------------------------- reviews


class ReviewError(ValueError):
    """A review cannot be recorded as given; ``str()`` says why in one line."""


@dataclass(frozen=True)
class ReviewRecorded:
    """What recording a review did."""

    review_id: int
    policy_key: str
    reviewed_on: date
    next_review_due: date
    new_version: str | None
    document_unchanged: bool = False


def next_version_label(existing: Iterable[str], on: date) -> str:
    """``YYYY.N``: the year of ``on`` and one more than that year's highest N (``2026.1``...)."""
    labels = set(existing)
    pattern = re.compile(rf"^{on.year}\.(\d+)$")
    highest = max((int(m.group(1)) for lbl in labels if (m := pattern.match(lbl))), default=0)
    number = highest + 1
    while f"{on.year}.{number}" in labels:  # pragma: no cover - max() already skips these
        number += 1
    return f"{on.year}.{number}"


def _check_document(name: str, data: bytes) -> str:
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


def record_review(
    session: Session,
    policy: Policy,
    *,
    reviewed_on: date,
    body: str,
    minute_ref: str | None,
    actor: str,
    today: date,
    document: tuple[str, bytes] | None = None,
) -> ReviewRecorded:
    """Record a review and ratification; a changed document becomes a new version.

    Args:
        session: the caller's transaction.
        policy: the policy reviewed.
        reviewed_on: the meeting date (not in the future, not before the last review).
        body: who reviewed and ratified it (FGB, a committee).
        minute_ref: the minute reference, if any.
        actor: who is recording it (an email, or ``cli``).
        today: the date it is recorded (new versions are published on it).
        document: ``(file name, bytes)`` of the reviewed document when it changed.

    Returns:
        What was recorded (the new version's label, or None when the document is unchanged).
    """
    body = body.strip()
    minute = (minute_ref or "").strip() or None
    if reviewed_on > today:
        raise ReviewError(f"the review date {reviewed_on.isoformat()} is in the future")
    if not body:
        raise ReviewError("say which body reviewed the policy (e.g. FGB)")
    if len(body) > 120 or (minute is not None and len(minute) > 120):
        raise ReviewError("the body and the minute reference must be at most 120 characters")
    if policy.last_reviewed is not None and reviewed_on < policy.last_reviewed:
        raise ReviewError(
            f"a later review ({policy.last_reviewed.isoformat()}) is already recorded"
        )
    new_version: PolicyVersion | None = None
    unchanged = False
    if document is not None:
        name = _check_document(*document)
        data = document[1]
        digest = hashlib.sha256(data).hexdigest()
        current = policy.current_version
        if current is not None and current.sha256 == digest:
            unchanged = True
        else:
            label = next_version_label((v.label for v in policy.versions), reviewed_on)
            new_version = PolicyVersion(
                school_id=policy.school_id,
                policy_id=policy.id,
                label=label,
                document_name=name,
                document=data,
                sha256=digest,
                published_on=today,
                statement=default_statement(policy.title, label),
            )
            session.add(new_version)
            session.flush()
    policy.last_reviewed = reviewed_on
    policy.ratified_on = reviewed_on
    policy.next_review_due = add_months(reviewed_on, policy.review_cycle_months)
    policy.under_review = False
    review = PolicyReview(
        school_id=policy.school_id,
        policy_id=policy.id,
        reviewed_on=reviewed_on,
        body=body,
        minute_ref=minute,
        new_version_id=new_version.id if new_version else None,
        recorded_by=actor[:320],
    )
    session.add(review)
    session.flush()
    session.refresh(policy)
    audit.record(
        session,
        actor=actor,
        action="policy.reviewed",
        object_type="policy",
        object_id=policy.id,
        school_id=policy.school_id,
        details={
            "review": review.id,
            "reviewed_on": reviewed_on.isoformat(),
            "body": body,
            "minute_ref": minute,
            "next_review_due": policy.next_review_due.isoformat()
            if policy.next_review_due
            else None,
            "new_version": new_version.label if new_version else None,
            "sha256": new_version.sha256 if new_version else None,
        },
    )
    assert policy.next_review_due is not None
    return ReviewRecorded(
        review_id=review.id,
        policy_key=policy.key,
        reviewed_on=reviewed_on,
        next_review_due=policy.next_review_due,
        new_version=new_version.label if new_version else None,
        document_unchanged=unchanged,
    )


# --------------------------------------------------------------------------- the register


@dataclass(frozen=True)
class RegisterRow:
    """One policy as the register shows it."""

    policy: Policy
    owner_name: str | None
    status: str
    versions: tuple[PolicyVersion, ...]
    reviews: tuple[PolicyReview, ...] = field(default_factory=tuple)


def register(
    session: Session, school_id: str, today: date, *, key: str | None = None
) -> list[RegisterRow]:
    """The school's policies (or the one with ``key``): owner, status, versions, reviews."""
    query = select(Policy).where(Policy.school_id == school_id).order_by(Policy.title)
    if key is not None:
        query = query.where(Policy.key == key)
    policies = session.scalars(query).all()
    names = dict(
        session.execute(
            select(Person.id, Person.display_name).where(Person.school_id == school_id)
        ).all()
    )
    reviews: dict[int, list[PolicyReview]] = defaultdict(list)
    for review in session.scalars(
        select(PolicyReview)
        .where(
            PolicyReview.school_id == school_id,
            PolicyReview.policy_id.in_([p.id for p in policies]),
        )
        .order_by(PolicyReview.reviewed_on.desc(), PolicyReview.id.desc())
    ):
        reviews[review.policy_id].append(review)
    return [
        RegisterRow(
            policy=p,
            owner_name=names.get(p.owner_id) if p.owner_id else None,
            status=review_status(p, today),
            versions=tuple(p.versions),
            reviews=tuple(reviews[p.id]),
        )
        for p in policies
    ]


# --------------------------------------------------------------------------- linked-policy gaps

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


def register_gaps(session: Session, school_id: str) -> list[LinkedGap]:
    """Gaps across the whole register (each policy's ``linked_policies``)."""
    policies = session.scalars(select(Policy).where(Policy.school_id == school_id)).all()
    held = [p.title for p in policies] + [p.key.replace("-", " ") for p in policies]
    return linked_policy_gaps(held, [(p.title, list(p.linked_policies)) for p in policies])


# --------------------------------------------------------------------------- storing an import


@dataclass(frozen=True)
class ImportedFacts:
    """What an imported document says about its policy, already checked by a person or flag."""

    title: str
    next_review_due: date
    approving_body: str = "FGB"
    review_cycle_months: int = 12
    last_reviewed: date | None = None
    ratified_on: date | None = None
    version: str | None = None
    linked_policies: tuple[str, ...] = ()
    lead_names: tuple[str, ...] = ()  # the DSL / policy lead, first match becomes owner
    governor_names: tuple[str, ...] = ()  # named governors, matched to reviewers' emails


@dataclass(frozen=True)
class StoredPolicy:
    """What storing an import did."""

    key: str
    created: bool
    version: str | None  # the new version's label; None when the document was already stored
    existing_version: str | None  # the label already holding this document
    notes: tuple[str, ...]


def policy_key(title: str) -> str:
    """A register key from a title ("Online Safety Policy" -> ``online-safety``)."""
    key = ""
    for word in dict.fromkeys(normalise_title(re.sub(r"\([^)]*\)", " ", title)).split()):
        if key and len(key) + 1 + len(word) > 32:
            break
        key = f"{key}-{word}" if key else word
    return key[:64] or "policy"


_VERSION_TOKEN = re.compile(r"^v?\d+(?:[.-]\d+)*[a-z]?$", re.IGNORECASE)


def store_imported(
    session: Session,
    school_id: str,
    facts: ImportedFacts,
    *,
    document_name: str,
    data: bytes,
    actor: str,
    today: date,
) -> StoredPolicy:
    """Create or update the policy an imported document describes, and its version.

    The policy is found by key or by the same significant title words. Review dates from the
    document never move stored dates backwards (a later recorded review wins). People named in
    the document are matched to the directory by name; unmatched ones are reported in notes.
    """
    from bot.features.policies.attest import normalise_name

    notes: list[str] = []
    name = _check_document(document_name, data)
    policies = session.scalars(select(Policy).where(Policy.school_id == school_id)).all()
    key = policy_key(facts.title)
    wanted = normalise_title(facts.title)
    policy = next((p for p in policies if p.key == key), None) or next(
        (p for p in policies if normalise_title(p.title) == wanted), None
    )
    created = policy is None
    if policy is None:
        policy = Policy(school_id=school_id, key=key, title=facts.title.strip()[:300])
        policy.reviewers, policy.linked_policies = [], []
        session.add(policy)
        session.flush()
    policy.approving_body = facts.approving_body.strip()[:120] or "FGB"
    policy.review_cycle_months = facts.review_cycle_months
    for attr, value in (
        ("last_reviewed", facts.last_reviewed),
        ("ratified_on", facts.ratified_on),
        ("next_review_due", facts.next_review_due),
    ):
        stored: date | None = getattr(policy, attr)
        if value is None:
            continue
        if stored is not None and stored > value:
            notes.append(
                f"kept the stored {attr.replace('_', ' ')} {stored.isoformat()} "
                f"(later than the document's {value.isoformat()})"
            )
            continue
        setattr(policy, attr, value)
    if facts.linked_policies:
        policy.linked_policies = list(dict.fromkeys(facts.linked_policies))
    people = session.execute(
        select(Person.id, Person.email, Person.display_name).where(
            Person.school_id == school_id, Person.active.is_(True)
        )
    ).all()
    by_name = {normalise_name(display): (pid, email) for pid, email, display in people}
    leads = [by_name[n] for n in map(normalise_name, facts.lead_names) if n in by_name]
    if leads:
        policy.owner_id = leads[0][0]
    elif facts.lead_names:
        notes.append(f"{len(facts.lead_names)} named lead(s) not found in the directory")
    matched = [by_name[n][1] for n in map(normalise_name, facts.governor_names) if n in by_name]
    if matched:
        policy.reviewers = sorted(set(policy.reviewers) | set(matched))
    unmatched = len(facts.governor_names) - len(matched)
    if unmatched:
        notes.append(f"{unmatched} named governor(s) not found in the directory")
    digest = hashlib.sha256(data).hexdigest()
    existing = next((v for v in policy.versions if v.sha256 == digest), None)
    label: str | None = None
    if existing is None:
        labels = {v.label for v in policy.versions}
        token = (facts.version or "").strip()
        if token and _VERSION_TOKEN.match(token) and token not in labels:
            label = token[:40]
        else:
            label = next_version_label(labels, facts.ratified_on or facts.last_reviewed or today)
        session.add(
            PolicyVersion(
                school_id=school_id,
                policy_id=policy.id,
                label=label,
                document_name=name,
                document=data,
                sha256=digest,
                published_on=today,
                statement=default_statement(policy.title, label),
            )
        )
        session.flush()
        session.refresh(policy)
    audit.record(
        session,
        actor=actor,
        action="policy.imported",
        object_type="policy",
        object_id=policy.id,
        school_id=school_id,
        details={
            "created": created,
            "document": name,
            "sha256": digest,
            "version": label or (existing.label if existing else None),
            "next_review_due": policy.next_review_due.isoformat()
            if policy.next_review_due
            else None,
        },
    )
    return StoredPolicy(
        key=policy.key,
        created=created,
        version=label,
        existing_version=existing.label if existing else None,
        notes=tuple(notes),
    )
