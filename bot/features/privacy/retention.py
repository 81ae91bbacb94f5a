"""The retention schedule: how long each kind of record is kept, from which event, and why.

Pure rules (``today`` passed in). Each kind has a default period with its source beside it,
and a school may choose its own (``retention`` in its settings, saved as a settings version
that names who changed it, when and why). A period of None keeps the record until the school
disposes of it: the bot never disposes of such a record by itself.

Sources: the Information and Records Management Society's *Information Management Toolkit for
Schools* (IRMS, 2019: the record series named beside each default), the Limitation Act 1980
(s.2, s.5: six years to bring a claim; the usual floor where the toolkit names no series) and
UK GDPR (Art. 5(1)(c), 5(1)(e), 33(5)).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import get_args

from bot.core.config import SchoolConfig
from bot.core.config.fields import RetentionKind
from bot.core.days.dates import shift, years_after
from bot.core.language.i18n import N_, Msg, N_plural, nmsg

__all__ = ["RULES", "Rule", "ScheduleRow", "cutoff", "kind_of_report", "schedule_rows"]

LEAVING = N_("the day the person left the school")
CLOSING = N_("the day the record was closed")
RECORDED = N_("the day it was recorded")
SENT = N_("the day it was sent")
VISIT = N_("the day of the visit")
WITH_RECORD = N_("as long as the record it proves")

PERSONNEL = N_(
    "IRMS Information Management Toolkit for Schools (2019), Human resources: staff personal "
    "file, termination of employment + 6 years"
)
CHILD_PROTECTION = N_(
    "IRMS Information Management Toolkit for Schools (2019), Child protection: child's date "
    "of birth + 25 years (the bot holds no date of birth, so it counts from the report, "
    "which is never earlier)"
)
ALLEGATION = N_(
    "IRMS Information Management Toolkit for Schools (2019), Child protection: allegation "
    "against a member of staff, until normal retirement age or 10 years from the allegation, "
    "whichever is longer (the bot holds no date of birth, so the school decides)"
)
COMPLAINT = N_(
    "IRMS Information Management Toolkit for Schools (2019), Management of the school: "
    "complaints files, resolution + 6 years"
)
BREACH = N_(
    "UK GDPR Art. 33(5) (every personal data breach documented); Limitation Act 1980 s.2 (6 years)"
)
LIMITATION = N_("Limitation Act 1980 s.2 and s.5 (6 years to bring a claim)")
VISITORS = N_("the school's visitor rules (UK GDPR Art. 5(1)(c), data minimisation)")
AUDIT = N_("UK GDPR Art. 5(2) (accountability): kept with the record it proves")


@dataclass(frozen=True)
class Rule:
    """One kind of record: its name, default period in years (None: kept until the school
    disposes of it), the event it runs from and the source of the default."""

    kind: RetentionKind
    name: str
    years: int | None
    runs_from: str
    source: str


RULES: tuple[Rule, ...] = (
    Rule("acknowledgements", N_("Acknowledgements and signatures"), 6, LEAVING, PERSONNEL),
    Rule("training", N_("Training records"), 6, LEAVING, PERSONNEL),
    Rule("holdings", N_("Official accounts held"), 6, LEAVING, PERSONNEL),
    Rule("leavers", N_("People who left"), 6, LEAVING, PERSONNEL),
    Rule(
        "concerns",
        N_("Concerns about children, with their deadlines"),
        25,
        RECORDED,
        CHILD_PROTECTION,
    ),
    Rule("data_breaches", N_("Personal data breaches, with their deadlines"), 6, CLOSING, BREACH),
    Rule("incidents", N_("Filtering and visitor breaches"), 6, CLOSING, LIMITATION),
    Rule("allegations", N_("Allegations against staff"), None, RECORDED, ALLEGATION),
    Rule("complaints", N_("Data-protection complaints"), 6, CLOSING, COMPLAINT),
    Rule("scr_gaps", N_("Single central record gaps"), 6, CLOSING, LIMITATION),
    Rule("decisions", N_("Decisions"), 6, CLOSING, LIMITATION),
    Rule("visitors", N_("Visitors' confirmations"), None, VISIT, VISITORS),
    Rule("messages", N_("Messages sent"), 6, SENT, LIMITATION),
    Rule("audit_log", N_("The audit log"), None, WITH_RECORD, AUDIT),
)
_BY_KIND = {rule.kind: rule for rule in RULES}
assert set(_BY_KIND) == set(get_args(RetentionKind)), "every kind of record has its rule"

# a report's category -> the kind of record it is kept as (unknown categories: a concern)
_REPORT_KINDS: dict[str, RetentionKind] = {
    "data_breach": "data_breaches",
    "filtering": "incidents",
    "visitor": "incidents",
    "staff_concern": "allegations",
}


def kind_of_report(category: str) -> RetentionKind:
    """The kind of record a report of ``category`` is kept as."""
    return _REPORT_KINDS.get(category, "concerns")


def _period(rule: Rule, school: SchoolConfig) -> tuple[int | None, bool]:
    """The years the school keeps ``rule``'s records, and whether that is its own choice."""
    chosen = school.retention.get(rule.kind)
    return (chosen, True) if chosen is not None else (rule.years, False)


def cutoff(kind: RetentionKind, school: SchoolConfig, today: date) -> date | None:
    """Records of ``kind`` whose event fell before this day are due for disposal; None: the
    school disposes of them itself (none is due by the schedule)."""
    rule = _BY_KIND[kind]
    if kind == "visitors" and kind not in school.retention:
        return shift(today, -school.visitor_retention_days)
    years, _ = _period(rule, school)
    return None if years is None else years_after(today, -years)


@dataclass(frozen=True)
class ScheduleRow:
    """One line of the schedule as a reader sees it (for the page, the evidence pack and the
    record of processing)."""

    kind: RetentionKind
    name: Msg
    period: Msg
    runs_from: Msg
    source: Msg
    school_choice: bool


def _period_words(rule: Rule, school: SchoolConfig) -> tuple[Msg, bool]:
    years, chosen = _period(rule, school)
    if rule.kind == "visitors" and not chosen:
        days = school.visitor_retention_days
        return nmsg(*N_plural("%(count)s day", "%(count)s days"), days), False
    if years is None:
        return Msg(N_("until the school disposes of it")), False
    return nmsg(*N_plural("%(count)s year", "%(count)s years"), years), chosen


def schedule_rows(school: SchoolConfig) -> list[ScheduleRow]:
    """The school's schedule: each kind with its period, the event it runs from and the source
    of its default (the school's own choice is marked)."""
    rows = []
    for rule in RULES:
        period, chosen = _period_words(rule, school)
        rows.append(
            ScheduleRow(
                rule.kind, Msg(rule.name), period, Msg(rule.runs_from), Msg(rule.source), chosen
            )
        )
    return rows
