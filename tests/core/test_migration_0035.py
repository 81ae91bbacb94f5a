"""Migration 0035 (an unread reading whose school year ended is ``not_read``) converts the
readings stored as superseded, on SQLite and PostgreSQL: those closed by the end of their
year, not those replaced by a new edition within it; the downgrade takes them back."""

from __future__ import annotations

from datetime import date

from alembic import command
from sqlalchemy import insert, select

from bot.core.database.store import Store, alembic_config
from bot.core.models import Duty, Person, Requirement, School
from bot.engine.duty_status import changing
from tests.support.keys import TEST_KEYS

CYCLES = {  # cycle -> stored status
    "v1:2025": "superseded",  # its year ended unread: the next ask is 2026's
    "v2:2026": "superseded",  # replaced within 2026 by a new edition (v3)
    "v3:2026": "open",
}


def _statuses(store: Store) -> dict[str, tuple[str, str | None]]:
    with store.session() as session:
        return {d.cycle: (d.status, d.closed_reason) for d in session.scalars(select(Duty))}


def test_0035_stores_a_reading_unread_at_its_years_end_as_not_read(database_url: str) -> None:
    store = Store(database_url, keys=TEST_KEYS)
    config = alembic_config(store.engine)
    command.upgrade(config, "0033")
    with store.transaction() as session:
        session.add(School(id="oak", name="Oak"))
        session.flush()
        # the table as at 0033: only the columns named (and those with defaults), never one a
        # later migration adds to the model
        session.execute(
            insert(Person.__table__).values(
                school_id="oak", email="cleo@oak.example", display_name="Cleo"
            )
        )
        # on the connection: the kept figures (a later table) are not there to keep at 0033
        session.connection().execute(
            insert(Requirement.__table__).values(
                school_id="oak",
                key="read-kcsie",
                kind="reading_campaign",
                title="KCSIE",
                first_seen=date(2025, 9, 1),
            )
        )
    with store.transaction() as session, changing(session, "oak", [1]):
        for cycle, status in CYCLES.items():
            session.add(
                Duty(
                    school_id="oak",
                    requirement_id=1,
                    person_id=1,
                    kind="reading_campaign",
                    cycle=cycle,
                    opened_on=date(2025, 9, 1),
                    due_on=date(2025, 10, 1),
                    status=status,
                    closed_reason=None if status == "open" else status,
                )
            )
    command.upgrade(config, "0035")
    assert _statuses(store) == {
        "v1:2025": ("not_read", "not_read"),
        "v2:2026": ("superseded", "superseded"),
        "v3:2026": ("open", None),
    }
    command.downgrade(config, "0033")
    assert _statuses(store)["v1:2025"] == ("superseded", "superseded")
    store.dispose()
