"""The policy upload page asks instead of guessing (#30 item 5): a scanned PDF registered from
typed details (the error never names a server path), a Word and PDF copy of one document added
once, another school's name pointed out, a sub-heading never taken as the title, and a version
the document does not state never invented."""

from __future__ import annotations

import io
import re
import textwrap

import docx
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from bot.core.config import PolicyConfig
from bot.core.config import store as config_store
from tests.features.setup.conftest import Site

LINES = [
    "1. Online Safety Policy",
    "Oakfield Primary School",
    "Approved by governors on 12 March 2026",
    "Next review: March 2027",
    "Everyone at the school keeps children safe online, and tells the designated lead at once "
    "when something worries them about a child or an adult.",
    "Staff use the school's systems for school work only and never share their passwords.",
]


def _pdf(lines: list[str]) -> bytes:
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4, invariant=1)
    y = 800
    for line in lines:
        for part in textwrap.wrap(line, 90):
            pdf.drawString(40, y, part)
            y -= 16
    pdf.save()
    return out.getvalue()


def _scanned_pdf() -> bytes:
    """A page with only a picture on it (rectangles): no text layer, as a scan."""
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4, invariant=1)
    for row in range(20):
        pdf.rect(40, 780 - row * 30, 400 - row * 7, 12, fill=1)
    pdf.save()
    return out.getvalue()


def _docx(lines: list[str]) -> bytes:
    document = docx.Document()
    for line in lines:
        document.add_paragraph(line)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _policies(site: Site) -> list[PolicyConfig]:
    with site.ctx.store.session() as session:
        return config_store.load_org(site.ctx.settings, session).school("oak").policies


def _upload(site: Site, files: list[tuple[str, bytes, str]], **typed: str):  # type: ignore[no-untyped-def]
    return site.client.post(
        "/admin/policies",
        data={"csrf_token": site.csrf("/admin/policies"), **typed},
        files=[("documents", item) for item in files],
    )


def test_a_scanned_pdf_is_registered_from_typed_details(site: Site) -> None:
    site.sign_in("office@oak.example")
    scan = _scanned_pdf()
    before = len(_policies(site))
    refused = _upload(site, [("safeguarding-scan.pdf", scan, "application/pdf")])
    assert refused.status_code == 422
    assert "safeguarding-scan.pdf" in refused.text and "no text to read" in refused.text
    assert "/tmp" not in refused.text and "tmp" not in re.sub(r"<[^>]+>", "", refused.text)
    assert '<details id="typed" open>' in refused.text  # the form for the details is open
    assert len(_policies(site)) == before

    bad = _upload(
        site,
        [("safeguarding-scan.pdf", scan, "application/pdf")],
        title="Child Protection Policy",
        next_review="someday",
    )
    assert bad.status_code == 422 and "is not a date" in bad.text

    done = _upload(
        site,
        [("safeguarding-scan.pdf", scan, "application/pdf")],
        title="Child Protection Policy",
        adopted="12 November 2026",
        next_review="November 2027",
        approving_body="FGB",
    )
    assert done.status_code == 200, done.text
    policy = next(p for p in _policies(site) if p.title == "Child Protection Policy")
    assert policy.version == "adopted 12 November 2026"
    assert str(policy.next_review) == "2027-11-30" and str(policy.ratified_on) == "2026-11-12"
    assert (site.ctx.settings.config_path.parent / policy.document).read_bytes() == scan


def test_word_and_pdf_copies_are_one_policy_and_another_school_is_pointed_out(site: Site) -> None:
    site.sign_in("office@oak.example")
    before = len(_policies(site))
    page = _upload(
        site,
        [
            ("online-safety.docx", _docx(LINES), "application/octet-stream"),
            ("online-safety.pdf", _pdf(LINES), "application/pdf"),
        ],
    )
    assert page.status_code == 200, page.text
    text = " ".join(re.sub(r"<[^>]+>", " ", page.text).split())
    assert "online-safety.pdf is the same document as online-safety.docx" in text
    assert "This document names Oakfield Primary School, not Oak" in text
    assert "check it is yours" in text
    added = [p for p in _policies(site) if p.title == "Online Safety Policy"]
    # the school already has an Online Safety Policy: the Word copy is its new version, once
    assert len(_policies(site)) == before and len(added) == 1
    assert added[0].document.suffix == ".docx"
    # no version stated: staff see the date it was adopted, not an invented number
    assert added[0].version == "adopted 12 March 2026"
    assert "version: not stated in the document; staff see “adopted 12 March 2026”" in text


def test_a_pdf_copy_of_a_registered_word_document_is_not_a_new_version(site: Site) -> None:
    """As ``policies import`` checks the register: a later upload of the same text in another
    format is pointed out and left out, never a version staff are asked to read again."""
    site.sign_in("office@oak.example")
    first = _upload(site, [("online-safety.docx", _docx(LINES), "application/octet-stream")])
    assert first.status_code == 200, first.text
    [before] = [p for p in _policies(site) if p.title == "Online Safety Policy"]
    page = _upload(site, [("online-safety.pdf", _pdf(LINES), "application/pdf")])
    assert page.status_code == 200, page.text
    text = " ".join(re.sub(r"<[^>]+>", " ", page.text).split())
    assert (
        "online-safety.pdf is the same document as online-safety" in text
        and "already registered (a copy in another format)" in text
    )
    [after] = [p for p in _policies(site) if p.title == "Online Safety Policy"]
    assert (after.version, after.document) == (before.version, before.document)
    # a document with other words is a new version as before
    changed = [*LINES, "Staff also lock their screens whenever they leave a room."]
    _upload(site, [("online-safety.pdf", _pdf(changed), "application/pdf")])
    [newer] = [p for p in _policies(site) if p.title == "Online Safety Policy"]
    assert newer.document != before.document and newer.document.suffix == ".pdf"


def test_a_sub_heading_is_asked_about_not_taken_as_the_title(site: Site) -> None:
    site.sign_in("office@oak.example")
    lines = [
        "Oak Test School",
        *[f"A paragraph about our work number {n}." for n in range(10)],
        "# Procedures",
        "Next review: 1 May 2027",
        "Approved by: FGB",
    ]
    page = _upload(site, [("folder-copy.md", "\n\n".join(lines).encode(), "text/markdown")])
    assert page.status_code == 200, page.text
    text = " ".join(re.sub(r"<[^>]+>", " ", page.text).split())
    assert "Needs an answer: the title: not clear from the document" in text
    assert not any(p.title == "Procedures" for p in _policies(site))
    # a typed title answers it
    answered = _upload(
        site,
        [("folder-copy.md", "\n\n".join(lines).encode(), "text/markdown")],
        title="Intimate Care Policy",
    )
    assert answered.status_code == 200
    assert "Needs an answer: the title" not in answered.text
    assert any(p.title == "Intimate Care Policy" for p in _policies(site))
