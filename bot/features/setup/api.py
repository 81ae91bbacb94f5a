"""The setup room's public face: all another room may use of it (tests/test_layout.py)."""

from __future__ import annotations

from bot.features.setup.pages import save_change
from bot.features.setup.rules import SetupError
from bot.features.setup.service import editable, preview_of

__all__ = ["SetupError", "editable", "preview_of", "save_change"]
