"""reports: the tracked list is paged and sorted from indexes

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-28 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

RUNNING = sa.text("stopped_at IS NULL")
LIST_COLUMNS = ["school_id", "created_at", "id", "status", "category", "urgency",
                "about_headteacher", "about_person"]


def upgrade() -> None:
    """The list's order with what its filters read (a page and its count come from the index),
    and the running clocks with their deadlines (the "deadline soonest" order)."""
    op.create_index("ix_reports_list", "reports", LIST_COLUMNS, unique=False)
    op.create_index("ix_report_clocks_running", "report_clocks", ["report_id", "id", "due_at"],
                    unique=False, sqlite_where=RUNNING, postgresql_where=RUNNING)


def downgrade() -> None:
    """Drop both indexes (the list then sorts every report again)."""
    op.drop_index("ix_report_clocks_running", table_name="report_clocks")
    op.drop_index("ix_reports_list", table_name="reports")
