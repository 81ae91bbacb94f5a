"""people.signin_*: the school sign-in's subject a person is tied to since their first sign-in

Revision ID: 0032
Revises: 0031
Create Date: 2026-11-24 21:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None

COLUMNS = (("signin_issuer", 500), ("signin_subject", 255), ("signin_org", 255))


def upgrade() -> None:
    """Add the columns, empty: everyone is tied at their next sign-in."""
    with op.batch_alter_table("people", schema=None) as batch_op:
        for name, length in COLUMNS:
            batch_op.add_column(sa.Column(name, sa.String(length=length), nullable=True))


def downgrade() -> None:
    """Drop them (sign-in then trusts the address alone again)."""
    with op.batch_alter_table("people", schema=None) as batch_op:
        for name, _ in reversed(COLUMNS):
            batch_op.drop_column(name)
