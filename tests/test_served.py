"""The suite's server helper cannot hang, and cannot fail for being slow: a server is waited for
while it lives and makes progress; one that does nothing (or floods its output and stops) is
killed and its output shown, one that exits fails at once (tests/support/served.py)."""

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
    monkeypatch.setattr(serving, "STALLED_SECONDS", 1)  # the time it waits on an idle process
    log = tmp_path / "server.log"
    url = f"http://127.0.0.1:{free_port()}"
    with (
        pytest.raises(AssertionError, match="last words"),
        serving.served([sys.executable, "-c", FLOOD_AND_NEVER_ANSWER], env={}, url=url, log=log),
    ):
        pytest.fail("the server never answered, so this is not reached")


def test_a_line_that_never_comes_kills_the_process() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(600)"], stdout=subprocess.PIPE, text=True
    )
    with pytest.raises(AssertionError, match="made no progress for 1 s"):
        serving.read_line(proc, stalled=1)
    assert proc.poll() is not None


def test_a_slow_server_is_waited_for_while_it_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Busy for twice a stall (its CPU time advancing), then answering: it is ready."""
    monkeypatch.setattr(serving, "STALLED_SECONDS", 1)
    port = free_port()
    busy_then_serve = (
        "import http.server, sys, time\n"
        "end = time.process_time() + 2\n"
        "while time.process_time() < end: pass\n"
        "class H(http.server.BaseHTTPRequestHandler):\n"
        "    def do_GET(self): self.send_response(200); self.end_headers()\n"
        f"http.server.HTTPServer(('127.0.0.1', {port}), H).serve_forever()\n"
    )
    with serving.served(
        [sys.executable, "-c", busy_then_serve],
        env={},
        url=f"http://127.0.0.1:{port}",
        log=tmp_path / "server.log",
    ) as proc:
        assert proc.poll() is None


def test_a_server_that_exits_fails_at_once(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    with (
        pytest.raises(AssertionError, match=r"exited \(3\)(.|\n)*gave up"),
        serving.served(
            [sys.executable, "-c", "import sys; print('gave up'); sys.exit(3)"],
            env={},
            url=f"http://127.0.0.1:{free_port()}",
            log=log,
        ),
    ):
        pytest.fail("not reached")
