"""A new day's sweep plans from the next-attention dates (#60): on the day a person's own date
comes (a training renewal's window, a recurring task's owner starting) it plans them, on the day
the whole school's comes (a yearly cycle) everyone, and not before; each time the result equals
a full recount. A date set one day too late fails here."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bot.engine import changes
from tests.engine.test_changes import _state
from tests.support.clock import FrozenClock
from tests.support.helpers import Row, SchoolBuilder
from tests.support.quiet_school import acknowledge_os, record_training, sweep_school, train_os

MONDAY, WEDNESDAY, THURSDAY = date(2026, 11, 23), date(2026, 11, 25), date(2026, 11, 26)


def _renewal(school: SchoolBuilder) -> None:
    """Amy trained on 26 December last year: her renewal opens 30 days before it expires."""
    train_os(school)


def _starter(school: SchoolBuilder) -> None:
    """A weekly task whose owner starts on Thursday: owed by her from then."""
    school.people.append(Row("new@oak.example", "Nia New", start=str(THURSDAY)))
    school.requirement(
        id="check-filter",
        kind="recurring_task",
        title="Check the filtering",
        every="weekly",
        due_days=1,
        owners=["new@oak.example"],
    )


def _yearly(school: SchoolBuilder) -> None:
    """A policy read every year from 26 November: the school's date."""
    acknowledge_os(school, published="2026-11-02", yearly_on="11-26")


@pytest.mark.parametrize(
    ("case", "planned"), [(_renewal, "attention"), (_starter, "attention"), (_yearly, "everyone")]
)
def test_a_new_day_plans_whose_date_came_and_equals_a_full_recount(
    school: SchoolBuilder, tmp_path: Path, frozen_clock: FrozenClock, case: Any, planned: str
) -> None:
    case(school)
    ctx = school.context(f"sqlite:///{tmp_path / 'test.db'}")  # PostgreSQL: test_changes
    assert sweep_school(ctx, frozen_clock, MONDAY, 30).planned == "everyone"
    if case is _renewal:  # her record arrives after the first sweep: she is marked
        record_training(ctx, "amy@oak.example", date(2025, 12, 26), "amy")
    before = sweep_school(ctx, frozen_clock, WEDNESDAY, 30, hour=0)  # before 01:00's full sweep
    assert (before.planned, before.opened) == ("attention", 0)
    came = sweep_school(ctx, frozen_clock, THURSDAY, 30, hour=0)
    assert came.planned == planned and came.opened >= 1
    if planned == "attention":
        assert came.planned_people == 1  # only the one whose date came
    state = _state(ctx)
    with ctx.store.transaction() as session:
        changes.everyone(session, "oak")
    recount = sweep_school(ctx, frozen_clock, THURSDAY, 31, hour=0)
    assert (recount.planned, recount.opened, recount.closed) == ("everyone", 0, {})
    assert _state(ctx) == state
