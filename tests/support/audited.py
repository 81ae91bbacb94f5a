"""A school built once per backend for the ``audit verify`` tamper tests: its database, its
home, and the real command run on them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.main import app
from tests.conftest import _postgres_database
from tests.support.keys import TEST_SECRET

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@dataclass(frozen=True)
class Built:
    """The school's database and home."""

    url: str
    home: Path


@contextmanager
def database(backend: str, root: Path) -> Iterator[str]:
    """An empty database on ``backend`` (a file in ``root`` on SQLite), dropped afterwards on
    PostgreSQL."""
    urls = iter([f"sqlite:///{root / 'test.db'}"]) if backend == "sqlite" else _postgres_database()
    yield next(urls)
    for _ in urls:  # the PostgreSQL database is dropped
        pass


def verify(built: Built) -> str:
    """``compliance-bot audit verify`` on the built school: its exit code and words."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COMPLIANCE_BOT_HOME", str(built.home))
        mp.setenv("COMPLIANCE_BOT_DATABASE_URL", built.url)
        mp.setenv("COMPLIANCE_BOT_SECRET_KEY", TEST_SECRET)
        result = CliRunner().invoke(app, ["audit", "verify"])
    said = " ".join(result.output.split())
    return f"exit {result.exit_code}: {said}"
