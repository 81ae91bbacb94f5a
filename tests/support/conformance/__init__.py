"""Conformance of the fakes to the platforms' official descriptions (Graph, Google APIs).

``PROBLEMS`` collects what any fake's checker found during the current test; the autouse
fixture in tests/conftest.py fails the test when it is not empty. ``TOTALS`` counts the
requests and responses checked in this process (reported at the end of the run).
"""

from __future__ import annotations

PROBLEMS: list[str] = []
TOTALS: dict[str, int] = {
    "graph requests": 0,
    "graph responses": 0,
    "google requests": 0,
    "google responses": 0,
}
