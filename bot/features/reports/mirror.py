"""The list mirror: a minimal row per report (category, urgency, status, dates — never content,
names or the reporter) kept up to date on a platform list; reports about the headteacher are
never mirrored."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.clock import LONDON
from bot.core.config import SchoolConfig
from bot.core.models import Report
from bot.features.reports.clocks import open_clock
from bot.features.reports.rules import CATEGORIES, REFERENCE_PATTERN, STATUSES, URGENCIES
from bot.features.reports.state import ensure_school, load_state, save_state
from connectors.base import ListMirror

__all__ = [
    "DEFAULT_MIRROR_FIELDS",
    "MIRROR_STATE_KEY",
    "SAFE_MIRROR_FIELDS",
    "mirror_fields",
    "mirror_pending",
]

DEFAULT_MIRROR_FIELDS: tuple[str, ...] = ("category", "urgency", "status", "created")
SAFE_MIRROR_FIELDS = frozenset({"category", "urgency", "status", "created", "closed", "due"})
MIRROR_STATE_KEY = "reports.mirror"


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


def mirror_pending(session: Session, mirror: ListMirror, school: SchoolConfig) -> int:
    """Upsert every report whose mirrored fields changed since last time; returns how many.

    Reports about the headteacher are never mirrored (a platform list may be visible to them).
    A connector error stops the pass; what was mirrored so far is remembered.
    """
    state_row = load_state(session, school.id, MIRROR_STATE_KEY)
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
            ensure_school(session, school)
            save_state(session, school.id, MIRROR_STATE_KEY, json.dumps(state, sort_keys=True))
    return done
