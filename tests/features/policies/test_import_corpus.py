"""The importer on a corpus of policy layouts made here (Word with cover pages, tables, key-detail
blocks, headers and footers; PDFs; Markdown; text): each must give the title a reader would call
it, the school it names, and every date it states — and nothing it does not state."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import docx
import pytest
from docx.enum.text import WD_BREAK
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from bot.features.policies.importer import ImportedPolicy, extract_from_lines, extract_policy

# Every school, person and policy below is fictional.

Writer = Callable[[Path], Path]


@dataclass(frozen=True)
class Layout:
    """One document layout and what a reader would say it states."""

    suffix: str
    write: Writer
    title: str | None
    school: str | None
    dates: dict[str, str] = field(default_factory=dict)  # field -> ISO (month-only: YYYY-MM)
    linked: tuple[str, ...] | None = None  # when given: exactly these, in order
    not_linked: tuple[str, ...] = ()


def _docx(build: Callable[[docx.document.Document], None]) -> Writer:
    def write(path: Path) -> Path:
        document = docx.Document()
        build(document)
        document.save(str(path))
        return path

    return write


def _pdf(pages: list[list[tuple[float, str]]], title: str | None = None) -> Writer:
    """Pages of (x, text) lines drawn top-down; ``title`` goes in the PDF's properties."""

    def write(path: Path) -> Path:
        pdf = canvas.Canvas(str(path), pagesize=A4, invariant=1)
        if title:
            pdf.setTitle(title)
        for lines in pages:
            y = 780.0
            for x, text in lines:
                if text:
                    pdf.drawString(x, y, text)
                y -= 20
            pdf.showPage()
        pdf.save()
        return path

    return write


def _text(content: str) -> Writer:
    def write(path: Path) -> Path:
        path.write_text(content, encoding="utf-8")
        return path

    return write


def _table(document: docx.document.Document, rows: list[list[str]]) -> None:
    table = document.add_table(rows=0, cols=len(rows[0]))
    for values in rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, values, strict=True):
            cell.text = value


def _cover_page(document: docx.document.Document) -> None:
    document.add_paragraph("Brookside Infant School", style="Title")
    document.add_paragraph("Anti-Bullying Policy", style="Title")
    document.add_paragraph("including cyberbullying")
    document.add_paragraph("Adopted by the Full Governing Body: 14th October 2025")
    document.add_paragraph("To be reviewed by: October 2026")
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    document.add_heading("1. Introduction", level=1)
    document.add_paragraph(
        "This anti-bullying policy works alongside our behaviour policy and our child "
        "protection policy."
    )


def _title_in_a_table(document: docx.document.Document) -> None:
    banner = document.add_table(rows=1, cols=1).rows[0].cells[0]
    banner.paragraphs[0].text = "Meadow Lane Academy"
    banner.add_paragraph("Safeguarding and Child Protection Policy")
    document.add_paragraph("")
    _table(
        document,
        [
            ["Date written", "1st September 2025"],
            ["Last reviewed", "01/09/2026"],
            ["Approved by governors", "8.9.26"],
            ["Next review due", "Sept 2027"],
        ],
    )
    document.add_heading("Contents", level=1)
    document.add_paragraph("1. Policy statement")
    document.add_heading("1. Policy statement", level=1)
    document.add_paragraph("Read this policy with our whistleblowing policy.")


def _heading_first_title_in_page_header(document: docx.document.Document) -> None:
    header = document.sections[0].header.paragraphs[0]
    header.text = "Harbour View Junior School | Attendance Policy"
    document.add_heading("1. Purpose", level=1)
    document.add_paragraph("Good attendance matters. This policy explains what we do.")
    document.add_heading("2. Monitoring and review", level=1)
    document.add_paragraph("Date of last review: 12/07/2025")
    document.add_paragraph("Review due: July 2026")


def _properties_title(document: docx.document.Document) -> None:
    document.core_properties.title = "Whistleblowing Policy"
    document.add_paragraph("Willowbank Nursery", style="Title")
    document.add_heading("Introduction", level=1)
    document.add_paragraph("Staff can raise a concern without fear. Reviewed on 3rd March 2026.")
    document.add_paragraph("Ratified by the management committee on 10 March 2026.")


