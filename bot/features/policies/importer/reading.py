"""Reading policy documents into lines of text: .docx (page headers first, lists as ``- item``,
headings as ``# text``, table rows as ``cell | cell``, footers last), .pdf (its text layer), .txt
and .md; and the title a .docx or .pdf carries in its properties.

python-docx and pypdf are imported by the reader of their format: the web app loads this module,
and they would add ~0.06 s and ~0.18 s to its start (measured).
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterable, Iterator
from itertools import groupby
from pathlib import Path
from typing import Any

from bot.core.i18n import N_
from bot.core.pdf_reading import MAX_PDF_PAGES, PdfTooBrokenError, pypdf_guard
from bot.core.uploads import AttachmentError, check_docx
from bot.features.policies.importer.values import NoTextLayerError, PolicyImportError

__all__ = ["SUPPORTED_SUFFIXES", "document_title", "extract_text"]

SUPPORTED_SUFFIXES = (".docx", ".pdf", ".txt", ".md", ".markdown")
# a file of another type, by its extension ("*": any other; "": none)
_UNSUPPORTED = {
    ".doc": N_(
        "unsupported file type '.doc' (save it as .docx); supported: .docx, .pdf, .txt, .md"
    ),
    "": N_("unsupported file type 'no extension'; supported: .docx, .pdf, .txt, .md"),
    "*": N_("unsupported file type '%(type)s'; supported: .docx, .pdf, .txt, .md"),
}


def extract_text(path: Path) -> list[str]:
    """Lines of text from a .docx, .pdf, .txt or .md file; raises ``PolicyImportError``."""
    if not path.exists():
        raise PolicyImportError(path, N_("file not found"))
    if path.is_dir():
        raise PolicyImportError(path, N_("is a directory, not a document"))
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise PolicyImportError(path, _UNSUPPORTED.get(suffix, _UNSUPPORTED["*"]), type=suffix)
    readers: dict[str, Callable[[Path], list[str]]] = {".docx": _read_docx, ".pdf": _read_pdf}
    lines = readers.get(suffix, _read_plain)(path)
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
    return lines


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise PolicyImportError(
            path, N_("cannot read the file (%(why)s)"), why=str(exc.strerror or exc)
        ) from exc


def _read_plain(path: Path) -> list[str]:
    data = _read_bytes(path)
    if b"\x00" in data[:8192]:
        raise PolicyImportError(path, N_("looks like a binary file, not plain text"))
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


def _read_docx(path: Path) -> list[str]:
    import docx  # lazy: ~0.06 s at start; text and markdown never pay for it (module docstring)
    from docx.opc.exceptions import PackageNotFoundError

    data = _read_bytes(path)  # turns permission problems into a clear error first
    try:
        check_docx(path.name, data)  # measured before python-docx expands it
    except AttachmentError as exc:
        raise PolicyImportError(path, N_("not a readable .docx file: %(why)s"), told=exc) from None
    try:
        document = docx.Document(str(path))
        # A page header is read first, as on the page; a footer last.
        lines = list(_docx_header_footer_lines(document, "header"))
        lines.extend(_docx_block_lines(document.iter_inner_content()))
        lines.extend(_docx_header_footer_lines(document, "footer"))
    # A broken .docx surfaces as any of these (lxml's XMLSyntaxError is a SyntaxError).
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, SyntaxError) as exc:
        raise PolicyImportError(
            path, N_("not a readable .docx file (%(why)s)"), why=_reason(exc)
        ) from exc
    return lines


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


def document_title(path: Path) -> str | None:
    """The title kept in a .docx or .pdf file's properties, if any (never raises)."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".docx":
            import docx

            return str(docx.Document(str(path)).core_properties.title or "").strip() or None
        if suffix == ".pdf":
            from pypdf import PdfReader

            with pypdf_guard():
                metadata = PdfReader(path).metadata
                return str(metadata.title or "").strip() or None if metadata else None
    except (Exception, PdfTooBrokenError):  # an unreadable file is reported by extract_text
        return None
    return None


def _read_pdf(path: Path) -> list[str]:
    from pypdf import PdfReader

    _read_bytes(path)
    try:
        with pypdf_guard():  # pypdf's warnings are counted, never logged (they quote the file)
            reader = PdfReader(path)
            if reader.is_encrypted and not reader.decrypt(""):
                raise PolicyImportError(path, N_("the PDF is password-protected"))
            count = len(reader.pages)  # pypdf walks the real tree: a cycle is an error
            if count > MAX_PDF_PAGES:
                raise PolicyImportError(
                    path,
                    N_("the PDF has %(count)s pages; at most %(most)s are read"),
                    count=f"{count:,}",
                    most=f"{MAX_PDF_PAGES:,}",
                )
            pages = [page.extract_text() or "" for page in reader.pages]
    except PolicyImportError:
        raise
    except PdfTooBrokenError:
        raise PolicyImportError(path, N_("not a readable PDF (it is badly damaged)")) from None
    # pypdf raises a wide variety of exception types on malformed files; all mean "unreadable".
    except Exception as exc:
        raise PolicyImportError(path, N_("not a readable PDF (%(why)s)"), why=_reason(exc)) from exc
    return [line for page in pages for line in page.splitlines()]


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:120]
