"""attention: the next date on which each person's duties could differ if nothing else
changed (person 0: the school's), so a new day's sweep plans only those whose date has come

Revision ID: 0050
Revises: 0049
Create Date: 2026-11-26 16:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0050"
down_revision = "0049"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """The dates, one a person, and an index on them by school. A table of its own, not a
    column of ``people``: writing a date must not touch a table migration 0049 watches (on
    PostgreSQL its triggers would compare every written row). Empty at first: every school's
    mark from 0049 plans everyone, which writes the dates."""
    op.execute(
        "CREATE TABLE attention (school_id VARCHAR(64) NOT NULL, person_id INTEGER NOT NULL,"
        " on_date DATE NOT NULL, PRIMARY KEY (school_id, person_id))"
    )
    op.execute("CREATE INDEX ix_attention_school_on_date ON attention (school_id, on_date)")


def downgrade() -> None:
    """Drop the dates."""
    op.execute("DROP INDEX ix_attention_school_on_date")
    op.execute("DROP TABLE attention")
