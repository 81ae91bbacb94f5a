"""The complaints room's public face: all another room may use of it (tests/test_layout.py)."""

from __future__ import annotations

from bot.features.privacy.rules import COUNT_HEADER
from bot.features.privacy.service import complaint_counts, summary, words_for

__all__ = ["COUNT_HEADER", "complaint_counts", "summary", "words_for"]
