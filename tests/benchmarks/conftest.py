"""Every benchmark prints the conditions it ran in (its size, the calibration, the load) after
its figures, so a quiet and a loaded run can be compared."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.scale import conditions


@pytest.fixture(autouse=True)
def _conditions(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    with request.config.pluginmanager.getplugin("capturemanager").global_and_fixture_disabled():
        print(f"\n{conditions()}", flush=True)
