"""Migration 0025 (the tracked list is paged and sorted from indexes) gives an existing database
the same two indexes a new one gets from the models, on SQLite and PostgreSQL, and the
downgrade takes them away."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect

from bot.core.database.store import Store, alembic_config
from bot.core.models import Base
from tests.support.keys import TEST_KEYS

NEW = {("reports", "ix_reports_list"), ("report_clocks", "ix_report_clocks_running")}


def _indexes(store: Store) -> dict[tuple[str, str], list[str | None]]:
    """The reports tables' indexes as the database states them: (table, name) -> columns."""
    found = inspect(store.engine)
    return {
        (table, index["name"]): list(index["column_names"])
        for table in ("reports", "report_clocks")
        for index in found.get_indexes(table)
        if index["name"]
    }


def test_0025_adds_the_list_indexes_the_models_declare(database_url: str) -> None:
    store = Store(database_url, keys=TEST_KEYS)
    config = alembic_config(store.engine)
    command.upgrade(config, "0024")
    assert not NEW & set(_indexes(store))
    command.upgrade(config, "0025")
    indexes = _indexes(store)
    declared = {
        (table.name, index.name): [c.name for c in index.columns]
        for table in (Base.metadata.tables["reports"], Base.metadata.tables["report_clocks"])
        for index in table.indexes
        if (table.name, index.name) in NEW
    }
    assert len(declared) == 2 and {key: indexes.get(key) for key in NEW} == declared
    command.downgrade(config, "0024")
    assert not NEW & set(_indexes(store))
    store.dispose()
