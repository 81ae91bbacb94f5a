"""A checking child (``bot.core.files.contained``) imports nothing its program's main module
imports:
the forkserver has them already. CPython 3.11's forkserver ignores "__main__" in its preload,
and every child of ``compliance-bot`` imported the whole CLI again (~0.4 s of CPU per file)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

MARKER = """import os
with open(os.environ["IMPORTED_BY"], "a", encoding="utf-8") as log:
    log.write(f"{os.getpid()}\\n")
"""
# a program whose main module imports its own modules, as the ``compliance-bot`` script does
PROGRAM = """import marker
from bot.core.files.contained import run_contained

if __name__ == "__main__":
    for _ in range(3):
        assert run_contained(len, b"abc") == 3
"""


def test_a_checking_child_finds_the_main_modules_imports_done(tmp_path: Path) -> None:
    (tmp_path / "marker.py").write_text(MARKER, encoding="utf-8")
    (tmp_path / "program.py").write_text(PROGRAM, encoding="utf-8")
    log = tmp_path / "imported-by.txt"
    root = str(Path(__file__).resolve().parents[2])
    subprocess.run(
        [sys.executable, str(tmp_path / "program.py")],
        cwd=tmp_path,
        env={**os.environ, "IMPORTED_BY": str(log), "PYTHONPATH": root},
        check=True,
        timeout=600,
    )
    # the program and its forkserver: not the three children
    assert len(set(log.read_text(encoding="utf-8").split())) == 2
