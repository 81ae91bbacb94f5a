"""Import that asks instead of guessing (#30 item 5): the document's own title (a numbered first
heading too), never a sub-heading; a version only as the document states it; every review-date
wording; one policy from a Word and a PDF copy whatever questions they raise; another school's
name pointed out; a scanned PDF registered from typed details."""

from __future__ import annotations

import io
import shutil
import subprocess
import textwrap
from pathlib import Path

import docx
import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas
from sqlalchemy import select

from bot.core.deployment.context import AppContext
from bot.core.language.words import version_name
from bot.core.models import Policy
from bot.features.policies.importer import (
    FuzzyDate,
    extract_from_lines,
    extract_policy,
    not_ours,
    same_document,
)
from tests.conftest import _missing
from tests.features.policies.test_cli import TODAY, _json, _run, home

__all__ = ["home"]  # the CLI tests' school, used here too

BODY = [
    "Everyone at the school keeps children safe online and tells the designated safeguarding "
    "lead at once when something about a child or an adult worries them.",
    "Staff use the school's systems for school work only and never share their passwords.",
    "Pupils learn to use the internet safely in every year group, and parents are told how.",
]


def _docx(path: Path, lines: list[str], *, heading: int | None = None) -> Path:
    document = docx.Document()
    for number, line in enumerate(lines):
        if number == heading:
            document.add_heading(line, level=1)
        else:
            document.add_paragraph(line)
    document.save(str(path))
    return path


def _pdf(path: Path, lines: list[str]) -> Path:
    pdf = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    y = 800
    for line in lines:
        for part in textwrap.wrap(line, 90):
            pdf.drawString(40, y, part)
            y -= 16
    pdf.save()
    return path


def _scanned_pdf(path: Path) -> Path:
    """Only shapes on the page: no text layer, as a scanner makes."""
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4, invariant=1)
    for row in range(25):
        pdf.rect(40, 780 - row * 28, 420 - row * 9, 11, fill=1)
    pdf.save()
    path.write_bytes(out.getvalue())
    return path


# --------------------------------------------------------------------------- the importer


def test_a_numbered_first_heading_is_the_title(tmp_path: Path) -> None:
    path = _docx(
        tmp_path / "e-safety.docx",
        ["1. Online Safety Policy", "1.1 Introduction", *BODY],
        heading=0,
    )
    imported = extract_policy(path)
    assert imported.title is not None and imported.title.value == "Online Safety Policy"
    assert imported.title.line == 1 and "number '1.'" in (imported.title.note or "")
    # a numbered section further down is still never a title
    later = extract_from_lines(["Contents", "2. Safeguarding Procedures", *BODY], "x.txt")
    assert later.title is None or later.title.value != "Safeguarding Procedures"


NUMBERED_TITLES = {  # the first line as a school numbers it -> the title a reader calls it
    "1. Mobile devices, smartwatches and cameras": "Mobile devices, smartwatches and cameras",
    "1.0 Photography and Images of Children": "Photography and Images of Children",
    "Section 2: Remote learning and live lessons": "Remote learning and live lessons",
    "B. Staff use of social media": "Staff use of social media",
    "IV. Filtering and monitoring": "Filtering and monitoring",
    "3) Use of the school mobile phone": "Use of the school mobile phone",
}