def _template_properties_title(document: docx.document.Document) -> None:
    document.core_properties.title = "Policy template v3 (do not edit)"
    document.add_paragraph("Staff Code of Conduct", style="Title")
    document.add_paragraph("Kingsmead Primary School")
    document.add_paragraph("Date drafted: 2 June 2025")
    document.add_paragraph("Date ratified by governors: 19/06/2025")
    document.add_paragraph("Next review: June 2026")


def _column_table(document: docx.document.Document) -> None:
    document.add_heading("Online Safety Policy", level=1)
    document.add_paragraph("Oakfield Primary School")
    _table(
        document,
        [["Written", "Approved by FGB", "Next review"], ["Sept 2025", "01/10/2025", "Sept 2026"]],
    )
    _table(
        document,
        [
            ["Version", "Date", "Changes"],
            ["1.0", "01/09/2023", "First version"],
            ["2.0", "14/09/2024", "Reviewed and approved"],
        ],
    )
    document.add_paragraph("We follow our online safety policy and our acceptable use policy.")


def _footer_dates(document: docx.document.Document) -> None:
    document.add_paragraph("St Aidan's CE Primary School – Charging and Remissions Policy")
    document.add_paragraph("Charges for school trips are voluntary contributions.")
    footer = document.sections[0].footer.paragraphs[0]
    footer.text = "Approved: 12.3.25 · Next review: March 2026"


def _key_details_block(document: docx.document.Document) -> None:
    document.add_paragraph("Little Acorns Pre-school", style="Heading 1")
    document.add_paragraph("Key details", style="Heading 2")
    for line in (
        "Policy: Intimate Care Policy",
        "Date of this policy: Sept. 2025",
        "Last review date: 5th Sept 2025",
        "Date agreed by the committee: 09.09.25",
        "Review by: September 2026",
    ):
        document.add_paragraph(line)
    document.add_heading("Policy aims", level=2)
    document.add_paragraph("Children are treated with dignity.")


PDF_COVER = _pdf(
    [
        [
            (72, "Thornbury Federation"),
            (72, ""),
            (72, "Managing Allegations Against Staff Policy"),
            (72, ""),
            (72, "Ratified by governors on 1st September 2026"),
        ],
        [
            (72, "1. Scope"),
            (72, "This policy applies to all staff, supply staff and volunteers."),
            (72, "Date of next review: 1st September 2027"),
        ],
    ],
    title="Microsoft Word - allegations-2026-final.docx",
)


def _two_column_pdf(path: Path) -> Path:
    """Labels in one column and dates in another, as a key-details table prints."""
    pdf = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    rows = [
        ("Ashby Fields Primary School", ""),
        ("FIRST AID POLICY", ""),
        ("", ""),
        ("Date written", "March 2025"),
        ("Date reviewed", "1.9.26"),
        ("Adopted by governors", "01/10/2026"),
        ("Review due", "Oct 2027"),
    ]
    y = 780
    for label, value in rows:
        pdf.drawString(72, y, label)
        if value:
            pdf.drawString(300, y, value)
        y -= 20
    pdf.save()
    return path


MARKDOWN_PREFIXED = """# Oakfield Primary School Online Safety Policy

**Written:** September 2025
**Reviewed on:** 3rd March 2026
**Ratified by governors:** 10th March 2026
**Next review:** March 2027

## 1. Aims

This online safety policy should be read with our Acceptable Use Policy.
"""

MARKDOWN_TABLE = """# Key details

| | |
|---|---|
| Policy | Relationships and Sex Education Policy |
| School | Riverside Church of England Primary School |
| Drafted | 1.9.25 |
| Approved by the Full Governing Body | 22nd September 2025 |
| To be reviewed | Summer term 2026 |

## Our approach

We teach relationships education in every year group.
"""

TEXT_SECTIONS_FIRST = """POLICY AIMS AND SCOPE

This policy sets out how Greenfields Academy keeps records.

Greenfields Academy
Records Management Policy

Date of approval: 4/11/2025
Due for review: November 2026
"""

TEXT_NO_DATES = """Foxhill School
Educational Visits Policy

Trips are planned by the visits leader.
Next review: Autumn term 2026
"""

