"""Documents shown as written: Markdown and Word become clean, sanitised HTML with headings and
lists; PDF pages become images; the demo's Word and PDF policies are the same bytes every time."""

from __future__ import annotations

import io
import zipfile

from PIL import Image

from bot.core.files.documents import PAGE_WIDTH, pdf_page_png, sanitise, show_document
from bot.demo.documents import DEMO_DOCUMENTS, code_of_conduct_docx, mobile_phones_pdf

MARKDOWN = b"""# Oak Policy

*Written by the school.*

## Scope
This sentence is wrapped
across two lines in the file.

- first
- second

<script>alert('x')</script>
[bad](javascript:alert(1)) <img src=x onerror=alert(1)>
"""


def test_markdown_is_rendered_with_headings_lists_and_no_hard_breaks() -> None:
    shown = show_document("oak.md", MARKDOWN, "sha-md")
    assert shown.kind == "html"
    # the page's h1 is the policy's title, so the document's headings step down one level
    assert "<h2>Oak Policy</h2>" in shown.html and "<h3>Scope</h3>" in shown.html
    assert "<em>Written by the school.</em>" in shown.html
    assert "<ul>\n<li>first</li>\n<li>second</li>\n</ul>" in shown.html
    assert "<br" not in shown.html  # a wrapped line is one sentence, not two
    # raw HTML in the file stays text; a javascript: link is not made a link
    assert "<script" not in shown.html and "&lt;script&gt;" in shown.html
    assert 'href="javascript' not in shown.html and "<img" not in shown.html
    assert "# Oak" not in shown.html


def test_sanitise_keeps_structure_and_drops_what_could_run() -> None:
    dirty = (
        '<h1 onclick="x()">T</h1><style>p{}</style><p style="color:red">p</p>'
        '<img src="https://tracker.example/x.png"><img src="data:image/png;base64,AA">'
        '<a href="https://example.org">ok</a><iframe src="https://e.x"></iframe>'
    )
    clean = sanitise(dirty)
    assert clean.startswith("<h2>T</h2>")
    assert "style" not in clean and "onclick" not in clean and "iframe" not in clean
    assert "tracker.example" not in clean  # no remote images: nothing leaks who read it
    assert '<img alt="" src="data:image/png;base64,AA">' in clean
    assert 'href="https://example.org"' in clean and 'rel="noopener noreferrer nofollow"' in clean


def test_plain_text_joins_wrapped_lines_into_paragraphs() -> None:
    shown = show_document("a.txt", b"One sentence\nwrapped.\n\nNext <b>para</b>.", "sha-txt")
    assert shown.html == "<p>One sentence wrapped.</p><p>Next &lt;b&gt;para&lt;/b&gt;.</p>"


def test_word_document_keeps_headings_and_lists() -> None:
    shown = show_document("code.docx", code_of_conduct_docx(), "sha-docx")
    assert shown.kind == "html"
    assert "<h2>Oakfield Primary School — Staff Code of Conduct</h2>" in shown.html
    assert "<h3>2. What every member of staff does</h3>" in shown.html
    assert shown.html.count("<li>") == 3 and "<ul>" in shown.html


def test_pdf_pages_are_drawn_as_images_with_their_text() -> None:
    data = mobile_phones_pdf()
    shown = show_document("phones.pdf", data, "sha-pdf")
    assert shown.kind == "pdf" and len(shown.pages) == 2
    assert "Personal phones stay in lockers" in shown.pages[0]
    assert shown.pages[1].startswith("Breaches")
    png = pdf_page_png(data, "sha-pdf", 2)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.width == PAGE_WIDTH
    assert abs(image.height - shown.heights[1]) <= 1  # the width and height attributes
    assert pdf_page_png(data, "sha-pdf", 2) is png  # cached by the file's hash and page


def test_unreadable_files_say_so_and_never_raise() -> None:
    for name, data in (("broken.docx", b"not a zip"), ("broken.pdf", b"%PDF-1.4 nonsense")):
        shown = show_document(name, data, f"sha-{name}")
        assert shown.kind == "none" and shown.problem
    assert show_document("table.xlsx", b"PK", "sha-x").kind == "none"


def test_demo_documents_are_reproducible() -> None:
    for name, make in DEMO_DOCUMENTS.items():
        assert make() == make(), name
    with zipfile.ZipFile(io.BytesIO(code_of_conduct_docx())) as archive:
        assert {i.date_time for i in archive.infolist()} == {(2026, 9, 1, 9, 0, 0)}
