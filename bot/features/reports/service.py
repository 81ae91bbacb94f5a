"""Breach and concern reports (DESIGN.md §4): categories, urgency, routing, clocks, intake,
the tracked list's actions, external-form ingestion, the list mirror and the sweep step.

Rules are pure functions with ``now`` passed in. Nothing here ever puts what was reported,
who is involved or who reported it into an email, a card, a mirror row, a log line or the
audit details: those carry the reference, category, urgency and deadlines only.

Clocks (one per report, chosen by category):

* ``lado`` — a concern about a member of staff: a LADO referral decision within one working
  day, i.e. by the same time on the next school day. It stops when a LADO referral is
  recorded, or a decision that no referral is needed is recorded with its reason.
* ``ico`` — a personal data breach: 72 calendar hours (weekends included) from when the school
  became aware. It stops when the ICO notification is recorded, or a decision that the breach
  is not reportable is recorded with its reason.
* ``triage`` — everything else: the DSL triages within ``reports.triage_school_days`` school
  days, same time of day. It stops when the report leaves the status "new".

The sweep escalates a running clock to the DSL, deputies and headteacher (the chair of
governors instead of the headteacher when the report is about the headteacher; the DPO too for
the ICO clock) when half its time has gone, when 90% has gone and when it has run out — each
once (outbox idempotency keys; a late sweep sends only the latest stage).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import re
import secrets
import threading
import time
import unicodedata
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.core import audit
from bot.core.clock import LONDON
from bot.core.config import SchoolConfig
from bot.core.context import StepContext
from bot.core.messages import human_date, notice
from bot.core.models import (
    ConnectorState,
    Person,
    Report,
    ReportAttachment,
    ReportClock,
    ReportEntry,
    School,
)
from bot.core.outbox import enqueue_card, enqueue_email
from bot.core.permissions import DSL_TEAM, LEADERSHIP, REPORT_LIST_READERS
from bot.core.uploads import (
    MAX_FILE_BYTES,
    AttachmentError,
    CleanFile,
    clean_attachment,
    remove_files,
    store_file,
)
from connectors.base import ConnectorError, FormResponse, FormSource, ListMirror

__all__ = [
    "CATEGORIES",
    "CLOCK_LABELS",
    "DEFAULT_FORM_QUESTIONS",
    "DEFAULT_MIRROR_FIELDS",
    "ENTRY_KINDS",
    "ILLEGAL_CONTENT_ADVICE",
    "INVOLVED_ROLES",
    "LIST_ROLES",
    "MAX_FILES",
    "MAX_FILE_BYTES",
    "REFERENCE_PATTERN",
    "REFERRAL_TARGETS",
    "RELATIONSHIPS",
    "STATUSES",
    "URGENCIES",
    "URGENCY_ORDER",
    "AttachmentError",
    "CleanFile",
    "Intake",
    "RateLimiter",
    "ReportActionError",
    "ReportInputError",
    "Submission",
    "add_entry",
    "alert_recipients",
    "assess_urgency",
    "attachment_path",
    "can_open_list",
    "can_view",
    "change_status",
    "clean_attachment",
    "clock_due",
    "clock_kind",
    "escalate_clocks",
    "escalation_recipients",
    "escalation_stage",
    "export_csv",
    "format_reference",
    "ingest_responses",
    "link_token",
    "mirror_fields",
    "mirror_pending",
    "next_reference",
    "open_clock",
    "read_link_token",
    "record_outcome",
    "record_referral",
    "remove_files",
    "report_sweep",
    "set_owner",
    "submission_from_answers",
    "submit_report",
    "validate_submission",
    "visible_reports",
]

log = logging.getLogger(__name__)

# --------------------------------------------------------------------------- vocabulary

CATEGORIES: dict[str, str] = {
    "mobile_device": "Mobile device misuse",
    "social_media": "Social media misuse",
    "cyberbullying": "Cyberbullying",
    "nude_images": "Nude or semi-nude image sharing",
    "filtering": "Filtering or monitoring breach",
    "data_breach": "Personal data breach",
    "staff_concern": "Concern about a member of staff",
    "visitor": "Visitor breach",
    "other": "Other",
}
INVOLVED_ROLES: dict[str, str] = {
    "pupil": "Pupil",
    "staff": "Member of staff",
    "visitor": "Visitor",
    "parent": "Parent or carer",
    "other": "Someone else",
    "unknown": "Not known",
}
RELATIONSHIPS: dict[str, str] = {
    "staff": "Member of staff or volunteer",
    "pupil": "Pupil",
    "parent": "Parent or carer",
    "governor": "Governor",
    "visitor": "Visitor or contractor",
    "other": "Other",
}
STATUSES: dict[str, str] = {
    "new": "New",
    "triaged": "Triaged",
    "investigating": "Investigating",
    "referred": "Referred",
    "closed": "Closed",
}
URGENCIES: dict[str, str] = {"immediate": "Immediate", "high": "High", "normal": "Normal"}
URGENCY_ORDER = {"immediate": 0, "high": 1, "normal": 2}
CLOCK_LABELS: dict[str, str] = {
    "lado": "LADO referral decision (1 working day)",
    "ico": "ICO notification decision (72 hours)",
    "triage": "DSL triage",
}
REFERRAL_TARGETS: dict[str, str] = {
    "lado": "LADO (Local Authority Designated Officer)",
    "ico": "ICO (Information Commissioner's Office)",
    "police": "Police",
    "social_care": "Children's social care",
    "other": "Other agency",
}
ENTRY_KINDS: dict[str, str] = {
    "action": "Action",
    "decision": "Decision",
    "note": "Note",
    "correction": "Correction",
    "referral": "Referral",
    "status": "Status change",
    "owner": "Owner",
    "outcome": "Outcome",
    "lessons": "Lessons learnt",
    "system": "Recorded by the bot",
}
ILLEGAL_CONTENT_ADVICE = (
    "Suspected illegal content: do not view, copy or forward the images or messages. "
    "Secure the device (do not switch it on or off; lock it away). Tell the DSL now — "
    "the DSL decides whether to involve the police."
)
IMMEDIATE_RISK_ADVICE = (
    "A child may be at risk of harm right now: if so call 999, and tell the DSL in person now."
)
LIST_ROLES = REPORT_LIST_READERS
_TEAM = DSL_TEAM

MAX_WHAT = 20_000
MAX_ACTIONS = 5_000
MAX_NAMES = 200
MAX_ENTRY = 10_000
MAX_FILES = 3
REFERENCE_ATTEMPTS = 20
ESCALATION_POINTS: tuple[tuple[float, str], ...] = (
    (0.5, "half the time has gone"),
    (0.9, "90% of the time has gone"),
)
DEFAULT_MIRROR_FIELDS: tuple[str, ...] = ("category", "urgency", "status", "created")
SAFE_MIRROR_FIELDS = frozenset({"category", "urgency", "status", "created", "closed", "due"})
DEFAULT_FORM_QUESTIONS: dict[str, str] = {
    "category": "Category",
    "what_happened": "What happened",
    "occurred": "When",
    "location": "Where",
    "involved": "Who was involved",
    "reporter_name": "Your name",
    "reporter_email": "Your email",
    "about_headteacher": "Is this about the headteacher?",
    "suspected_illegal": "Does it involve nude or semi-nude images?",
    "school": "School",
}
MIRROR_STATE_KEY = "reports.mirror"
FORMS_STATE_KEY = "reports.forms.last_seen"
FORMS_OVERLAP = timedelta(days=1)  # responses can arrive late and out of order
LINK_SALT = "compliance-bot/report-link"
# one plain address: no commas, semicolons or brackets that could add recipients to a header
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


# --------------------------------------------------------------------------- errors


class ReportInputError(ValueError):
    """What was submitted is not acceptable; ``errors`` maps each field to a clear message."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = dict(errors)


