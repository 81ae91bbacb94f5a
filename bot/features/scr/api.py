"""The SCR room's public face: all another room may use of it (tests/test_layout.py)."""

from __future__ import annotations

from bot.features.scr.rules import GAP_KINDS, describe
from bot.features.scr.service import (
    check_names,
    current_gaps,
    gap_headings,
    last_checked,
    open_counts,
    reads_names,
)

__all__ = [
    "GAP_KINDS",
    "check_names",
    "current_gaps",
    "describe",
    "gap_headings",
    "last_checked",
    "open_counts",
    "reads_names",
]
