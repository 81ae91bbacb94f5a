"""Migrations keep what is stored: 0002 (people.missing_since) upgrades and downgrades a
database holding people without losing any, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from alembic import command
from sqlalchemy import text

from bot.core.store import Store, alembic_config


def test_0002_adds_missing_since_and_keeps_everyone(database_url: str) -> None:
    store = Store(database_url)
    config = alembic_config(store.engine)
    command.upgrade(config, "0001")
    now = datetime(2026, 11, 2, 9, 0)
    # the tables as revision 0001 has them (the models are already at the newest revision)
    schools = sa.table("schools", sa.column("id"), sa.column("name"),
                       sa.column("created_at", sa.DateTime()))
    people = sa.table(
        "people", *(sa.column(n) for n in ("school_id", "email", "display_name", "source")),
        sa.column("active", sa.Boolean()), sa.column("has_account", sa.Boolean()),
        sa.column("left_on", sa.Date()), sa.column("created_at", sa.DateTime()),
        sa.column("updated_at", sa.DateTime()),
    )
    common = {"school_id": "oak", "source": "directory", "has_account": True,
              "created_at": now, "updated_at": now}
    with store.engine.begin() as conn:
        conn.execute(sa.insert(schools).values(id="oak", name="Oak", created_at=now))
        conn.execute(sa.insert(people), [
            {**common, "email": "amy@oak.example", "display_name": "Amy Able", "active": True,
             "left_on": None},
            {**common, "email": "ben@oak.example", "display_name": "Ben Brook", "active": False,
             "left_on": date(2026, 10, 1)},
        ])
    command.upgrade(config, "head")
    assert store.is_current()
    with store.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT email, active, left_on, missing_since FROM people ORDER BY email")
        ).all()
    assert [(r[0], bool(r[1]), str(r[2]) if r[2] else None, r[3]) for r in rows] == [
        ("amy@oak.example", True, None, None),
        ("ben@oak.example", False, "2026-10-01", None),
    ]
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE people SET missing_since = '2026-11-03' WHERE id = 1"))
    command.downgrade(config, "0001")
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM people")).scalar_one() == 2
    store.dispose()
