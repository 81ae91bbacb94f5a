"""Passes killed with SIGKILL, each a child forked from one helper process per module that
imported the bot once (the forkserver's idea): a fork costs milliseconds where a fresh
interpreter's imports cost ~1.5 s of CPU, and the child is still a real process killed
mid-pass. The helper never opens a database and runs single-threaded: forking it is safe."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.paths import REPO

# the helper's loop: one pass per line (its arguments, then where its stderr goes); the exit
# code of each child on stdout
FORK_EACH_LINE = """
for line in sys.stdin:
    *args, errors = json.loads(line)
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            out = os.open(errors, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            os.dup2(out, 1)  # the helper's stdout carries only the exit codes
            os.dup2(out, 2)
            PASS(*args)
        except BaseException:
            traceback.print_exc()
            code = 1
        finally:
            sys.stderr.flush()
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    print(os.waitstatus_to_exitcode(status), flush=True)  # -9: killed by SIGKILL
"""


@contextmanager
def forking(folder: Path, script: str, run: str) -> Iterator[subprocess.Popen[str]]:
    """The helper process: ``script`` (which imports ``json, os, sys, traceback``) and the
    loop forking a child that calls its function ``run`` for each line."""
    path = folder / "forking.py"
    path.write_text(script + FORK_EACH_LINE.replace("PASS", run), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPLIANCE_BOT_")}
    with subprocess.Popen(
        [sys.executable, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env=env,
    ) as helper:
        yield helper
        assert helper.stdin is not None
        helper.stdin.close()


def killed(helper: subprocess.Popen[str], *args: object, errors: Path) -> None:
    """One pass with ``args`` in a forked child, which must die by SIGKILL (else its stderr,
    kept in ``errors``, says why not)."""
    assert helper.stdin is not None and helper.stdout is not None
    helper.stdin.write(json.dumps([*args, str(errors)]) + "\n")
    helper.stdin.flush()
    code = int(helper.stdout.readline())
    assert code == -9, errors.read_text(encoding="utf-8")  # killed by SIGKILL
