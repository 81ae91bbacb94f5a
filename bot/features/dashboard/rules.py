"""Headline figures: what each one is and how it reads (pure: data in, text and rates out).

``figures.read_figures`` fills these in from the database; the status command, the
dashboard, the digest and the governors' report all show them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from bot.core.guards.forms import Text
from bot.core.language.i18n import N_, N_plural, nmsg
from bot.features.policies.api import REVIEW_DUE_SOON_DAYS

__all__ = [
    "ACK_TARGET",
    "AGE_BANDS",
    "AGE_LABELS",
    "METHODS",
    "URGENCIES",
    "AccountFigure",
    "Attention",
    "Figures",
    "MessageFigure",
    "PolicyFigure",
    "TrainingFigure",
    "age_band",
    "by_age",
]

ACK_TARGET = 0.95
URGENCIES = ("immediate", "high", "normal")
AGE_BANDS = ("today", "1–7 days", "8–30 days", "over 30 days")
AGE_LABELS = {  # each band as a column heading, translated where shown
    "today": N_("Today"),
    "1–7 days": N_("1–7 days"),
    "8–30 days": N_("8–30 days"),
    "over 30 days": N_("Over 30 days"),
}

METHODS = {  # how an attestation was given (the dashboard's and the evidence pack's words)
    "link": N_("Email link"),
    "sso": N_("Signed in"),
    "import": N_("Imported record"),
    "on_behalf": N_("Recorded on their behalf"),
    "teams": "Microsoft Teams",
    "chat": "Google Chat",
}


# the figures that need the headteacher, most urgent first: (the figure, its line and the
# line's plural, the dashboard section it points at, severity)
ATTENTION = (
    (
        "clocks_overdue",
        N_plural("%(num)d report deadline has passed", "%(num)d report deadlines have passed"),
        "reports",
        "bad",
    ),
    (
        "running_clocks",
        N_plural("%(num)d report clock running", "%(num)d report clocks running"),
        "reports",
        "warn",
    ),
    (
        "messages_failed",
        N_plural(
            "%(num)d message could not be delivered", "%(num)d messages could not be delivered"
        ),
        "messages",
        "bad",
    ),
    (
        "messages_unknown",
        N_plural("%(num)d message may not have arrived", "%(num)d messages may not have arrived"),
        "messages",
        "warn",
    ),
    (
        "policies_overdue",
        N_plural("%(num)d policy overdue for review", "%(num)d policies overdue for review"),
        "reviews",
        "bad",
    ),
    (
        "handovers",
        N_plural(
            "%(num)d official account needs a handover", "%(num)d official accounts need a handover"
        ),
        "accounts",
        "bad",
    ),
    (
        "accounts_unsigned",
        N_plural(
            "%(num)d official account with unsigned holders",
            "%(num)d official accounts with unsigned holders",
        ),
        "accounts",
        "warn",
    ),
    (
        "training_overdue",
        N_plural(
            "%(num)d staff training missing or expired",
            "%(num)d staff trainings missing or expired",
        ),
        "training",
        "warn",
    ),
    (
        "overdue_duties",
        N_plural("%(num)d overdue staff duty", "%(num)d overdue staff duties"),
        "duties",
        "warn",
    ),
    (
        "policies_due_soon",
        N_plural(
            "%(num)d policy is due for review within %(days)d days",
            "%(num)d policies are due for review within %(days)d days",
        ),
        "reviews",
        "warn",
    ),
)


def age_band(days: int) -> str:
    """Which age band a report `days` old falls in."""
    most_days = (0, 7, 30, float("inf"))
    return next(band for band, most in zip(AGE_BANDS, most_days, strict=True) if days <= most)


def by_age(reports: Iterable[tuple[str, int]]) -> dict[str, dict[str, int]]:
    """Open reports by urgency (the usual ones in order, then any others) and age band, from
    (urgency, days old) pairs."""
    counted = Counter((urgency, age_band(days)) for urgency, days in reports)
    urgencies = [*URGENCIES, *sorted({u for u, _ in counted} - set(URGENCIES))]
    return {u: {band: counted[u, band] for band in AGE_BANDS} for u in urgencies}


@dataclass(frozen=True)
class PolicyFigure:
    """Acknowledgement state of a policy's current version and its review state."""

    policy_id: int
    key: str
    title: str
    version: str | None
    done: int
    owed: int
    overdue: int
    next_review: date | None
    review: str

    @property
    def rate(self) -> float:
        """Share acknowledged (1.0 when nobody owes it)."""
        return self.done / self.owed if self.owed else 1.0

    @property
    def required(self) -> bool:
        """Whether anyone is asked to acknowledge this version."""
        return self.owed > 0


@dataclass(frozen=True)
class TrainingFigure:
    """One training requirement: who should be trained and who is up to date."""

    requirement_id: int
    key: str
    course: str
    audience: int
    never: int  # never trained (new starters still inside their window included)
    expired: int  # training past its expiry date
    renewing: int  # still valid, renewal due within the lead time
    overdue: int  # never-trained past their due date, plus expired

    @property
    def up_to_date(self) -> int:
        """People in the audience whose training is valid today."""
        return max(self.audience - self.never - self.expired, 0)

    @property
    def rate(self) -> float:
        """Share of the audience up to date (1.0 when the audience is empty)."""
        return self.up_to_date / self.audience if self.audience else 1.0


