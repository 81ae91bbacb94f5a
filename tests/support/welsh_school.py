"""A Welsh-medium school on a fixed Monday, for the Welsh command-line sets (q, u, v): the
module's fixtures (import them into the test module by name) and a command run in a language."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
import time_machine

from tests.features.decisions.test_support import Env, make_env
from tests.support.helpers import SchoolBuilder, at

TODAY = date(2026, 11, 23)


@pytest.fixture(scope="module", autouse=True)
def _monday() -> Iterator[None]:
    with time_machine.travel(at(TODAY, 10), tick=True):
        yield


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, _monday: None) -> Iterator[Env]:
    """A Welsh-medium school (its staff as the support's directory)."""
    made = make_env(
        SchoolBuilder(tmp_path_factory.mktemp("cy") / "school"), country="wales", language="cy"
    )
    yield made
    made.context.store.dispose()


def run(env: Env, monkeypatch: pytest.MonkeyPatch, language: str, *args: str) -> tuple[int, str]:
    """The command run for the school with ``language:`` set to ``language``; its output with
    each run of spaces (rich's wrapping) one space."""
    from typer.testing import CliRunner

    from bot.cli.main import app

    env.builder.school["language"] = language
    env.builder.write()
    monkeypatch.setenv("COMPLIANCE_BOT_HOME", str(env.builder.home))
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, " ".join(result.output.split())
