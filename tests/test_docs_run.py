"""Every command the README and docs/ give a newcomer runs, as typed, on the demo school.

``tests/test_docs.py`` parses every command of every page; this runs them. The demo is made in
an empty folder (``demo --once`` on a fixed Monday), then each page's commands are run there in
the page's order, the way someone exploring it would, with the page's placeholders filled in
(``<email>``, ``ID``, ``FILE.csv``, ``DOC.docx``, ``KEY``, the fingerprint ``evidence`` printed,
a file for ``--file``). A command runs to its end (no traceback); it succeeds, or refuses with the
sentence it is expected to give in the demo's state. The few lines that cannot run here (a web
server, an interactive ``init``, another school's folder) are named, with why, so a new command
on a page is run or its reason written down.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import time_machine
from click.testing import Result
from typer.testing import CliRunner

from bot.cli.main import app
from tests.support.demo_run import DEMO_MONDAY, run_demo
from tests.support.helpers import at
from tests.support.paths import REPO
from tests.test_docs import _shell_commands

RUN = ["README.md", "docs/school.md", "docs/it.md"]
HEAD = "arthur.farrow@oakfield.example"
LEAVER = "theo.lowther@oakfield.example"  # left in the demo's history, holding the Facebook page
CORPUS = REPO.parent / "shared" / "corpus" / "spreadsheets"

# lines that cannot run in a test, and why (each still parsed by test_docs)
NOT_RUN = {
    "uv run compliance-bot demo": "serves the web UI until stopped (the demo is made with --once)",
    "compliance-bot init": "asks its questions at a terminal (the setup tests answer them)",
    "compliance-bot run": "serves the web pages and runs the scheduler until stopped",
    "uv run compliance-bot --help": "run by test_docs",
    "uv run compliance-bot directory move --school ID --to CONNECTION --map OLD=NEW --as "
    "YOUR_EMAIL": "the demo has one directory connection (tests/features/trust move schools)",
}

# what a command says when the demo's state gives it nothing to do (it exits non-zero)
REFUSES = {
    "outbox resolve": "was delivered",  # every demo message arrived
    "policies import": "not an interactive terminal",  # the document leaves a date to type
    "directory confirm-removals": "nothing to confirm",
    "directory confirm-leaver": "has already left",
    "policies confirm-date": "already confirmed",  # the demo's dates were all given
}


def _filled(line: str, made: dict[str, str]) -> list[str]:
    """The command's words with the page's placeholders replaced by the demo's own."""
    line = re.split(r" > ", line)[0]
    words = shlex.split(line)
    words = words[words.index("compliance-bot") + 1 :]
    fill = {
        "<email>": HEAD,
        "EMAIL": LEAVER if words[:2] == ["directory", "confirm-leaver"] else HEAD,
        "YOUR_EMAIL": HEAD,
        "ID": made.get("message", "1"),
        "FILE": "anchor.txt",
        "FILE.csv": "completions.csv",
        "DOC.docx": ".compliance-bot-demo/policies/staff-code-of-conduct.docx",
        "KEY": "staff-code-of-conduct",
    }
    words = [fill.get(word, word) for word in words]
    if "--fingerprint" in words:
        words[words.index("--fingerprint") + 1] = made["fingerprint"]
    return words


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("newcomer")
    run_demo(folder)
    # the files a newcomer would bring: completions as the README describes their columns, a
    # guidance document to register (any PDF: the command keeps its exact bytes), an SCR tracker
    (folder / "completions.csv").write_text(
        f"email,course,completed_on\n{HEAD},Online safety,2026-11-20\n", encoding="utf-8"
    )
    pdf = folder / ".compliance-bot-demo" / "policies" / "mobile-phones.pdf"
    shutil.copy(pdf, folder / "kcsie-2026-part-one.pdf")
    tracker = CORPUS / "scr.5-dbs-date.libreoffice.xlsx"
    if tracker.exists():
        shutil.copy(tracker, folder / "scr.xlsx")
    yield folder


def _run(folder: Path, words: list[str]) -> Result:
    old = Path.cwd()
    os.chdir(folder)
    try:
        with time_machine.travel(at(DEMO_MONDAY, 11), tick=False):
            return CliRunner().invoke(app, words, env={"COLUMNS": "200"})
    finally:
        os.chdir(old)


@pytest.mark.slow
@pytest.mark.parametrize("page", RUN)
def test_every_command_of_the_page_runs_on_the_demo_school(page: str, demo: Path) -> None:
    lines = _shell_commands(REPO / page)
    made: dict[str, str] = {}
    outbox = _run(demo, ["outbox"])
    made["message"] = re.findall(r"│ (\d+) +│", outbox.output)[0]
    ran = 0
    for line in lines:
        if line in NOT_RUN:
            continue
        words = _filled(line, made)
        if words[:2] == ["scr", "import"] and not (demo / "scr.xlsx").exists():
            pytest.skip("../shared/corpus is not beside the repository")
        result = _run(demo, words)
        said = result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            f"{page}: {line!r} failed:\n{said}"
        )
        refusal = next((s for c, s in REFUSES.items() if " ".join(words).startswith(c)), None)
        if refusal:
            assert result.exit_code != 0 and refusal in " ".join(said.split()), (line, said)
        else:
            assert result.exit_code == 0, f"{page}: {line!r} exited {result.exit_code}:\n{said}"
        if words[0] == "evidence" and "--out" in words:
            made["fingerprint"] = re.findall(r"Key fingerprint: ([0-9a-f ]+)", said)[0].strip()
        ran += 1
    assert ran, page


def test_every_line_not_run_is_on_a_page() -> None:
    given = {line for page in RUN for line in _shell_commands(REPO / page)}
    assert set(NOT_RUN) <= given, set(NOT_RUN) - given