TEXT_POSSESSIVE = """Hawthorn Primary School's Equality Policy
Date issued: 1 Sept 2025
Policy reviewed on 15th January 2026
Approved at the FGB meeting on 20/01/2026
Date for review: January 2027
Links with other policies
- Equality Policy (this document)
- Behaviour policy
"""

CORPUS: dict[str, Layout] = {
    "docx-cover-page": Layout(
        ".docx",
        _docx(_cover_page),
        "Anti-Bullying Policy",
        "Brookside Infant School",
        {"ratified": "2025-10-14", "next_review": "2026-10"},
        linked=("Behaviour Policy", "Child Protection Policy"),
    ),
    "docx-title-in-a-table": Layout(
        ".docx",
        _docx(_title_in_a_table),
        "Safeguarding and Child Protection Policy",
        "Meadow Lane Academy",
        {
            "written": "2025-09-01",
            "last_reviewed": "2026-09-01",
            "ratified": "2026-09-08",
            "next_review": "2027-09",
        },
        linked=("Whistleblowing Procedure",),
    ),
    "docx-title-in-page-header": Layout(
        ".docx",
        _docx(_heading_first_title_in_page_header),
        "Attendance Policy",
        "Harbour View Junior School",
        {"last_reviewed": "2025-07-12", "next_review": "2026-07"},
    ),
    "docx-title-only-in-properties": Layout(
        ".docx",
        _docx(_properties_title),
        "Whistleblowing Policy",
        "Willowbank Nursery",
        {"last_reviewed": "2026-03-03", "ratified": "2026-03-10"},
    ),
    "docx-template-properties-title": Layout(
        ".docx",
        _docx(_template_properties_title),
        "Staff Code of Conduct",
        "Kingsmead Primary School",
        {"written": "2025-06-02", "ratified": "2025-06-19", "next_review": "2026-06"},
    ),
    "docx-column-table-and-version-history": Layout(
        ".docx",
        _docx(_column_table),
        "Online Safety Policy",
        "Oakfield Primary School",
        {"written": "2025-09", "ratified": "2025-10-01", "next_review": "2026-09"},
        linked=("Acceptable Use Policy",),
    ),
    "docx-footer-dates": Layout(
        ".docx",
        _docx(_footer_dates),
        "Charging and Remissions Policy",
        "St Aidan's CE Primary School",
        {"ratified": "2025-03-12", "next_review": "2026-03"},
    ),
    "docx-key-details-block": Layout(
        ".docx",
        _docx(_key_details_block),
        "Intimate Care Policy",
        "Little Acorns Pre-school",
        {
            "written": "2025-09",
            "last_reviewed": "2025-09-05",
            "ratified": "2025-09-09",
            "next_review": "2026-09",
        },
    ),
    "pdf-cover-page": Layout(
        ".pdf",
        PDF_COVER,
        "Managing Allegations Against Staff Policy",
        "Thornbury Federation",
        {"ratified": "2026-09-01", "next_review": "2027-09-01"},
        not_linked=("Allegations Policy",),
    ),
    "pdf-two-columns": Layout(
        ".pdf",
        _two_column_pdf,
        "First Aid Policy",
        "Ashby Fields Primary School",
        {
            "written": "2025-03",
            "last_reviewed": "2026-09-01",
            "ratified": "2026-10-01",
            "next_review": "2027-10",
        },
    ),
    "md-school-prefixed-title": Layout(
        ".md",
        _text(MARKDOWN_PREFIXED),
        "Online Safety Policy",
        "Oakfield Primary School",
        {
            "written": "2025-09",
            "last_reviewed": "2026-03-03",
            "ratified": "2026-03-10",
            "next_review": "2027-03",
        },
        linked=("Acceptable Use Policy",),
    ),
    "md-key-details-table": Layout(
        ".md",
        _text(MARKDOWN_TABLE),
        "Relationships and Sex Education Policy",
        "Riverside Church of England Primary School",
        {"written": "2025-09-01", "ratified": "2025-09-22"},  # a term is not a date
    ),
    "txt-section-heading-first": Layout(
        ".txt",
        _text(TEXT_SECTIONS_FIRST),
        "Records Management Policy",
        "Greenfields Academy",
        {"ratified": "2025-11-04", "next_review": "2026-11"},
    ),
    "txt-no-dates": Layout(
        ".txt", _text(TEXT_NO_DATES), "Educational Visits Policy", "Foxhill School", {}
    ),
    "txt-possessive-school": Layout(
        ".txt",
        _text(TEXT_POSSESSIVE),
        "Equality Policy",
        "Hawthorn Primary School",
        {
            "written": "2025-09-01",
            "last_reviewed": "2026-01-15",
            "ratified": "2026-01-20",
            "next_review": "2027-01",
        },
        linked=("Behaviour Policy",),
    ),
}
DATE_FIELDS = ("written", "last_reviewed", "ratified", "next_review")
DATE_LABELS = {
    "written": "date written",
    "last_reviewed": "last reviewed",
    "ratified": "approved or ratified",
    "next_review": "next review",
}


