"""reading_not_read: a reading left unread when its school year ended is ``not_read``

Revision ID: 0035
Revises: 0038
Create Date: 2026-11-25 00:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0035"
down_revision = "0038"
branch_labels = None
depends_on = None

# the table as the migration sees it (not the bot's model: neither status is counted on the
# dashboard, so the snapshot stays true and needs no recount)
_DUTIES = sa.table(
    "duties", sa.column("id"), sa.column("requirement_id"), sa.column("person_id"),
    sa.column("kind"), sa.column("cycle"), sa.column("status"), sa.column("closed_reason"),
)


def _year(cycle: sa.ColumnElement[str]) -> sa.ColumnElement[str]:
    """A reading's school year: the last four characters of its cycle ``v<edition>:<year>``."""
    return sa.func.substr(cycle, sa.func.length(cycle) - 3)


def upgrade() -> None:
    """Readings stored as superseded with no later ask in the same school year (closed because
    their year ended, not replaced by a new edition within it) become ``not_read``."""
    later = _DUTIES.alias("later")
    replaced_within_year = sa.exists().where(
        later.c.requirement_id == _DUTIES.c.requirement_id,
        later.c.person_id == _DUTIES.c.person_id,
        later.c.id > _DUTIES.c.id,
        _year(later.c.cycle) == _year(_DUTIES.c.cycle),
    )
    op.execute(
        _DUTIES.update()
        .where(_DUTIES.c.kind == "reading_campaign", _DUTIES.c.status == "superseded",
               ~replaced_within_year)
        .values(status="not_read", closed_reason="not_read")
    )


def downgrade() -> None:
    """Back to ``superseded`` (as stored before)."""
    op.execute(
        _DUTIES.update()
        .where(_DUTIES.c.kind == "reading_campaign", _DUTIES.c.status == "not_read")
        .values(status="superseded", closed_reason="superseded")
    )
