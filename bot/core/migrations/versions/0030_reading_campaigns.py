"""reading campaigns: a policy row says whether it is the school's policy or a reading
campaign's document (KCSIE Part one, Annex A), which governors never review

Revision ID: 0030
Revises: 0029
Create Date: 2026-11-23 18:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Every existing row is a policy."""
    with op.batch_alter_table("policies") as batch:
        batch.add_column(
            sa.Column("kind", sa.String(length=20), server_default="policy", nullable=False)
        )


def downgrade() -> None:
    """Drop the column (reading campaigns' documents would then read as policies)."""
    with op.batch_alter_table("policies") as batch:
        batch.drop_column("kind")
