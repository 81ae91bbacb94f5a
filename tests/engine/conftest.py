"""Fixtures the engine's quiet-sweep tests share."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from bot.engine import sweep


@pytest.fixture
def syncs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The schools ``sync_config`` ran for, sweep by sweep."""
    ran: list[str] = []
    real = sweep.sync_config

    def counted(session: Any, config: Any, school: Any, today: date) -> list[str]:
        ran.append(school.id)
        return real(session, config, school, today)

    monkeypatch.setattr(sweep, "sync_config", counted)
    return ran
