"""The SCR room's public face: all another room may use of it (tests/test_layout.py)."""

from __future__ import annotations

from bot.features.scr.rules import GAP_KINDS
from bot.features.scr.service import gap_headings, last_checked, open_counts

__all__ = ["GAP_KINDS", "gap_headings", "last_checked", "open_counts"]
