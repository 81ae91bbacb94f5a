"""The visitors room's public face: all another room may use of it (tests/test_layout.py)."""

from __future__ import annotations

from bot.features.visitors.service import count_visitors_today

__all__ = ["count_visitors_today"]
