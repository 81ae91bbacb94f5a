"""The quiet-sweep tests' school and sweep (#60): one policy every member of staff
acknowledges and one training they complete, swept on a Monday of term as the scheduler would,
without delivering (what is queued is what the tests compare)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from bot.core.context import AppContext
from bot.core.models import Person, TrainingRecord
from bot.engine.sweep import SchoolSweep, run_sweep
from tests.support.clock import FrozenClock
from tests.support.helpers import SchoolBuilder

__all__ = [
    "MONDAY",
    "acknowledge_os",
    "quiet_school",
    "record_training",
    "sweep_school",
    "train_os",
]

MONDAY = date(2026, 11, 23)
COURSE = "Online safety"


def acknowledge_os(school: SchoolBuilder, published: str = str(MONDAY), **extra: Any) -> None:
    """The online-safety policy (2026.1, published ``published``) for staff to acknowledge
    within 14 days (``ack-os``; ``extra``: more of the requirement, e.g. ``yearly_on``)."""
    school.policy("online-safety", "2026.1", published=published)
    school.requirement(
        id="ack-os",
        kind="acknowledge_policy",
        policy="online-safety",
        audience={"roles": ["staff"]},
        due_days=14,
        **extra,
    )


def train_os(school: SchoolBuilder) -> None:
    """The online-safety training for staff to complete within 28 days (``train-os``)."""
    school.requirement(
        id="train-os",
        kind="complete_training",
        course=COURSE,
        audience={"roles": ["staff"]},
        due_days=28,
    )


def quiet_school(school: SchoolBuilder) -> None:
    """The online-safety policy (2026.1, published ``MONDAY``) for staff to acknowledge within
    14 days (``ack-os``), and its training to complete within 28 (``train-os``)."""
    acknowledge_os(school)
    train_os(school)


def record_training(ctx: AppContext, email: str, completed_on: date, import_key: str) -> None:
    """``email``'s online-safety training, completed on ``completed_on``, recorded by hand."""
    with ctx.store.transaction() as session:
        person = session.scalar(select(Person.id).where(Person.email == email))
        assert person is not None
        session.add(
            TrainingRecord(
                school_id="oak",
                person_id=person,
                course=COURSE,
                completed_on=completed_on,
                source="manual",
                import_key=import_key,
            )
        )


def sweep_school(
    ctx: AppContext, clock: FrozenClock, day: date, minute: int, hour: int = 9
) -> SchoolSweep:
    """The one school's sweep on ``day`` at ``hour``:``minute`` (09:``minute`` unless told;
    nothing delivered), which must not have failed."""
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
