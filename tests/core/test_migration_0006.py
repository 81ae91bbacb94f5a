"""Migration 0006 (people.session_version) keeps everyone stored, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from alembic import command
from sqlalchemy import text

from bot.core.database.store import Store, alembic_config
from tests.support.keys import TEST_KEYS


def test_0006_adds_session_version_at_zero_and_keeps_everyone(database_url: str) -> None:
    store = Store(database_url, keys=TEST_KEYS)
    config = alembic_config(store.engine)
    command.upgrade(config, "0004")
    now = datetime(2026, 12, 7, 9, 0)
    with store.engine.begin() as conn:
        conn.execute(
            text("INSERT INTO schools (id, name, created_at) VALUES ('oak', 'Oak', :n)"), {"n": now}
        )
        conn.execute(
            text(
                "INSERT INTO people (school_id, email, display_name, source, active, has_account, "
                "created_at, updated_at) VALUES ('oak', 'amy@oak.example', 'Amy Able', "
                "'directory', "
                ":t, :t, :n, :n)"
            ),
            {"t": True, "n": now},
        )
    command.upgrade(config, "0006")
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT email, session_version FROM people")).all()
    assert [tuple(r) for r in rows] == [("amy@oak.example", 0)]
    command.downgrade(config, "0004")
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM people")).scalar_one() == 1
        columns = {c["name"] for c in sa.inspect(conn).get_columns("people")}
    assert "session_version" not in columns
    store.dispose()
