"""Migration 0019 (the outbox's retention index holds only messages that keep their body) keeps
every message on SQLite and PostgreSQL, and the downgrade puts the old index back."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from alembic import command
from sqlalchemy import text

from bot.core.database.store import Store, alembic_config
from tests.support.keys import TEST_KEYS

COLUMNS = (
    "id",
    "school_id",
    "idempotency_key",
    "channel",
    "purpose",
    "subject",
    "status",
    "attempts",
    "provider_id",
    "body_sha256",
)


def _index_sql(store: Store) -> dict[str, str]:
    """Each outbox index's definition as the database states it."""
    query = (
        "SELECT name, sql FROM sqlite_master WHERE tbl_name = 'outbox' AND sql IS NOT NULL"
        if store.is_sqlite
        else "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'outbox'"
    )
    with store.engine.connect() as conn:
        return {name: sql for name, sql in conn.execute(text(query)).all()}


def _messages(store: Store) -> list[tuple[object, ...]]:
    with store.engine.connect() as conn:
        return [
            tuple(row)
            for row in conn.execute(
                text(f"SELECT {', '.join(COLUMNS)}, payload FROM outbox ORDER BY id")
            ).all()
        ]


def test_0019_swaps_the_retention_index_and_keeps_every_message(database_url: str) -> None:
    store = Store(database_url, keys=TEST_KEYS)
    config = alembic_config(store.engine)
    command.upgrade(config, "0014")
    now = datetime(2026, 11, 2, 9, 0)
    outbox = sa.table(
        "outbox",
        *(sa.column(n) for n in COLUMNS),
        sa.column("recipients", sa.JSON()),
        sa.column("cc", sa.JSON()),
        sa.column("payload", sa.JSON()),
        sa.column("next_attempt_at", sa.DateTime()),
        sa.column("sent_at", sa.DateTime()),
        sa.column("created_at", sa.DateTime()),
        sa.column("body_dropped_at", sa.DateTime()),
    )
    with store.engine.begin() as conn:
        conn.execute(
            text("INSERT INTO schools (id, name, created_at) VALUES ('oak', 'Oak', :t)"), {"t": now}
        )
        conn.execute(
            sa.insert(outbox),
            [
                {
                    "id": 1,
                    "school_id": "oak",
                    "idempotency_key": "kept",
                    "channel": "email",
                    "purpose": "reminder",
                    "recipients": ["ben@oak.example"],
                    "cc": [],
                    "subject": "Please acknowledge",
                    "payload": {},
                    "status": "sent",
                    "attempts": 1,
                    "next_attempt_at": now,
                    "sent_at": now,
                    "created_at": now,
                    "provider_id": "<1@oak>",
                    "body_sha256": "ab" * 32,
                    "body_dropped_at": now,
                },
                {
                    "id": 2,
                    "school_id": "oak",
                    "idempotency_key": "waiting",
                    "channel": "email",
                    "purpose": "reminder",
                    "recipients": ["amy@oak.example"],
                    "cc": [],
                    "subject": "Please acknowledge",
                    "payload": {"text": "Dear Amy"},
                    "status": "pending",
                    "attempts": 0,
                    "next_attempt_at": now,
                    "sent_at": None,
                    "created_at": now,
                    "provider_id": None,
                    "body_sha256": None,
                    "body_dropped_at": None,
                },
            ],
        )
    stored = _messages(store)
    assert "ix_outbox_sent_at" in _index_sql(store)

    command.upgrade(config, "0019")

    assert _messages(store) == stored
    indexes = _index_sql(store)
    assert "ix_outbox_sent_at" not in indexes
    definition = indexes["ix_outbox_with_body"].replace("(", "").replace(")", "")
    assert definition.endswith("status, sent_at WHERE body_dropped_at IS NULL")
    command.downgrade(config, "0014")
    assert _messages(store) == stored
    indexes = _index_sql(store)
    assert "ix_outbox_sent_at" in indexes and "ix_outbox_with_body" not in indexes
    store.dispose()
