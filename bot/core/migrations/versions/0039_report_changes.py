"""report_changes: a number that changes with every committed change to reports or their clocks

Revision ID: 0039
Revises: 0035
Create Date: 2026-11-25 04:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0039"
down_revision = "0040"
branch_labels = None
depends_on = None

TABLES = ("reports", "report_clocks")


def upgrade() -> None:
    """One row, changed by the database itself in the transaction that inserts, changes or
    deletes a report or a clock, whoever writes it: the tracked list keeps its counts while
    the number is what it was (``bot.core.models.REPORTS_VERSION``).

    On PostgreSQL the row is changed at commit (a deferred trigger), once per transaction: its
    lock is always the last one a writer takes, so it cannot make a deadlock with the audit
    log's head, and writers never wait for each other before their commit. SQLite has one
    writer at a time: each row written changes it.

    The number is one never used before: the writing transaction's id on PostgreSQL (never
    reused), a random 64-bit number on SQLite. So one number always means the same reports,
    even in a database restored from a backup, or beside another database in one process."""
    postgres = op.get_bind().dialect.name == "postgresql"
    fresh = "txid_current()" if postgres else "random()"
    op.execute("CREATE TABLE report_changes (id INTEGER PRIMARY KEY, version BIGINT NOT NULL)")
    op.execute(f"INSERT INTO report_changes (id, version) VALUES (1, {fresh})")
    if postgres:
        op.execute(
            "CREATE FUNCTION report_changed() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            "BEGIN\n"
            "  UPDATE report_changes SET version = txid_current()\n"
            "   WHERE id = 1 AND version <> txid_current();\n"
            "  RETURN NULL;\n"
            "END $$"
        )
        for table in TABLES:
            op.execute(
                f"CREATE CONSTRAINT TRIGGER report_changed AFTER INSERT OR UPDATE OR DELETE"
                f" ON {table} DEFERRABLE INITIALLY DEFERRED FOR EACH ROW"
                " EXECUTE FUNCTION report_changed()"
            )
        return
    for table in TABLES:
        for event in ("INSERT", "UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER report_changed_{table}_{event.lower()} AFTER {event} ON {table}"
                f" BEGIN UPDATE report_changes SET version = {fresh} WHERE id = 1; END"
            )


def downgrade() -> None:
    """Drop the triggers and the row (the list then counts on every read again)."""
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER report_changed ON {table}")
        op.execute("DROP FUNCTION report_changed()")
    else:
        for table in TABLES:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER report_changed_{table}_{event}")
    op.execute("DROP TABLE report_changes")
