"""The reports room's public face: all another room may use of it (tests/test_layout.py)."""

from __future__ import annotations

from bot.features.reports.clocks import clock_counts
from bot.features.reports.intake import store_files
from bot.features.reports.quiet_hours import in_working_hours
from bot.features.reports.routing import visible_reports
from bot.features.reports.rules import CATEGORIES, STATUSES, clock_labels, clock_summary, local_time

__all__ = [
    "CATEGORIES",
    "STATUSES",
    "clock_counts",
    "clock_labels",
    "clock_summary",
    "in_working_hours",
    "local_time",
    "store_files",
    "visible_reports",
]
