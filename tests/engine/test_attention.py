"""A new day's sweep plans from the next-attention dates (#60): on the day a person's own date
comes (a training renewal's window, a recurring task's owner starting) it plans them, on the day
the whole school's comes (a yearly cycle) everyone, and not before; each time the result equals
a full recount. A date set one day too late fails here."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.core.context import AppContext
from bot.core.models import Person, TrainingRecord
from bot.engine import changes
from bot.engine.sweep import run_sweep
from tests.engine.test_changes import _state
from tests.support.clock import FrozenClock
from tests.support.helpers import Row, SchoolBuilder

MONDAY, WEDNESDAY, THURSDAY = date(2026, 11, 23), date(2026, 11, 25), date(2026, 11, 26)


def _sweep(ctx: AppContext, clock: FrozenClock, day: date, hour: int, minute: int = 30) -> Any:
    [result], _ = run_sweep(
        ctx.store,
        ctx.settings,
        ctx.config,
        ctx.connectors,
        as_of=day,
        now=clock.at(day, hour, minute),
        deliver=False,
    )
    assert not result.failed
    return result


def _renewal(school: SchoolBuilder) -> None:
    """Amy trained on 26 December last year: her renewal opens 30 days before it expires."""
    school.requirement(
        id="train-os",
        kind="complete_training",
        course="Online safety",
        audience={"roles": ["staff"]},
        due_days=28,
    )


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
    school.policy("online-safety", "2026.1", published="2026-11-02")
    school.requirement(
        id="ack-os",
        kind="acknowledge_policy",
        policy="online-safety",
        audience={"roles": ["staff"]},
        due_days=14,
        yearly_on="11-26",
    )


@pytest.mark.parametrize(
    ("case", "planned"), [(_renewal, "attention"), (_starter, "attention"), (_yearly, "everyone")]
)
def test_a_new_day_plans_whose_date_came_and_equals_a_full_recount(
    school: SchoolBuilder, tmp_path: Path, frozen_clock: FrozenClock, case: Any, planned: str
) -> None:
    case(school)
    ctx = school.context(f"sqlite:///{tmp_path / 'test.db'}")  # PostgreSQL: test_changes
    assert _sweep(ctx, frozen_clock, MONDAY, 9).planned == "everyone"
    if case is _renewal:  # her record arrives after the first sweep: she is marked
        with ctx.store.transaction() as session:
            amy = session.scalar(select(Person.id).where(Person.email == "amy@oak.example"))
            session.add(
                TrainingRecord(
                    school_id="oak",
                    person_id=amy,
                    course="Online safety",
                    completed_on=date(2025, 12, 26),
                    source="manual",
                    import_key="amy",
                )
            )
    before = _sweep(ctx, frozen_clock, WEDNESDAY, 0)  # before the day's full sweep (01:00)
    assert (before.planned, before.opened) == ("attention", 0)
    came = _sweep(ctx, frozen_clock, THURSDAY, 0)
    assert came.planned == planned and came.opened >= 1
    if planned == "attention":
        assert came.planned_people == 1  # only the one whose date came
    state = _state(ctx)
    with ctx.store.transaction() as session:
        changes.everyone(session, "oak")
    recount = _sweep(ctx, frozen_clock, THURSDAY, 0, 31)
    assert (recount.planned, recount.opened, recount.closed) == ("everyone", 0, {})
    assert _state(ctx) == state
