"""The accounts room's public face: all another room may use of it (tests/test_layout.py)."""

from __future__ import annotations

from bot.features.accounts.service import holder_states

__all__ = ["holder_states"]