def _stated(policy: ImportedPolicy, name: str) -> str | None:
    """A date field as the document states it (derived values are not statements)."""
    found = getattr(policy, name)
    return None if found is None or found.how != "text" else found.value.isoformat()


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_layout(tmp_path: Path, name: str) -> None:
    layout = CORPUS[name]
    policy = extract_policy(layout.write(tmp_path / f"{name}{layout.suffix}"))

    assert (policy.title.value if policy.title else None) == layout.title
    assert (policy.school.value if policy.school else None) == layout.school
    stated = {field: _stated(policy, field) for field in DATE_FIELDS}
    assert {k: v for k, v in stated.items() if v} == layout.dates
    linked = [str(found.value) for found in policy.linked_policies]
    if layout.linked is not None:
        assert linked == list(layout.linked)
    assert layout.title not in linked  # never listed as linking to itself
    assert not set(layout.not_linked) & set(linked)
    # every date the document does not state is named as not stated, never guessed
    assert policy.dates_not_stated() == [
        DATE_LABELS[field] for field in DATE_FIELDS if field not in layout.dates
    ]


def test_the_school_name_is_never_glued_to_the_title() -> None:
    for line in (
        "Oakfield Primary School – Online Safety Policy",
        "Oakfield Primary School: Online Safety Policy",
        "Oakfield Primary School | Online Safety Policy",
        "OAKFIELD PRIMARY SCHOOL ONLINE SAFETY POLICY",
    ):
        policy = extract_from_lines([line, "Next review: May 2027"], "x.txt")
        assert policy.title is not None and policy.title.value == "Online Safety Policy", line
        assert policy.school is not None and policy.school.value == "Oakfield Primary School"


@pytest.mark.parametrize(
    "heading",
    ["1. Introduction", "Contents", "Policy aims", "Policy statement", "Key details", "Part A"],
)
def test_a_section_heading_is_never_the_title(heading: str) -> None:
    policy = extract_from_lines([f"# {heading}", "Some text about the policy."], "x.md")
    assert policy.title is None
    assert policy.missing[0].startswith("title: not stated in the document")


LABELS = {
    "written": ["Written", "Date written", "Drafted", "Date drafted", "Date of this policy"],
    "last_reviewed": ["Last reviewed", "Reviewed on", "Date of last review", "Last review date"],
    "ratified": [
        "Approved by governors",
        "Ratified by the FGB on",
        "Adopted",
        "Date agreed",
        "Approval date",
    ],
    "next_review": [
        "Next review",
        "Review due",
        "To be reviewed by",
        "Date of next review",
        "Due for review",
    ],
}
FORMATS = {
    "1st September 2026": "2026-09-01",
    "01/09/2026": "2026-09-01",
    "1.9.26": "2026-09-01",
    "Sept 2026": "2026-09",
    "September 2026": "2026-09",
}


@pytest.mark.parametrize("name", sorted(LABELS))
def test_every_label_wording_and_uk_format(name: str) -> None:
    for label in LABELS[name]:
        for text, expected in FORMATS.items():
            policy = extract_from_lines(["Uniform Policy", f"{label}: {text}"], "x.txt")
            found = getattr(policy, name)
            assert found is not None and found.how == "text", (label, text)
            assert found.value.isoformat() == expected, (label, text)
