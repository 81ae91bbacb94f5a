"""Benchmark: how quickly a ``compliance-bot`` process starts (issue 91 item 4: ``--help`` under
0.3 CPU s, a quiet sweep's imports under 1 CPU s).

Bytecode compiled as installed (``_compile_bytecode``), every figure a fresh process:

* ``compliance-bot --help``, five times, its CPU seconds taken from outside
  (``getrusage(RUSAGE_CHILDREN)`` in a small wrapper process);
* a quiet ``compliance-bot sweep --no-send`` of a school of 300 staff (10,000 with
  ``COMPLIANCE_BOT_BENCH=full``) the morning after its first sweep: the process's CPU seconds,
  the seconds ``python -X importtime`` counts in its imports, and the CPU seconds a fresh
  process spends importing the same modules in the same order.

Run with ``uv run pytest -m benchmark -n 0 -s tests/benchmarks/test_startup_benchmark.py``.
Printed: the figures and the machine's conditions. Asserted (correctness only): ``--help``
answers and lists the commands; the sweeps succeed."""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

from tests.benchmarks.test_sweep_cli_benchmark import (
    _WRAPPER,
    FIRST,
    QUIET,
    SECRET,
    _cli,
    _compile_bytecode,
)
from tests.support.scale import bench_size, write_school

pytestmark = [pytest.mark.benchmark, pytest.mark.slow]

PEOPLE = bench_size(300, 10_000)
EXE = Path(sys.executable).with_name("compliance-bot")
# a fresh process importing, in order, the modules named on its standard input
_IMPORTS = """
import importlib, resource, sys
names = sys.stdin.read().split()
use = resource.getrusage(resource.RUSAGE_SELF)
start = use.ru_utime + use.ru_stime
for name in names:
    try:
        importlib.import_module(name)
    except Exception:
        pass
use = resource.getrusage(resource.RUSAGE_SELF)
print(use.ru_utime + use.ru_stime - start)
"""


def _help_seconds() -> float:
    import json

    out = subprocess.run(
        [sys.executable, "-c", _WRAPPER, str(EXE), "--help"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "COLUMNS": "120"},
    )
    figures = json.loads(out.stdout)
    assert figures["rc"] == 0, figures["stderr"]
    return float(figures["cpu"])


def test_startup(tmp_path: Path) -> None:
    _compile_bytecode()
    helps = [_help_seconds() for _ in range(5)]
    listed = subprocess.run([str(EXE), "--help"], capture_output=True, text=True, check=True)
    assert "sweep" in listed.stdout and "trust" in listed.stdout
    home = tmp_path / "school"
    db_url = f"sqlite:///{home / 'bot.db'}"
    write_school(home, PEOPLE)
    _cli(home, db_url, "migrate")
    _cli(home, db_url, "sweep", "--no-send", "--as-of", FIRST.isoformat())
    quiet = _cli(home, db_url, "sweep", "--no-send", "--as-of", QUIET.isoformat())
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPLIANCE_BOT_")}
    env.update(
        COMPLIANCE_BOT_HOME=str(home),
        COMPLIANCE_BOT_DATABASE_URL=db_url,
        COMPLIANCE_BOT_SECRET_KEY=SECRET,
        COLUMNS="120",
    )
    timed = subprocess.run(
        [
            sys.executable,
            "-X",
            "importtime",
            str(EXE),
            *("sweep", "--no-send", "--as-of"),
            str(QUIET),
        ],
        env=env,
        cwd=home,
        capture_output=True,
        text=True,
        check=True,
    )
    rows = re.findall(r"^import time:\s+\d+ \|\s+(\d+) \|( *)(\S+)$", timed.stderr, re.M)
    import_wall = sum(int(cumulative) for cumulative, indent, _ in rows if indent == " ") / 1e6
    names = [name for _, _, name in rows]
    assert "bot.engine.sweep" in names
    cpu = subprocess.run(
        [sys.executable, "-c", _IMPORTS],
        input=" ".join(names),
        capture_output=True,
        text=True,
        check=True,
        cwd=home,
        env=env,
    )
    print(
        f"\nBENCHMARK startup: --help {min(helps):.2f}-{max(helps):.2f} CPU s "
        f"(median {statistics.median(helps):.2f}, 5 processes); a quiet sweep of "
        f"{PEOPLE:,} staff {quiet.cpu:.2f} CPU s, {quiet.wall:.2f} s wall; its imports "
        f"{len(names)} modules, {import_wall:.2f} s by -X importtime, "
        f"{float(cpu.stdout):.2f} CPU s imported alone"
    )