@dataclass(frozen=True)
class AccountFigure:
    """Signature state of one official account."""

    account_id: int
    name: str
    platform: str
    holders: int
    unsigned: int
    handover_needed: bool


@dataclass(frozen=True)
class MessageFigure:
    """A message that may not have arrived (or was refused): its number, what for, when."""

    number: int
    title: str  # what it was for, in the school's words ("Reminder to a member of staff")
    status: str  # delivery_unknown | failed | bounced
    queued: datetime
    label: str = ""  # the same as a phrase ("a reminder to …"), translated where shown

    @property
    def state(self) -> str:
        """How it stands, in plain words."""
        return {"failed": N_("Refused"), "bounced": N_("Bounced")}.get(
            self.status, N_("Not confirmed")
        )


@dataclass(frozen=True)
class Attention:
    """One "needs you now" line and the dashboard section it points at."""

    text: Text
    section: str
    severity: str = "warn"  # bad | warn


@dataclass
class Figures:
    """Everything the headteacher sees at a glance (counts only, never report contents).

    Report figures leave out reports about the headteacher: these figures reach the
    headteacher (status, digest, dashboard tiles), who must not learn such a report exists.
    """

    school_id: str
    as_of: date
    people: int = 0
    policies: list[PolicyFigure] = field(default_factory=list)
    training: list[TrainingFigure] = field(default_factory=list)
    accounts: list[AccountFigure] = field(default_factory=list)
    open_duties: int = 0
    overdue_duties: int = 0
    overdue_by_kind: dict[str, int] = field(default_factory=dict)
    open_reports: int = 0
    reports_by_age: dict[str, dict[str, int]] = field(default_factory=dict)
    reports_with_clocks: int = 0
    running_clocks: int = 0
    clocks_overdue: int = 0
    ack_target: float = ACK_TARGET
    messages: list[MessageFigure] = field(default_factory=list)  # the newest, at most 50
    messages_unknown: int = 0  # may not have arrived (the platform did not confirm them)
    messages_failed: int = 0  # refused by the platform
    # the school's configured term dates are running out (``SchoolConfig.term_dates_question``)
    calendar_question: Text | None = None
    # the sweep's steps failing for the school, in plain words (``bot.engine.step_failures``)
    failing_jobs: tuple[Text, ...] = ()
    # the school's settings fail the checks (``bot.engine.settings_problems``): what is in
    # force meanwhile, in plain words, and what to fix (file, line, setting), one a line
    settings_problem: Text | None = None
    settings_fix: tuple[Text, ...] = ()
    # the reading campaigns' current editions (KCSIE Part 1...): people who read them, of
    # those asked (the policies' acknowledgements are ``ack_done`` / ``ack_owed``)
    reading_done: int = 0
    reading_owed: int = 0

    @property
    def training_done(self) -> int:
        """People-course slots up to date."""
        return sum(t.up_to_date for t in self.training)

    @property
    def training_owed(self) -> int:
        """People-course slots that should be up to date."""
        return sum(t.audience for t in self.training)

    @property
    def training_overdue(self) -> int:
        """People-course slots past due (never trained in time, or expired)."""
        return sum(t.overdue for t in self.training)

    @property
    def ack_done(self) -> int:
        """Acknowledgements of current versions."""
        return sum(p.done for p in self.policies)

    @property
    def ack_owed(self) -> int:
        """Acknowledgements asked for, of current versions."""
        return sum(p.owed for p in self.policies)

    @property
    def ack_rate(self) -> float:
        """Acknowledgements across all current versions."""
        return self.ack_done / self.ack_owed if self.ack_owed else 1.0

    @property
    def training_rate(self) -> float:
        """Share of people-course slots whose training is valid today."""
        return self.training_done / self.training_owed if self.training_owed else 1.0

    @property
    def policies_overdue(self) -> int:
        """Policies past their review date."""
        return sum(1 for p in self.policies if p.review == "overdue")

    @property
    def policies_due_soon(self) -> int:
        """Policies due for review within 30 days."""
        return sum(1 for p in self.policies if p.review == "due soon")

    @property
    def accounts_unsigned(self) -> int:
        """Official accounts with at least one holder who has not signed."""
        return sum(1 for a in self.accounts if a.unsigned)

    @property
    def handovers(self) -> int:
        """Official accounts flagged for a handover (a holder left)."""
        return sum(1 for a in self.accounts if a.handover_needed)

    def attention(self) -> list[Attention]:
        """What needs the headteacher now, most urgent first, each with its section, each
        line a whole sentence (said where shown)."""
        lines = [Attention(job, "jobs", "bad") for job in self.failing_jobs]
        if self.settings_problem:
            lines.insert(0, Attention(self.settings_problem, "settings", "bad"))
        if self.calendar_question:
            lines.append(Attention(self.calendar_question, "now", "bad"))
        for figure, said, section, severity in ATTENTION:
            if n := getattr(self, figure):
                line = nmsg(*said, n, days=REVIEW_DUE_SOON_DAYS)
                lines.append(Attention(line, section, severity))
        return lines

    def needs_attention(self) -> list[Text]:
        """Short lines for 'things needing you now' (never report contents)."""
        return [a.text for a in self.attention()]
