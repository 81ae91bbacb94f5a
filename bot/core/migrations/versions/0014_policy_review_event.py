"""policies.review_event_due and review_event_sequence: calendar updates of a moved review date

Revision ID: 0014
Revises: 0010
Create Date: 2026-11-23 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the columns; no event has been sent with a stored sequence yet (0, no date)."""
    with op.batch_alter_table("policies", schema=None) as batch_op:
        batch_op.add_column(sa.Column("review_event_due", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "review_event_sequence", sa.Integer(), nullable=False, server_default="0"
            )
        )


def downgrade() -> None:
    """Drop the columns (the next calendar entry starts again at sequence 0)."""
    with op.batch_alter_table("policies", schema=None) as batch_op:
        batch_op.drop_column("review_event_sequence")
        batch_op.drop_column("review_event_due")
