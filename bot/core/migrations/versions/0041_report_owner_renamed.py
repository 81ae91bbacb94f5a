"""report_changes also changes when a person's name does: the tracked list shows its owners'
names and keeps its rows while the number is what it was

Revision ID: 0041
Revises: 0039
Create Date: 2026-11-25 20:30:00
"""

from __future__ import annotations

from alembic import op

revision = "0041"
down_revision = "0039"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """A change of ``people.display_name`` changes the number as a report's change does
    (migration 0039's function on PostgreSQL, at commit, once per transaction; a fresh random
    number on SQLite). A directory sync that writes a name unchanged changes nothing."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE CONSTRAINT TRIGGER report_owner_renamed AFTER UPDATE OF display_name"
            " ON people DEFERRABLE INITIALLY DEFERRED FOR EACH ROW"
            " WHEN (OLD.display_name IS DISTINCT FROM NEW.display_name)"
            " EXECUTE FUNCTION report_changed()"
        )
        return
    op.execute(
        "CREATE TRIGGER report_owner_renamed AFTER UPDATE OF display_name ON people"
        " WHEN OLD.display_name IS NOT NEW.display_name"
        " BEGIN UPDATE report_changes SET version = random() WHERE id = 1; END"
    )


def downgrade() -> None:
    """Drop the trigger."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER report_owner_renamed ON people")
    else:
        op.execute("DROP TRIGGER report_owner_renamed")
