"""outbox: the retention index holds only messages that still have their body

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-14 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

WITH_BODY = sa.text("body_dropped_at IS NULL")


def upgrade() -> None:
    """Replace the (status, sent_at) index of every message by one of the messages that keep
    their body: only maintenance reads it, and the evidence kept for years no longer grows it."""
    op.create_index("ix_outbox_with_body", "outbox", ["status", "sent_at"], unique=False,
                    sqlite_where=WITH_BODY, postgresql_where=WITH_BODY)
    op.drop_index("ix_outbox_sent_at", table_name="outbox")


def downgrade() -> None:
    """Index every message again."""
    op.create_index("ix_outbox_sent_at", "outbox", ["status", "sent_at"], unique=False)
    op.drop_index("ix_outbox_with_body", table_name="outbox")
