"""What the trust's safeguarding leads see of each school: counts only (pure, no database)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.guards.forms import Text
from bot.core.language.i18n import N_, Joined, Msg, nmsg

__all__ = ["NEVER_PASSED", "SchoolCounts", "TrustTotals", "digest_key", "school_line", "totals"]

NEVER_PASSED = N_("held: its settings have never passed the check")


@dataclass(frozen=True)
class SchoolCounts:
    """One school's headline figures, as its dashboard counts them (counts only). A school
    held because its settings have never passed the check has ``never_passed`` (the problem,
    file, line and field) and no counts: None, said "not stated", never zero."""

    name: str
    sending: bool  # False: the school is still in preview
    bad_settings: bool | None  # held on its last good settings (None: not known here)
    overdue_duties: int | None
    open_reports: int | None
    deadlines_passed: int | None  # report deadlines (referral, ICO, triage) past due, running
    deadlines_running: int | None  # report deadlines running and not yet due
    reports_without_deadline: int | None  # open reports with no deadline running
    policies_overdue: int | None  # policies past their review date
    # the problem of a school that never had good settings: its lines, said where shown
    never_passed: tuple[Text, ...] | None = None

    @classmethod
    def held(cls, name: str, problem: tuple[Text, ...]) -> SchoolCounts:
        """A school whose settings have never passed: its problem, its counts not stated."""
        return cls(name, False, True, None, None, None, None, None, None, problem)


@dataclass(frozen=True)
class TrustTotals:
    """The whole trust's figures: the schools' counts added up."""

    schools: int
    in_preview: int
    bad_settings: int  # on their last good settings, or held having never had any
    never_passed: int  # of those, held with settings that have never passed (not counted)
    overdue_duties: int
    open_reports: int
    deadlines_passed: int
    deadlines_running: int
    policies_overdue: int


def totals(rows: Sequence[SchoolCounts]) -> TrustTotals:
    """Add the schools' counts up (a held school's, not stated, add nothing)."""
    return TrustTotals(
        schools=len(rows),
        in_preview=sum(not r.sending and r.never_passed is None for r in rows),
        bad_settings=sum(bool(r.bad_settings) for r in rows),
        never_passed=sum(r.never_passed is not None for r in rows),
        overdue_duties=sum(r.overdue_duties or 0 for r in rows),
        open_reports=sum(r.open_reports or 0 for r in rows),
        deadlines_passed=sum(r.deadlines_passed or 0 for r in rows),
        deadlines_running=sum(r.deadlines_running or 0 for r in rows),
        policies_overdue=sum(r.policies_overdue or 0 for r in rows),
    )


def school_line(row: SchoolCounts) -> Joined | Msg:
    """One school's counts in a sentence (the weekly email's), said where shown."""
    if row.never_passed is not None:
        return Msg(
            N_("%(held)s (%(problem)s); its counts are not stated"),
            held=Msg(NEVER_PASSED),
            problem=Joined(row.never_passed, "; "),
        )
    assert row.open_reports is not None and row.overdue_duties is not None
    assert row.policies_overdue is not None
    return Joined(
        (
            nmsg("%(num)d overdue duty", "%(num)d overdue duties", row.overdue_duties),
            nmsg(
                "%(num)d open report (%(passed)s with a deadline passed, %(running)s running, "
                "%(without)s without one)",
                "%(num)d open reports (%(passed)s with a deadline passed, %(running)s running, "
                "%(without)s without one)",
                row.open_reports,
                passed=row.deadlines_passed,
                running=row.deadlines_running,
                without=row.reports_without_deadline,
            ),
            nmsg(
                "%(num)d policy overdue for review",
                "%(num)d policies overdue for review",
                row.policies_overdue,
            ),
            *([Msg(N_("in preview: nothing is sent to staff yet"))] if not row.sending else []),
            *([Msg(N_("held on its last good settings"))] if row.bad_settings else []),
        ),
        "; ",
    )


def digest_key(week: str) -> str:
    """The weekly email's outbox key: one per ISO week for the whole trust."""
    return f"trust-digest:{week}"