class ReportActionError(ValueError):
    """A change to a report cannot be made as asked; ``str()`` says why in one line."""


# --------------------------------------------------------------------------- pure rules


def is_suspected_illegal(category: str, ticked: bool) -> bool:
    """Nude or semi-nude image sharing is always treated as possibly illegal content."""
    return ticked or category == "nude_images"


def assess_urgency(category: str, suspected_illegal: bool, immediate_risk: bool) -> str:
    """Immediate for risk now, illegal content or staff allegations; high for breaches."""
    if immediate_risk or suspected_illegal or category in ("nude_images", "staff_concern"):
        return "immediate"
    if category in ("data_breach", "cyberbullying", "filtering"):
        return "high"
    return "normal"


def clock_kind(category: str) -> str:
    """Which clock a new report starts: LADO, ICO or DSL triage."""
    return {"staff_concern": "lado", "data_breach": "ico"}.get(category, "triage")


def clock_due(
    kind: str, started: datetime, school: SchoolConfig, tz: ZoneInfo = LONDON
) -> datetime:
    """When a clock runs out: ICO 72 calendar hours; LADO/triage N school days, same time."""
    if kind == "ico":
        return started + timedelta(hours=72)
    local = started.astimezone(tz)
    days = 1 if kind == "lado" else school.reports.triage_school_days
    day = school.add_school_days(local.date(), days)
    return datetime.combine(day, local.time(), tzinfo=tz).astimezone(UTC)


def escalation_stage(started: datetime, due: datetime, now: datetime) -> int:
    """0 before half time, 1 after half, 2 after 90%, 3 once the clock has run out."""
    if now >= due:
        return len(ESCALATION_POINTS) + 1
    total = (due - started).total_seconds()
    gone = (now - started).total_seconds() / total if total > 0 else 1.0
    stage = 0
    for index, (point, _label) in enumerate(ESCALATION_POINTS, start=1):
        if gone >= point:
            stage = index
    return stage


def _is_head(email: str, roles: Iterable[str], school: SchoolConfig) -> bool:
    return email.lower() == school.headteacher.lower() or "headteacher" in set(roles)


def can_open_list(roles: Iterable[str]) -> bool:
    """DSL, deputies, headteacher and the chair of governors may open the tracked list."""
    return bool(set(roles) & LIST_ROLES)


def can_view(
    email: str, roles: Iterable[str], about_headteacher: bool, school: SchoolConfig
) -> bool:
    """Object-level rule: who may read one report.

    A report about the headteacher is hidden from the headteacher (even one who is also a DSL)
    and visible to the DSL, deputies and the chair of governors; any other report is visible to
    the DSL, deputies and headteacher.
    """
    held = set(roles)
    if about_headteacher:
        if _is_head(email, held, school):
            return False
        return bool(held & (_TEAM | {"chair_of_governors"}))
    return bool(held & LEADERSHIP)


def _unique(emails: Iterable[str | None]) -> list[str]:
    out: list[str] = []
    for email in emails:
        if email and email.lower() not in out:
            out.append(email.lower())
    return out


def alert_recipients(school: SchoolConfig, category: str, about_headteacher: bool) -> list[str]:
    """Who is alerted at once: DSL and deputies; the head for staff concerns (the chair instead
    when about the head); the DPO for personal data breaches. Never the head of a report about
    them."""
    wanted: list[str | None] = [*school.dsl, *school.deputy_dsl]
    if about_headteacher:
        wanted.append(school.chair_of_governors)
    elif category == "staff_concern" or not (school.dsl or school.deputy_dsl):
        wanted.append(school.headteacher)
    if category == "data_breach":
        wanted.append(school.dpo)
    found = _unique(wanted)
    if about_headteacher:
        found = [e for e in found if e != school.headteacher.lower()]
    return found


def escalation_recipients(school: SchoolConfig, kind: str, about_headteacher: bool) -> list[str]:
    """Who hears about a clock running out: DSL, deputies and the head (chair if about the head;
    the DPO too for the ICO clock)."""
    wanted: list[str | None] = [*school.dsl, *school.deputy_dsl]
    wanted.append(school.chair_of_governors if about_headteacher else school.headteacher)
    if kind == "ico":
        wanted.append(school.dpo)
    found = _unique(wanted)
    if about_headteacher:
        found = [e for e in found if e != school.headteacher.lower()]
    return found


def format_reference(year: int, number: int) -> str:
    """``CR-2026-0042``: sequential per school and year."""
    return f"CR-{year}-{number:04d}"


REFERENCE_PATTERN = re.compile(r"^CR-\d{4}-\d{4,6}$")


# --------------------------------------------------------------------------- input


def _clean_text(value: str) -> str:
    """Drop control characters (NUL breaks PostgreSQL) and lone surrogates; trim."""
    value = value.encode("utf-8", "replace").decode("utf-8")
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = "".join(c for c in value if c in "\n\t" or unicodedata.category(c) not in ("Cc", "Cs"))
    return value.strip()


@dataclass(frozen=True)
class Submission:
    """A validated report, ready to be stored."""

    category: str
    involved: tuple[tuple[str, str], ...]
    what_happened: str
    occurred: str | None
    location: str | None
    actions_taken: str | None
    suspected_illegal: bool = False
    immediate_risk: bool = False
    about_headteacher: bool = False
    anonymous: bool = False
    reporter_name: str | None = None
    reporter_email: str | None = None
    reporter_relationship: str | None = None


