"""init's policy folder asks instead of guessing (#30 item 5): a Word and a PDF copy of one
document are raised whatever questions they leave, and a document naming another school or
another DSL is pointed out; a version the document does not state is never invented. An
interactive init reads each document once, and again only when it changes."""

from __future__ import annotations

import textwrap
from datetime import date
from pathlib import Path

import docx
import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas
from typer.testing import CliRunner

from bot.cli.main import app
from bot.core.deployment.settings import Settings
from bot.features.setup import policy_folder as folder_reader
from bot.features.setup.answers import load_answers
from bot.features.setup.policy_folder import FolderReads, read_policy_folder
from bot.features.setup.school_setup import draft_setup
from tests.support.newcomer import answers_file, policy_folder, staff_csv, term_calendar

WIDE = {"COLUMNS": "300"}
# no title line, no review date: each copy leaves questions
TWIN = ["Hillside Primary School", "Approved by: FGB",
        "Children are collected only by adults their parents have named to the office, and "
        "staff check the name against the list before a child leaves the site.",
        "A child who is not collected is cared for in the office until someone comes."]  # fmt: skip
ELSEWHERE = ["Oakfield Primary School", "Anti-Bullying Policy", "Approved by: FGB",
             "Date ratified: 1 March 2026", "Next review: March 2027",
             "Designated Safeguarding Lead: Mrs Wendy Elsewhere",
             "Bullying is never tolerated; every report is recorded and followed up."]  # fmt: skip


def _pdf(path: Path, lines: list[str]) -> None:
    pdf = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    y = 800
    for line in lines:
        for part in textwrap.wrap(line, 90):
            pdf.drawString(40, y, part)
            y -= 16
    pdf.save()


def _inputs(folder: Path) -> Path:
    folder.mkdir()
    rows = staff_csv(folder / "staff.csv")
    policy_folder(folder / "policies")
    term_calendar(folder / "term-dates.ics")
    word = docx.Document()
    for line in TWIN:
        word.add_paragraph(line)
    word.save(str(folder / "policies" / "collection.docx"))
    _pdf(folder / "policies" / "collection.pdf", TWIN)
    (folder / "policies" / "anti-bullying.md").write_text("\n\n".join(ELSEWHERE), encoding="utf-8")
    return answers_file(folder / "answers.yaml", rows)


def test_word_and_pdf_copies_with_questions_and_another_school_are_raised(tmp_path: Path) -> None:
    answers = _inputs(tmp_path / "inputs")
    draft = draft_setup(Settings(home=tmp_path / "home"), load_answers(answers))
    problems = " ".join(map(str, draft.problems))
    assert (
        "policies: collection.docx and collection.pdf are the same document (a copy in "
        "another format); keep one of them in the folder"
    ) in problems
    assert "policy_answers.collection.docx.title: the document does not say" in problems
    elsewhere = next(p for p in draft.policies if p.path.name == "anti-bullying.md")
    assert elsewhere.checks[0] == (
        "This document names Oakfield Primary School, not Hillside Primary School — check it "
        "is yours"
    )
    assert elsewhere.checks[1].startswith("This document names Mrs Wendy Elsewhere as the DSL")
    # the school's own documents raise nothing
    assert not next(p for p in draft.policies if p.path.name == "child-protection.docx").checks
    # no version stated: the label staff will see is dated, never a number
    assert elsewhere.entry(date(2026, 3, 16))["version"] == "adopted 1 March 2026"

    result = CliRunner().invoke(app, ["init", "--answers", str(answers)], env=WIDE)
    assert result.exit_code == 2, result.output
    out = " ".join(result.output.split())
    assert "collection.docx and collection.pdf are the same document" in out


def test_init_reads_each_document_once_and_again_when_its_bytes_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "policies"
    policy_folder(folder)
    plain = read_policy_folder(folder)
    read: list[str] = []  # each document the importer was handed (the real importer)
    importer = folder_reader.read_intake
    monkeypatch.setattr(
        folder_reader,
        "read_intake",
        lambda path, kind: read.append(path.name) or importer(path, kind),
    )
    reads = FolderReads()
    first = reads.read(folder)
    assert first == plain
    assert first[0].answer("title", "Our Policy") is None  # an answer given to one copy
    assert reads.read(folder) == plain  # is not in the next
    assert read == [p.path.name for p in plain]  # each document read once
    (folder / "mobile-phones.md").write_text(
        "# Mobile Phones Policy\n\nApproved by: FGB\n\nNext review: July 2027\n", encoding="utf-8"
    )
    (folder / "social-media-aup.md").unlink()
    (folder / "visitors.md").write_text("# Visitors Policy\n\nApproved by: FGB\n", encoding="utf-8")
    again = reads.read(folder)
    assert read[len(plain) :] == ["mobile-phones.md", "visitors.md"]  # the changed, the new
    monkeypatch.undo()
    assert again == read_policy_folder(folder)  # as a read afresh sees the folder now


def test_a_resumed_init_gives_the_saved_answers_to_their_documents_before_the_pack(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Answers saved before a stop are the documents' again on ``--resume``: the pack offered
    follows the titles the school gave, and nothing answered is asked again."""
    from bot.features.setup import prompts
    from bot.features.setup.answers import Progress

    folder = tmp_path / "policies"
    folder.mkdir()
    untitled = ["Approved by: FGB", "Staff and pupils use the internet safely; filtering is "
                "checked every term and concerns go to the DSL."]  # fmt: skip
    (folder / "scan-0042.md").write_text("\n\n".join(untitled), encoding="utf-8")
    progress = Progress(tmp_path / "answers.yaml", {"school": {"country": "england"}})
    progress.put(("policy_answers", "scan-0042.md", "title"), "Online Safety Policy")
    progress.put(("policy_answers", "scan-0042.md", "next_review"), "September 2027")
    [item] = read_policy_folder(folder)
    assert item.questions == ["title", "next_review"]  # the document leaves both

    def asked(*_: object, **__: object) -> str:
        raise AssertionError("a saved answer was asked again")

    offered: list[str] = []
    monkeypatch.setattr(prompts.typer, "prompt", asked)
    monkeypatch.setattr(prompts, "confirm", lambda text, default: offered.append(text) or True)
    prompts._policy_questions(progress, folder, [], read_policy_folder)
    assert any("online safety policy" in text for text in offered), offered
    assert "ack-online-safety" in progress.get(("requirements",))
