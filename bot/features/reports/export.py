"""The tracked list as CSV for the DSL's records, guarded against formula injection."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.models import Report
from bot.core.words import csv_text
from bot.features.reports.rules import CATEGORIES, INVOLVED_ROLES, STATUSES, URGENCIES, local_time

__all__ = ["EXPORT_COLUMNS", "export_csv"]


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
    return csv_text(EXPORT_COLUMNS, (_row(r) for r in reports), bom=False)


def _row(r: Report) -> tuple[object, ...]:
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
        r.outcome,
        r.lessons,
        local_time(r.closed_at) if r.closed_at else "",
        r.source,
    )
