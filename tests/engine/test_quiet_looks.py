"""A quiet sweep's steps look once where they read many times, and the one look misses nothing
(#60): the settings step's rows in one statement (a change of a column of each kind it keeps,
text, JSON, date, flag, made behind the sync's back, syncs again), and the people register's
one look (an entry added brings the person in on the next sweep; removed, they go missing)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from sqlalchemy import delete, select, update

from bot.core.context import AppContext
from bot.core.models import ExtraPerson, Person, Policy
from bot.engine.sweep import SchoolSweep
from tests.support.clock import FrozenClock
from tests.support.helpers import SchoolBuilder
from tests.support.quiet_school import MONDAY, sweep_school

VOL = "val@oak.example"


def _sweep(ctx: AppContext, clock: FrozenClock, minute: int) -> SchoolSweep:
    return sweep_school(ctx, clock, MONDAY, minute)


def _policy(**values: Any) -> Callable[[AppContext], None]:
    def change(ctx: AppContext) -> None:
        with ctx.store.transaction() as session:
            session.execute(update(Policy).values(**values))

    return change


@pytest.mark.parametrize(
    "change",
    [
        _policy(title="Renamed behind its back"),  # text
        _policy(reviewers=["someone@oak.example"]),  # JSON
        _policy(last_reviewed=date(2020, 1, 1)),  # a date where there was none
        _policy(is_aup=True),  # a flag
    ],
    ids=["text", "json", "date", "flag"],
)
def test_a_change_of_any_kind_of_kept_column_syncs_again(
    school: SchoolBuilder,
    database_url: str,
    frozen_clock: FrozenClock,
    syncs: list[str],
    change: Callable[[AppContext], None],
) -> None:
    school.policy("online-safety", "2026.1", published=str(MONDAY))
    ctx = school.context(database_url)
    _sweep(ctx, frozen_clock, 0)
    _sweep(ctx, frozen_clock, 15)
    assert syncs == ["oak"]  # quiet: not synced again
    change(ctx)
    _sweep(ctx, frozen_clock, 30)
    assert syncs == ["oak", "oak"]
    _sweep(ctx, frozen_clock, 45)
    assert syncs == ["oak", "oak"]  # the sync's own result is quiet again


def _register_person(ctx: AppContext) -> tuple[bool, str] | None:
    with ctx.store.session() as session:
        row = session.execute(
            select(Person.active, Person.source).where(Person.email == VOL)
        ).one_or_none()
    return None if row is None else (bool(row[0]), str(row[1]))


def _missing_since(ctx: AppContext) -> date | None:
    with ctx.store.session() as session:
        return session.scalar(select(Person.missing_since).where(Person.email == VOL))


def test_the_register_s_one_look_misses_an_entry_added_or_removed(
    school: SchoolBuilder, database_url: str, frozen_clock: FrozenClock
) -> None:
    ctx = school.context(database_url)
    _sweep(ctx, frozen_clock, 0)
    _sweep(ctx, frozen_clock, 15)  # nobody on the register: one look, nobody brought in
    assert _register_person(ctx) is None
    with ctx.store.transaction() as session:
        session.add(
            ExtraPerson(
                school_id="oak", email=VOL, display_name="Valerie Volunteer", roles=["governor"]
            )
        )
    assert _sweep(ctx, frozen_clock, 30).directory.added == 1
    assert _register_person(ctx) == (True, "register")
    assert _missing_since(ctx) is None
    with ctx.store.transaction() as session:
        session.execute(delete(ExtraPerson).where(ExtraPerson.email == VOL))
    _sweep(ctx, frozen_clock, 45)  # still here on the register's side: made missing
    assert _missing_since(ctx) == MONDAY
