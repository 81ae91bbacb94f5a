"""attestations.recorded_by_id, training_records.recorded_by_id: who recorded it on the person's
behalf (someone without an email address)

Revision ID: 0045
Revises: 0044
Create Date: 2026-11-26 06:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0045"
down_revision = "0044"
branch_labels = None
depends_on = None

TABLES = ("attestations", "training_records")


def upgrade() -> None:
    """Add the column, empty: every record kept so far was made by the person themselves, by
    an import, or (an acknowledgement recorded on someone's behalf before now) names its
    recorder in its statement."""
    for table in TABLES:
        op.add_column(table, sa.Column("recorded_by_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    """Drop it."""
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("recorded_by_id")
