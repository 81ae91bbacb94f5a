"""scr_entries.kind: who a row of the single central record is (staff, volunteer, supply,
governor): volunteers, supply workers and governors are on the record while they come in,
never called leavers

Revision ID: 0055
Revises: 0054
Create Date: 2026-11-27 22:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0055"
down_revision = "0054"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Every row kept so far is staff (as the check read it)."""
    with op.batch_alter_table("scr_entries") as batch:
        batch.add_column(
            sa.Column("kind", sa.String(12), nullable=False, server_default="staff")
        )


def downgrade() -> None:
    """The column dropped."""
    with op.batch_alter_table("scr_entries") as batch:
        batch.drop_column("kind")
