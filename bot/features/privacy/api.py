"""The privacy room's public face: all another room may use of it (tests/test_layout.py)."""

from __future__ import annotations

from bot.features.privacy.disposal import dispose_due
from bot.features.privacy.record import RECORD_FILE, record_csv, record_rows
from bot.features.privacy.retention import schedule_rows
from bot.features.privacy.rules import COUNT_HEADER
from bot.features.privacy.service import complaint_counts, summary, words_for

__all__ = [
    "COUNT_HEADER",
    "RECORD_FILE",
    "complaint_counts",
    "dispose_due",
    "record_csv",
    "record_rows",
    "schedule_rows",
    "summary",
    "words_for",
]
