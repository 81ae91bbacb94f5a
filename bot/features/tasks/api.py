"""The tasks room's public face: all another room may use of it (tests/test_layout.py)."""

from __future__ import annotations

from bot.features.tasks.events import event_reviews
from bot.features.tasks.service import count_tasks_overdue

__all__ = ["count_tasks_overdue", "event_reviews"]
