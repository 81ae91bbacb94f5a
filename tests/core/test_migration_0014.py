"""Migration 0014 (policies.review_event_due, review_event_sequence) keeps every policy and
its dates on SQLite and PostgreSQL: stored policies start with no event sent and sequence 0."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from alembic import command
from sqlalchemy import text

from bot.core.database.store import Store, alembic_config
from tests.support.keys import TEST_KEYS


def test_0014_adds_the_event_columns_and_keeps_policies(database_url: str) -> None:
    store = Store(database_url, keys=TEST_KEYS)
    config = alembic_config(store.engine)
    command.upgrade(config, "0010")
    now = datetime(2026, 11, 2, 9, 0)
    schools = sa.table(
        "schools", sa.column("id"), sa.column("name"), sa.column("created_at", sa.DateTime())
    )
    policies = sa.table(
        "policies",
        *(
            sa.column(n)
            for n in ("school_id", "key", "title", "approving_body", "review_cycle_months")
        ),
        sa.column("next_review_due", sa.Date()),
        sa.column("next_review_derived", sa.Boolean()),
        sa.column("under_review", sa.Boolean()),
        sa.column("is_aup", sa.Boolean()),
        sa.column("reviewers", sa.JSON()),
        sa.column("linked_policies", sa.JSON()),
        sa.column("created_at", sa.DateTime()),
    )
    with store.engine.begin() as conn:
        conn.execute(sa.insert(schools).values(id="oak", name="Oak", created_at=now))
        conn.execute(
            sa.insert(policies).values(
                school_id="oak",
                key="online-safety",
                title="Online Safety Policy",
                approving_body="FGB",
                review_cycle_months=12,
                next_review_due=date(2027, 3, 12),
                next_review_derived=True,
                under_review=False,
                is_aup=False,
                reviewers=[],
                linked_policies=[],
                created_at=now,
            )
        )
    command.upgrade(config, "0014")
    with store.engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT key, next_review_due, next_review_derived, review_event_due, "
                "review_event_sequence FROM policies"
            )
        ).one()
    assert (row[0], str(row[1]), bool(row[2]), row[3], row[4]) == (
        "online-safety",
        "2027-03-12",
        True,
        None,
        0,
    )
    with store.engine.begin() as conn:
        conn.execute(
            text("UPDATE policies SET review_event_due = '2027-03-12', review_event_sequence = 2")
        )
    command.downgrade(config, "0010")
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT title, next_review_due FROM policies")).one()[0] == (
            "Online Safety Policy"
        )
    store.dispose()
