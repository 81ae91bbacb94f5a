"""The rules of a data-protection complaint, pure (``today`` and the school passed in): what the
law asks, the form's checks, the safeguarding heuristic, the clocks' warnings and the counts.

The law (checked against legislation.gov.uk): the Data (Use and Access) Act 2025, s.103,
inserts ss.164A-164B into the Data Protection Act 2018 (each nation pack's ``complaints``
cites it; an island's cites its own, which sets no period: there the 30 days are the school's
own target). A data subject may complain to the
controller; the controller must facilitate complaints ("such as providing a complaint form
which can be completed electronically"), acknowledge receipt "within the period of 30 days
beginning when the complaint is received", and without undue delay take appropriate steps
(enquiries, telling the complainant about progress) and inform them of the outcome;
regulations may require controllers to notify the Commissioner of the number of complaints
in periods the regulations describe (s.164B). In force 19 June 2026 (SI 2026/82, reg. 3).

The day of receipt counts as the first of the 30 days: a day earlier than the ICO's reading
(the day after receipt), so a complaint acknowledged by our date is in time on either.
"""

from __future__ import annotations

import re
import secrets
from calendar import monthrange
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import astuple, dataclass
from datetime import date, timedelta
from statistics import median

from bot.core.config import SchoolConfig
from bot.core.guards.emails import email_problem
from bot.core.guards.forms import REFERENCE_ALPHABET, FormErrors, clean_field, control_character
from bot.core.language.i18n import N_

__all__ = [
    "ACKNOWLEDGE_DAYS",
    "CHANNELS",
    "KINDS",
    "PERIODS",
    "RELATIONSHIPS",
    "Counts",
    "Submission",
    "ack_due",
    "count_by_period",
    "new_reference",
    "one_month_after",
    "period_of",
    "reads_like_safeguarding",
    "validate",
    "warning_stage",
]

ACKNOWLEDGE_DAYS = 30
# the tracked requests of a person's rights: each is a Complaint row of its kind
KINDS = {
    "complaint": N_("Data protection complaint"),
    "access": N_("Subject access request"),
    "erasure": N_("Erasure request"),
}
RELATIONSHIPS = {
    "parent": N_("A parent or carer"),
    "pupil": N_("A pupil or former pupil"),
    "staff": N_("A member of staff, %(governor)s or volunteer (or former)"),
    "behalf": N_("Someone acting for the person whose data it is"),
    "other": N_("Someone else"),
}
CHANNELS = {
    "form": N_("The online form"),
    "email": N_("Email"),
    "letter": N_("Letter"),
    "phone": N_("Phone"),
    "in_person": N_("In person"),
}
ACK_HOW = {
    "email": N_("Email (sent by the bot)"),
    "letter": N_("Letter"),
    "phone": N_("Phone"),
    "in_person": N_("In person"),
    "own_email": N_("Email (sent by you)"),
}
PERIODS = {"month": N_("Month"), "quarter": N_("Quarter"), "year": N_("Year")}
MAX_TEXT, MAX_WANTED, MAX_NAME = 10_000, 5_000, 200

# Words that suggest a child may be at risk, so the person is pointed to the concern form (a
# safeguarding concern must reach the safeguarding lead today, not the data-protection officer
# within 30 days). Each is a pattern from the start of a word: "abus" finds abuse, abused,
# abusive; "harm(?:ed|ing|s)?\b" finds harm and harmed but not harmless. Deliberately broad: a
# false alarm costs one extra click ("send it as a data protection complaint").
SAFEGUARDING_WORDS = (
    "abus",
    "assault",
    "bruis",
    "bullied",
    "bullying",
    "danger",
    "exploit",
    "groom",
    r"harm(?:ed|ing|s)?\b",
    "hurt",
    "hit me",
    "hitting",
    "injur",
    "knife",
    "neglect",
    "nude",
    "rape",
    "radicalis",
    "scared",
    "self-harm",
    "sexual",
    "suicid",
    "threat",
    "touched",
    "unsafe",
    "violen",
    "weapon",
)
_SAFEGUARDING = re.compile(r"\b(?:" + "|".join(SAFEGUARDING_WORDS) + r")", re.IGNORECASE)


def reads_like_safeguarding(*texts: str) -> bool:
    """Whether the words suggest a safeguarding concern (``SAFEGUARDING_WORDS``)."""
    return any(_SAFEGUARDING.search(t or "") for t in texts)


def new_reference(year: int) -> str:
    """``DP-2026-7KQ3M``: random, never sequential (a gap reveals nothing)."""
    code = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(5))
    return f"DP-{year}-{code}"


REFERENCE = re.compile(r"^DP-\d{4}-[A-HJ-KM-NP-Z2-9]{5}$")


def ack_due(received: date) -> date:
    """The last day to acknowledge: the 30th day counting the day of receipt."""
    return received + timedelta(days=ACKNOWLEDGE_DAYS - 1)


