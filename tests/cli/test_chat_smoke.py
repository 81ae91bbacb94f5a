"""``compliance-bot chat smoke`` passes on a fresh demo school: the Chat app's /api/chat served
on 127.0.0.1 and driven with tokens a local issuer signed (tools/chat_smoke.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.chat_smoke import run_smoke

pytest.importorskip("google.auth", reason="google-auth is the google extra (uv sync)")


@pytest.mark.slow  # builds the whole demo school (~30 s), as the Teams smoke test does
def test_the_chat_smoke_test_passes(tmp_path: Path) -> None:
    said: list[str] = []
    result = run_smoke(tmp_path, lambda name, ok, detail: said.append(name))
    assert result.ok, result.steps
    assert len(result.steps) == 5
    assert any("one plain line" in name for name in said)
