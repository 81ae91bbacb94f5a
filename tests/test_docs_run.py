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
from datetime import date
from pathlib import Path

import pytest
import time_machine
from typer.testing import CliRunner, Result

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


def _answers_example() -> str:
    """The answers file docs/school.md shows a school scripting its install."""
    page = (REPO / "docs" / "school.md").read_text(encoding="utf-8")
    found = re.search(r"A scripted install answers.*?```yaml\n(.*?)```", page, re.S)
    assert found, "docs/school.md no longer shows an answers file"
    return found.group(1)


def _the_files_it_names(folder: Path) -> None:
    """What the example points at, as the school would have it: the MIS's staff list (the
    people and posts the example names, line 41 the row it leaves out), the policy folder with
    the mobile phones policy and the DfE's KCSIE Part one as a PDF whose first line is no
    policy title, and the local authority's term dates as an iCalendar file."""
    from fpdf import FPDF
    from icalendar import Calendar, Event

    rows = [
        "email,name,job_title,manager_email",
        "ada.ashby@hillside.example,Ada Ashby,Headteacher,",
        "tess.eames@hillside.example,Tess Eames,Clerk to Governors,ada.ashby@hillside.example",
        "gil.grey@hillside.example,Gil Grey,Governor,",
    ]
    for n in range(36):
        post = "Class Teacher" if n % 2 else "Teaching Assistant"
        rows.append(f"t{n}@hillside.example,Tam{chr(97 + n % 26)} Teacher{n},{post},")
    rows.append("no email here,,Cleaner,")  # line 41: left out on purpose
    (folder / "staff.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    policies = folder / "policies"
    policies.mkdir()
    (policies / "mobile-phones.md").write_text(
        "# Mobile phones policy\n\nApproved by the Full Governing Body on 10 September 2026.\n",
        encoding="utf-8",
    )
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=14)
    for line in ("Keeping children safe in education 2026", "Part one", "Statutory guidance"):
        pdf.multi_cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(policies / "kcsie-2026-part-1.pdf"))
    calendar = Calendar()
    calendar.add("prodid", "-//A local authority//Term dates//EN")
    calendar.add("version", "2.0")
    for name, start, end in (
        ("Autumn term", date(2026, 9, 1), date(2026, 12, 19)),
        ("Spring term", date(2027, 1, 4), date(2027, 3, 27)),
        ("Summer term", date(2027, 4, 12), date(2027, 7, 22)),
    ):
        event = Event()
        event.add("summary", name)
        event.add("dtstart", start)
        event.add("dtend", end)
        event.add("uid", f"{name}@la.example")
        calendar.add_component(event)
    (folder / "term-dates.ics").write_bytes(calendar.to_ical())


@pytest.mark.slow
def test_the_answers_file_the_school_page_shows_sets_a_school_up(tmp_path: Path) -> None:
    """A newcomer copies docs/school.md's answers file, points it at their files, and runs
    ``init --answers``: the school is set up, the KCSIE PDF the file names under ``editions``
    is registered as the reading's edition (never asked a policy's questions), and nothing
    else of the folder is taken for guidance."""
    (tmp_path / "answers.yaml").write_text(_answers_example(), encoding="utf-8")
    _the_files_it_names(tmp_path)
    result = _run(tmp_path, ["init", "--answers", "answers.yaml"])
    said = " ".join(result.output.split())
    assert result.exit_code == 0, result.output
    assert "line 41 of staff.csv left out, as you chose" in said
    assert "kcsie-2026-part-1.pdf.title" not in said and "Nothing was set up" not in said
    school = (tmp_path / ".compliance-bot" / "school.yaml").read_text(encoding="utf-8")
    assert "mobile-phones" in school and "kcsie-2026-part-1.pdf" not in school
    editions = _run(tmp_path, ["campaign", "list"])
    assert "part-1: edition 2026" in " ".join(editions.output.split()), editions.output
