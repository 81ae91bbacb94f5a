"""What the sweep does for speed holds: statistics for the planner, collector thresholds back."""

from __future__ import annotations

import gc

import pytest
from sqlalchemy import text

from bot.core.deployment.context import AppContext
from bot.engine import planner_statistics, sweep
from bot.engine.sweep import run_sweep
from tests.engine.test_sweep import MONDAY, _school
from tests.support.helpers import SchoolBuilder, at

TABLES = ("duties", "people", "person_roles", "person_groups")


def _analysed(ctx: AppContext, dialect: str, table: str) -> int:
    """How many times the table has been analysed (SQLite: whether it has been)."""
    query = (
        "SELECT count(*) FROM sqlite_stat1 WHERE tbl = :table"
        if dialect == "sqlite"
        else "SELECT analyze_count FROM pg_stat_user_tables WHERE relname = :table"
    )
    with ctx.store.engine.connect() as conn:
        return int(conn.execute(text(query), {"table": table}).scalar_one())


def test_a_sweep_that_writes_many_people_and_duties_gives_the_planner_statistics(
    school: SchoolBuilder, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # this school's first run: 5 people, 8 duties
    monkeypatch.setattr(planner_statistics, "_RESTATS_AFTER", 5)
    _school(school)
    ctx = school.context(database_url)
    dialect = ctx.store.engine.dialect.name
    before = {t: 0 if dialect == "sqlite" else _analysed(ctx, dialect, t) for t in TABLES}
    run_sweep(
        ctx.store,
        ctx.settings,
        ctx.config,
        ctx.connectors,
        as_of=MONDAY,
        now=at(MONDAY),
        deliver=False,
    )
    ctx.store.engine.dispose()  # a closing PostgreSQL session reports its statistics
    assert all(_analysed(ctx, dialect, t) > before[t] for t in TABLES)
    if dialect == "postgresql":  # the figures the next sweep plans with came with the commit
        with ctx.store.engine.connect() as conn:
            assert (
                conn.execute(
                    text("SELECT reltuples FROM pg_class WHERE relname = 'people'")
                ).scalar_one()
                == 5
            )


def test_the_collector_thresholds_come_back_after_a_sweep_even_one_that_fails() -> None:
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), sweep.fewer_collections():
        assert gc.get_threshold() == sweep._SWEEP_GC_THRESHOLD
        raise RuntimeError("a school's sweep failed")
    assert gc.get_threshold() == before
