"""The governors room's public face: all another room may use of it (tests/test_layout.py)."""

from __future__ import annotations

from bot.features.governors.report import (
    FREE_TEXT_OUTCOME,
    NO_OUTCOME,
    ReportError,
    Term,
    build_report,
    pick_term,
    term_name,
    term_reports,
    terms_for,
)

__all__ = [
    "FREE_TEXT_OUTCOME",
    "NO_OUTCOME",
    "ReportError",
    "Term",
    "build_report",
    "pick_term",
    "term_name",
    "term_reports",
    "terms_for",
]
