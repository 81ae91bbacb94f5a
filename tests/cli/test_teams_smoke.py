"""``uv run python -m tools.teams_smoke``: a technician's end-to-end check of the Teams bot's
``/api/messages`` on their own computer passes on a fresh install, every step through real
HTTP with tokens a local issuer signed; and that issuer is accepted only on a loopback
address."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.core.deployment.platform_settings import M365Settings
from tests.support.paths import REPO
from tools.teams_smoke import run_smoke


def test_the_smoke_test_passes_end_to_end(tmp_path: Path) -> None:
    said: list[str] = []
    result = run_smoke(tmp_path, lambda name, ok, detail: said.append(name))
    assert [(name, ok) for name, ok, _ in result.steps if not ok] == []
    assert len(result.steps) == 6 and said == [name for name, _, _ in result.steps]
    details = {name: detail for name, _, detail in result.steps}
    assert (
        "Thank you: your acknowledgement of the"
        in details["Acknowledge records one acknowledgement and the card says so"]
    )
    assert "needs from you" in details["the card opened in Teams shows what the school needs"]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:3978/v1/.well-known/openidconfiguration",
        "http://localhost:3978/v1/.well-known/openidconfiguration",
        "https://login.botframework.com/v1/.well-known/openidconfiguration",
    ],
)
def test_a_local_issuer_is_accepted_on_loopback(url: str) -> None:
    assert M365Settings(bot_openid_metadata=url).bot_openid_metadata == url


@pytest.mark.parametrize(
    "url",
    [
        "http://192.168.1.20:3978/v1/.well-known/openidconfiguration",
        "https://issuer.example.org/v1/.well-known/openidconfiguration",
        "http://login.botframework.com/v1/.well-known/openidconfiguration",
        "https://127.0.0.1.example.org/v1/.well-known/openidconfiguration",
    ],
)
def test_any_other_issuer_is_refused(url: str) -> None:
    with pytest.raises(ValidationError, match=r"127\.0\.0\.1 or localhost"):
        M365Settings(bot_openid_metadata=url)


@pytest.mark.parametrize("tool", ["tools.teams_smoke", "tools.chat_smoke"])
def test_the_it_lead_runs_each_smoke_test_from_the_checkout(tool: str) -> None:
    # the command the guides give (deploy/teams/smoke-test.md, deploy/google.md)
    done = subprocess.run(
        [sys.executable, "-m", tool, "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "--folder" in done.stdout and "end to end on this computer" in done.stdout
