"""The reports room's public face: all another room may use of it (tests/test_layout.py)."""

from __future__ import annotations

from bot.features.reports.routing import visible_reports
from bot.features.reports.rules import (
    CATEGORIES,
    REFERENCE_ALPHABET,
    STATUSES,
    clock_summary,
    in_working_hours,
    local_time,
)
from bot.features.reports.web_support import read_fields, read_form, school_for

__all__ = [
    "CATEGORIES",
    "REFERENCE_ALPHABET",
    "STATUSES",
    "clock_summary",
    "in_working_hours",
    "local_time",
    "read_fields",
    "read_form",
    "school_for",
    "visible_reports",
]
