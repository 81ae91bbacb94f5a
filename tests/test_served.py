"""The suite's server helper cannot hang: a server that never answers, or floods its output,
is killed within the guard and its output shown (tests/support/served.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import free_port
from tests.support import served as serving

FLOOD_AND_NEVER_ANSWER = (
    "import sys, time\nsys.stderr.write('x' * 1_000_000 + '\\nlast words\\n')\ntime.sleep(600)"
)


def test_a_server_that_never_answers_is_killed_and_its_output_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(serving, "READY_SECONDS", 2)
    log = tmp_path / "server.log"
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(AssertionError, match="last words"), serving.served(
        [sys.executable, "-c", FLOOD_AND_NEVER_ANSWER], env={}, url=url, log=log
    ):
        pytest.fail("the server never answered, so this is not reached")


def test_a_line_that_never_comes_kills_the_process() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"],
                            stdout=subprocess.PIPE, text=True)
    with pytest.raises(AssertionError, match="no line"):
        serving.read_line(proc, seconds=1)
    assert proc.poll() is not None
