"""people.missing_since: a person the directory stopped listing is missing, not yet a leaver

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the nullable column; everyone stored stays as they were (here, or left)."""
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("missing_since", sa.Date(), nullable=True))


def downgrade() -> None:
    """Drop the column (people missing at the time count as here again)."""
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_column("missing_since")
