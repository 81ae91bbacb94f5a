"""A sign-in asked for while the sweep runs is not lost (#60): on SQLite a school's sweep held
the write lock from its first write to its end, and a sign-in's write waited past the busy
timeout and failed (a 500). Between two steps the sweep now sees a writer of its process
waiting, commits the steps so far and lets it go first: the sign-in waits at most a step."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.core.database.sqlite_gate import gate_for
from bot.core.deployment.context import StepContext
from bot.engine.steps import FeatureSteps, register, registered
from bot.engine.sweep import SchoolSweep
from bot.web.app import create_app
from tests.features.reports.test_support import Env, TestClient, configure, sync_people
from tests.features.signin.test_signin import SAME_ANSWER, ask, emailed
from tests.support.helpers import SchoolBuilder, at, sweep

MONDAY = date(2026, 11, 23)
BOUND = 60.0  # seconds: a bound for the other thread to get somewhere, never a measurement


@dataclass
class Held:
    """Two steps at the end of the sweep (the directory, settings and duties steps have written
    by then): the first says it has started and ends once a writer waits for the gate; the
    second holds the sweep until the sign-in has been answered."""

    database: str
    reached: threading.Event = field(default_factory=threading.Event)
    answered: threading.Event = field(default_factory=threading.Event)

    def until_a_writer_waits(self, _: StepContext) -> Mapping[str, int]:
        self.reached.set()
        end = time.monotonic() + BOUND
        while not gate_for(self.database).waiting() and time.monotonic() < end:
            time.sleep(0.01)
        return {}

    def until_answered(self, _: StepContext) -> Mapping[str, int]:
        self.answered.wait(BOUND)
        return {}


@pytest.fixture(name="hold")
def hold_fixture() -> Iterator[Callable[[str], Held]]:
    """Adds the two steps (once the app is built: building it registers the features' steps);
    the features' own steps are registered again afterwards."""
    kept: list[FeatureSteps] = []

    def hold(database: str) -> Held:
        held = Held(database)
        kept.append(registered())
        steps = (held.until_a_writer_waits, held.until_answered)
        register(replace(kept[0], sweep=(*kept[0].sweep, *steps)))
        return held

    try:
        yield hold
    finally:
        if kept:
            register(kept[0])


def test_a_sign_in_asked_for_during_a_sweep_is_emailed(
    school: SchoolBuilder, sqlite_url: str, hold: Callable[[str], Held]
) -> None:
    configure(school)
    school.policy("online-safety", "2026.1", published=str(MONDAY))
    school.staff_acknowledge()
    context = school.context(sqlite_url, base_url="http://testserver")
    sync_people(context)
    env = Env(context=context, app=create_app(context.settings, context), builder=school)
    held = hold(str(Path(make_url(sqlite_url).database or "").resolve()))
    swept: list[SchoolSweep] = []

    def sweep_monday() -> None:
        results, _ = sweep(context, MONDAY, at(MONDAY, 9), deliver=False)
        swept.extend(results)

    sweeping = threading.Thread(target=sweep_monday, name="sweep")
    sweeping.start()
    try:
        assert held.reached.wait(BOUND)
        answer = ask(TestClient(env.app), "dsl@oak.example")
    finally:
        held.answered.set()
        sweeping.join(BOUND)
    assert answer.status_code == 200 and SAME_ANSWER in answer.text
    assert emailed(env, "dsl@oak.example")  # its email is in the outbox
    [result] = swept
    assert not result.failed and result.opened  # and the sweep did all its work
    context.store.dispose()