@pytest.fixture(scope="module")
def numbered_documents(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    """Each numbered first line as a school's file: typed (.txt), a Word file with the line as
    its first heading (python-docx), and that Word file saved as PDF by LibreOffice (one run
    for them all)."""
    folder = tmp_path_factory.mktemp("numbered")
    made: dict[str, list[Path]] = {}
    for number, line in enumerate(NUMBERED_TITLES):
        lines = ["Weald Vale Primary School", line, f"{line[:2]}1 Who this is for", *BODY]
        text = folder / f"policy{number}.txt"
        text.write_text("\n".join(lines) + "\n", encoding="utf-8")
        made[line] = [text, _docx(folder / f"policy{number}.docx", lines, heading=1)]
    if shutil.which("soffice") is None:
        _missing("LibreOffice is not installed here")
    profile = (folder / "lo-profile").as_uri()
    subprocess.run(
        ["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
         "--outdir", str(folder), *(str(paths[1]) for paths in made.values())],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    for paths in made.values():
        paths.append(paths[1].with_suffix(".pdf"))
    return made


@pytest.mark.parametrize("line", list(NUMBERED_TITLES))
def test_a_numbered_first_line_is_the_title_with_its_number_left_out(
    numbered_documents: dict[str, list[Path]], line: str
) -> None:
    """A policy whose first line (after the school's name) is numbered as its sections are
    ("1. Mobile devices, smartwatches and cameras") is called by that line, its number left
    out, in a typed file, a Word file and a PDF alike, though it names no "policy"; a numbered
    section further down ("1.1 Who this is for") never is."""
    for path in numbered_documents[line]:
        imported = extract_policy(path)
        assert imported.title is not None, (path.name, imported.missing)
        assert imported.title.value == NUMBERED_TITLES[line], path.name
        assert "before it left out" in (imported.title.note or ""), path.name
    for section in ("1. Introduction", "2. Purpose", "1.1 Scope"):  # still no title
        found = extract_from_lines(["Weald Vale Primary School", section, *BODY], "x.txt")
        assert found.title is None, section


def test_a_sub_heading_is_never_the_title_it_is_asked_about(tmp_path: Path) -> None:
    lines = ["Oak Test School", *BODY * 4, "# Procedures", "Staff report at once."]
    imported = extract_from_lines(lines, "folder.md")
    assert imported.title is None and imported.title_guess is None
    assert imported.missing[0].startswith("title: not stated in the document")
    # a first heading that names no policy is only offered, to be confirmed
    lines[-2] = "# Keeping Everyone Safe"
    guessed = extract_from_lines(lines, "folder.md")
    assert guessed.title is None
    assert guessed.title_guess is not None and guessed.title_guess.value == "Keeping Everyone Safe"
    assert guessed.missing[0].startswith(
        "title: not clear from the document — is it 'Keeping Everyone Safe'?"
    )
    # the properties' title is the document's own
    path = _docx(tmp_path / "scan-copy.docx", ["Oak Test School", *BODY, "Procedures"], heading=4)
    document = docx.Document(str(path))
    document.core_properties.title = "Intimate Care Policy"
    document.save(str(path))
    assert extract_policy(path).title.value == "Intimate Care Policy"  # type: ignore[union-attr]


@pytest.mark.parametrize("label, field", [
    ("Latest Review November 2025", "last_reviewed"),
    ("Reviewed: 3 November 2025", "last_reviewed"),
    ("Date of last review: 3 November 2025", "last_reviewed"),
    ("Last reviewed 3 November 2025", "last_reviewed"),
    ("Most recent review: November 2025", "last_reviewed"),
    ("Review date: November 2026", "next_review"),
    ("Next review November 2026", "next_review"),
    ("Date of next review: 3 November 2026", "next_review"),
    ("Approved by governors on 12 March 2026", "ratified"),
    ("Adopted by the Full Governing Body: 12 March 2026", "ratified"),
])  # fmt: skip
def test_every_stated_date_wording_is_read(label: str, field: str) -> None:
    imported = extract_from_lines(["Online Safety Policy", label, *BODY], "x.txt")
    found = getattr(imported, field)
    assert found is not None and found.how == "text", label
    if "November 2025" in label and "3 " not in label:
        assert found.value == FuzzyDate(2025, 11)  # the month only: no day invented


def test_a_version_is_only_what_the_document_states() -> None:
    stated = extract_from_lines(["Online Safety Policy", "Version 3.2", *BODY], "x.txt")
    assert stated.version is not None and stated.version.value == "3.2"
    assert extract_from_lines(["Online Safety Policy", *BODY], "x.txt").version is None
    assert version_name("3.2") == "version 3.2"
    assert version_name("adopted 12 November 2026", start=True) == "Adopted 12 November 2026"


def test_word_and_pdf_copies_are_the_same_document(tmp_path: Path) -> None:
    lines = ["Oak Test School", *BODY, "Approved by: FGB"]  # no title, no dates: questions
    word = extract_policy(_docx(tmp_path / "p.docx", lines))
    pdf = extract_policy(_pdf(tmp_path / "p.pdf", lines))
    assert word.missing and pdf.missing
    assert same_document(word, pdf)
    other = extract_policy(
        _pdf(
            tmp_path / "q.pdf",
            ["Oak Test School", "Behaviour Policy", "Be kind, and tell an adult if worried."],
        )
    )
    assert not same_document(word, other)


def test_another_school_or_dsl_is_pointed_out() -> None:
    imported = extract_from_lines(
        [
            "Oakfield Primary School",
            "Online Safety Policy",
            "Designated Safeguarding Lead: Mrs Jane Smith",
            *BODY,
        ],
        "x.txt",
    )
    assert not_ours(imported, "Oakfield Primary", ["Jane Smith"]) == []
    checks = not_ours(imported, "Oak Test School", ["Dana Dale"])
    assert checks == [
        "This document names Oakfield Primary School, not Oak Test School — check it is yours",
        "This document names Mrs Jane Smith as the DSL, not Dana Dale — check it is yours",
    ]


# --------------------------------------------------------------------------- policies import


def test_import_asks_about_a_sub_heading_title_and_never_invents_a_version(
    home: AppContext, tmp_path: Path
) -> None:
    lines = [
        "Oak Test School",
        *BODY * 4,
        "# Procedures",
        "# Keeping Everyone Safe",
        "Approved by: FGB",
        "Date ratified: 12 March 2026",
    ]
    path = tmp_path / "folder-copy.md"
    path.write_text("\n\n".join(lines), encoding="utf-8")
    refused = _json(_run("policies", "import", str(path), "--json", "--yes"))["files"][0]
    assert not refused["stored"]
    assert refused["refused"].startswith("not stored: title not clear from the document")
    assert any(m.startswith("title: not clear") for m in refused["missing"])
    assert refused["found"]["title_guess"]["value"] == "Keeping Everyone Safe"

    answered = _run(
        "policies",
        "import",
        str(path),
        "--json",
        "--yes",
        "--title",
        "Intimate Care Policy",
        "--as-of",
        TODAY.isoformat(),
    )
    entry = _json(answered)["files"][0]
    assert answered.exit_code == 0 and entry["stored"], answered.output
    assert entry["version"] == "adopted 12 March 2026"
    assert any("version: not stated in the document" in n for n in entry["notes"])
    with home.store.session() as session:
        policy = session.scalar(select(Policy).where(Policy.key == "intimate-care"))
        assert policy is not None and policy.current_version is not None
        assert policy.current_version.label == "adopted 12 March 2026"
        assert "(adopted 12 March 2026)" in policy.current_version.statement
        assert "version adopted" not in policy.current_version.statement


def test_import_stores_word_and_pdf_copies_once_and_points_out_another_school(
    home: AppContext, tmp_path: Path
) -> None:
    lines = [
        "Oakfield Primary School",
        "Online Safety Policy",
        "Approved by: FGB",
        "Latest Review November 2025",
        *BODY,
    ]
    word = _docx(tmp_path / "online-safety.docx", lines)
    pdf = _pdf(tmp_path / "online-safety.pdf", lines)
    result = _run(
        "policies", "import", str(word), str(pdf), "--json", "--yes", "--as-of", TODAY.isoformat()
    )
    data = _json(result)
    assert result.exit_code == 0, result.output
    first, second = data["files"]
    assert first["stored"] and not second["stored"]
    assert second["same_as"] == "online-safety.docx"
    assert first["checks"] == [
        "This document names Oakfield Primary School, not Oak Test School — check it is yours"
    ]
    assert first["found"]["last_reviewed"]["value"] == "2025-11"
    assert first["version"] == "reviewed November 2025"
    assert "1 copy of another document, not stored again" in data["summary"]
    # the PDF on its own later: a copy of the version the register holds
    again = _json(_run("policies", "import", str(pdf), "--json", "--yes"))["files"][0]
    assert not again["stored"] and again["same_as"].startswith("online-safety.docx")
    with home.store.session() as session:
        policy = session.scalar(select(Policy).where(Policy.key == "online-safety"))
        assert policy is not None and len(policy.versions) == 1


def test_a_scanned_pdf_is_registered_from_typed_details(home: AppContext, tmp_path: Path) -> None:
    scan = _scanned_pdf(tmp_path / "safeguarding-scan.pdf")
    refused = _run("policies", "import", str(scan), "--json", "--yes")
    entry = _json(refused)["files"][0]
    assert refused.exit_code == 1 and "no text to read" in entry["error"]
    assert "--title" in entry["error"]
    bad = _json(
        _run(
            "policies",
            "import",
            str(scan),
            "--json",
            "--yes",
            "--title",
            "Child Protection Policy",
            "--adopted",
            "someday",
        )
    )["files"][0]
    assert "--adopted 'someday' is not a date" in bad["error"]
    stored = _run(
        "policies",
        "import",
        str(scan),
        "--json",
        "--yes",
        "--title",
        "Child Protection Policy",
        "--adopted",
        "12 November 2026",
        "--next-review",
        "November 2027",
        "--approved-by",
        "FGB",
        "--as-of",
        TODAY.isoformat(),
    )
    entry = _json(stored)["files"][0]
    assert stored.exit_code == 0 and entry["stored"], stored.output
    assert entry["found"]["title"] == {
        "value": "Child Protection Policy",
        "how": "typed",
        "line": None,
        "snippet": None,
        "note": "typed in",
    }
    assert entry["version"] == "adopted 12 November 2026"
    assert entry["next_review_stored"] == "2027-11-30"
    with home.store.session() as session:
        policy = session.scalar(select(Policy).where(Policy.key == "child-protection"))
        assert policy is not None and policy.current_version is not None
        assert policy.current_version.document == scan.read_bytes()
        assert policy.current_version.document_name == "safeguarding-scan.pdf"
