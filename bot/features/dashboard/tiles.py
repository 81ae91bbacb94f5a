"""The dashboard's optional "decisions / tasks / visitors" tile: one count from each feature."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from bot.features.decisions.api import count_decisions_due
from bot.features.tasks.api import count_tasks_overdue
from bot.features.visitors.api import count_visitors_today

__all__ = ["dashboard_counts"]


def dashboard_counts(session: Session, school_id: str, today: date) -> dict[str, int]:
    """Figures for the dashboard: decisions due for review, overdue tasks, visitors today."""
    return {
        "decisions_due": count_decisions_due(session, school_id, today),
        "tasks_overdue": count_tasks_overdue(session, school_id, today),
        "visitors_today": count_visitors_today(session, school_id, today),
    }
