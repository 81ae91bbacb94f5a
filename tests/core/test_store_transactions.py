"""A store's transaction is all or nothing on both databases, savepoints included."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.core.database.store import Store
from bot.core.models import School
from tests.support.keys import TEST_KEYS


class _Failed(Exception):
    pass


def test_a_savepoint_made_after_reads_only_is_rolled_back_with_its_transaction(
    database_url: str,
) -> None:
    """pysqlite opens a transaction only before a write, so a savepoint made after reads alone
    was a transaction of its own on SQLite, committed by its release: a report stored in one
    (its reference is chosen in a savepoint) stayed when the rest of the work was rolled back."""
    store = Store(database_url, keys=TEST_KEYS)
    store.upgrade()
    with pytest.raises(_Failed), store.transaction() as session:
        assert session.get(School, "oak") is None  # a read first, as the public form does
        with session.begin_nested():
            session.add(School(id="oak", name="Oakfield Primary School"))
        session.add(School(id="elm", name="Elm Primary School"))
        session.flush()
        raise _Failed
    with store.transaction() as session:  # and a savepoint still commits with its transaction
        session.scalar(select(func.count()).select_from(School))
        with session.begin_nested():
            session.add(School(id="ash", name="Ash Primary School"))
    with store.session() as session:
        assert list(session.scalars(select(School.id))) == ["ash"]
    store.dispose()
