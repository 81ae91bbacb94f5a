"""The retention schedule's public face: the schedule's rows (the record of processing, the
evidence pack) and the disposal the maintenance job runs."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from bot.core.config import SchoolConfig
from bot.features.privacy.disposal import DISPOSED as DISPOSED
from bot.features.privacy.disposal import Disposed
from bot.features.privacy.disposal import dispose_due as _dispose_due
from bot.features.privacy.retention import ScheduleRow as ScheduleRow
from bot.features.privacy.retention import schedule_rows as schedule_rows

__all__ = ["DISPOSED", "ScheduleRow", "dispose_due", "schedule_rows"]


def dispose_due(session: Session, school: SchoolConfig, today: date, outbox: Path | None) -> int:
    """Dispose of what of ``school`` has passed its period; how many people and reports."""
    done: Disposed = _dispose_due(session, school, today, outbox)
    return done.people + done.reports
