"""A server process started by a test: its output goes to a file, never a pipe, and it is
always stopped before anything reads that output, so a slow or silent server cannot hang the
suite (a full pipe blocks the server; reading a live server's pipe to EOF blocks the test)."""

from __future__ import annotations

import select
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

__all__ = ["read_line", "served", "started", "stop"]

READY_SECONDS = 120  # a hang guard for a busy machine: nothing is asserted about time


def started(command: Sequence[str], *, env: Mapping[str, str], log: Path,
            cwd: Path | None = None) -> subprocess.Popen[bytes]:
    """Start ``command`` with stdout and stderr appended to ``log``."""
    with log.open("ab") as out:
        return subprocess.Popen(list(command), env=dict(env), cwd=cwd, stdout=out,
                                stderr=subprocess.STDOUT)


def stop(proc: subprocess.Popen[Any], wait: float = 60) -> None:
    """Terminate, then kill if it has not gone within ``wait`` seconds; never waits longer."""
    if proc.poll() is None:
        proc.terminate()
    try:
        proc.wait(timeout=wait)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=wait)


@contextmanager
def served(command: Sequence[str], *, env: Mapping[str, str], url: str, log: Path,
           cwd: Path | None = None) -> Iterator[subprocess.Popen[bytes]]:
    """The server answering ``{url}/healthz``; stopped on the way out, however the test ends."""
    proc = started(command, env=env, log=log, cwd=cwd)
    try:
        deadline = time.monotonic() + READY_SECONDS
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                stop(proc)
                raise AssertionError(f"the server did not start:\n{_tail(log)}")
            time.sleep(0.2)
        yield proc
    finally:
        stop(proc)


def _tail(log: Path, lines: int = 40) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def read_line(proc: subprocess.Popen[Any], seconds: float = READY_SECONDS) -> str:
    """The next line the process prints on its stdout pipe; kills it if none comes in time."""
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], seconds)
    if not ready:
        stop(proc)
        raise AssertionError(f"no line from {proc.args!r} within {seconds:.0f} s")
    return proc.stdout.readline()
