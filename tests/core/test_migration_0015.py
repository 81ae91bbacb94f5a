"""Migration 0015 (the people register's table) keeps everyone stored, upgrading and
downgrading, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from alembic import command
from sqlalchemy import text

from bot.core.database.store import Store, alembic_config
from tests.support.helpers import is_current
from tests.support.keys import TEST_KEYS


def test_0015_adds_the_register_and_keeps_people(database_url: str) -> None:
    store = Store(database_url, keys=TEST_KEYS)
    config = alembic_config(store.engine)
    command.upgrade(config, "0010")
    now = datetime(2026, 12, 3, 9, 0)
    with store.engine.begin() as conn:
        conn.execute(
            text("INSERT INTO schools (id, name, created_at) VALUES ('oak', 'Oak', :t)"), {"t": now}
        )
        conn.execute(
            text(
                "INSERT INTO people (school_id, email, display_name, active, has_account, source, "
                "session_version, created_at, updated_at) VALUES ('oak', 'amy@oak.example', "
                "'Amy Able', :yes, :yes, 'directory', 0, :t, :t)"
            ),
            {"yes": True, "t": now},
        )
    command.upgrade(config, "head")
    assert is_current(store)
    register = sa.table(
        "extra_people",
        *(sa.column(n) for n in ("school_id", "email", "display_name", "created_at", "updated_at")),
        sa.column("roles", sa.JSON()),
    )
    with store.engine.begin() as conn:
        conn.execute(
            sa.insert(register).values(
                school_id="oak",
                email="val@home.example",
                display_name="Val Volunteer",
                roles=["volunteer"],
                created_at=now,
                updated_at=now,
            )
        )
        assert conn.execute(text("SELECT count(*) FROM people")).scalar_one() == 1
        assert conn.execute(text("SELECT email FROM extra_people")).scalar_one() == (
            "val@home.example"
        )
    command.downgrade(config, "0010")
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT email FROM people")).scalar_one() == "amy@oak.example"
        assert "extra_people" not in sa.inspect(conn).get_table_names()
    store.dispose()
