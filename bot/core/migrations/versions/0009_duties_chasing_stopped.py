"""duties.chasing_stopped_on: the day the line manager was told chasing had stopped

Revision ID: 0009
Revises: 0004
Create Date: 2027-01-10 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the nullable column; stored duties keep every value they had."""
    with op.batch_alter_table("duties", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chasing_stopped_on", sa.Date(), nullable=True))


def downgrade() -> None:
    """Drop the column (the outbox still holds the messages that were sent)."""
    with op.batch_alter_table("duties", schema=None) as batch_op:
        batch_op.drop_column("chasing_stopped_on")
