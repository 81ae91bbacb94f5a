"""The demo school's Word and PDF policies, written for this project and generated the same,
byte for byte, every time (python-docx and reportlab), so their SHA-256 never drifts.

python-docx and reportlab are imported when the documents are made (a new demo): they would add
~0.06 s and ~0.2 s to every other ``demo`` start (measured).
"""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from itertools import groupby
from pathlib import Path

import yaml

from bot.core.days.clock import LONDON
from bot.core.rendering.pdf import A4Report

__all__ = ["DEMO_DOCUMENTS", "code_of_conduct_docx", "mobile_phones_pdf"]

DATA = Path(__file__).parent / "data"
FIXED = datetime(2026, 9, 1, 9, 0)  # the documents' own date, not the build's
NOTE = "Sample document written for the compliance-bot demo. Oakfield Primary School is fictional."


def _parts(name: str) -> list[tuple[str, str]]:
    """(kind, text) of each part of a document, as ``data/documents.yaml`` writes it."""
    documents = yaml.safe_load((DATA / "documents.yaml").read_text(encoding="utf-8"))
    return [next(iter(part.items())) for part in documents[name]]


def _fixed_zip(data: bytes) -> bytes:
    """The same archive with every entry dated FIXED (zip entries carry the build's time)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()


def code_of_conduct_docx() -> bytes:
    """The Staff Code of Conduct as a Word document (headings, a bulleted list)."""
    from docx import Document  # lazy: ~0.06 s (module docstring)

    doc = Document()
    props = doc.core_properties
    props.author = "Oakfield Primary School"
    props.title = "Staff Code of Conduct"
    props.created = props.modified = props.last_printed = FIXED
    props.revision = 1
    doc.add_heading("Oakfield Primary School — Staff Code of Conduct", level=1)
    doc.add_paragraph().add_run(NOTE).italic = True
    doc.add_paragraph("Version 2026.1 · Approved by the Full Governing Body")
    for kind, text in _parts("staff-code-of-conduct.docx"):
        if kind == "h":
            doc.add_heading(text, level=2)
        elif kind == "li":
            doc.add_paragraph(text, style="List Bullet")
        else:
            doc.add_paragraph(text)
    out = io.BytesIO()
    doc.save(out)
    return _fixed_zip(out.getvalue())


def mobile_phones_pdf() -> bytes:
    """The Mobile Phones and Personal Devices Policy as a two-page PDF."""
    pdf = A4Report(
        "Mobile Phones and Personal Devices Policy",
        "en",
        FIXED.replace(tzinfo=LONDON),
        author="Oakfield Primary School",
    )
    pdf.text("Oakfield Primary School — Mobile Phones and Personal Devices", "Title")
    pdf.text(NOTE)
    pdf.text("Version 2026.1 · Approved by the Resources Committee")
    for kind, parts in groupby(_parts("mobile-phones.pdf"), key=lambda part: part[0]):
        texts = [text for _, text in parts]
        if kind == "li":
            pdf.bullets(texts)
            continue
        for text in texts:
            if text == "Breaches":
                pdf.page_break()
            pdf.text(text, "Heading2" if kind == "h" else "Normal")
    return pdf.render()


# the file name in the demo's policies/ folder -> how it is made
DEMO_DOCUMENTS = {
    "staff-code-of-conduct.docx": code_of_conduct_docx,
    "mobile-phones.pdf": mobile_phones_pdf,
}
