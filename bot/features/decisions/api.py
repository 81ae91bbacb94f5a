"""The decisions room's public face: all another room may use of it (tests/test_layout.py)."""

from __future__ import annotations

from bot.features.decisions.service import count_decisions_due

__all__ = ["count_decisions_due"]
