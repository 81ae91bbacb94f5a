"""Shared fixtures of the connectors' tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.core.store import Store
from tests.support.keys import TEST_KEYS


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    """A migrated store on each database: the pacers' counts that workers share."""
    made = Store(database_url, keys=TEST_KEYS)
    made.upgrade()
    yield made
    made.dispose()
