"""Where the trust's settings live (school.yaml or the web pages) and whether each school has
begun sending.

A school set up through ``compliance-bot init`` or the web setup starts in *preview*: the sweep
opens duties and plans every reminder, but the emails that chase people wait until the school's
head or admin (or a trust-wide administrator) presses "Start sending". Each school of a trust
starts on its own (#54): one school starting never releases another's mail, and a school added
to a trust that is already sending starts in preview. Installs made before setup existed have no
setup row and send as they always have. Messages a person is waiting for (a concern's alerts and
receipts, sign-in links, delivery trouble alerts) are never held: see ``NEVER_HELD`` in
``bot.core.outbox``. Where the settings live stays one choice for the whole install.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Literal, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core import audit
from bot.core.models import School, SchoolLifecycle, SetupState

__all__ = [
    "SOURCES",
    "Source",
    "adopt_schools",
    "begin_setup",
    "check_source",
    "config_source",
    "current",
    "is_sending",
    "lifecycle",
    "start_sending",
]

Source = Literal["file", "web"]
SOURCES: tuple[Source, ...] = ("file", "web")
_CACHE = "setup_state.sending"


def current(session: Session) -> SetupState | None:
    """The setup row, or None for an install that predates setup."""
    return session.scalar(select(SetupState).order_by(SetupState.id).limit(1))


def lifecycle(session: Session, school_id: str) -> SchoolLifecycle | None:
    """The school's own preview / sending row (None: never started, or no setup)."""
    return session.scalar(select(SchoolLifecycle).where(SchoolLifecycle.school_id == school_id))


def config_source(session: Session) -> Source:
    """Where the settings live: "web" (the admin pages) or "file" (school.yaml)."""
    row = current(session)
    return cast(Source, row.config_source) if row is not None else "file"


def is_sending(session: Session, school_id: str) -> bool:
    """False while ``school_id`` is in preview (every school sends when the install predates
    setup); remembered for the rest of the session's work."""
    known: dict[str, bool] = session.info.setdefault(_CACHE, {})
    if school_id not in known:
        if current(session) is None:
            known[school_id] = True
        else:
            row = lifecycle(session, school_id)
            known[school_id] = row is not None and row.sending_started_at is not None
    return known[school_id]


def check_source(source: str) -> Source:
    """``source`` if it is one of ``SOURCES``, else an error naming them."""
    if source not in SOURCES:
        raise ValueError(f"settings are kept in 'file' (school.yaml) or 'web', not {source!r}")
    return source


def begin_setup(session: Session, *, source: str, by: str, now: datetime) -> SetupState:
    """Record setup: preview begins for every school (nothing chases anyone until a school
    starts sending)."""
    row = current(session)
    if row is None:
        row = SetupState(config_source=check_source(source), begun_at=now, begun_by=by)
        session.add(row)
        session.flush()
        audit.record(
            session,
            actor=by,
            action="setup.begun",
            object_type="setup",
            object_id=row.id,
            details={"settings_kept_in": row.config_source},
        )
    session.info.pop(_CACHE, None)
    return row


def start_sending(session: Session, school_id: str, *, by: str, now: datetime) -> bool:
    """End ``school_id``'s preview (no other school's); True when this call started it
    (pressing twice changes nothing). Audited under the school."""
    if current(session) is None:
        begin_setup(session, source="file", by=by, now=now)
    session.info.pop(_CACHE, None)
    row = lifecycle(session, school_id)
    if row is None:
        row = SchoolLifecycle(school_id=school_id, created_at=now)
        session.add(row)
    elif row.sending_started_at is not None:
        return False
    row.sending_started_at = now
    row.sending_started_by = by
    session.flush()
    audit.record(
        session,
        actor=by,
        action="sending.started",
        object_type="school",
        object_id=school_id,
        school_id=school_id,
    )
    return True


def adopt_schools(session: Session, school_ids: Iterable[str], *, by: str, now: datetime) -> None:
    """Mark the schools of an install that predated setup as sending, as they always were
    (with every school already stored): called when such an install first gets a setup row."""
    stored = set(session.scalars(select(School.id))) | set(school_ids)
    have = set(session.scalars(select(SchoolLifecycle.school_id)))
    for school_id in sorted(stored - have):
        session.add(
            SchoolLifecycle(
                school_id=school_id, created_at=now, sending_started_at=now, sending_started_by=by
            )
        )
    session.flush()
    session.info.pop(_CACHE, None)
