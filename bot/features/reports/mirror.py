"""The list mirror: a minimal row per report (category, urgency, status, dates — never content,
names or the reporter) kept up to date on a platform list; reports about the headteacher are
never mirrored."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.clock import LONDON
from bot.core.config import SchoolConfig
from bot.core.models import ConnectorState, Report, School, utcnow
from bot.core.store import dialect_insert
from bot.features.reports.clocks import open_clock
from bot.features.reports.rules import CATEGORIES, REFERENCE_PATTERN, STATUSES, URGENCIES
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


def mirror_pending(
    session: Session, mirror: ListMirror, school: SchoolConfig, *, verify: bool = False
) -> int:
    """Upsert every report the platform does not hold as it should; returns how many.

    Passes for a school take turns (the saved state's row is locked until the caller's
    transaction ends), so two passes never write the same row at once. The state records, per
    report, the digest of the row after the platform confirmed it; with ``verify`` (the sweep)
    the platform's rows are read back first and any row missing or different there is written
    again, so the mirror converges whatever happened to it. Reports about the headteacher are
    never mirrored (a platform list may be visible to them). A connector error stops the pass;
    what was confirmed so far is remembered.
    """
    if session.get(School, school.id) is None:
        return 0  # no report has been stored for this school yet
    state_row = _locked_state(session, school.id)
    held = _held(mirror.rows()) if verify else None
    state = {} if verify else _digests(state_row.value)
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
            if held is not None:
                if _holds(held.get(report.reference), row):
                    state[report.reference] = digest
                    continue
            elif state.get(report.reference) == digest:
                continue
            mirror.upsert(report.reference, row)
            state[report.reference] = digest
            done += 1
    finally:
        value = json.dumps(state, sort_keys=True)
        if value != state_row.value:
            state_row.value = value
            session.flush()
    return done


def _locked_state(session: Session, school_id: str) -> ConnectorState:
    """The school's mirror state row, locked until the transaction ends (passes take turns).

    The upsert locks the row on PostgreSQL and takes SQLite's single write lock; reading the
    row afterwards sees what the previous pass committed.
    """
    insert = dialect_insert(session, ConnectorState).values(
        school_id=school_id, key=MIRROR_STATE_KEY, value="{}", updated_at=utcnow()
    )
    session.execute(
        insert.on_conflict_do_update(
            index_elements=["school_id", "key"], set_={"updated_at": insert.excluded.updated_at}
        )
    )
    return session.scalars(
        select(ConnectorState)
        .where(ConnectorState.school_id == school_id, ConnectorState.key == MIRROR_STATE_KEY)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _digests(value: str) -> dict[str, str]:
    """The saved reference -> digest map (an unreadable state means "nothing confirmed")."""
    try:
        loaded = json.loads(value or "{}")
    except ValueError:
        return {}
    if not isinstance(loaded, dict):
        return {}
    return {str(k): str(v) for k, v in loaded.items()}


def _held(rows: Mapping[str, Mapping[str, str]]) -> dict[str, dict[str, str]]:
    """The platform's rows with column names folded to lower case (names are matched loosely)."""
    return {ref: {k.casefold(): v for k, v in cells.items()} for ref, cells in rows.items()}


def _holds(cells: Mapping[str, str] | None, row: Mapping[str, str]) -> bool:
    """Whether the platform's row shows every mirrored field as it should (blank = absent)."""
    if cells is None:
        return False
    return all((cells.get(name.casefold()) or "") == value for name, value in row.items())