def validate_submission(
    fields: Mapping[str, Sequence[str]],
    *,
    allow_anonymous: bool,
    signed_in: bool,
) -> Submission:
    """Check a submitted form; raise ReportInputError naming every field that is wrong."""
    errors: dict[str, str] = {}

    def one(name: str) -> str:
        values = fields.get(name) or []
        return _clean_text(values[0]) if values else ""

    def text(name: str, label: str, limit: int, required: str | None = None) -> str | None:
        value = one(name)
        if not value:
            if required:
                errors[name] = required
            return None
        if len(value) > limit:
            errors[name] = f"{label} is too long: {len(value):,} characters, at most {limit:,}."
            return None
        return value

    def ticked(name: str) -> bool:
        return one(name).lower() in ("yes", "on", "true", "1")

    category = one("category")
    if not category:
        errors["category"] = "Choose what kind of concern this is."
    elif category not in CATEGORIES:
        errors["category"] = "Choose one of the kinds of concern listed."
    involved: list[tuple[str, str]] = []
    roles = [_clean_text(v) for v in fields.get("involved") or []]
    for role in roles:
        if role not in INVOLVED_ROLES:
            errors["involved"] = "Choose who is involved from the list."
            break
        if role in dict(involved):
            continue
        names = text(f"names_{role}", f"Names of the {INVOLVED_ROLES[role].lower()}", MAX_NAMES)
        involved.append((role, names or ""))
    if not roles and "involved" not in errors:
        errors["involved"] = "Say who is involved (tick 'Not known' if you are not sure)."
    what = text(
        "what_happened",
        "What happened",
        MAX_WHAT,
        required="Describe what happened.",
    )
    occurred = text(
        "occurred",
        "When it happened",
        60,
        required="Say when it happened (roughly is fine, e.g. 'this morning at break').",
    )
    location = text("location", "Where it happened", 200)
    actions = text("actions_taken", "Actions already taken", MAX_ACTIONS)
    anonymous = ticked("anonymous")
    name = email = relationship = None
    if anonymous and not allow_anonymous:
        errors["anonymous"] = (
            "This school does not accept anonymous reports: please give your name."
        )
    if not anonymous and not signed_in:
        name = text(
            "reporter_name",
            "Your name",
            200,
            required="Give your name"
            + (", or tick 'Report anonymously'." if allow_anonymous else "."),
        )
        raw_email = one("reporter_email")
        if raw_email:
            if len(raw_email) > 320 or not _EMAIL.match(raw_email):
                errors["reporter_email"] = (
                    "Enter your email address like name@example.com, or leave it empty."
                )
            else:
                email = raw_email.lower()
        raw_rel = one("reporter_relationship")
        if raw_rel:
            if raw_rel not in RELATIONSHIPS:
                errors["reporter_relationship"] = "Choose how you know the school from the list."
            else:
                relationship = raw_rel
    if errors:
        raise ReportInputError(errors)
    assert what is not None
    return Submission(
        category=category,
        involved=tuple(involved),
        what_happened=what,
        occurred=occurred,
        location=location,
        actions_taken=actions,
        suspected_illegal=is_suspected_illegal(category, ticked("suspected_illegal")),
        immediate_risk=ticked("immediate_risk"),
        about_headteacher=ticked("about_headteacher"),
        anonymous=anonymous,
        reporter_name=name,
        reporter_email=email,
        reporter_relationship=relationship,
    )


# --------------------------------------------------------------------------- attachments


def attachment_path(uploads_dir: Path, attachment: ReportAttachment) -> Path:
    """Where a stored attachment lives (never under the web root)."""
    return uploads_dir / "reports" / attachment.school_id / Path(attachment.stored_as).name


# --------------------------------------------------------------------------- rate limiting


