"""The browser tests' screenshots: for a person to look at, saved only when asked for."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest

from tests.support.paths import REPO

# COMPLIANCE_BOT_SCREENSHOTS=1 saves them in test-artifacts/ (ignored by git); no test asserts
# anything of them, and a full page's PNG costs Chromium a paint and the encoding, so the suite
# and CI leave them off
ARTIFACTS = REPO / "test-artifacts"
SAVED = os.environ.get("COMPLIANCE_BOT_SCREENSHOTS", "") not in ("", "0")


@pytest.fixture
def screenshot() -> Callable[[Any, str], None]:
    """``screenshot(page, "name")``: the whole of ``page`` saved as test-artifacts/name.png
    when COMPLIANCE_BOT_SCREENSHOTS is set (the path printed); otherwise nothing."""

    def save(page: Any, name: str) -> None:
        if SAVED:
            ARTIFACTS.mkdir(exist_ok=True)
            path = ARTIFACTS / f"{name}.png"
            page.screenshot(path=str(path), full_page=True)
            print(f"screenshot: {path}")

    return save
