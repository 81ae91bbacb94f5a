"""complaints.kind: a data-protection complaint, a subject access request or an erasure request

Revision ID: request_kinds
Revises: twice_form_keys
Create Date: 2026-11-29 04:20:00

A person's data-protection rights are one tracked request with its clock (the privacy room):
the complaints table keeps them all, each with its kind. Rows made before are complaints.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "request_kinds"
down_revision = "twice_form_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """A ``kind`` column, every existing row a complaint."""
    op.add_column(
        "complaints",
        sa.Column("kind", sa.String(20), nullable=False, server_default="complaint"),
    )


def downgrade() -> None:
    """Drop the column (requests other than complaints go with their kind: export them first)."""
    op.drop_column("complaints", "kind")
