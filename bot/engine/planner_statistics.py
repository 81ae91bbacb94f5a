"""The query planner's statistics for the tables a sweep has just filled (``ANALYZE``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

__all__ = ["refresh_statistics"]

_RESTATS_AFTER = 20_000  # rows written in one sweep that make the planner's statistics stale


def refresh_statistics(session: Session, models: Sequence[Any], written: int) -> None:
    """Give the query planner true figures for these tables before the sweep reads them.

    Without them PostgreSQL plans from what the tables held before this transaction: after a
    first run's 100,000 people it joined them as if there were none (a nested loop that took
    minutes a query, when the next sweep started before autovacuum had looked), and the
    reminder queries read every open duty for each batch of people. ANALYZE sees the
    transaction's own rows and its figures commit with them. It runs after a sweep wrote many
    rows (a first run), and on SQLite once when the file has no statistics for the table yet.
    """
    sqlite = session.get_bind().dialect.name == "sqlite"
    for model in models:
        table = model.__tablename__
        stale = written >= _RESTATS_AFTER
        if not stale and sqlite:
            stale = not _has_statistics(session, table)
        if stale:
            session.execute(text(f"ANALYZE {table}"))
            if sqlite:
                session.info.setdefault(_OWN_STATISTICS, set()).add(table)


_OWN_STATISTICS = "sqlite_stat1.own"  # session.info: the tables this transaction analysed
_SEEN_STATISTICS = "sqlite_stat1.seen"  # connection.info: tables seen with committed statistics


def _has_statistics(session: Session, table: str) -> bool:
    """Whether SQLite holds statistics for ``table``: this transaction's own ANALYZE, or
    committed ones. The file's list is read at most once a session, and what it held is
    remembered by the connection: statistics, once made, stay, so a small school's sweep
    does not ask again every time (it asked twice a sweep)."""
    seen: set[str] = session.connection().info.setdefault(_SEEN_STATISTICS, set())
    own: set[str] = session.info.setdefault(_OWN_STATISTICS, set())
    if table in seen or table in own:
        return True
    if "sqlite_stat1.read" not in session.info:
        session.info["sqlite_stat1.read"] = True
        if session.execute(text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")).first():
            # another transaction's, or this one's (not yet committed: not remembered)
            seen.update(set(session.scalars(text("SELECT tbl FROM sqlite_stat1"))) - own)
    return table in seen
