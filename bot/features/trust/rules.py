"""What the trust's safeguarding leads see of each school: counts only (pure, no database)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.words import plural

__all__ = ["SchoolCounts", "TrustTotals", "digest_key", "school_line", "totals"]


@dataclass(frozen=True)
class SchoolCounts:
    """One school's headline figures, as its dashboard counts them (counts only)."""

    name: str
    sending: bool  # False: the school is still in preview
    bad_settings: bool | None  # held on its last good settings (None: not known here)
    overdue_duties: int
    open_reports: int
    deadlines_passed: int  # report deadlines (referral, ICO, triage) past due, still running
    deadlines_running: int  # report deadlines running and not yet due
    reports_without_deadline: int  # open reports with no deadline running
    policies_overdue: int  # policies past their review date


@dataclass(frozen=True)
class TrustTotals:
    """The whole trust's figures: the schools' counts added up."""

    schools: int
    in_preview: int
    bad_settings: int
    overdue_duties: int
    open_reports: int
    deadlines_passed: int
    deadlines_running: int
    policies_overdue: int


def totals(rows: Sequence[SchoolCounts]) -> TrustTotals:
    """Add the schools' counts up."""
    return TrustTotals(
        schools=len(rows),
        in_preview=sum(not r.sending for r in rows),
        bad_settings=sum(bool(r.bad_settings) for r in rows),
        overdue_duties=sum(r.overdue_duties for r in rows),
        open_reports=sum(r.open_reports for r in rows),
        deadlines_passed=sum(r.deadlines_passed for r in rows),
        deadlines_running=sum(r.deadlines_running for r in rows),
        policies_overdue=sum(r.policies_overdue for r in rows),
    )


def school_line(row: SchoolCounts) -> str:
    """One school's counts in a sentence (the weekly email's)."""
    state = [
        *(["in preview: nothing is sent to staff yet"] if not row.sending else []),
        *(["held on its last good settings"] if row.bad_settings else []),
    ]
    reports = (
        f"{plural(row.open_reports, 'open report')} ({row.deadlines_passed} with a deadline "
        f"passed, {row.deadlines_running} running, {row.reports_without_deadline} without one)"
    )
    parts = [
        plural(row.overdue_duties, "overdue duty", "overdue duties"),
        reports,
        f"{plural(row.policies_overdue, 'policy', 'policies')} overdue for review",
        *state,
    ]
    return "; ".join(parts)


def digest_key(week: str) -> str:
    """The weekly email's outbox key: one per ISO week for the whole trust."""
    return f"trust-digest:{week}"
