"""The setup room's public face: all another room may use of it (tests/test_layout.py)."""

from __future__ import annotations

from bot.features.setup.pages import save_change
from bot.features.setup.rules import SetupError
from bot.features.setup.service import editable, open_duties, preview_of

__all__ = ["SetupError", "editable", "open_duties", "preview_of", "save_change"]
