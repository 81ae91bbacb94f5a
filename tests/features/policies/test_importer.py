"""Tests for bot.features.policies.importer: reading documents and extracting policy facts with
provenance."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import date
from pathlib import Path
from typing import Any

import docx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from bot.features.policies.importer import (
    Found,
    FuzzyDate,
    ImportedPolicy,
    PolicyImportError,
    extract_from_lines,
    extract_policy,
)
from bot.features.policies.importer.dates import derive_next_review, find_dates
from bot.features.policies.importer.lines import SNIPPET_MAX
from bot.features.policies.importer.reading import read_document
from tests.support.paths import FIXTURES as SUPPORT_FIXTURES


def parse_date(text: str) -> FuzzyDate | None:
    """The first possible date ``find_dates`` finds in ``text``, or None."""
    return next((match.date for match in find_dates(text) if match.date is not None), None)


FIXTURES = SUPPORT_FIXTURES / "policy_docs"


def sha(name: str) -> str:
    """sha256 of a name, lowercased with single spaces."""
    return hashlib.sha256(" ".join(name.lower().split()).encode()).hexdigest()


def values(found: list[Found[str]]) -> list[str]:
    return [item.value for item in found]


def iso(found: Found[FuzzyDate] | None) -> str | None:
    return None if found is None else found.value.isoformat()


def text_found(policy: ImportedPolicy) -> list[Found[Any]]:
    """Every value the extraction says it found in the text."""
    flat: list[Any] = []
    for item in (getattr(policy, field.name) for field in dataclasses.fields(policy)):
        flat.extend(item if isinstance(item, list) else [item])
    return [item for item in flat if isinstance(item, Found) and item.how == "text"]


# --------------------------------------------------------------------------------------------
# The three real documents. People's names are asserted as sha256 hashes of the normalised
# name so that the repository holds no personal data and copies no text from the documents.

REAL_EXPECTED: dict[str, dict[str, Any]] = {
    "hildenborough-mobile-social-media-2024.txt": {
        "title": "Mobile, Smart Technology and Social Media Policy",
        "school": "Hildenborough Church of England Primary School",
        "written": ("2024-09", 11),  # the unlabelled date under the title
        "last_reviewed": ("2023-09", 15),
        "ratified": ("2024-09-25", 21),
        "next_review": ("2025-09", 17, "text"),
        "approving_body": ("Full Governing Body", 19),
        "review_cycle_months": (12, "text"),
        "dsl": ["c68ed4136da105dfd7847aa633e591e7f1dc1ba190d9dea856ead6d76d9a444c"],
        "deputy_dsls": [],
        "named_governors": [],
        "official_channels": {
            "Facebook",
            "Instagram",
            "Tapestry",
            "School website",
            "School mobile phone",
        },
        "linked_policies": {
            "Acceptable Use Policy",
            "Social Media Acceptable Use Policy",
            "Remote Learning AUP",
            "Child Protection Policy",
            "Anti-bullying Policy",
            "Behaviour Policy",
            "Allegations Policy",
            "Image Use Policy",
            "Code of Conduct",
            "Confidentiality Policy",
            "Data Protection Policy",
            "Data Security Policy",
            "Complaints Procedure",
            "Whistleblowing Procedure",
            "Curriculum policies",
            # "Mobile and Smart technology (part A of this policy)" is the policy itself
        },
        "missing": [],
    },
    "rainbow-preschool-mobile-social-media.md": {
        "title": "Mobile Technology and Social Media Policy",
        "school": "Rainbow Pre-school",
        "written": None,
        "last_reviewed": None,
        "ratified": None,
        "next_review": None,
        "approving_body": None,
        "review_cycle_months": (12, "text"),
        "dsl": ["fb876c55dd318debaf7d23db380ab72b4067c948c36fa31cd40e42884fb61bd0"],
        "deputy_dsls": [
            "f6fa9bfff961ce094e715b36e6196a183697f9a7c97f49451b0ec6433b27c056",
            "06656ba9b0efa08bdfbe0753bf228e551f581b6487fd264e58730c3aadbe35ec",
        ],
        # The pre-school's "committee member with lead responsibility".
        "named_governors": ["cdb3ebb9d6d9af68513e683e8721452b7c14676c05640a910282e49cb862f447"],
        "official_channels": {"Facebook", "Instagram", "School website", "School mobile phone"},
        "linked_policies": {
            "Acceptable Use Policy",
            "Social Media Acceptable Use Policy",
            "Child Protection Policy",
            "Anti-bullying Policy",
            "Behaviour Policy",
            "Allegations Policy",
            "Image Use Policy",
            "Code of Conduct",
            "Confidentiality Policy",
            "Data Protection Policy",
            "Data Security Policy",
            "Online Safety Policy",
            "Complaints Procedure",
            "Whistleblowing Procedure",
        },
        "missing": ["next review date", "approving body"],
    },
    "st-james-online-safety-2020.md": {
        "title": "Online Safety: Mobile Technology and Social Media Policy",
        "school": "St James' CE Primary School",
        "written": ("2020-09", 15),
        "last_reviewed": None,
        "ratified": ("2020-09", 17),
        "next_review": ("2021-09", 19, "text"),
        "approving_body": ("Governing Body", 17),
        "review_cycle_months": (12, "text"),
        "dsl": ["52e4437a85efe1644379b2348b6e539b159c117bb229206a5b5bf2d0821280a3"],
        "deputy_dsls": [],
        "named_governors": [
            "e106ee929f7d96e3f77efe6deb85c5452b4415ef3a8ba67868eb829d8bcac01a",
            "7f9f0b8ef72afc353d08a7bd894adfc6f06389c8042554badf95da00d72ebcd4",
        ],
        # The social media accounts it names are the PTA's, not the school's.
        "official_channels": {"School mobile phone"},
        "linked_policies": {
            "Acceptable Use Policy",
            "Remote Learning AUP",
            "Child Protection Policy",
            "Anti-bullying Policy",
            "Behaviour Policy",
            "Allegations Policy",
            "Image Use Policy",
            "Code of Conduct",
            "Staff Discipline Policy",
            "Confidentiality Policy",
            "Data Protection Policy",
            "Data Security Policy",
            "Searching, Screening and Confiscation Policy",
            "RSE Policy",
            "Complaints Procedure",
            "Whistleblowing Procedure",
            "Curriculum policies",
        },
        "missing": [],
    },
}


def assert_date(found: Found[FuzzyDate] | None, expected: tuple[Any, ...] | None) -> None:
    if expected is None:
        assert found is None
        return
    assert found is not None
    assert found.value.isoformat() == expected[0]
    assert found.line == expected[1]
    assert found.how == (expected[2] if len(expected) > 2 else "text")


@pytest.mark.parametrize("name", sorted(REAL_EXPECTED))
def test_real_document_facts(shared_policies: Path, name: str) -> None:
    expected = REAL_EXPECTED[name]
    policy = extract_policy(shared_policies / name)

    assert policy.source == name
    assert policy.title is not None and policy.title.value == expected["title"]
    assert policy.school is not None and policy.school.value == expected["school"]
    assert policy.version is None
    for field in ("written", "last_reviewed", "ratified", "next_review"):
        assert_date(getattr(policy, field), expected[field])
    if expected["approving_body"] is None:
        assert policy.approving_body is None
    else:
        assert policy.approving_body is not None
        assert (policy.approving_body.value, policy.approving_body.line) == expected[
            "approving_body"
        ]
    cycle = policy.review_cycle_months
    assert cycle is not None and (cycle.value, cycle.how) == expected["review_cycle_months"]
    assert set(values(policy.official_channels)) == expected["official_channels"]
    assert set(values(policy.linked_policies)) == expected["linked_policies"]
    assert [message.split(":")[0] for message in policy.missing] == expected["missing"]


@pytest.mark.parametrize("name", sorted(REAL_EXPECTED))
def test_real_document_people_by_hash(shared_policies: Path, name: str) -> None:
    # Hashes, not names: the repo must hold no personal data from the real documents.
    expected = REAL_EXPECTED[name]
    policy = extract_policy(shared_policies / name)
    assert [sha(found.value) for found in policy.dsl] == expected["dsl"]
    assert [sha(found.value) for found in policy.deputy_dsls] == expected["deputy_dsls"]
    assert [sha(found.value) for found in policy.named_governors] == expected["named_governors"]


@pytest.mark.parametrize("name", sorted(REAL_EXPECTED))
def test_real_document_provenance_is_honest(shared_policies: Path, name: str) -> None:
    path = shared_policies / name
    lines = read_document(path)[0]
    policy = extract_policy(path)
    for found in text_found(policy):
        assert found.line is not None and 1 <= found.line <= len(lines)
        assert found.snippet and len(found.snippet) <= SNIPPET_MAX
        # The snippet's words really are on that line (markdown markers aside).
        first_word = found.snippet.strip("…").split()[1]
        assert first_word in lines[found.line - 1].replace("*", "")
    json.dumps(policy.to_json_dict())


def test_real_review_date_agrees_with_cycle(shared_policies: Path) -> None:
    policy = extract_policy(shared_policies / "hildenborough-mobile-social-media-2024.txt")
    assert policy.approving_body is not None
    assert policy.approving_body.note == "FGB = Full Governing Body"
    assert policy.warnings == []  # ratified 2024-09-25 + 12 months agrees with 2025-09
    assert not policy.missing


def test_real_pta_channels_are_not_official(shared_policies: Path) -> None:
    policy = extract_policy(shared_policies / "st-james-online-safety-2020.md")
    [warning] = policy.warnings
    assert "runs no official social media channels" in warning
    assert "Facebook, Instagram, Twitter/X" in warning


def test_real_document_without_dates_invents_none(shared_policies: Path) -> None:
    policy = extract_policy(shared_policies / "rainbow-preschool-mobile-social-media.md")
    assert policy.next_review is None
    assert policy.missing
    assert policy.missing[0] == (
        "next review date: not stated in the document, and no approval or review date to work "
        "it out from — please supply it"
    )


# --------------------------------------------------------------------------------------------
# Dates


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3rd December 2025", "2025-12-03"),
        ("3 rd December 2025", "2025-12-03"),
        ("1st Sept 2025", "2025-09-01"),
        ("25/09/2024", "2024-09-25"),
        ("25.09.2024", "2024-09-25"),
        ("25-09-2024", "2024-09-25"),
        ("25.09.24", "2024-09-25"),
        ("2024-09-25", "2024-09-25"),
        ("3rd of Dec. 2025", "2025-12-03"),
        ("Wednesday 3rd December 2025", "2025-12-03"),
        ("December 3, 2025", "2025-12-03"),
        ("Sept 2025", "2025-09"),
        ("September, 2021", "2021-09"),
        ("Next Review Date September 2025", "2025-09"),
        ("09/2025", "2025-09"),
        ("29.02.2024", "2024-02-29"),
        ("04/05/2025", "2025-05-04"),  # UK: 4 May, never 5 April
    ],
)
def test_parse_date_forms(text: str, expected: str) -> None:
    parsed = parse_date(text)
    assert parsed is not None and parsed.isoformat() == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("31.02.2024", "has no day 31"),
        ("29.02.2025", "has no day 29"),
        ("09/25/2024", "month-first"),
        ("25.13.2024", "no month 13"),
        ("25.09.1066", "out of range"),
        ("32 December 2025", "has no day 32"),
    ],
)
def test_impossible_dates_are_refused_not_salvaged(text: str, problem: str) -> None:
    assert parse_date(text) is None
    [match] = find_dates(text)
    assert match.date is None and match.problem is not None and problem in match.problem


@pytest.mark.parametrize(
    "text", ["Autumn term 2025", "KCSIE 2024", "version 1.2.3", "GDPR (2018)", "Spring 2 2026", ""]
)
def test_not_dates(text: str) -> None:
    assert parse_date(text) is None


def test_fuzzy_date_keeps_month_precision() -> None:
    september = FuzzyDate(2025, 9)
    assert september.isoformat() == "2025-09" and september.day is None
    assert september.first_day() == date(2025, 9, 1)
    assert september.last_day() == date(2025, 9, 30)
    assert september.add_months(12) == FuzzyDate(2026, 9)
    assert FuzzyDate(2025, 9, 25).isoformat() == "2025-09-25"
    assert FuzzyDate(2024, 1, 31).add_months(1) == FuzzyDate(2024, 2, 29)
    assert FuzzyDate(2025, 11).add_months(3) == FuzzyDate(2026, 2)
    with pytest.raises(ValueError, match="impossible"):
        FuzzyDate(2025, 2, 30)


# Date-shaped noise: digits, separators, ordinals and month names in any order.
DATEISH = st.lists(
    st.sampled_from(
        ["3", "31", "29", "02", "13", "0", "2024", "24", "1066", "rd", "st", "of", " ", ".",
         "/", "-", ",", "Sept", "December", "may", "Autumn term", "\n", "é"]
    ),
    max_size=12,
).map("".join)  # fmt: skip


@settings(database=None, max_examples=400)
@given(st.one_of(st.text(), DATEISH))
def test_date_parser_never_raises_or_returns_an_impossible_date(text: str) -> None:
    parsed = parse_date(text)
    for match in find_dates(text):
        assert (match.date is None) != (match.problem is None)
        assert text[match.start : match.end] == match.text
    if parsed is not None:
        assert 1 <= parsed.month <= 12 and 1900 <= parsed.year <= 2099
        assert parsed.first_day() <= parsed.last_day()  # date() would raise if impossible


# --------------------------------------------------------------------------------------------
# Deriving the next review date


def text_date(value: FuzzyDate, line: int) -> Found[FuzzyDate]:
    return Found(value, "text", line, "snippet")


def test_derive_uses_latest_base_and_keeps_precision() -> None:
    cycle = Found(12, "text", 30, "reviewed annually")
    derived = derive_next_review(
        cycle,
        ratified=text_date(FuzzyDate(2025, 12, 3), 5),
        written=text_date(FuzzyDate(2025, 9), 4),
    )
    assert derived is not None and derived.how == "derived"
    assert derived.value == FuzzyDate(2026, 12, 3)
    assert derived.note == "ratified 2025-12-03 (line 5) + 12 months"

    month_only = derive_next_review(cycle, last_reviewed=text_date(FuzzyDate(2023, 9), 15))
    assert month_only is not None and month_only.value.isoformat() == "2024-09"


def test_derive_flags_a_default_cycle_and_needs_a_base() -> None:
    default = Found(12, "default", note="assumption")
    derived = derive_next_review(default, written=text_date(FuzzyDate(2024, 9), 2))
    assert derived is not None and derived.note is not None
    assert "cycle assumed" in derived.note
    assert derive_next_review(default) is None


# --------------------------------------------------------------------------------------------
# Fictional documents in other shapes (Oakfield Primary School, invented people)


def test_markdown_fixture() -> None:
    policy = extract_policy(FIXTURES / "oakfield-online-safety.md")
    assert (
        policy.title is not None and policy.title.value == "Online Safety and Social Media Policy"
    )
    assert policy.school is not None and policy.school.value == "Oakfield Primary School"
    assert policy.version is not None and policy.version.value == "2.1"
    assert iso(policy.written) == "2025-09-01"
    assert iso(policy.ratified) == "2025-12-03"
    assert policy.approving_body is not None
    assert policy.approving_body.value == "Curriculum and Standards Committee"
    assert policy.review_cycle_months == Found(
        24,
        "text",
        19,
        "…olicy will be reviewed every two years, or sooner if national guidance changes.",
    )
    # The next review is given as a term, so it is derived (and says so), never guessed.
    assert policy.next_review == Found(
        FuzzyDate(2027, 12, 3), "derived", note="ratified 2025-12-03 (line 15) + 24 months"
    )
    assert any("school term ('Autumn term 2027')" in warning for warning in policy.warnings)
    assert values(policy.dsl) == ["Mrs Amelia Hart"]
    assert values(policy.deputy_dsls) == ["Tom Okafor", "Priya Natarajan"]
    assert values(policy.named_governors) == ["Dr Helen Marsh"]
    # Instagram is only mentioned for personal accounts.
    assert set(values(policy.official_channels)) == {
        "School website",
        "Facebook",
        "Twitter/X",
        "Tapestry",
    }
    assert values(policy.linked_policies) == [
        "Child Protection Policy",
        "Remote Learning AUP",
        "Anti-bullying Policy",
        "Home-school agreement",
        "Social Media Acceptable Use Policy",
    ]
    assert policy.missing == []


def test_document_without_dates_is_reported_honestly() -> None:
    policy = extract_policy(FIXTURES / "oakfield-no-dates.txt")
    assert policy.title is not None and policy.title.value == "Visitors Policy"
    assert policy.school is not None and policy.school.note == "converted from capitals"
    assert policy.written is policy.ratified is policy.last_reviewed is policy.next_review is None
    assert policy.review_cycle_months == Found(
        12, "default", note="assumption: not stated in the document"
    )
    assert [message.split(":")[0] for message in policy.missing] == [
        "next review date",
        "approving body",
    ]
    assert policy.warnings == [
        "review cycle: not stated in the document; assumed 12 months (default) — please confirm"
    ]
    assert policy.dsl == []  # the DSL is mentioned but not named
    data = policy.to_json_dict()
    assert json.loads(json.dumps(data))["next_review"] is None
    assert data["complete"] is False


def write_docx(path: Path) -> Path:
    document = docx.Document()
    document.add_paragraph("Oakfield Primary School", style="Title")
    document.add_heading("Child Protection and Safeguarding Policy", level=1)
    document.add_paragraph("Designated Safeguarding Lead: Mr Samuel Reyes")
    document.add_paragraph("Last reviewed: 25/09/2024")
    document.add_paragraph("Ratified by the Full Governing Body on 25.09.2024")
    document.add_paragraph("This policy will be reviewed annually by the governing body.")
    document.add_heading("Related policies", level=2)
    document.add_paragraph("Behaviour policy", style="List Bullet")
    document.add_paragraph("Whistleblowing policy", style="List Bullet")
    document.add_paragraph("The school Instagram account is run by the office.")
    document.save(str(path))
    return path


def test_docx_paragraphs(tmp_path: Path) -> None:
    path = write_docx(tmp_path / "oakfield-cp.docx")
    lines = read_document(path)[0]
    assert lines[:2] == ["# Oakfield Primary School", "# Child Protection and Safeguarding Policy"]
    assert "- Behaviour policy" in lines

    policy = extract_policy(path)
    assert policy.title is not None and policy.title.line == 2
    assert policy.school is not None and policy.school.value == "Oakfield Primary School"
    assert values(policy.dsl) == ["Mr Samuel Reyes"]
    assert iso(policy.last_reviewed) == iso(policy.ratified) == "2024-09-25"
    assert policy.approving_body is not None
    assert policy.approving_body.value == "Full Governing Body"
    assert policy.next_review is not None and policy.next_review.how == "derived"
    assert policy.next_review.value.isoformat() == "2025-09-25"
    assert values(policy.linked_policies) == ["Behaviour Policy", "Whistleblowing Procedure"]
    assert values(policy.official_channels) == ["Instagram"]
    assert policy.missing == []


def write_table_docx(path: Path) -> Path:
    document = docx.Document()
    document.add_paragraph("Oakfield Primary School")
    table = document.add_table(rows=0, cols=2)
    for label, value in [
        ("Policy title", "Behaviour Policy"),
        ("Approved by", "Resources Committee"),
        ("Date approved", "3 rd December 2024"),
        ("Review date", "3 rd December 2025"),
        ("Review cycle", "Annual"),
        ("Designated Safeguarding Lead", "Grace Whitfield"),
        ("Deputy DSLs", "Omar Haddad & Lucy Brennan"),
        ("Chair of Governors", "Peter Lindqvist"),
    ]:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = label, value
    merged = table.add_row().cells
    merged[0].merge(merged[1]).text = "Official channels: school website and YouTube"
    document.sections[0].footer.paragraphs[0].text = "Behaviour Policy v1.3"
    document.save(str(path))
    return path


def test_docx_with_dates_in_table_cells(tmp_path: Path) -> None:
    path = write_table_docx(tmp_path / "oakfield-behaviour.docx")
    lines = read_document(path)[0]
    assert "Review date | 3 rd December 2025" in lines
    # A merged cell is shown once, and the footer comes after the body.
    assert lines[-2:] == ["Official channels: school website and YouTube", "Behaviour Policy v1.3"]

    policy = extract_policy(path)
    assert policy.title is not None and policy.title.value == "Behaviour Policy"
    assert policy.version is not None and policy.version.value == "1.3"
    assert iso(policy.ratified) == "2024-12-03"
    assert policy.next_review is not None and policy.next_review.how == "text"
    assert policy.next_review.value.isoformat() == "2025-12-03"
    assert policy.next_review.snippet == "Review date | 3 rd December 2025"
    assert policy.approving_body is not None
    assert policy.approving_body.value == "Resources Committee"
    assert policy.review_cycle_months is not None
    assert (policy.review_cycle_months.value, policy.review_cycle_months.how) == (12, "text")
    assert values(policy.dsl) == ["Grace Whitfield"]
    assert values(policy.deputy_dsls) == ["Omar Haddad", "Lucy Brennan"]
    assert values(policy.named_governors) == ["Peter Lindqvist"]
    assert values(policy.official_channels) == ["YouTube", "School website"]
    assert policy.warnings == []


def write_pdf(path: Path, lines: list[str]) -> Path:
    pdf = canvas.Canvas(str(path), pagesize=A4)
    for index, line in enumerate(lines):
        pdf.drawString(72, 780 - 18 * index, line)
    if not lines:
        pdf.rect(72, 600, 200, 100, fill=1)  # a picture, no text: like a scan
    pdf.showPage()
    pdf.save()
    return path


def test_pdf(tmp_path: Path) -> None:
    path = write_pdf(
        tmp_path / "oakfield-attendance.pdf",
        [
            "Oakfield Primary School",
            "Attendance Policy",
            "Date ratified: 2024-09-25",
            "Approved by FGB",
            "Next review: September 2025",
            "This policy is reviewed every 12 months.",
        ],
    )
    policy = extract_policy(path)
    assert policy.title is not None and policy.title.value == "Attendance Policy"
    assert iso(policy.ratified) == "2024-09-25"
    assert policy.next_review is not None and policy.next_review.line == 5
    assert policy.next_review.value == FuzzyDate(2025, 9)
    assert policy.approving_body is not None and policy.approving_body.line == 4
    assert policy.review_cycle_months is not None and policy.review_cycle_months.value == 12
    assert not policy.missing


def test_scanned_pdf_is_refused_with_a_hint(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "scan.pdf", [])
    with pytest.raises(PolicyImportError, match=r"no text to read \(a scanned image\?\)"):
        read_document(path)[0]


# --------------------------------------------------------------------------------------------
# Unreadable input


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("policy.doc", b"\xd0\xcf\x11\xe0", "unsupported file type '.doc' (save it as .docx)"),
        ("policy.rtf", b"{\\rtf1}", "unsupported file type '.rtf'"),
        ("broken.docx", b"this is not a zip file", "its name ends in .docx, but the file is a"),
        ("broken.pdf", b"%PDF-1.4\nnot really a pdf", "this PDF is incomplete or damaged"),
        ("empty.txt", b"  \n\n", "no text found"),
        ("image.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00", "the file is a PNG image"),
    ],
)
def test_unreadable_files(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(PolicyImportError) as caught:
        read_document(path)[0]
    error = caught.value
    assert isinstance(error, ValueError) and error.path == path
    assert message in str(error) and str(error).startswith(str(path))
    assert "\n" not in str(error)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(PolicyImportError, match="file not found"):
        extract_policy(tmp_path / "nope.docx")
    with pytest.raises(PolicyImportError, match="is a directory"):
        read_document(tmp_path)[0]


def test_windows_encoded_text_is_read(tmp_path: Path) -> None:
    path = tmp_path / "legacy.txt"
    path.write_bytes(
        "Code of Conduct Policy\r\nReviewed on 1st Sept 2025 – caf\xe9\r\n".encode("cp1252")
    )
    assert read_document(path)[0] == ["Code of Conduct Policy", "Reviewed on 1st Sept 2025 – café"]


# --------------------------------------------------------------------------------------------
# Rules on small inputs


def test_label_and_date_on_separate_lines() -> None:
    policy = extract_from_lines(
        ["Anti-bullying Policy", "", "Date of next review:", "", "25/09/2026"], "split.txt"
    )
    assert policy.next_review is not None and policy.next_review.line == 5
    assert (
        policy.next_review.note == "date on the line after its label 'Date of next review' (line 3)"
    )


def test_conflicting_dates_keep_the_first_and_warn() -> None:
    policy = extract_from_lines(
        ["Ratified on 25.09.2024", "reviewed annually", "Ratified on 01.10.2024"], "twice.txt"
    )
    assert iso(policy.ratified) == "2024-09-25"
    assert any("line 3 says 2024-10-01 but line 1 says 2024-09-25" in w for w in policy.warnings)


def test_next_review_that_disagrees_with_the_cycle_is_flagged() -> None:
    policy = extract_from_lines(
        ["Ratified on 25.09.2024", "Next review: July 2027", "Reviewed every year."], "odd.txt"
    )
    assert iso(policy.next_review) == "2027-07"
    assert any("does not match ratified 2024-09-25" in w for w in policy.warnings)


def test_impossible_labelled_date_is_warned_not_used() -> None:
    policy = extract_from_lines(["Online Safety Policy", "Next review: 31.02.2025"], "bad.txt")
    assert policy.next_review is None
    assert any("'31.02.2025'" in w and "has no day 31" in w for w in policy.warnings)


@pytest.mark.parametrize(
    ("sentence", "months", "note"),
    [
        ("This policy will be reviewed at least annually.", 12, "longest gap allowed"),
        ("The policy is reviewed every two years.", 24, None),
        ("Governors review it every 3 years.", 36, None),
        ("It is reviewed biennially.", 24, None),
        ("It is reviewed termly.", 4, "three terms a year"),
        ("Review cycle: 2 years", 24, None),
    ],
)
def test_review_cycles(sentence: str, months: int, note: str | None) -> None:
    cycle = extract_from_lines(["Uniform Policy", sentence], "c.txt").review_cycle_months
    assert cycle is not None and cycle.how == "text" and cycle.value == months
    assert (cycle.note is None) if note is None else (note in (cycle.note or ""))


def test_ambiguous_or_unrelated_frequencies_are_not_cycles() -> None:
    policy = extract_from_lines(
        ["Uniform Policy", "Training is provided annually.", "It is reviewed bi-annually."], "a"
    )
    assert policy.review_cycle_months is not None and policy.review_cycle_months.how == "default"
    assert any("'bi-annually' is ambiguous" in w for w in policy.warnings)


@pytest.mark.parametrize(
    ("line", "body"),
    [
        ("Approved by: Board of Governors", "Board of Governors"),  # Northern Ireland's word
        ("Ratified by the board of governors on 1 July 2026", "Board of Governors"),
        ("Approved by the BoG, June 2026", "Board of Governors"),
        ("Approved by: governing body", "Governing Body"),
        ("Approved by: Resources Committee", "Resources Committee"),
    ],
)
def test_each_nations_approving_body_is_read(line: str, body: str) -> None:
    policy = extract_from_lines(["Child Protection Policy", line], "cp.txt")
    assert policy.approving_body is not None and policy.approving_body.value == body


def test_people_approving_tools_are_not_the_approving_body() -> None:
    policy = extract_from_lines(
        ["E-safety Policy", "Each new app is approved by the headteacher first."], "p.txt"
    )
    assert policy.approving_body is None


def test_names_skip_roles_and_contact_details() -> None:
    policy = extract_from_lines(
        [
            "Designated Safeguarding Lead: Ms Nadia Kowalski (Headteacher), 01632 960123",
            "Deputy Designated Safeguarding Leads - Ben Carter / TBC",
        ],
        "names.txt",
    )
    assert values(policy.dsl) == ["Ms Nadia Kowalski"]
    assert values(policy.deputy_dsls) == ["Ben Carter"]
