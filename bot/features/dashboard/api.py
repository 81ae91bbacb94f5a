"""The dashboard room's public face: all another room may use of it (tests/test_layout.py)."""

from __future__ import annotations

from bot.features.dashboard.cards import adaptive_card, week_key
from bot.features.dashboard.digest import dashboard_url, digest_due, digest_figures, head_chat
from bot.features.dashboard.figures import current_versions, read_figures
from bot.features.dashboard.panel import for_viewer
from bot.features.dashboard.rules import METHODS, Figures
from bot.features.dashboard.viewer import Viewer, school_roles

__all__ = [
    "METHODS",
    "Figures",
    "Viewer",
    "adaptive_card",
    "current_versions",
    "dashboard_url",
    "digest_due",
    "digest_figures",
    "for_viewer",
    "head_chat",
    "read_figures",
    "school_roles",
    "week_key",
]
