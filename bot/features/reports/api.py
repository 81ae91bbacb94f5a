"""The reports room's public face: all another room may use of it (tests/test_layout.py)."""

from __future__ import annotations

from bot.features.reports.routing import visible_reports
from bot.features.reports.rules import CATEGORIES, STATUSES, clock_summary
from bot.features.reports.web_support import school_for

__all__ = ["CATEGORIES", "STATUSES", "clock_summary", "school_for", "visible_reports"]
