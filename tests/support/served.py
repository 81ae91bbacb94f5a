"""A server process started by a test: its output goes to a file, never a pipe, and it is
always stopped before anything reads that output, so a slow or silent server cannot hang the
suite (a full pipe blocks the server; reading a live server's pipe to EOF blocks the test)."""

from __future__ import annotations

import select
import ssl
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

__all__ = ["read_line", "served", "started", "stop", "wait_for"]

# A bound on a process that does nothing at all (no CPU, no I/O, no output), not on how long it
# takes: a loaded machine slows a starting server, it does not stop it. The test's own bound
# (pytest-timeout, pyproject) ends one that works forever without getting ready.
STALLED_SECONDS = 120


def started(
    command: Sequence[str], *, env: Mapping[str, str], log: Path, cwd: Path | None = None
) -> subprocess.Popen[bytes]:
    """Start ``command`` with stdout and stderr appended to ``log``."""
    with log.open("ab") as out:
        return subprocess.Popen(
            list(command), env=dict(env), cwd=cwd, stdout=out, stderr=subprocess.STDOUT
        )


def stop(proc: subprocess.Popen[Any], wait: float = 60) -> None:
    """Terminate, then kill if it has not gone within ``wait`` seconds; never waits longer."""
    if proc.poll() is None:
        proc.terminate()
    try:
        proc.wait(timeout=wait)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=wait)


def _progress(proc: subprocess.Popen[Any], log: Path | None) -> tuple[str, ...]:
    """What ``proc`` has done so far: its CPU time and I/O (Linux's /proc) and its log's size."""
    done = [str(log.stat().st_size) if log is not None and log.exists() else ""]
    for name in ("stat", "io"):
        try:
            done.append(Path(f"/proc/{proc.pid}/{name}").read_text())
        except OSError:
            done.append("")
    stat = done[1].rsplit(")", 1)[-1].split()
    done[1] = " ".join(stat[11:13])  # utime and stime: the rest moves while it sleeps
    return tuple(done)


def wait_for(
    ready: Callable[[], object],
    proc: subprocess.Popen[Any],
    *,
    log: Path | None = None,
    stalled: float | None = None,
) -> None:
    """Wait until ``ready()`` holds, for as long as ``proc`` lives and makes progress (its CPU
    time, its I/O or its ``log`` advances). Fails at once if it exits, and only after ``stalled``
    seconds (``STALLED_SECONDS``) of no progress at all; stops it on failing."""
    stalled = STALLED_SECONDS if stalled is None else stalled
    seen, since = _progress(proc, log), time.monotonic()
    while not ready():
        now = _progress(proc, log)
        if now != seen:
            seen, since = now, time.monotonic()
        if proc.poll() is not None:
            why = f"exited ({proc.returncode})"
        elif time.monotonic() - since > stalled:
            why = f"made no progress for {stalled:.0f} s"
        else:
            time.sleep(0.2)
            continue
        stop(proc)
        shown = f":\n{_tail(log)}" if log is not None else ""
        raise AssertionError(f"{proc.args!r} {why} before it was ready{shown}")


# one TLS context for every poll: httpx builds one per request otherwise, loading the CA bundle
# (33 ms of CPU each, five polls a second, while the server waits for the same CPU to start)
TLS = ssl.create_default_context()


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=10, verify=TLS).status_code == 200
    except httpx.HTTPError:
        return False


@contextmanager
def served(
    command: Sequence[str], *, env: Mapping[str, str], url: str, log: Path, cwd: Path | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """The server answering ``{url}/healthz``; stopped on the way out, however the test ends."""
    proc = started(command, env=env, log=log, cwd=cwd)
    try:
        wait_for(lambda: _answers(f"{url}/healthz"), proc, log=log)
        yield proc
    finally:
        stop(proc)


def _tail(log: Path, lines: int = 40) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def read_line(proc: subprocess.Popen[Any], stalled: float | None = None) -> str:
    """The next line the process prints on its stdout pipe, waited for as long as it lives and
    makes progress (``wait_for``); it is killed if it exits or stalls first."""
    stdout = proc.stdout
    assert stdout is not None
    wait_for(lambda: select.select([stdout], [], [], 0.2)[0], proc, stalled=stalled)
    return stdout.readline()
