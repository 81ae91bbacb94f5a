"""Interactive ``init`` in a real terminal (a pseudo-terminal driven by pexpect): a bad row of
the staff list raised as soon as the file is read, the run killed half-way and continued with
``init --resume`` without asking anything twice, names typed without accents, the nation in
capitals. The process is the installed ``compliance-bot`` command, as a school runs it."""

from __future__ import annotations

import signal
from pathlib import Path

import pexpect
import pytest

from bot.core.config import load_config
from tests.support.mis_export import mis_export
from tests.support.newcomer import policy_folder, term_calendar
from tests.support.terminal import answer, asked, spawn

ASKED_BEFORE_THE_KILL = (
    "School name",
    "Nation",
    "an independent school",
    "Where do staff",
    "Web address",
    "Staff list",
    "Class Teacher",
    "Headteacher \\(name",
    "(?<!Depute )Child Protection Coordinator",
)


def _spawn(folder: Path, *args: str) -> pexpect.spawn:
    return spawn(["init", "--as-of", "2026-09-14", *args], cwd=folder)[0]


@pytest.mark.slow
def test_interactive_init_raises_bad_rows_at_once_and_resumes_without_asking_twice(
    tmp_path: Path,
) -> None:
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    _people, bad = mis_export(inputs / "staff.csv")
    policy_folder(inputs / "policies")
    term_calendar(inputs / "term-dates.ics")
    school = tmp_path / "school"
    school.mkdir()

    child = _spawn(school)
    answer(child, "School name", "Glenview Primary School")
    answer(child, "Nation", "Scotland")
    answer(child, "an independent school", "")
    answer(child, "Where do staff have their accounts", "")
    answer(child, "Web address staff will use", "")
    answer(child, "Staff list", str(inputs / "staff.csv"))
    # the bad rows are raised the moment the file is read, each naming its person
    child.expect("2 rows of staff.csv cannot be used")
    child.expect(f"line {bad['duplicate']} \\(Bob D'Arcy\\)")
    child.expect(f"line {bad['bad email']} \\(Fiona MacLeod\\): Work Email is missing")
    answer(child, "leave these rows out", "leave-out")
    child.expect(f"left out: 2 lines \\({bad['duplicate']}, {bad['bad email']}\\)")
    # the role table: a suggestion for each common title, confirmed by the school
    for title, suggested in (
        ("Class Teacher", "staff"),
        ("Cleaner", "none"),
        ("Governor", "governor"),
        ("Headteacher", "staff"),
        ("Office Manager", "staff"),
        ("Teaching Assistant", "staff"),
    ):
        answer(child, f"{title} \\(\\d (person|people)\\) →.*\\[{suggested}\\]", "")
    answer(child, "Headteacher \\(name or email\\)", "moira campbell")
    child.expect("→ Moira Campbell <moira.campbell@glenview.example>")
    # Scotland's words, from its nation pack: no DSL, no governors
    answer(child, "Child Protection Coordinator", "Siobhan")  # no accent typed
    child.expect("→ Siobhán Ní Bhriain <siobhan.nibhriain@glenview.example>")
    answer(child, "Child Protection Coordinator", "")
    child.expect("Depute Child Protection Coordinator")
    child.kill(signal.SIGKILL)  # the power cut, the closed laptop
    child.wait()
    saved = school / ".compliance-bot-answers.yaml"
    assert saved.is_file() and oct(saved.stat().st_mode & 0o777) == "0o600"
    assert not (school / ".compliance-bot" / "school.yaml").exists()

    child = _spawn(school, "--resume")
    child.expect("Continuing from the answers saved")
    # the first question is the one the run stopped at: nothing answered is asked again
    first = child.expect(
        [asked(q) for q in ("Depute Child Protection Coordinator", *ASKED_BEFORE_THE_KILL)]
    )
    assert first == 0, ASKED_BEFORE_THE_KILL[first - 1]
    child.sendline("")
    answer(child, "Data protection officer", "elspeth")
    child.expect("→ Elspeth Murray")
    # a clerk from a clerking service: not on the staff list, so their name is asked
    answer(child, "Clerk to the board", "Clerk@Clerking.example")
    answer(child, "clerk@clerking.example is not in staff.csv: their name", "Morag Bell")
    child.expect("→ Morag Bell <clerk@clerking.example> \\(from outside staff.csv")
    answer(child, "Chair of the board", "HAMISH REID")
    # who runs the bot day to day: asked, several allowed, each said back
    answer(child, "Who runs the bot day to day", "moira campbell")
    child.expect("→ Moira Campbell <moira.campbell@glenview.example>")
    answer(child, "Who runs the bot day to day", "")
    answer(child, "Term dates", str(inputs / "term-dates.ics"))
    answer(child, "Policy folder", str(inputs / "policies"))
    answer(child, "mobile-phones.md", "September 2027")
    while child.expect([asked("\\? \\[Y/n\\]"), asked("Manage settings on the web pages")]) == 0:
        child.sendline("")  # every template of the pack
    child.sendline("")
    child.expect("Who will owe what")
    child.expect("Safeguarding and child protection training: 6 people")
    answer(child, "Save this setup \\(preview begins\\)\\?", "")
    child.expect("Written")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    config = load_config(school / ".compliance-bot" / "school.yaml").school()
    assert config.country == "scotland"
    assert config.headteacher == "moira.campbell@glenview.example"
    assert config.dsl == ["siobhan.nibhriain@glenview.example"]
    assert config.job_titles["Cleaner"] == "none"
    assert config.clerk == "clerk@clerking.example"
    assert config.admins == ["moira.campbell@glenview.example"]
    assert not saved.exists()  # the answers live in school.yaml now
