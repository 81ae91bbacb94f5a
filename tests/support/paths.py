"""Where things are, for tests that read files of the repository (one place, whatever the depth)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["FIXTURES", "NODE_MODULES", "REPO", "SCHEMAS", "SHARED_POLICIES", "SHARED_SPREADSHEETS"]

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "support" / "fixtures"
SCHEMAS = REPO / "tests" / "support" / "schemas"
SHARED_POLICIES = REPO.parent / "shared" / "policies"
# staff exports and single central record trackers written by real tools (its README.md)
SHARED_SPREADSHEETS = REPO.parent / "shared" / "corpus" / "spreadsheets"
# software we did not write, run as oracles (tests/node/package.json; .ci/run installs it)
NODE_MODULES = REPO / "tests" / "node" / "node_modules"
