"""The privacy room's public face: all another room may use of it (tests/test_layout.py).

The retention part's names come from ``retention_api`` (the merger joins this file with the
room's own ``api.py``)."""

from __future__ import annotations

from bot.features.privacy.retention_api import DISPOSED as DISPOSED
from bot.features.privacy.retention_api import ScheduleRow as ScheduleRow
from bot.features.privacy.retention_api import dispose_due as dispose_due
from bot.features.privacy.retention_api import schedule_rows as schedule_rows

__all__ = ["DISPOSED", "ScheduleRow", "dispose_due", "schedule_rows"]