class RateLimiter:
    """At most ``limit`` events per key in any ``window`` seconds (in memory, per process)."""

    def __init__(
        self, limit: int = 5, window: float = 600.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _trim(self, key: str, now: float) -> deque[float]:
        stamps = self._events.setdefault(key, deque())
        while stamps and now - stamps[0] >= self.window:
            stamps.popleft()
        return stamps

    def allowed(self, key: str) -> bool:
        """Whether one more event fits for ``key`` (records nothing)."""
        with self._lock:
            return len(self._trim(key, self._clock())) < self.limit

    def hit(self, key: str) -> None:
        """Record one event for ``key``."""
        with self._lock:
            now = self._clock()
            self._trim(key, now).append(now)
            if len(self._events) > 10_000:  # forget idle keys so memory stays bounded
                for k in [k for k, v in self._events.items() if not v]:
                    del self._events[k]


# --------------------------------------------------------------------------- public link


def link_token(secret: str, school_id: str) -> str:
    """The signed token in a school's public report link (``/report/<school>/<token>``)."""
    return str(URLSafeSerializer(secret, salt=LINK_SALT).dumps({"s": school_id}))


def read_link_token(secret: str, school_id: str, token: str) -> bool:
    """Whether ``token`` is this school's genuine public report link."""
    try:
        payload = URLSafeSerializer(secret, salt=LINK_SALT).loads(token)
    except BadSignature:
        return False
    return isinstance(payload, dict) and payload.get("s") == school_id


# --------------------------------------------------------------------------- intake


@dataclass(frozen=True)
class Intake:
    """What storing a report did (no contents)."""

    report_id: int
    reference: str
    urgency: str
    category: str
    suspected_illegal: bool
    immediate_risk: bool
    clock: str
    due_at: datetime
    receipt: bool
    alerted: tuple[str, ...]
    files_stored: int
    files_withheld: int
    stored_paths: tuple[Path, ...] = ()


def next_reference(session: Session, school_id: str, year: int) -> str:
    """The next free reference for the school and year (highest so far plus one)."""
    prefix = f"CR-{year}-"
    refs = session.scalars(
        select(Report.reference).where(
            Report.school_id == school_id, Report.reference.like(f"{prefix}%")
        )
    ).all()
    numbers = [int(r[len(prefix) :]) for r in refs if r[len(prefix) :].isdigit()]
    return format_reference(year, max(numbers, default=0) + 1)


def _allocate(session: Session, report: Report, year: int) -> str:
    """Give the (already inserted) report its sequential reference; retry on a clash."""
    for _ in range(REFERENCE_ATTEMPTS):
        reference = next_reference(session, report.school_id, year)
        try:
            with session.begin_nested():
                report.reference = reference
                session.flush()
        except IntegrityError:
            continue
        return reference
    raise RuntimeError("could not allocate a report reference")  # pragma: no cover


def _local(moment: datetime) -> str:
    """'Monday 26 October 2026, 10:00' in the school's zone."""
    local = moment.astimezone(LONDON)
    return f"{human_date(local.date())}, {local:%H:%M}"


def _ensure_school(session: Session, school: SchoolConfig) -> None:
    if session.get(School, school.id) is None:
        session.add(School(id=school.id, name=school.name))
        session.flush()


def _card_payloads(
    title: str, text: str, url: str, key: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Teams Adaptive Card (Workflows webhook) and Google Chat cardsV2 renderings."""
    teams = {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "content": {
                    "type": "AdaptiveCard",
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "version": "1.4",
                    "body": [
                        {"type": "TextBlock", "text": title, "weight": "Bolder", "wrap": True},
                        {"type": "TextBlock", "text": text, "wrap": True},
                    ],
                    "actions": [
                        {"type": "Action.OpenUrl", "title": "Open (sign-in required)", "url": url}
                    ],
                },
            }
        ],
    }
    chat = {
        "text": title,
        "cardsV2": [
            {
                "cardId": hashlib.sha256(key.encode()).hexdigest()[:16],
                "card": {
                    "header": {"title": title},
                    "sections": [
                        {
                            "widgets": [
                                {"textParagraph": {"text": text}},
                                {
                                    "buttonList": {
                                        "buttons": [
                                            {
                                                "text": "Open (sign-in required)",
                                                "onClick": {"openLink": {"url": url}},
                                            }
                                        ]
                                    }
                                },
                            ]
                        }
                    ],
                },
            }
        ],
    }
    return teams, chat


def _queue_alerts(
    session: Session,
    school: SchoolConfig,
    report: Report,
    clock: ReportClock,
    *,
    base_url: str,
    channel_card: bool,
) -> tuple[str, ...]:
    """The at-once alert: category, urgency, reference, deadline and a sign-in link only."""
    recipients = alert_recipients(school, report.category, report.about_headteacher)
    url = f"{base_url}/reports/{report.reference}"
    label = CATEGORIES[report.category]
    urgency = URGENCIES[report.urgency]
    paragraphs = [
        f"A new report ({label.lower()}) has been made to {school.name}. To protect the people "
        "involved, this email does not say what was reported, who is involved or who reported "
        "it: sign in to read it.",
    ]
    if report.urgency == "immediate":
        paragraphs.append("It is marked immediate: please look at it now.")
    if report.suspected_illegal:
        paragraphs.append(ILLEGAL_CONTENT_ADVICE)
    paragraphs.append(
        f"Deadline: {CLOCK_LABELS[clock.kind]} by {_local(clock.due_at)}. The bot reminds you "
        "when half and 90% of the time has gone, and when it runs out."
    )
    if recipients:
        draft = notice(
            school_name=school.mail_from_name or school.name,
            to=recipients,
            subject=f"New report {report.reference}: {label} ({urgency.lower()} urgency)",
            paragraphs=paragraphs,
            facts=[
                ("Reference", report.reference),
                ("Category", label),
                ("Urgency", urgency),
                ("Received", _local(report.created_at)),
                ("Deadline", f"{CLOCK_LABELS[clock.kind]}: {_local(clock.due_at)}"),
            ],
            button_url=url,
            button_text="Open the report (sign-in required)",
            small="You receive this as the school's DSL or deputy DSL, or because the report "
            "needs the headteacher, the chair of governors or the data protection officer.",
        )
        enqueue_email(
            session,
            school_id=school.id,
            key=f"report-alert:{school.id}:{report.reference}",
            purpose="report_alert",
            draft=draft,
        )
    else:
        session.add(
            ReportEntry(
                school_id=school.id,
                report_id=report.id,
                at=report.created_at,
                author="system",
                kind="system",
                text="Nobody could be alerted: the configuration names no DSL, deputy or "
                "headteacher for this kind of report.",
            )
        )
    if channel_card and not report.about_headteacher:
        # a channel may be read by many: staff allegations show as "confidential"
        shown = "confidential" if report.category == "staff_concern" else label.lower()
        title = f"New report {report.reference}"
        text = f"Urgency: {urgency.lower()} · {shown}. DSL team: sign in to read it."
        key = f"report-card:{school.id}:{report.reference}"
        teams, chat = _card_payloads(title, text, url, key)
        enqueue_card(
            session,
            school_id=school.id,
            key=key,
            purpose="report_alert",
            title=title,
            text=text,
            teams=teams,
            chat=chat,
        )
    return tuple(recipients)


def _queue_receipt(session: Session, school: SchoolConfig, report: Report, email: str) -> None:
    """A receipt for the reporter: reference and time only, never what they wrote."""
    draft = notice(
        school_name=school.mail_from_name or school.name,
        to=[email],
        subject=f"We received your report {report.reference}",
        paragraphs=[
            f"Thank you. Your report reached {school.name}'s safeguarding team. They will "
            "decide what to do next; you may not hear about the outcome, to protect the people "
            "involved.",
            "If a child is in immediate danger, call 999. If you remember something else, tell "
            "the Designated Safeguarding Lead and quote your reference.",
        ],
        facts=[("Reference", report.reference), ("Received", _local(report.created_at))],
        small="For privacy this email does not repeat what you reported.",
    )
    enqueue_email(
        session,
        school_id=school.id,
        key=f"report-receipt:{school.id}:{report.reference}",
        purpose="report_receipt",
        draft=draft,
    )


def submit_report(
    session: Session,
    school: SchoolConfig,
    sub: Submission,
    *,
    now: datetime,
    base_url: str,
    actor: str,
    files: Sequence[CleanFile] = (),
    uploads_dir: Path | None = None,
    source: str = "web",
    source_ref: str | None = None,
    reporter_id: int | None = None,
    channel_card: bool = False,
) -> Intake:
    """Store a report with its clock, attachments, alerts and receipt in the caller's
    transaction; the caller commits before telling the reporter it was received.

    Args:
        session: an open transaction.
        school: the school the report is for.
        sub: the validated submission.
        now: when the school became aware (the clock starts here).
        base_url: the web app's address, for the sign-in link in alerts.
        actor: who to name in the audit log ("public-link", an email, "system:forms").
        files: accepted attachments (withheld when the report may involve illegal content).
        uploads_dir: where attachments are stored (required when ``files`` is not empty).
        source: "web" or "form".
        source_ref: the external form's response id.
        reporter_id: the signed-in reporter (None when anonymous or unknown).
        channel_card: also post a card to the school's channel.

    Returns:
        The reference and what was done. ``stored_paths`` lets the caller delete the files if
        its commit fails.
    """
    _ensure_school(session, school)
    if sub.suspected_illegal != is_suspected_illegal(sub.category, sub.suspected_illegal):
        sub = replace(sub, suspected_illegal=True)
    urgency = assess_urgency(sub.category, sub.suspected_illegal, sub.immediate_risk)
    report = Report(
        school_id=school.id,
        reference=f"TMP-{secrets.token_hex(10)}",
        category=sub.category,
        urgency=urgency,
        status="new",
        involved=[{"role": role, "names": names} for role, names in sub.involved],
        what_happened=sub.what_happened,
        occurred_at=sub.occurred,
        location=sub.location,
        actions_taken=sub.actions_taken,
        anonymous=sub.anonymous,
        reporter_id=None if sub.anonymous else reporter_id,
        reporter_name=None if sub.anonymous else sub.reporter_name,
        reporter_email=None if sub.anonymous else sub.reporter_email,
        about_headteacher=sub.about_headteacher,
        suspected_illegal=sub.suspected_illegal,
        source=source,
        source_ref=source_ref,
        created_at=now,
    )
    session.add(report)
    session.flush()  # the insert takes the write lock before the reference is chosen (SQLite)
    audit.record(
        session,
        actor=actor,
        action="report.created",
        object_type="report",
        object_id=report.id,
        school_id=school.id,
        details={
            "category": sub.category,
            "urgency": urgency,
            "source": source,
            "attachments": 0 if sub.suspected_illegal else len(files),
        },
    )
    reference = _allocate(session, report, now.astimezone(LONDON).year)

    def system(text: str) -> None:
        session.add(
            ReportEntry(
                school_id=school.id,
                report_id=report.id,
                at=now,
                author="system",
                kind="system",
                text=text,
            )
        )

    if sub.suspected_illegal:
        system(ILLEGAL_CONTENT_ADVICE)
    if sub.immediate_risk:
        system(
            "The reporter said a child may be at risk of harm right now. " + IMMEDIATE_RISK_ADVICE
        )
    kind = clock_kind(sub.category)
    clock = ReportClock(
        school_id=school.id,
        report_id=report.id,
        kind=kind,
        started_at=now,
        due_at=clock_due(kind, now, school),
        escalations_sent=0,
    )
    session.add(clock)
    withheld = len(files) if sub.suspected_illegal else 0
    if withheld:
        system(
            f"{withheld} attached file(s) were not stored: images that may be indecent must not "
            "be copied or kept. Secure the original device instead."
        )
    if files and not withheld and uploads_dir is None:
        raise ValueError("uploads_dir is required to store attachments")
    session.flush()
    alerted = _queue_alerts(
        session, school, report, clock, base_url=base_url, channel_card=channel_card
    )
    receipt = bool(report.reporter_email)
    if report.reporter_email:
        _queue_receipt(session, school, report, report.reporter_email)
    # files last: if anything above fails, nothing is left on disk
    stored: list[Path] = []
    if files and not withheld and uploads_dir is not None:
        folder = uploads_dir / "reports" / school.id
        try:
            for clean in files:
                path = store_file(folder, clean)
                stored.append(path)
                session.add(
                    ReportAttachment(
                        school_id=school.id,
                        report_id=report.id,
                        filename=clean.filename,
                        content_type=clean.content_type,
                        size=len(clean.data),
                        sha256=clean.sha256,
                        stored_as=path.name,
                    )
                )
            session.flush()
        except BaseException:
            remove_files(stored)
            raise
    log.info("report %s stored for %s (%s, %s)", reference, school.id, sub.category, urgency)
    return Intake(
        report_id=report.id,
        reference=reference,
        urgency=urgency,
        category=sub.category,
        suspected_illegal=sub.suspected_illegal,
        immediate_risk=sub.immediate_risk,
        clock=kind,
        due_at=clock.due_at,
        receipt=receipt,
        alerted=alerted,
        files_stored=len(stored),
        files_withheld=withheld,
        stored_paths=tuple(stored),
    )


# --------------------------------------------------------------------------- actions


def _audit(session: Session, report: Report, actor: str, action: str, **details: Any) -> None:
    audit.record(
        session,
        actor=actor,
        action=action,
        object_type="report",
        object_id=report.id,
        school_id=report.school_id,
        details={"reference": report.reference, **details},
    )


def _entry(
    session: Session,
    report: Report,
    actor: str,
    kind: str,
    text: str,
    now: datetime,
    reason: str | None = None,
) -> ReportEntry:
    entry = ReportEntry(
        school_id=report.school_id,
        report_id=report.id,
        at=now,
        author=actor,
        kind=kind,
        text=text,
        reason=reason,
    )
    session.add(entry)
    report.entries.append(entry)
    return entry


def _required(value: str | None, what: str, limit: int = MAX_ENTRY) -> str:
    text = _clean_text(value or "")
    if not text:
        raise ReportActionError(f"{what} is required.")
    if len(text) > limit:
        raise ReportActionError(
            f"{what} is too long ({len(text):,} characters, at most {limit:,})."
        )
    return text


def _stop_clocks(
    session: Session, report: Report, kinds: Iterable[str], actor: str, now: datetime
) -> list[str]:
    stopped: list[str] = []
    for clock in report.clocks:
        if clock.kind in kinds and clock.stopped_at is None:
            clock.stopped_at = now
            clock.stopped_by = actor
            stopped.append(clock.kind)
            _entry(
                session,
                report,
                "system",
                "system",
                f"Clock stopped: {CLOCK_LABELS[clock.kind]}"
                + (" (after its deadline)" if now > clock.due_at else " (in time)"),
                now,
            )
    if stopped:
        _audit(session, report, actor, "report.clock_stopped", clocks=stopped)
    return stopped


def add_entry(
    session: Session,
    report: Report,
    *,
    actor: str,
    kind: str,
    text: str,
    reason: str | None,
    now: datetime,
) -> ReportEntry:
    """Append an action, decision (with its reason), note or correction to the chronology."""
    if kind not in ("action", "decision", "note", "correction"):
        raise ReportActionError("Choose action, decision, note or correction.")
    body = _required(text, "The text")
    why = _clean_text(reason or "") or None
    if kind == "decision" and not why:
        raise ReportActionError("A decision needs its reason (KCSIE: record decisions and why).")
    if why and len(why) > MAX_ENTRY:
        raise ReportActionError("The reason is too long.")
    entry = _entry(session, report, actor, kind, body, now, why)
    _audit(session, report, actor, "report.entry_added", kind=kind)
    return entry


def record_referral(
    session: Session,
    report: Report,
    *,
    actor: str,
    target: str,
    outcome: str,
    text: str,
    reason: str | None,
    now: datetime,
) -> list[str]:
    """Record a referral (or a decision not to refer, with reason); stops the matching clock."""
    if target not in REFERRAL_TARGETS:
        raise ReportActionError("Choose who the referral is to.")
    if outcome not in ("referred", "not_required"):
        raise ReportActionError("Say whether a referral was made or is not needed.")
    body = _clean_text(text or "")
    if len(body) > MAX_ENTRY:
        raise ReportActionError("The details are too long.")
    why = _clean_text(reason or "") or None
    if outcome == "not_required" and not why:
        raise ReportActionError("Deciding not to refer needs the reason.")
    label = REFERRAL_TARGETS[target]
    if outcome == "referred":
        line = f"Referred to {label}." + (f" {body}" if body else "")
        _entry(session, report, actor, "referral", line, now, why)
    else:
        line = f"Decision: no referral to {label} needed." + (f" {body}" if body else "")
        _entry(session, report, actor, "decision", line, now, why)
    _audit(session, report, actor, "report.referral_recorded", target=target, outcome=outcome)
    return _stop_clocks(session, report, [target] if target in ("lado", "ico") else [], actor, now)


def change_status(
    session: Session, report: Report, *, actor: str, status: str, reason: str | None, now: datetime
) -> None:
    """Move a report to another status with a reason; leaving "new" stops the triage clock.

    Closing needs an outcome and no running LADO/ICO clock.
    """
    if status not in STATUSES:
        raise ReportActionError("Choose a status from the list.")
    why = _required(reason, "The reason for the change")
    if status == report.status:
        raise ReportActionError(f"The report is already {STATUSES[status].lower()}.")
    if status == "closed":
        if not report.outcome:
            raise ReportActionError("Record the outcome before closing the report.")
        running = [c.kind for c in report.clocks if c.stopped_at is None and c.kind != "triage"]
        if running:
            raise ReportActionError(
                "Record the "
                + " and ".join(CLOCK_LABELS[k].split(" (")[0] for k in running)
                + " first (a referral, or a decision not to refer with the reason)."
            )
    before = report.status
    report.status = status
    report.closed_at = now if status == "closed" else None
    _entry(
        session,
        report,
        actor,
        "status",
        f"Status changed from {STATUSES[before]} to {STATUSES[status]}.",
        now,
        why,
    )
    _audit(session, report, actor, "report.status_changed", before=before, after=status)
    if before == "new":
        _stop_clocks(session, report, ["triage"], actor, now)


def set_owner(
    session: Session,
    report: Report,
    school: SchoolConfig,
    *,
    actor: str,
    owner: Person | None,
    now: datetime,
) -> None:
    """Give the report an owner who may read it (or none)."""
    if owner is not None and not can_view(
        owner.email, owner.role_names, report.about_headteacher, school
    ):
        raise ReportActionError("The owner must be someone allowed to read this report.")
    report.owner_id = owner.id if owner else None
    report.owner = owner
    name = owner.display_name if owner else "nobody"
    _entry(session, report, actor, "owner", f"Owner set to {name}.", now)
    _audit(session, report, actor, "report.owner_changed", owner_id=report.owner_id)


def record_outcome(
    session: Session,
    report: Report,
    *,
    actor: str,
    outcome: str | None,
    lessons: str | None,
    now: datetime,
) -> None:
    """Record (or update) the outcome and lessons learnt; each change stays in the chronology."""
    new_outcome = _clean_text(outcome or "")
    new_lessons = _clean_text(lessons or "")
    if not new_outcome and not new_lessons:
        raise ReportActionError("Write the outcome or the lessons learnt.")
    changed = []
    for value, kind, attr in (
        (new_outcome, "outcome", "outcome"),
        (new_lessons, "lessons", "lessons"),
    ):
        if not value:
            continue
        if len(value) > MAX_ENTRY:
            raise ReportActionError(f"The {ENTRY_KINDS[kind].lower()} text is too long.")
        if getattr(report, attr) != value:
            setattr(report, attr, value)
            _entry(session, report, actor, kind, value, now)
            changed.append(attr)
    if changed:
        _audit(session, report, actor, "report.outcome_recorded", fields=changed)


# --------------------------------------------------------------------------- reading


def visible_reports(school: SchoolConfig, email: str, roles: Iterable[str]) -> Select[Report]:
    """The query for the reports this person may read (nothing for anyone else)."""
    held = set(roles)
    query = select(Report).where(Report.school_id == school.id)
    may_normal = bool(held & LEADERSHIP)
    may_about_head = not _is_head(email, held, school) and bool(
        held & (_TEAM | {"chair_of_governors"})
    )
    if may_normal and may_about_head:
        return query
    if may_normal:
        return query.where(Report.about_headteacher.is_(False))
    if may_about_head:
        return query.where(Report.about_headteacher.is_(True))
    return query.where(Report.id < 0)


def open_clock(report: Report) -> ReportClock | None:
    """The report's running clock, if any."""
    for clock in report.clocks:
        if clock.stopped_at is None:
            return clock
    return None


def _guard(cell: Any) -> str:
    """A CSV cell that spreadsheets will not run as a formula."""
    text = "" if cell is None else str(cell)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


EXPORT_COLUMNS = (
    "reference",
    "received",
    "category",
    "urgency",
    "status",
    "owner",
    "about_headteacher",
    "suspected_illegal",
    "involved",
    "what_happened",
    "when",
    "where",
    "actions_taken",
    "reporter",
    "reporter_email",
    "outcome",
    "lessons",
    "closed",
    "source",
)


def export_csv(reports: Sequence[Report]) -> str:
    """The tracked list as CSV (for the DSL's records), with the formula-injection guard."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    for r in reports:
        involved = "; ".join(
            INVOLVED_ROLES.get(str(i.get("role")), str(i.get("role")))
            + (f" ({i.get('names')})" if i.get("names") else "")
            for i in r.involved
            if isinstance(i, dict)
        )
        writer.writerow(
            [
                _guard(v)
                for v in (
                    r.reference,
                    _local(r.created_at),
                    CATEGORIES.get(r.category, r.category),
                    URGENCIES.get(r.urgency, r.urgency),
                    STATUSES.get(r.status, r.status),
                    r.owner.display_name if r.owner else "",
                    "yes" if r.about_headteacher else "no",
                    "yes" if r.suspected_illegal else "no",
                    involved,
                    r.what_happened,
                    r.occurred_at,
                    r.location,
                    r.actions_taken,
                    "anonymous" if r.anonymous else (r.reporter_name or ""),
                    r.reporter_email,
                    r.outcome,
                    r.lessons,
                    _local(r.closed_at) if r.closed_at else "",
                    r.source,
                )
            ]
        )
    return out.getvalue()


# --------------------------------------------------------------------------- mirror


def _mirror_field_names(school: SchoolConfig) -> tuple[str, ...]:
    """Configured fields (``reports.mirror_fields`` when the config has it), safe ones only."""
    wanted = getattr(school.reports, "mirror_fields", None) or DEFAULT_MIRROR_FIELDS
    return tuple(f for f in wanted if f in SAFE_MIRROR_FIELDS)


def mirror_fields(report: Report, names: Sequence[str] = DEFAULT_MIRROR_FIELDS) -> dict[str, str]:
    """The minimal row a list mirror gets: never content, names or the reporter."""
    clock = open_clock(report)
    values = {
        "category": CATEGORIES.get(report.category, report.category),
        "urgency": URGENCIES.get(report.urgency, report.urgency),
        "status": STATUSES.get(report.status, report.status),
        "created": report.created_at.astimezone(LONDON).date().isoformat(),
        "closed": report.closed_at.astimezone(LONDON).date().isoformat()
        if report.closed_at
        else "",
        "due": clock.due_at.astimezone(LONDON).strftime("%Y-%m-%d %H:%M") if clock else "",
    }
    return {name: values[name] for name in names if name in values}


def _state(session: Session, school_id: str, key: str) -> ConnectorState | None:
    return session.scalar(
        select(ConnectorState).where(
            ConnectorState.school_id == school_id, ConnectorState.key == key
        )
    )


def _save_state(session: Session, school_id: str, key: str, value: str) -> None:
    row = _state(session, school_id, key)
    if row is None:
        session.add(ConnectorState(school_id=school_id, key=key, value=value))
    else:
        row.value = value
    session.flush()


def mirror_pending(session: Session, mirror: ListMirror, school: SchoolConfig) -> int:
    """Upsert every report whose mirrored fields changed since last time; returns how many.

    Reports about the headteacher are never mirrored (a platform list may be visible to them).
    A connector error stops the pass; what was mirrored so far is remembered.
    """
    state_row = _state(session, school.id, MIRROR_STATE_KEY)
    state: dict[str, str] = json.loads(state_row.value) if state_row else {}
    names = _mirror_field_names(school)
    done = 0
    try:
        for report in session.scalars(
            select(Report)
            .where(Report.school_id == school.id, Report.about_headteacher.is_(False))
            .order_by(Report.id)
        ):
            if not REFERENCE_PATTERN.match(report.reference):
                continue
            row = mirror_fields(report, names)
            digest = hashlib.sha256(json.dumps(row, sort_keys=True).encode()).hexdigest()[:32]
            if state.get(report.reference) == digest:
                continue
            mirror.upsert(report.reference, row)
            state[report.reference] = digest
            done += 1
    finally:
        if done:
            _ensure_school(session, school)
            _save_state(session, school.id, MIRROR_STATE_KEY, json.dumps(state, sort_keys=True))
    return done


# --------------------------------------------------------------------------- external forms


def _questions(school: SchoolConfig) -> dict[str, str]:
    """Question titles (``reports.form_questions`` when the config has it, else defaults)."""
    configured = getattr(school.reports, "form_questions", None) or {}
    return {**DEFAULT_FORM_QUESTIONS, **dict(configured)}


def _match_category(answer: str) -> str:
    """A category from a form's answer (label or key, any case); unknown ones are "other"."""
    norm = re.sub(r"[^a-z]+", " ", answer.lower()).strip()
    if not norm:
        return "other"
    for key, label in CATEGORIES.items():
        if norm in (key.replace("_", " "), re.sub(r"[^a-z]+", " ", label.lower()).strip()):
            return key
    for key, words in (
        ("nude_images", ("nude", "sexting", "semi nude")),
        ("cyberbullying", ("cyberbully", "cyber bully", "online bully")),
        ("data_breach", ("data breach", "personal data", "gdpr")),
        ("filtering", ("filter", "monitoring")),
        ("staff_concern", ("member of staff", "staff conduct", "allegation")),
        ("mobile_device", ("mobile", "phone")),
        ("social_media", ("social media",)),
        ("visitor", ("visitor",)),
    ):
        if any(w in norm for w in words):
            return key
    return "other"


def _answer(answers: Mapping[str, str], title: str) -> str:
    wanted = title.strip().lower()
    for question, value in answers.items():
        if question.strip().lower() == wanted:
            return _clean_text(str(value))
    return ""


def submission_from_answers(
    answers: Mapping[str, str], questions: Mapping[str, str], respondent_email: str | None = None
) -> Submission:
    """Map an external form's answers onto a submission; lenient (forms cannot be re-asked)."""
    involved_text = _answer(answers, questions["involved"])[:MAX_NAMES]
    lowered = involved_text.lower()
    roles = [
        role
        for role, words in (
            ("pupil", ("pupil", "student", "child", "year ")),
            ("staff", ("staff", "teacher", "assistant", "tutor")),
            ("parent", ("parent", "carer", "mum", "dad")),
            ("visitor", ("visitor", "contractor")),
        )
        if any(w in lowered for w in words)
    ] or ["unknown"]
    involved = tuple(
        (role, involved_text if index == 0 else "") for index, role in enumerate(roles)
    )
    name = _answer(answers, questions["reporter_name"])[:200] or None
    email = (_answer(answers, questions["reporter_email"]) or respondent_email or "").strip()
    email_ok = email.lower() if email and len(email) <= 320 and _EMAIL.match(email) else None
    category = _match_category(_answer(answers, questions["category"]))

    def yes(key: str) -> bool:
        return _answer(answers, questions.get(key, "")).lower().startswith(("y", "true"))

    return Submission(
        category=category,
        involved=involved,
        what_happened=_answer(answers, questions["what_happened"])[:MAX_WHAT]
        or "(left blank on the form)",
        occurred=_answer(answers, questions["occurred"])[:60] or None,
        location=_answer(answers, questions["location"])[:200] or None,
        actions_taken=None,
        suspected_illegal=is_suspected_illegal(category, yes("suspected_illegal")),
        about_headteacher=yes("about_headteacher"),
        anonymous=not name and not email_ok,
        reporter_name=name,
        reporter_email=email_ok,
    )


def _belongs(
    response: FormResponse, school: SchoolConfig, questions: Mapping[str, str], default_school: bool
) -> bool:
    """Whether a response is for this school (its 'School' answer, else the first school)."""
    named = _answer(response.answers, questions["school"]).lower()
    if not named:
        return default_school
    return named in (school.id.lower(), school.name.lower())


def ingest_responses(
    session: Session,
    forms: FormSource,
    school: SchoolConfig,
    *,
    now: datetime,
    base_url: str,
    channel_card: bool = False,
    default_school: bool = True,
) -> int:
    """Pull new external-form responses into the tracked list, once each (by response id).

    The clock starts when the response was submitted. The last-seen submission time is kept
    in ConnectorState; the next pull asks from a day before it, because a response can arrive
    late and out of order (a workbook synced late, a flow run retried): the overlap is read
    again and skipped by response id, so nothing submitted is ever missed.
    """
    _ensure_school(session, school)
    state = _state(session, school.id, FORMS_STATE_KEY)
    since = datetime.fromisoformat(state.value) if state else None
    questions = _questions(school)
    created = 0
    latest = since
    for response in forms.responses(since - FORMS_OVERLAP if since else None):
        if latest is None or response.submitted_at > latest:
            latest = response.submitted_at
        if not _belongs(response, school, questions, default_school):
            continue
        ref = str(response.response_id)[:120]
        if session.scalar(select(Report.id).where(Report.source_ref == ref)) is not None:
            continue
        sub = submission_from_answers(response.answers, questions, response.respondent_email)
        submit_report(
            session,
            school,
            sub,
            now=min(response.submitted_at, now),
            base_url=base_url,
            actor="system:forms",
            source="form",
            source_ref=ref,
            channel_card=channel_card,
        )
        created += 1
    if latest is not None and latest != since:
        _save_state(session, school.id, FORMS_STATE_KEY, latest.isoformat())
    return created


# --------------------------------------------------------------------------- clocks & sweep


@dataclass
class EscalationPlanned:
    """One escalation email (no contents)."""

    reference: str
    clock: str
    stage: int
    recipients: tuple[str, ...]
    queued: bool = False


def escalate_clocks(
    session: Session,
    school: SchoolConfig,
    now: datetime,
    *,
    base_url: Callable[[], str],
    write: bool,
) -> list[EscalationPlanned]:
    """Queue the escalation each running clock has reached (once per stage)."""
    planned: list[EscalationPlanned] = []
    rows = session.execute(
        select(ReportClock, Report)
        .join(Report, Report.id == ReportClock.report_id)
        .where(ReportClock.school_id == school.id, ReportClock.stopped_at.is_(None))
        .order_by(ReportClock.due_at)
    ).all()
    for clock, report in rows:
        stage = escalation_stage(clock.started_at, clock.due_at, now)
        if stage <= clock.escalations_sent:
            continue
        recipients = escalation_recipients(school, clock.kind, report.about_headteacher)
        item = EscalationPlanned(report.reference, clock.kind, stage, tuple(recipients))
        planned.append(item)
        if not write:
            continue
        overdue = stage > len(ESCALATION_POINTS)
        what = CLOCK_LABELS[clock.kind]
        if overdue:
            subject = f"Deadline passed: {report.reference} — {what.split(' (')[0]}"
            lead = (
                f"The deadline for the {what} on report {report.reference} passed at "
                f"{_local(clock.due_at)} and nothing stopping it has been recorded."
            )
        else:
            left = clock.due_at - now
            hours = max(int(left.total_seconds() // 3600), 0)
            subject = (
                f"{hours} hour{'s' if hours != 1 else ''} left: {report.reference} — "
                + (what.split(" (")[0])
            )
            lead = (
                f"{ESCALATION_POINTS[stage - 1][1].capitalize()} for the {what} on report "
                f"{report.reference}: it is due by {_local(clock.due_at)}."
            )
        stop_rule = {
            "lado": "Record the LADO referral, or a decision that no referral is needed with "
            "the reason, on the report page.",
            "ico": "Record the ICO notification, or a decision that the breach is not "
            "reportable with the reason, on the report page.",
            "triage": "Triage it: change its status from New, with the reason.",
        }[clock.kind]
        if recipients:
            draft = notice(
                school_name=school.mail_from_name or school.name,
                to=recipients,
                subject=subject,
                paragraphs=[lead, stop_rule],
                facts=[
                    ("Reference", report.reference),
                    ("Category", CATEGORIES.get(report.category, report.category)),
                    ("Urgency", URGENCIES.get(report.urgency, report.urgency)),
                    ("Due", _local(clock.due_at)),
                ],
                button_url=f"{base_url()}/reports/{report.reference}",
                button_text="Open the report (sign-in required)",
                small="This email does not include what was reported.",
            )
            item.queued = enqueue_email(
                session,
                school_id=school.id,
                key=f"report-escalation:{school.id}:{clock.id}:{stage}",
                purpose="report_escalation",
                draft=draft,
            )
        clock.escalations_sent = stage
        audit.record(
            session,
            actor="system:sweep",
            action="report.clock_escalated",
            object_type="report",
            object_id=report.id,
            school_id=school.id,
            details={"reference": report.reference, "clock": clock.kind, "stage": stage},
        )
    return planned


def report_sweep(run: StepContext) -> dict[str, int]:
    """The sweep step: escalate clocks, pull external-form responses, refresh the mirror."""
    session, school, now = run.session, run.school, run.now
    base = run.base_url if run.write else ""
    counts = {
        "report_escalations": len(
            escalate_clocks(session, school, now, base_url=lambda: base, write=run.write)
        )
    }
    if not run.write:
        return counts
    connectors = run.connectors
    if connectors.forms is not None:
        try:
            counts["reports_ingested"] = ingest_responses(
                session,
                connectors.forms,
                school,
                now=now,
                base_url=base,
                channel_card=connectors.notifier is not None,
                default_school=run.default_school,
            )
        except ConnectorError as exc:
            log.warning("report sweep: form responses not read: %s", exc)
            counts["report_form_errors"] = 1
    if connectors.mirror is not None:
        try:
            counts["reports_mirrored"] = mirror_pending(session, connectors.mirror, school)
        except ConnectorError as exc:
            log.warning("report sweep: mirror not updated: %s", exc)
            counts["report_mirror_errors"] = 1
    return counts
