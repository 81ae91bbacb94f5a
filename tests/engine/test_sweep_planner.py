"""What the sweep does for speed holds: statistics for the planner, collector thresholds back."""

from __future__ import annotations

import gc

import pytest
from sqlalchemy import text

from bot.core.context import AppContext
from bot.engine import sweep
from bot.engine.sweep import run_sweep
from tests.engine.test_sweep import MONDAY, _school
from tests.support.helpers import SchoolBuilder, at


def _analysed(ctx: AppContext, dialect: str) -> int:
    """How many times the duties table has been analysed (SQLite: whether it has been)."""
    query = (
        "SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'duties'" if dialect == "sqlite"
        else "SELECT analyze_count FROM pg_stat_user_tables WHERE relname = 'duties'"
    )
    with ctx.store.engine.connect() as conn:
        return int(conn.execute(text(query)).scalar_one())


def test_a_sweep_that_writes_many_duties_gives_the_planner_statistics(
    school: SchoolBuilder, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sweep, "_RESTATS_AFTER", 8)  # this school's first run opens 8
    _school(school)
    ctx = school.context(database_url)
    dialect = ctx.store.engine.dialect.name
    before = 0 if dialect == "sqlite" else _analysed(ctx, dialect)
    run_sweep(ctx.store, ctx.settings, ctx.config, ctx.connectors, as_of=MONDAY,
              now=at(MONDAY), deliver=False)
    ctx.store.engine.dispose()  # a closing PostgreSQL session reports its statistics
    assert _analysed(ctx, dialect) > before


def test_the_collector_thresholds_come_back_after_a_sweep_even_one_that_fails() -> None:
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), sweep.fewer_collections():
        assert gc.get_threshold() == sweep._SWEEP_GC_THRESHOLD
        raise RuntimeError("a school's sweep failed")
    assert gc.get_threshold() == before
