"""The list mirror: a minimal row per report (category, urgency, status, dates — never content,
names or the reporter) kept up to date on a platform list; reports about the headteacher are
never mirrored."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, lazyload

from bot.core.config import SchoolConfig
from bot.core.database.store import dialect_insert, exclusive
from bot.core.days.clock import LONDON
from bot.core.models import ConnectorState, Report, School, utcnow
from bot.core.ports import ListMirror
from bot.features.reports.rules import CATEGORIES, REFERENCE_PATTERN, STATUSES, URGENCIES

__all__ = ["MIRROR_STATE_KEY", "mirror_fields", "mirror_pending"]

MIRROR_STATE_KEY = "reports.mirror"
LOCK_WAIT = 120.0  # seconds a pass waits for the one before it (SQLite; PostgreSQL waits on)


# built once (their cache keys too): the sweep reads both for every school at every pass
_MIRRORED = (
    select(Report)
    .where(
        Report.school_id == bindparam("school_id"),
        Report.about_headteacher.is_(False),
        Report.about_person.is_(None),  # the list is read by the whole team
    )
    .order_by(Report.id)
    .options(lazyload(Report.entries), lazyload(Report.clocks))  # the row needs neither
)
_STATE = select(ConnectorState.value).where(
    ConnectorState.school_id == bindparam("school_id"), ConnectorState.key == MIRROR_STATE_KEY
)


def mirror_fields(report: Report) -> dict[str, str]:
    """The minimal row a list mirror gets (category, urgency, status, the day it was made):
    never content, names or the reporter."""
    return {
        "category": CATEGORIES.get(report.category, report.category),
        "urgency": URGENCIES.get(report.urgency, report.urgency),
        "status": STATUSES.get(report.status, report.status),
        "created": report.created_at.astimezone(LONDON).date().isoformat(),
    }


def mirror_pending(
    session: Session, mirror: ListMirror, school: SchoolConfig, *, verify: bool = False
) -> int:
    """Upsert every report the platform does not hold as it should; returns how many.

    Passes for a school take turns on a lock that blocks no other writer (see
    :func:`bot.core.database.store.exclusive`), so two passes — web threads, workers, the scheduler
    —
    never write the same row at once and never create it twice. The state records, per report,
    the digest of the row the platform confirmed; with ``verify`` (the sweep) the platform's
    rows are read back first and any row missing or different there is written again, so the
    mirror converges whatever happened to it and the count is what was written. Reports about
    the headteacher are never mirrored (a platform list may be visible to them). A connector
    error stops the pass; what was confirmed so far is remembered.
    """
    if session.get(School, school.id) is None:
        return 0  # no report has been stored for this school yet
    done = 0
    saved: str | None = None  # the state as read, once this pass has its turn
    state: dict[str, str] = {}
    try:
        with exclusive(session, f"{MIRROR_STATE_KEY}:{school.id}", timeout=LOCK_WAIT):
            current = _saved_state(session, school.id)
            held = _held(mirror.rows()) if verify else None
            saved, state = current, ({} if verify else _digests(current))
            for report in session.scalars(_MIRRORED, {"school_id": school.id}):
                if not REFERENCE_PATTERN.match(report.reference):
                    continue
                row = mirror_fields(report)
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
        # saved once the platform is free for the next pass: on SQLite this write may wait
        # for a running sweep, which itself may be waiting for that turn
        value = json.dumps(state, sort_keys=True)
        if saved is not None and value != saved:
            _save_state(session, school.id, value)
    return done


def _saved_state(session: Session, school_id: str) -> str:
    """The saved state's text ("" before the first pass)."""
    return session.scalar(_STATE, {"school_id": school_id}) or ""


def _save_state(session: Session, school_id: str, value: str) -> None:
    """Insert or replace the saved state in one statement (two first passes cannot clash)."""
    insert = dialect_insert(session, ConnectorState).values(
        school_id=school_id, key=MIRROR_STATE_KEY, value=value, updated_at=utcnow()
    )
    session.execute(
        insert.on_conflict_do_update(
            index_elements=["school_id", "key"],
            set_={"value": insert.excluded.value, "updated_at": insert.excluded.updated_at},
        )
    )


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
