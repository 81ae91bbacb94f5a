"""duties keep room on each page for their reminder updates (PostgreSQL fillfactor 70)

Revision ID: 0020
Revises: 0014
Create Date: 2026-11-23 10:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0020"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Every reminder updates its duty's stage columns, which no index covers: with free space
    on the page PostgreSQL rewrites the row in place (a HOT update) instead of adding an entry
    to each of the table's indexes. Applies to pages written from now on; SQLite has no such
    setting."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE duties SET (fillfactor = 70)")


def downgrade() -> None:
    """Back to PostgreSQL's default of full pages."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE duties RESET (fillfactor)")
