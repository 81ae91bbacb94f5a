"""The pack's staff evidence: the single central record's open gaps counted by kind, and,
with the school's settings, each gap with its date (the gaps /scr shows, from the SCR room)
and training by the roles that owe it (the dashboard's figures, one row per course). A gap
names its person only in a pack made by someone who may read /scr (the headteacher, the
record's owner, the command line), as the reports a pack counts are those its maker may
read."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from sqlalchemy.orm import Session

from bot.core.config import SchoolConfig
from bot.core.language.i18n import N_
from bot.core.language.words import role_list, school_words
from bot.features.dashboard.api import read_figures
from bot.features.evidence.rules import Table, cells
from bot.features.scr.api import (
    GAP_KINDS,
    check_names,
    current_gaps,
    describe,
    gap_headings,
    last_checked,
    open_counts,
)

__all__ = ["scr_counts_table", "scr_gaps", "training_by_role"]


def _day(detail: object) -> date | None:
    """A gap's date (its detail as /scr words it), or None (not recorded, a panel's title)."""
    if isinstance(detail, date):
        return detail
    if not isinstance(detail, str):
        return None
    try:
        return datetime.strptime(detail, "%A %d %B %Y").date()
    except ValueError:
        return None


def scr_gaps(session: Session, school: SchoolConfig, today: date, *, named: bool) -> Table:
    """Each open gap of the single central record as of ``today``: whose (``named``: only for
    a maker who may read /scr, as the record's page), which check, the date it was due or runs
    out, in the school's words."""
    headings, checks, words = gap_headings(school), check_names(school), school_words(school)
    rows = tuple(
        cells(
            (
                headings[gap.kind],
                gap.subject if named else None,
                checks.get(gap.check or "", ""),
                _day(gap.detail),
                describe(gap, checks, words, academy=school.academy),
            )
        )
        for gap in current_gaps(session, school, today)
    )
    return Table(
        "single-central-record-gaps-by-person.csv",
        N_("Gaps in the single central record, each with its date (as the record's page shows)"),
        (N_("Kind of gap"), N_("Who"), N_("Check"), N_("Date"), N_("Gap")),
        rows,
        pdf_columns=(1, 2, 3, 4),
    )


def scr_counts_table(session: Session, school_id: str, headings: Mapping[str, str] | None) -> Table:
    """The single central record's open gaps by kind (in the school's words) and the day of
    the last check: counts only, never a name (who is on /scr, for the head and the SCR owner)."""
    counts, checked = open_counts(session, school_id), last_checked(session, school_id)
    when = checked.isoformat() if checked is not None else "Not stated: never checked"
    rows = (
        tuple(cells(((headings or GAP_KINDS)[kind], count, when)) for kind, count in counts.items())
        if counts is not None
        else (cells(("All kinds", "Not stated", when)),)
    )
    return Table(
        "single-central-record-gaps.csv",
        N_("Gaps in the single central record (safer recruitment), by kind: counts only"),
        (N_("Kind of gap"), N_("Open"), N_("Last checked")),
        rows,
    )


def _owed_by(school: SchoolConfig) -> dict[str, str]:
    """Who owes each training requirement, by its id: its roles in the school's words, then
    its groups and named people."""
    words = school_words(school)
    return {
        req.id: ", ".join(
            filter(
                None,
                (
                    role_list(req.audience.roles, words).said("en"),
                    *req.audience.groups,
                    *req.audience.people,
                ),
            )
        )
        for req in school.requirements
    }


def training_by_role(session: Session, school: SchoolConfig, today: date) -> Table:
    """Per course and the roles that owe it: how many must do it, are trained and in date,
    owe it and are overdue (the dashboard's and governors' report's figures)."""
    owed_by = _owed_by(school)
    rows = tuple(
        cells(
            (
                owed_by.get(t.key, ""),
                t.course,
                t.audience,
                t.up_to_date,
                t.audience - t.up_to_date,
                t.overdue,
            )
        )
        for t in read_figures(session, school.id, today).training
    )
    return Table(
        "training-by-role.csv",
        N_("Training by role: how many are trained and in date, and how many owe it"),
        (
            N_("Who must do it"),
            N_("Course"),
            N_("People"),
            N_("Trained and in date"),
            N_("Owe it"),
            N_("Overdue"),
        ),
        rows,
    )
