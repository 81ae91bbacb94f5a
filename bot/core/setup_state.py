"""Where the school's settings live (school.yaml or the web pages) and whether sending has begun.

A school set up through ``compliance-bot init`` or the web setup starts in *preview*: the sweep
opens duties and plans every reminder, but the emails that chase people wait until an admin
presses "Start sending". Installs made before setup existed (and the demo) have no row and send
as they always have. Messages a person is waiting for (a concern's alerts and receipts, sign-in
links, delivery trouble alerts) are never held: see ``HELD_IN_PREVIEW`` in ``bot.core.outbox``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core import audit
from bot.core.models import SetupState

__all__ = [
    "SOURCES",
    "Source",
    "begin_setup",
    "check_source",
    "config_source",
    "current",
    "is_sending",
    "start_sending",
]

Source = Literal["file", "web"]
SOURCES: tuple[Source, ...] = ("file", "web")
_CACHE = "setup_state.sending"


def current(session: Session) -> SetupState | None:
    """The setup row, or None for an install that predates setup."""
    return session.scalar(select(SetupState).order_by(SetupState.id).limit(1))


def config_source(session: Session) -> Source:
    """Where the settings live: "web" (the admin pages) or "file" (school.yaml)."""
    row = current(session)
    return cast(Source, row.config_source) if row is not None else "file"


def is_sending(session: Session) -> bool:
    """False while the school is in preview; remembered for the rest of the session's work."""
    if _CACHE not in session.info:
        row = current(session)
        session.info[_CACHE] = row is None or row.sending_started_at is not None
    return bool(session.info[_CACHE])


def check_source(source: str) -> Source:
    """``source`` if it is one of ``SOURCES``, else an error naming them."""
    if source not in SOURCES:
        raise ValueError(f"settings are kept in 'file' (school.yaml) or 'web', not {source!r}")
    return source


def begin_setup(session: Session, *, source: str, by: str, now: datetime) -> SetupState:
    """Record setup: preview begins (nothing chases anyone until sending starts)."""
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


def start_sending(session: Session, *, by: str, now: datetime) -> bool:
    """End preview; True when this call started it (pressing twice changes nothing)."""
    row = current(session)
    if row is None:
        row = begin_setup(session, source="file", by=by, now=now)
    session.info.pop(_CACHE, None)
    if row.sending_started_at is not None:
        return False
    row.sending_started_at = now
    row.sending_started_by = by
    audit.record(
        session, actor=by, action="sending.started", object_type="setup", object_id=row.id
    )
    return True
