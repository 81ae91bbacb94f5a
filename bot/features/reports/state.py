"""The rows the reports room keeps beside the reports themselves: the school row they hang off,
and saved connector state (the external form's last-seen time; the mirror keeps its own)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.config import SchoolConfig
from bot.core.models import ConnectorState, School

__all__ = ["ensure_school", "load_state", "save_state"]


def ensure_school(session: Session, school: SchoolConfig) -> None:
    """Create the school row if it is missing (reports and connector state hang off it)."""
    if session.get(School, school.id) is None:
        session.add(School(id=school.id, name=school.name))
        session.flush()


def load_state(session: Session, school_id: str, key: str) -> ConnectorState | None:
    """The saved connector state under ``key`` for the school, if any."""
    return session.scalar(
        select(ConnectorState).where(
            ConnectorState.school_id == school_id, ConnectorState.key == key
        )
    )


def save_state(session: Session, school_id: str, key: str, value: str) -> None:
    """Save ``value`` under ``key`` for the school (insert or update), flushed."""
    row = load_state(session, school_id, key)
    if row is None:
        session.add(ConnectorState(school_id=school_id, key=key, value=value))
    else:
        row.value = value
    session.flush()
