"""The reports room's public face: all another room may use of it (tests/test_layout.py)."""

from __future__ import annotations

from bot.features.reports.intake import store_files
from bot.features.reports.routing import visible_reports
from bot.features.reports.rules import (
    CATEGORIES,
    REFERENCE_ALPHABET,
    STATUSES,
    clock_summary,
    in_working_hours,
    local_time,
)
from bot.features.reports.web_support import (
    checked_files,
    download,
    read_fields,
    read_form,
    school_for,
    split_form,
    stored_bytes,
)

__all__ = [
    "CATEGORIES",
    "REFERENCE_ALPHABET",
    "STATUSES",
    "checked_files",
    "clock_summary",
    "download",
    "in_working_hours",
    "local_time",
    "read_fields",
    "read_form",
    "school_for",
    "split_form",
    "store_files",
    "stored_bytes",
    "visible_reports",
]
