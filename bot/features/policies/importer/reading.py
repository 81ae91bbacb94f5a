"""Reading policy documents into lines of text: .docx and .odt (page headers first, lists as
``- item``, headings as ``# text``, table rows as ``cell | cell``, footers last), .pdf (its text
layer), .txt and .md; and the title a .docx, .odt or .pdf carries in its properties.

Every document first passes the check of every route (``check_policy_document``: what its name
says, readable, safe to open), so what ``init`` or ``policies import`` reads is what the upload
pages and the sweep accept. A Word, OpenDocument or PDF file is then read in a child process
limited in memory and time (``bot.core.files.contained``): python-docx and pypdf never parse an
outside file in the web process or the command itself.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterable, Iterator
from itertools import groupby
from pathlib import Path
from typing import Any

from bot.core.files.opendocument import odt_lines
from bot.core.files.pdf_reading import pypdf_guard
from bot.core.files.uploads import (
    DOCUMENT_TYPES,
    AttachmentError,
    check_policy_document,
    read_contained,
)
from bot.core.language.i18n import N_
from bot.features.policies.importer.values import NoTextLayerError, PolicyImportError

__all__ = ["SUPPORTED_SUFFIXES", "read_document"]

SUPPORTED_SUFFIXES = DOCUMENT_TYPES
# a file of another type, by its extension ("*": any other; "": none)
_UNSUPPORTED = {
    ".doc": N_(
        "unsupported file type '.doc' (save it as .docx); supported: .docx, .odt, .pdf, .txt, .md"
    ),
    "": N_("unsupported file type 'no extension'; supported: .docx, .odt, .pdf, .txt, .md"),
    "*": N_("unsupported file type '%(type)s'; supported: .docx, .odt, .pdf, .txt, .md"),
}
Read = tuple[list[str], str | None]  # a document's lines, and the title its properties keep


def read_document(path: Path) -> Read:
    """Lines of text from a policy document, and the title its properties keep (a .docx, .odt
    or .pdf); ``PolicyImportError`` naming the file and why it is not read."""
    if not path.exists():
        raise PolicyImportError(path, N_("file not found"))
    if path.is_dir():
        raise PolicyImportError(path, N_("is a directory, not a document"))
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise PolicyImportError(path, _UNSUPPORTED.get(suffix, _UNSUPPORTED["*"]), type=suffix)
    data = _read_bytes(path)
    try:
        check_policy_document(path.name, data)
        reader = _READERS.get(suffix)
        lines, title = (
            (_plain(data), None)
            if reader is None
            else (read_contained(path.name, "PDF" if suffix == ".pdf" else "file", reader, data))
        )
    except AttachmentError as exc:  # said as the check says it, without the file's name again
        raise PolicyImportError(path, "%(why)s", told=exc) from None
    if not any(line.strip() for line in lines):
        if suffix == ".pdf":
            raise NoTextLayerError(
                path,
                N_(
                    "the PDF has no text to read (a scanned image?); register it with its "
                    "details typed in"
                ),
            )
        raise PolicyImportError(path, N_("no text found (the document is empty)"))
    return lines, title


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise PolicyImportError(
            path, N_("cannot read the file (%(why)s)"), why=str(exc.strerror or exc)
        ) from exc


def _plain(data: bytes) -> list[str]:
    """Text as an editor shows it (the check refused what is not text)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Files saved by Windows tools are often cp1252; better readable text than a refusal.
        text = data.decode("cp1252", errors="replace")
    # Only real newlines end a line, so numbers match what an editor shows (not \x0c etc.).
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _docx(data: bytes) -> Read:
    """In the child: a Word file's lines, a page header first and a footer last."""
    import docx  # lazy: ~0.06 s at start; in the child, the forkserver imported it once

    document = docx.Document(io.BytesIO(data))
    lines = list(_docx_header_footer_lines(document, "header"))
    lines.extend(_docx_block_lines(document.iter_inner_content()))
    lines.extend(_docx_header_footer_lines(document, "footer"))
    return lines, str(document.core_properties.title or "").strip() or None


# Ghostscript (10.0) writes a ligature's text the wrong way round in UTF-16: "fi" as U+6600
# U+6900 (every reader shows "Rati昀椀ed"); such a run beside a Latin letter is put back
_SWAPPED = "".join(chr(letter << 8) for letter in range(ord("a"), ord("z") + 1))
_LIGATURE = re.compile(f"(?<=[A-Za-z])[{_SWAPPED}]{{1,3}}|[{_SWAPPED}]{{1,3}}(?=[a-z])")
# Chromium (156) keeps a ligature as its one presentation form ("Ratiﬁed", U+FB01): the
# letters it stands for, as every reader's search finds them
_PRESENTATION = {c: unicodedata.normalize("NFKC", chr(c)) for c in range(0xFB00, 0xFB07)}


def _pdf(data: bytes) -> Read:
    """In the child: a PDF's text layer, page by page (the check refused what needs a password,
    too long or loops), and its properties' title."""
    from pypdf import PdfReader

    with pypdf_guard():  # pypdf's warnings are counted, never logged (they quote the file)
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:  # with an owner password alone (the check refused the rest)
            reader.decrypt("")
        pages = [page.extract_text() or "" for page in reader.pages]
        metadata = reader.metadata
        title = str(metadata.title or "").strip() if metadata else ""
    pages = [_LIGATURE.sub(_unswapped, page).translate(_PRESENTATION) for page in pages]
    return [line for page in pages for line in page.splitlines()], title or None


def _unswapped(run: re.Match[str]) -> str:
    return "".join(chr(ord(c) >> 8) for c in run[0])


_READERS = {".docx": _docx, ".odt": odt_lines, ".pdf": _pdf}


def _docx_block_lines(blocks: Iterable[Any]) -> Iterator[str]:
    from docx.table import Table

    for block in blocks:
        if isinstance(block, Table):
            yield from _docx_table_lines(block)
        else:
            yield from _docx_paragraph_lines(block)


def _docx_paragraph_lines(paragraph: Any) -> Iterator[str]:
    style = str(getattr(paragraph.style, "name", "") or "")
    numbered = paragraph._p.pPr is not None and paragraph._p.pPr.numPr is not None
    listed = style.startswith("List") or numbered
    prefix = "# " if style.startswith(("Heading", "Title")) else "- " if listed else ""
    for part in str(paragraph.text).split("\n"):
        yield prefix + part if part.strip() else part


def _docx_table_lines(table: Any) -> Iterator[str]:
    for row in table.rows:
        if len({id(cell._tc) for cell in row.cells}) == 1:
            # A one-cell row is a banner (school name over the title): one line per paragraph.
            yield from _docx_block_lines(row.cells[0].iter_inner_content())
            continue
        texts = (" ".join(str(cell.text).split()) for cell in row.cells)
        # Merged cells repeat in python-docx's row.cells; show each once.
        if cells := [text for text, _ in groupby(text for text in texts if text)]:
            yield " | ".join(cells)


def _docx_header_footer_lines(document: Any, which: str) -> Iterator[str]:
    seen: set[str] = set()
    for section in document.sections:
        for part in (getattr(section, which), getattr(section, f"first_page_{which}")):
            if part.is_linked_to_previous:
                continue
            for line in _docx_block_lines(part.iter_inner_content()):
                if line.strip() and line not in seen:
                    seen.add(line)
                    yield line
