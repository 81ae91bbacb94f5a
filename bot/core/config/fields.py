"""The words a settings file is written in: the roles a person can hold, ids, addresses and
the dates a file may give (each checked against its window, ``bot.core.days.dates``), and the strict
base every part of school.yaml is read with (an unknown key is an error, never ignored)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal, get_args

from pydantic import AfterValidator, StringConstraints, ValidationInfo

from bot.core.config.said import CheckError
from bot.core.days.dates import CALENDAR, HAPPENED, REVIEW, DateWindow, london_today
from bot.core.guards.emails import MAX_EMAIL_LENGTH, checked_email

__all__ = [
    "EXTRA_ROLES",
    "JOB_ROLES",
    "ROLES",
    "CalendarDate",
    "Email",
    "JobRole",
    "PartName",
    "PastDate",
    "RetentionKind",
    "ReviewDate",
    "Role",
    "Slug",
    "today_of",
]

Role = Literal[
    "staff",
    "governor",
    "volunteer",
    "supply",
    "clerk",
    "headteacher",
    "dsl",
    "deputy_dsl",
    "dpo",
    "chair_of_governors",
    "safeguarding_governor",
    "account_holder",
    "admin",
]
ROLES: tuple[str, ...] = get_args(Role)
# the roles someone outside the directory can be given (the people register, the extra people
# file); headteacher, DSLs, clerk and the other named roles come from school.yaml by email
EXTRA_ROLES = ("staff", "governor", "safeguarding_governor", "volunteer", "supply")
# what a job title or MIS role (the school's own words) gives: one of the extra roles, or
# "none" (not asked for anything: a cleaner, a caterer)
JobRole = Literal[
    "staff", "volunteer", "governor", "safeguarding_governor", "clerk", "supply", "none"
]
JOB_ROLES: tuple[str, ...] = get_args(JobRole)
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)]
# a reading campaign's audience name ("part-1", "annex-a"): short, so the stored key fits
PartName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=15)]
Email = Annotated[  # checked by email-validator (bot.core.guards.emails), as every address is
    str,
    StringConstraints(to_lower=True, max_length=MAX_EMAIL_LENGTH),
    AfterValidator(checked_email),
]


def today_of(info: ValidationInfo) -> date:
    """The day the file is read on: the caller's ``today`` (validation context), else London's."""
    given = (info.context or {}).get("today") if isinstance(info.context, dict) else None
    return given if isinstance(given, date) else london_today()


def _within(window: DateWindow) -> AfterValidator:
    """A date field checked against its window (``bot.core.days.dates``), the one rule for dates."""

    def check(day: date, info: ValidationInfo) -> date:
        problem = window.problem(day, today_of(info))
        if problem is not None:
            raise CheckError(problem)
        return day

    return AfterValidator(check)


ReviewDate = Annotated[date, _within(REVIEW)]
PastDate = Annotated[date, _within(HAPPENED)]
CalendarDate = Annotated[date, _within(CALENDAR)]

# the kinds of record the retention schedule names (``bot.features.privacy.retention``)
RetentionKind = Literal[
    "acknowledgements",
    "training",
    "holdings",
    "concerns",
    "data_breaches",
    "incidents",
    "allegations",
    "complaints",
    "scr_gaps",
    "decisions",
    "visitors",
    "messages",
    "audit_log",
    "leavers",
]
