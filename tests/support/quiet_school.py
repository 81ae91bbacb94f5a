"""The quiet-sweep tests' school and sweep (#60): one policy every member of staff
acknowledges and one training they complete, swept on a Monday of term as the scheduler would,
without delivering (what is queued is what the tests compare).

A module whose tests all start from the same sweeps makes them once per backend
(``built_once``) and gives each test its own copy of the folder and database (``copied``)::

    with built_once(folder, module_database_url, configure) as (school, ctx, clock):
        sweep_school(ctx, clock, MONDAY, 0)
    ...
    yield from copied(built, school, tmp_path)  # school: configured as the build's was
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import time_machine
from sqlalchemy import select

from bot.core.deployment.context import AppContext
from bot.core.deployment.settings import Settings
from bot.core.models import Person, TrainingRecord
from bot.engine.step_failures import HELD
from bot.engine.sweep import SchoolSweep, run_sweep
from tests.support.clock import FrozenClock
from tests.support.helpers import SchoolBuilder, at
from tests.support.keys import TEST_SECRET

__all__ = [
    "MONDAY",
    "acknowledge_os",
    "built_once",
    "copied",
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
    nothing delivered), which must not have failed (a held directory is said as a failing
    step, ``HELD``: the tests that hold it look at ``result.directory.stopped``)."""
    [result], _ = run_sweep(
        ctx.store,
        ctx.settings,
        ctx.config,
        ctx.connectors,
        as_of=day,
        now=clock.at(day, hour, minute),
        deliver=False,
    )
    assert all(f.step == HELD for f in result.failed), result.failed
    return result


@contextmanager
def built_once(
    folder: Path, url: str, configure: Callable[[SchoolBuilder], None]
) -> Iterator[tuple[SchoolBuilder, AppContext, FrozenClock]]:
    """A school in ``folder`` (``configure``d) on ``url``, for a module fixture to sweep with
    the clock it is handed (09:00 on ``MONDAY`` to start); let go after, for ``copied``."""
    from tests.conftest import isolated

    with isolated(folder), time_machine.travel(at(MONDAY, 9, 0), tick=False) as machine:
        school = SchoolBuilder(folder / "school")
        configure(school)
        ctx = school.context(url)
        yield school, ctx, FrozenClock(machine)
        ctx.store.dispose()  # a database is copied only while nobody is connected to it


def copied(built: tuple[Path, str], school: SchoolBuilder, tmp_path: Path) -> Iterator[AppContext]:
    """The test's own copy of a ``built_once`` school (its folder and its database, ``built``),
    in ``school``'s folder: ``school`` configured as the build's was."""
    from tests.support.migrated import copy_database, drop_copy  # as tests/conftest.py does

    home, url = built
    shutil.copytree(home, school.home, dirs_exist_ok=True)
    copy = copy_database(url, tmp_path)
    ctx = AppContext(Settings(home=school.home, database_url=copy, secret_key=TEST_SECRET))
    try:
        yield ctx
    finally:
        ctx.store.dispose()
        drop_copy(copy)
