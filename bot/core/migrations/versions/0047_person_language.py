"""a person's own language where their school is dual-language (cy+en): cy, en or none

Revision ID: 0047
Revises: 0046
Create Date: 2026-11-26 06:35:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0047"
down_revision = "0046"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """``people.language``: chosen on /me (``bot.core.language.i18n``); empty: the school's."""
    op.add_column("people", sa.Column("language", sa.String(length=10), nullable=True))


def downgrade() -> None:
    """Drop the column in place (SQLite 3.35+ drops a plain column itself): a batch copy of
    ``people`` would lose the triggers 0041 put on it."""
    op.drop_column("people", "language")
