"""The engine's step registry: the app hands it the features' steps; a sweep without them fails."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from bot.engine import steps
from bot.engine.chasing import chasing_stopped_step
from bot.engine.maintenance import run_maintenance
from bot.engine.steps import StepsMissingError, registered
from bot.wiring import FEATURE_STEPS, install
from tests.support.helpers import SchoolBuilder, at, sweep

MONDAY = date(2026, 11, 23)


@pytest.fixture
def unregistered(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The engine as a process sees it before its entry point registered anything."""
    monkeypatch.setattr(steps, "_registered", None)
    yield


def test_the_app_hands_over_the_steps_in_order() -> None:
    install()
    assert registered() is FEATURE_STEPS
    assert registered().sweep[0] is chasing_stopped_step  # right after the reminders
    assert registered().run_in_preview <= {*registered().first, *registered().sweep}


@pytest.mark.usefixtures("unregistered")
def test_a_sweep_before_registration_fails_loudly(school: SchoolBuilder, database_url: str) -> None:
    ctx = school.context(database_url)
    with pytest.raises(StepsMissingError, match=r"bot\.wiring\.install"):
        sweep(ctx, MONDAY, write=False, deliver=False)


@pytest.mark.usefixtures("unregistered")
def test_maintenance_before_registration_fails_loudly(
    school: SchoolBuilder, database_url: str
) -> None:
    ctx = school.context(database_url)
    with pytest.raises(StepsMissingError):
        run_maintenance(ctx.store, ctx.settings.retention, ctx.config.schools, at(MONDAY))
