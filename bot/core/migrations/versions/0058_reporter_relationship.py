"""reports.reporter_relationship: how the person who made a report knows the school

Revision ID: 0058
Revises: 0057
Create Date: 2026-11-28 14:45:00

The concern form has asked "How do you know the school?" (optional) since it was built, and
checked the answer, but no column kept it: the DSL never saw "Parent or carer". A report
made before this keeps none and says "not stated".
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0058"
down_revision = "0057"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """``reports.reporter_relationship``: one of the form's answers (``staff``, ``parent``,
    ...), or NULL when not stated."""
    op.add_column("reports", sa.Column("reporter_relationship", sa.String(20), nullable=True))


def downgrade() -> None:
    """Drop the column in place (SQLite 3.35+ drops a plain column itself): a batch copy of
    ``reports`` would lose the triggers 0039 put on it."""
    op.drop_column("reports", "reporter_relationship")
