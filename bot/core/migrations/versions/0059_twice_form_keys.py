"""complaints.form_key, decisions.form_key: the same form sent twice is stored once

Revision ID: twice_form_keys
Revises: 0058
Create Date: 2026-11-29 02:00:00

The complaint form and the decision form carry a key made with their page, as the concern form
does; a complaint or decision keeps it, unique in its school, so a double click, or Refresh and
send again, finds the first one instead of storing a second. Rows made before keep NULL (never
equal to another NULL on SQLite or PostgreSQL).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "twice_form_keys"
down_revision = "0058"
branch_labels = None
depends_on = None

TABLES = ("complaints", "decisions")


def upgrade() -> None:
    """A nullable ``form_key`` and a unique index on (school, key) for each table."""
    for table in TABLES:
        op.add_column(table, sa.Column("form_key", sa.String(64), nullable=True))
        op.create_index(f"uq_{table}_form_key", table, ["school_id", "form_key"], unique=True)


def downgrade() -> None:
    """Drop the index and the column in place (SQLite 3.35+ drops a plain column itself)."""
    for table in TABLES:
        op.drop_index(f"uq_{table}_form_key", table_name=table)
        op.drop_column(table, "form_key")
