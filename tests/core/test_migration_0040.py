"""Migration 0040 (a pause per sending mailbox, kept under its address) on SQLite and
PostgreSQL: a school's own mailbox's pause is stored beside the channels' and read back; the
downgrade keeps the channels' pauses and drops the mailboxes'."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alembic import command

from bot.core.database.store import Store, alembic_config
from bot.core.outbox.pause import channel_states, pause
from tests.support.keys import TEST_KEYS

AT = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
MAILBOX = "safeguarding.office@st-bartholomews-primary.example"  # far longer than 20


def test_0040_keeps_a_pause_per_mailbox_address(database_url: str) -> None:
    store = Store(database_url, keys=TEST_KEYS)
    config = alembic_config(store.engine)
    command.upgrade(config, "0035")
    with store.transaction() as session:
        pause(session, "email", AT, retry_after=60, reason="HTTP 429")
    command.upgrade(config, "0040")
    with store.transaction() as session:
        pause(session, MAILBOX, AT, retry_after=30, reason="HTTP 429")
    with store.session() as session:
        states = channel_states(session)
    assert {key: state.paused_until for key, state in states.items()} == {
        "email": AT + timedelta(seconds=60),
        MAILBOX: AT + timedelta(seconds=30),
    }
    assert states[MAILBOX].what == f"Email from {MAILBOX}" and states["email"].what == "Email"
    command.downgrade(config, "0035")
    with store.session() as session:
        assert set(channel_states(session)) == {"email"}
    store.dispose()
