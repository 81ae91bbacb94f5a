"""Sweeps that leave planning out when nothing changed (#44; and right after a busy sweep, #60)
queue the same emails on the same days and leave the same duties as sweeps that plan everyone
every time: a stretch of the school year in every nation (the year walk of
``test_school_year_nations``: starters, a leaver and a returner, a new edition, answers at
random, governors' reviews), swept twice a day."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select

import tests.engine.test_school_year_nations as year
from bot.core.models import ConnectorState, Duty
from bot.core.store import Store
from bot.engine.sweep import QUIET_KEY, run_sweep
from tests.support.clock import FrozenClock
from tests.support.helpers import SchoolBuilder

FIRST = date(2026, 11, 9)
LAST = FIRST + timedelta(days=13)  # two weeks of term: asks, reminders, a starter, a leaver
DutyState = tuple[Any, ...]


def _twice(full: bool, days: list[list[DutyState]]) -> Callable[..., tuple[list[Any], None]]:
    """The walk's daily sweep, run twice; with ``full`` each forgets the quiet mark first (a
    full recount). After both, the day's duties as they stand."""

    def sweep(store: Store, *args: Any, **kwargs: Any) -> tuple[list[Any], None]:
        for _ in range(2):
            if full:
                with store.transaction() as session:
                    session.execute(delete(ConnectorState).where(ConnectorState.key == QUIET_KEY))
            run_sweep(store, *args, **kwargs)
        with store.session() as session:
            days.append(
                sorted(
                    tuple(row)
                    for row in session.execute(
                        select(
                            Duty.id,
                            Duty.person_id,
                            Duty.requirement_id,
                            Duty.cycle,
                            Duty.status,
                            Duty.opened_on,
                            Duty.due_on,
                            Duty.closed_on,
                            Duty.last_stage,
                            Duty.reminders_sent,
                            Duty.last_reminded_on,
                        )
                    )
                )
            )
        return [], None

    return sweep


def _sent(walked: year.Walked) -> list[tuple[str, str, tuple[str, ...], date]]:
    return [
        (purpose if purpose.startswith("complaint") else key, purpose, to, day)
        for key, purpose, to, day in walked.sent
    ]


@pytest.mark.slow
@pytest.mark.parametrize("nation", ["england", "wales", "scotland", "northern-ireland"])
def test_quiet_sweeps_queue_and_leave_what_full_sweeps_do(
    nation: str, tmp_path: Path, frozen_clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    walked = {}
    for full in (False, True):
        days: list[list[DutyState]] = []
        monkeypatch.setattr(year, "run_sweep", _twice(full, days))
        home = tmp_path / ("full" if full else "quiet")
        walked[full] = (
            year.walk(
                SchoolBuilder(home / "school"),
                f"sqlite:///{home / 'test.db'}",
                frozen_clock,
                nation,
                FIRST,
                LAST,
            ),
            days,
        )
    (quiet, quiet_days), (full_walk, full_days) = walked[False], walked[True]
    assert quiet.sent and [r for r in quiet.sent if r[1] == "reminder"]  # it asked and chased
    # the same emails, to the same people, on the same days (a complaint's key holds its
    # reference, a random code: its purpose stands for it)
    assert _sent(quiet) == _sent(full_walk)
    assert quiet_days == full_days  # the same duties, day by day
    assert quiet.problems == full_walk.problems
