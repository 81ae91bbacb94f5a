"""people.session_version: signing out ends every session of that person on the server

Revision ID: 0006
Revises: 0004
Create Date: 2026-12-07 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the counter at 0 for everyone (cookies from before the upgrade carry none, so
    people sign in once more)."""
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("session_version", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    """Drop the counter (sign-out then only clears the browser's cookie again)."""
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_column("session_version")
