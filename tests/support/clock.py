"""The one frozen clock the tests share (the ``frozen_clock`` fixture in tests/conftest.py)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from tests.support.helpers import at

__all__ = ["FrozenClock"]


class FrozenClock:
    """The one frozen clock for tests: London wall-clock moments, stopped unless asked to tick."""

    def __init__(self, machine: Any) -> None:
        self._machine = machine

    def at(self, day: date, hour: int = 9, minute: int = 30, *, tick: bool = False) -> datetime:
        """Move to ``hour:minute`` in London on ``day`` and return that moment (UTC-aware)."""
        moment = at(day, hour, minute)
        self._machine.move_to(moment, tick=tick)
        return moment
