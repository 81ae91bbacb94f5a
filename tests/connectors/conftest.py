"""Shared fixtures of the connectors' tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.core.database.store import Store
from connectors.m365.client import GraphClient
from tests.support.keys import TEST_KEYS


@pytest.fixture(autouse=True, scope="module")
def _graph_clients_closed() -> Iterator[None]:
    """Close every GraphClient a test module made, so its loop threads end with the module (the
    product's clients live as long as the process; a test's would be left to the collector)."""
    made: list[GraphClient] = []
    built = GraphClient.__init__

    def record(self: GraphClient, *args: object, **kwargs: object) -> None:
        built(self, *args, **kwargs)  # type: ignore[arg-type]
        made.append(self)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(GraphClient, "__init__", record)
        yield
    for client in made:
        client.close()


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    """A migrated store on each database: the pacers' counts that workers share."""
    made = Store(database_url, keys=TEST_KEYS)
    made.upgrade()
    yield made
    made.dispose()
