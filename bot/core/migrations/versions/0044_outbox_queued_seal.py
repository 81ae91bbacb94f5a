"""a queued message's seal: what steers it (recipients, body, urgency) as it was queued

Revision ID: 0044
Revises: 0043
Create Date: 2026-11-26 03:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0044"
down_revision = "0043"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """``outbox.seal``: keyed digests made when the row is queued (``bot.core.audit.queued``);
    rows queued before it are sealed by ``Store.upgrade``, which holds the audit key."""
    op.add_column("outbox", sa.Column("seal", sa.String(length=120), nullable=True))


def downgrade() -> None:
    """Drop the column."""
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("seal")
