"""Benchmark: the connector mutation score — how many of the fixed, realistic connector
mutations in ``tests/support/mutations.py`` (names, values, enums, masks, paths, limits) the
connector tests kill, each applied alone to a copy of the code.

Run with ``uv run pytest tests/benchmarks/test_connector_mutations.py -m benchmark -s -n 0``
(``MUTATIONS_CHOSEN='mask|limit'`` runs only the mutations whose name contains
``mask`` or ``limit``; ``#0:17`` the first seventeen). Every mutation runs, at any size: each
against the tests that target it, as many at once as there are cores.
Printed as it goes: each mutation, killed or SURVIVED, its seconds, and the score. Asserted: every
mutation is killed (a survivor is a slip the suite would not notice: kill it with a test, or
name it and the reason in the issue's closing note).
"""

from __future__ import annotations

import os

import pytest

from tests.support.mutations import MUTATIONS, score

pytestmark = pytest.mark.benchmark


def test_connector_mutation_score() -> None:
    assert len(MUTATIONS) >= 30
    outcomes = score(os.environ.get("MUTATIONS_CHOSEN", ""))
    killed = sum(o.killed for o in outcomes)
    print(f"connector mutation score: {killed}/{len(outcomes)} killed")
    assert [o.mutation.name for o in outcomes if not o.killed] == []
