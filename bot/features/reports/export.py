"""The tracked list as CSV for the DSL's records, guarded against formula injection."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from bot.core.config import SchoolConfig
from bot.core.language.words import csv_text, school_words
from bot.core.models import Person, Report
from bot.features.reports.actions import audit_list
from bot.features.reports.routing import visible_reports
from bot.features.reports.rules import (
    CATEGORIES,
    INVOLVED_ROLES,
    RELATIONSHIPS,
    STATUSES,
    URGENCIES,
    local_time,
)

__all__ = ["EXPORT_COLUMNS", "export_csv", "export_visible"]


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
    "reporter_relationship",
    "outcome",
    "lessons",
    "closed",
    "source",
)


def export_csv(reports: Sequence[Report], governor: str) -> str:
    """The tracked list as CSV (for the DSL's records), with the formula-injection guard;
    ``governor``: the school's word for a governor (how a reporter may know the school)."""
    return csv_text(EXPORT_COLUMNS, (_row(r, governor) for r in reports), bom=False)


def export_visible(
    session: Session, school: SchoolConfig, person: Person, *, actor: str, via: str
) -> tuple[str, int]:
    """Every report ``person`` may read as CSV, and how many; the export is audited."""
    reports = list(
        session.scalars(
            visible_reports(school, person.email, person.role_names).order_by(Report.id)
        )
    )
    audit_list(session, actor, "report.exported", school.id, rows=len(reports), via=via)
    return export_csv(reports, school_words(school).governor), len(reports)


def _row(r: Report, governor: str) -> tuple[object, ...]:
    involved = "; ".join(
        INVOLVED_ROLES.get(str(i.get("role")), str(i.get("role")))
        + (f" ({i.get('names')})" if i.get("names") else "")
        for i in r.involved
        if isinstance(i, dict)
    )
    return (
        r.reference,
        local_time(r.created_at),
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
        RELATIONSHIPS.get(r.reporter_relationship or "", "") % {"governor": governor},
        r.outcome,
        r.lessons,
        local_time(r.closed_at) if r.closed_at else "",
        r.source,
    )
