"""policies.next_review_derived and official_accounts.handover_since: loose ends kept visible

Revision ID: 0010
Revises: 0004
Create Date: 2026-12-02 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the columns; stored review dates count as confirmed, stored handovers as new today."""
    with op.batch_alter_table("policies", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "next_review_derived",
                sa.Boolean(),
                nullable=False,
                server_default=sa.false(),
            )
        )
    with op.batch_alter_table("official_accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("handover_since", sa.Date(), nullable=True))


def downgrade() -> None:
    """Drop the columns (derivation notes and handover start dates are forgotten)."""
    with op.batch_alter_table("official_accounts", schema=None) as batch_op:
        batch_op.drop_column("handover_since")
    with op.batch_alter_table("policies", schema=None) as batch_op:
        batch_op.drop_column("next_review_derived")
