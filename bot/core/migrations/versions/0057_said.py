"""the sentence and values of a line the bot writes into a report's chronology, kept beside
the line's English (which stays the sealed record), so a reader is told it in their language
without reading the English back

Revision ID: 0057
Revises: 0056
Create Date: 2026-11-28 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0057"
down_revision = "0056"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """``report_entries.said``: a line's catalogue sentence and values (JSON); a line written
    before keeps none and is shown as stored."""
    op.add_column("report_entries", sa.Column("said", sa.JSON(), nullable=True))


def downgrade() -> None:
    """Drop ``report_entries.said``."""
    with op.batch_alter_table("report_entries") as batch:
        batch.drop_column("said")