def one_month_after(received: date) -> date:
    """The day a subject access or erasure request is due (UK GDPR Art. 12(3): one month, which
    the ICO reads as the same date next month, or that month's last day when it has no such
    date); extendable by two further months (``set_outcome_due``)."""
    following = date(received.year + received.month // 12, received.month % 12 + 1, 1)
    return following.replace(day=min(received.day, monthrange(following.year, following.month)[1]))


@dataclass(frozen=True)
class Submission:
    """A checked complaint, as typed (trimmed)."""

    name: str
    email: str | None
    relationship: str
    text: str
    wanted: str | None
    confirmed: bool  # sent as a complaint although it read like a safeguarding concern


def validate(fields: Mapping[str, str], *, email_required: bool) -> Submission:
    """The form's fields checked; FormErrors names each field's problem in plain words."""
    errors: dict[str, str] = {}
    raw = {k: fields.get(k, "") for k in ("name", "email", "relationship", "text", "wanted")}
    for key, value in raw.items():
        problem = control_character(value, multiline=key in ("text", "wanted"))
        if problem:
            errors[key] = f"This box holds {problem}: please type it again."
    name = clean_field(raw["name"], MAX_NAME + 1)
    email = raw["email"].strip().lower() or None
    text = clean_field(raw["text"], MAX_TEXT + 1)
    wanted = clean_field(raw["wanted"], MAX_WANTED + 1) or None
    if not name:
        errors.setdefault("name", N_("Enter your name, so the school can reply to you."))
    elif len(name) > MAX_NAME:
        errors.setdefault("name", f"Your name must be {MAX_NAME} characters or fewer.")
    if email is None and email_required:
        errors.setdefault(
            "email",
            N_("Enter your email address: the acknowledgement and the outcome are sent there."),
        )
    elif email is not None and email_problem(email):
        errors.setdefault("email", N_("Enter an email address like name@example.com."))
    if raw["relationship"] not in RELATIONSHIPS:
        errors.setdefault("relationship", N_("Choose who you are."))
    if not text:
        errors.setdefault("text", N_("Tell us what your complaint is about."))
    elif len(text) > MAX_TEXT:
        errors.setdefault("text", f"Keep it to {MAX_TEXT:,} characters (attach nothing).")
    if wanted is not None and len(wanted) > MAX_WANTED:
        errors.setdefault("wanted", f"Keep it to {MAX_WANTED:,} characters.")
    if errors:
        raise FormErrors(errors)
    return Submission(
        name, email, raw["relationship"], text, wanted, fields.get("confirm") == "complaint"
    )


def _send_day(day: date, received: date, due: date, school: SchoolConfig) -> date:
    """The day a warning meant for ``day`` goes: that day if the school is open, else the last
    school day before it (after receipt); with none, the next working day before the deadline."""
    back = day
    while back >= received:
        if school.is_school_day(back):
            return back
        back -= timedelta(days=1)
    ahead = max(day, received)
    while ahead <= due:
        if school.is_working_day(ahead):
            return ahead
        ahead += timedelta(days=1)
    return day


def warning_stage(
    started: date, due: date, today: date, school: SchoolConfig, warn_days: Sequence[int]
) -> tuple[str, date] | None:
    """The latest warning a clock (started on ``started``) has reached today and the day it
    goes: ``("d3", day)`` three days before, ``("overdue", day)`` once the deadline has
    passed; None before the first. A late sweep sends only the latest (each stage's outbox key
    is its own)."""
    if today > due:
        return "overdue", today
    reached = None
    for days in sorted(warn_days, reverse=True):
        day = _send_day(due - timedelta(days=days), started, due, school)
        if day <= today:
            reached = (f"d{days}", day)
    return reached


def may_warn_now(school: SchoolConfig, today: date, due: date, in_hours: bool) -> bool:
    """Warnings go in working hours on a school day; on a working day in the holidays only
    when no school day is left before the deadline (the law's clock does not stop for them)."""
    if not in_hours:
        return False
    days = (due - today).days
    return school.is_school_day(today) or not any(
        school.is_school_day(today + timedelta(days=n)) for n in range(days + 1)
    )


def period_of(day: date, period: str) -> str:
    """The period ``day`` falls in: '2026-09', '2026 Q3', '2026' (or 'all')."""
    if period == "all":
        return "all"
    if period == "month":
        return f"{day:%Y-%m}"
    if period == "quarter":
        return f"{day.year} Q{(day.month - 1) // 3 + 1}"
    return str(day.year)


@dataclass(frozen=True)
class Counts:
    """One period's counts and timeliness (never content)."""

    period: str
    received: int
    acknowledged_in_time: int
    acknowledged_late: int
    awaiting_acknowledgement: int
    outcomes: int
    outcomes_by_due: int
    open: int
    median_days_to_outcome: float | None

    def row(self) -> tuple[str, ...]:
        """The counts as CSV cells."""
        *counts, days = astuple(self)
        return (*map(str, counts), "" if days is None else f"{days:g}")


COUNT_HEADER = (
    N_("Period"),
    N_("Received"),
    N_("Acknowledged within 30 days"),
    N_("Acknowledged late"),
    N_("Awaiting acknowledgement"),
    N_("Outcome given"),
    N_("Outcome given by the date set"),
    N_("Still open"),
    N_("Median days to outcome"),
)


@dataclass(frozen=True)
class Dates:
    """What the counts read of one complaint: its dates in the school's zone."""

    received: date
    ack_due: date
    acknowledged: date | None
    outcome_due: date
    outcome: date | None


def count_by_period(items: Iterable[Dates], period: str) -> list[Counts]:
    """Counts per period of receipt, oldest first."""
    groups: dict[str, list[Dates]] = {}
    for item in items:
        groups.setdefault(period_of(item.received, period), []).append(item)
    return [_counts(key, groups[key]) for key in sorted(groups)]


def _counts(key: str, group: list[Dates]) -> Counts:
    """One period's counts, from the dates of the complaints received in it."""
    days = [(g.outcome - g.received).days for g in group if g.outcome is not None]
    return Counts(
        key,
        len(group),
        sum(1 for g in group if g.acknowledged is not None and g.acknowledged <= g.ack_due),
        sum(1 for g in group if g.acknowledged is not None and g.acknowledged > g.ack_due),
        sum(1 for g in group if g.acknowledged is None),
        len(days),
        sum(1 for g in group if g.outcome is not None and g.outcome <= g.outcome_due),
        sum(1 for g in group if g.outcome is None),
        float(median(days)) if days else None,
    )
