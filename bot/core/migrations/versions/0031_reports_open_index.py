"""reports: the open ones indexed on their own, for the DSL's "open, deadline soonest" list

Revision ID: 0031
Revises: 0030
Create Date: 2026-11-23 23:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None

OPEN = sa.text("status != 'closed'")


def upgrade() -> None:
    """The open reports by the list's order: with years of closed reports, the open list and
    its count read only these (a partial index, on SQLite and PostgreSQL)."""
    op.create_index("ix_reports_open", "reports", ["school_id", "created_at", "id"],
                    unique=False, sqlite_where=OPEN, postgresql_where=OPEN)


def downgrade() -> None:
    """Drop it (the open list then reads every report again)."""
    op.drop_index("ix_reports_open", table_name="reports")
