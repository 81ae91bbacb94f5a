"""The demo school built once per test session and date, and copied for each module that reads it.

``build_demo`` simulates nine weeks of a school (setup, seven sweeps, people responding, reports):
the longest set-up of the browser modules. A module that serves the demo school as it stands on
a date, and then changes it (signs people in, files a report), gets its own copy of one build:
the first module of the session to ask for that date builds it into a folder shared by every
pytest-xdist worker (under a file lock, so two workers never build it at once), and every module
copies that folder. The school is its folder (a SQLite file, the policies, the staff list, the
settings and the key); nothing in it names the folder it was built in, so the copy is the same
school, byte for byte, as a build of its own.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from datetime import date
from pathlib import Path

import pytest
import time_machine
from filelock import FileLock

from bot.core.deployment.settings import DEMO_HOME, Settings
from bot.demo.builder import build_demo, demo_settings
from tests.support.helpers import at

__all__ = ["IN_TERM", "demo_school"]

# the day the browser modules' demo school stands on (a Wednesday in term): one build serves
# the accessibility walk and the dashboard's figures
IN_TERM = date(2026, 11, 18)


def _shared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's folder every xdist worker sees (a plain run: its own base folder)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def demo_school(tmp_path_factory: pytest.TempPathFactory, today: date) -> Settings:
    """A fresh copy of the demo school as ``build_demo`` leaves it on ``today`` (at 10:00,
    London), in a new folder of this module's; returns its settings."""
    built = _shared(tmp_path_factory) / f"demo-school-{today.isoformat()}"
    with FileLock(f"{built}.lock"):
        if not (built / DEMO_HOME / "README.txt").exists():  # the build's last file
            shutil.rmtree(built, ignore_errors=True)
            building = built.with_name(built.name + ".building")
            shutil.rmtree(building, ignore_errors=True)
            building.mkdir()
            with time_machine.travel(at(today, 10), tick=False):
                build_demo(building, today=today)
            building.rename(built)
    base = tmp_path_factory.mktemp("demo")
    shutil.copytree(built / DEMO_HOME, base / DEMO_HOME, ignore=shutil.ignore_patterns("*.db*"))
    for db in (built / DEMO_HOME).glob("*.db"):
        _copy_database(db, base / DEMO_HOME / db.name)
    return demo_settings(base)


def _copy_database(source: Path, target: Path) -> None:
    """SQLite's own copy (its backup API): the database as committed, its write-ahead log
    included, whatever connection the build left open."""
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
