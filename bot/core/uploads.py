"""Uploaded files (report attachments, training certificates, decision records, policy
documents): judged by their content within bounds of time and memory, images re-encoded without
metadata, stored outside the web root. A Word file's zip is measured before anything expands
it; pypdf never writes to the server log and is stopped when a file makes it complain without end.

A file must be what it says it is, and safe for the person who opens it later (a DSL opening a
report's attachment, staff opening a policy): its name's extension and the type the browser
declared must match its bytes; an image may carry nothing after its picture ends and no web
page or script inside it; a PDF may not expand past ``MAX_PDF_DECODED`` when opened, loop
in its structure (cross-reference chain, page tree, outline), or carry anything after its end
(names, declared types and images' ends are read by ``bot.core.filekinds``).

pypdf and Pillow are imported where a file is checked: this module is loaded by every command's
sweep and by the web app, and they would add ~0.18 s and ~25 ms to their start (measured); the
PDF checks run in ``bot.core.contained``'s children, whose forkserver imports pypdf ahead.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import logging
import os
import re
import secrets
import unicodedata
import warnings
import xml.parsers.expat
import zipfile
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import TYPE_CHECKING

from bot.core.contained import PARSE_SECONDS, ContainedError, run_contained
from bot.core.filekinds import (
    DOCX,
    MARKUP,
    document_kind,
    image_problem,
    sniff,
    type_problem,
)
from bot.core.forms import SaidError
from bot.core.i18n import N_

if TYPE_CHECKING:
    from pypdf import PdfReader

__all__ = [
    "DOCUMENT_TYPES",
    "MAX_DOCUMENT_BYTES",
    "MAX_FILE_BYTES",
    "MAX_PDF_DECODED",
    "MAX_PDF_IMAGE_PIXELS",
    "MAX_PIXELS",
    "AttachmentError",
    "CleanFile",
    "check_document_content",
    "check_docx",
    "check_pdf",
    "check_policy_document",
    "clean_attachment",
    "pypdf_guard",
    "safe_filename",
    "store_file",
]

MAX_FILE_BYTES = 5 * 1024 * 1024
DOCUMENT_TYPES = (".pdf", ".docx", ".md", ".txt")  # what a policy document may be
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000


class AttachmentError(SaidError, ValueError):
    """An attachment was refused; ``str()`` names the file and says why, ``said(tr)`` the
    same in the page's language where the sentence is the catalogue's."""


def _clean_text(value: str) -> str:
    """Drop control characters and lone surrogates; trim."""
    value = value.encode("utf-8", "replace").decode("utf-8")
    return "".join(c for c in value if unicodedata.category(c) not in ("Cc", "Cs")).strip()


@dataclass(frozen=True)
class CleanFile:
    """An accepted attachment: checked by its content, images re-encoded without metadata."""

    filename: str
    content_type: str
    data: bytes

    @property
    def sha256(self) -> str:
        """Fingerprint of the stored bytes."""
        return hashlib.sha256(self.data).hexdigest()


_EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}
# names that make a PDF act on its own (as pypdf reads them: ``/J#61vaScript`` is /JavaScript)
_PDF_ACTIVE = frozenset(
    {
        "/JavaScript",
        "/JS",
        "/Launch",
        "/OpenAction",
        "/AA",
        "/EmbeddedFile",
        "/EmbeddedFiles",
        "/RichMedia",
        "/SubmitForm",
        "/ImportData",
        "/GoToE",
    }
)
MAX_PDF_OBJECTS = 200_000  # a document with more objects than this is refused, not walked
MAX_PDF_PAGES = 5_000  # a declared page count beyond this is refused (a policy is ~10-50 pages)
# pypdf warns once per thing it repairs: a real scan may earn a few dozen, a file built to make
# it repair without end (50,000 nested dictionaries) earns tens of thousands; stop well before
MAX_PDF_WARNINGS = 200
# what a reader must expand to show the document, beyond its pictures: page contents, fonts,
# object streams, all together (a real document's are a few MB; zeros deflated 1000:1 are not,
# and measuring stops here, so a 1 GB stream costs what 50 MB does)
MAX_PDF_DECODED = 50 * 1024 * 1024
# a picture is judged by its own size, as a reader decodes it: at most this many pixels (an A4
# page scanned at 600 dpi is 35 million), and its data no longer than its pixels need. A
# screenshot printed to PDF expands ~150:1, so pictures do not count towards the limit above
MAX_PDF_IMAGE_PIXELS = 100_000_000
# pypdf's own words when it stops following a structure that loops back on itself (its log
# message templates, which never quote the file)
_PDF_LOOP = re.compile(r"circular|cycle|loop", re.IGNORECASE)

# a .docx is a zip: measured from its directory before anything expands it, then read through
# once with a capped reader (zipfile stops at each member's declared size and checks its CRC)
MAX_ZIP_MEMBERS = 2_000
MAX_ZIP_TOTAL = 50 * 1024 * 1024  # bytes, all members uncompressed
MAX_ZIP_RATIO = 100  # uncompressed : compressed, for a member above ZIP_RATIO_FROM
ZIP_RATIO_FROM = 1024 * 1024
_ZIP_CHUNK = 64 * 1024
# a Word part's XML: deeper than any real document's tables in tables; more elements than a
# 1,000-page document has (python-docx and mammoth build a tree of every one of them)
MAX_XML_DEPTH = 200
MAX_XML_ELEMENTS = 500_000


class PdfTooBrokenError(BaseException):
    """pypdf repaired more than ``MAX_PDF_WARNINGS`` things in one file: stop reading it.

    A BaseException so that pypdf's own ``except Exception`` repairs cannot swallow it; only
    :func:`pypdf_guard` raises it and its callers catch it by name.
    """


@dataclass
class _PdfBudget:
    warnings: int = 0
    looped: bool = False  # pypdf stopped following a structure that loops


_pdf_budget: ContextVar[_PdfBudget | None] = ContextVar("pdf_budget", default=None)


class _PypdfSink(logging.Handler):
    """Where pypdf's log goes: counted, never formatted or shown (its text may quote the file)."""

    def emit(self, record: logging.LogRecord) -> None:
        """Count one warning; stop the parse once the file has earned too many."""
        budget = _pdf_budget.get()
        if budget is not None:
            budget.warnings += 1
            budget.looped = budget.looped or bool(_PDF_LOOP.search(str(record.msg)))
            if budget.warnings > MAX_PDF_WARNINGS:
                raise PdfTooBrokenError


# every file pypdf reads here came from outside: nothing it says reaches the server's log
_PYPDF_LOG = logging.getLogger("pypdf")
_PYPDF_LOG.addHandler(_PypdfSink())
_PYPDF_LOG.propagate = False


@contextlib.contextmanager
def pypdf_guard() -> Iterator[None]:
    """Read a PDF with pypdf inside this: its warnings are counted, not logged, and more than
    ``MAX_PDF_WARNINGS`` of them raise :class:`PdfTooBrokenError` out of pypdf.

    Example::

        try:
            with pypdf_guard():
                pages = PdfReader(path).pages
        except (PdfTooBrokenError, Exception):
            ...  # refuse the file, naming it
    """
    token = _pdf_budget.set(_PdfBudget())
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pypdf's warnings.warn may quote the file too
            yield
    finally:
        _pdf_budget.reset(token)


class _PdfLoopsError(ValueError):
    """pypdf had to stop following a structure of the file that loops back on itself."""


class _PdfExpandsError(ValueError):
    """The file expands past what a reader should decode: its words (which never quote the
    file) finish the refusal."""


_COMPONENTS = {"/DeviceGray": 1, "/CalGray": 1, "/DeviceRGB": 3, "/CalRGB": 3, "/Lab": 3}


def _picture_bytes(image: object) -> int:
    """The bytes a picture's pixels take, from its declared size (four components when its
    colour space is not a plain one); _PdfExpandsError above ``MAX_PDF_IMAGE_PIXELS``."""
    from pypdf.generic import DictionaryObject  # lazy: ~0.18 s at start (module docstring)

    assert isinstance(image, DictionaryObject)
    width, height = image.get("/Width", 0), image.get("/Height", 0)
    if not isinstance(width, int) or not isinstance(height, int) or width < 0 or height < 0:
        raise ValueError("a picture without a size")
    if width * height > MAX_PDF_IMAGE_PIXELS:
        raise _PdfExpandsError(
            f"has a picture of {width * height / 1e6:,.0f} million pixels (we accept up to "
            f"{MAX_PDF_IMAGE_PIXELS // 1_000_000} million)"
        )
    mask = image.get("/ImageMask") is True
    bits = 1 if mask else image.get("/BitsPerComponent", 8)
    components = 1 if mask else _COMPONENTS.get(str(image.get("/ColorSpace")), 4)
    bits = bits if isinstance(bits, int) and 0 < bits <= 16 else 16
    return (width * components * bits + 7) // 8 * height


def _decoded_size(stream: object, room: int) -> int:
    """How many bytes ``stream`` expands to through its filters, pypdf's decoders stopped once
    past ``room`` (each inflates in bounded steps, never the whole stream at once). A stream
    pypdf cannot decode counts as nothing: a reader shows nothing for it either."""
    from pypdf import apply_configuration  # lazy: ~0.18 s at start (module docstring)
    from pypdf.errors import LimitReachedError
    from pypdf.filters import decode_stream_data
    from pypdf.generic import StreamObject

    assert isinstance(stream, StreamObject)
    limit = room + 1  # never 0, which pypdf reads as "no limit"
    with apply_configuration(
        zlib_maximum_output_length=limit,
        lzw_maximum_output_length=limit,
        run_length_maximum_output_length=limit,
        brotli_maximum_output_length=limit,
        jbig2_maximum_output_length=limit,
        array_based_stream_maximum_output_length=limit,
        jbig2dec_binary=None,  # no outside program decodes an uploaded image
    ):
        try:
            return len(decode_stream_data(stream))
        except LimitReachedError:
            return limit
        except Exception:  # a damaged or unsupported stream, not an expanding one
            return 0


def _pdf_looped() -> None:
    """Refuse the file if pypdf said, while reading it so far, that a structure loops."""
    budget = _pdf_budget.get()
    if budget is not None and budget.looped:
        raise _PdfLoopsError


def _pdf_active_content(data: bytes) -> str | None:
    """The first active-content name in any object of the PDF (None when there is none).

    The file is parsed with pypdf, so escaped names, compressed object streams and objects
    reachable only from the cross-reference table are all seen as a PDF reader sees them.
    Raises ValueError when the file cannot be parsed, is encrypted, or its page tree is cyclic
    or declares more than ``MAX_PDF_PAGES`` pages; ``_PdfExpandsError`` when its streams
    together (pictures aside) expand past ``MAX_PDF_DECODED``, or a picture is too large or
    its data longer than its pixels; ``_PdfLoopsError`` when its cross-reference
    chain, outline or named destinations loop. Run it inside :func:`pypdf_guard`.
    """
    from pypdf import PdfReader  # lazy: ~0.18 s at start (module docstring)
    from pypdf.generic import (
        ArrayObject,
        DictionaryObject,
        IndirectObject,
        NameObject,
        StreamObject,
    )

    reader = PdfReader(io.BytesIO(data), strict=False)
    _pdf_looped()  # its cross-reference chain (pypdf stops at the loop; a reader may not)
    if reader.is_encrypted:
        raise ValueError("encrypted")
    pending: list[object] = [reader.trailer]
    for generation, numbers in reader.xref.items():
        pending += [IndirectObject(n, generation, reader) for n in numbers]
    pending += [IndirectObject(n, 0, reader) for n in reader.xref_objStm]  # compressed objects
    seen: set[tuple[int, int]] = set()
    walked = decoded = 0
    while pending:
        item = pending.pop()
        if isinstance(item, IndirectObject):
            if (item.idnum, item.generation) in seen:
                continue
            seen.add((item.idnum, item.generation))
            item = item.get_object()
        walked += 1
        if walked > MAX_PDF_OBJECTS:
            raise ValueError("too many objects")
        if isinstance(item, StreamObject) and item.get("/Subtype") == "/Image":
            room = _picture_bytes(item) + item.get("/Height", 0) + 65536  # predictors' bytes
            if _decoded_size(item, room) > room:
                raise _PdfExpandsError("has a picture whose data is far larger than the picture")
        elif isinstance(item, StreamObject):
            decoded += _decoded_size(item, MAX_PDF_DECODED - decoded)
            if decoded > MAX_PDF_DECODED:
                raise _PdfExpandsError(
                    f"expands to more than {MAX_PDF_DECODED // 1048576} MB when it is opened, "
                    "far more than a real document does"
                )
        if isinstance(item, DictionaryObject):
            for key, value in item.items():
                if key in _PDF_ACTIVE:
                    return str(key)
                if isinstance(value, NameObject) and value in _PDF_ACTIVE:
                    return str(value)
                pending.append(value)
        elif isinstance(item, ArrayObject):
            pending.extend(item)
        elif isinstance(item, NameObject) and item in _PDF_ACTIVE:
            return str(item)
    _pdf_page_count(reader)  # a page tree no reader could walk is refused too
    _ = reader.outline, reader.named_destinations  # pypdf says if either loops
    _pdf_looped()
    return None


def safe_filename(name: str, content_type: str) -> str:
    """A display name without folders or odd characters, with the extension its content has."""
    base = re.split(r"[\\/]", name or "")[-1]
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = "".join(c for c in _clean_text(stem) if c.isalnum() or c in " ._-()")[:80].strip()
    return f"{stem or 'attachment'}{_EXTENSIONS.get(content_type, '')}"


def _reencode(data: bytes, content_type: str) -> bytes:
    """Decode and re-encode an image, dropping EXIF, GPS, comments and colour profiles."""
    from PIL import Image, ImageOps

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with Image.open(io.BytesIO(data)) as opened:
            if opened.format not in ("JPEG", "MPO", "PNG"):
                raise ValueError("not a JPEG or PNG image")
            if opened.width * opened.height > MAX_PIXELS:
                raise ValueError("image too large")
            opened.load()
            image = ImageOps.exif_transpose(opened) or opened
            out = io.BytesIO()
            if content_type == "image/jpeg":
                if image.mode not in ("RGB", "L"):
                    image = image.convert("RGB")
                image.info = {}
                image.save(out, "JPEG", quality=90)
            else:
                if image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
                    image = image.convert("RGBA")
                image.info = {}
                image.save(out, "PNG")
            return out.getvalue()


def _pdf_page_count(reader: PdfReader) -> int:
    """The page tree's declared count, refused above ``MAX_PDF_PAGES`` before pypdf walks it;
    then the pages themselves (pypdf refuses a cyclic tree with an error)."""
    from pypdf.generic import DictionaryObject

    pages = reader.root_object["/Pages"]
    declared = pages.get("/Count") if isinstance(pages, DictionaryObject) else None
    declared = declared.get_object() if declared is not None else 0
    if not isinstance(declared, int) or not 0 <= declared <= MAX_PDF_PAGES:
        raise _TooManyPagesError(declared)
    return len(reader.pages)


class _TooManyPagesError(ValueError):
    """The file's page tree declares more pages than anyone uploads."""

    def __init__(self, declared: object) -> None:
        """Keep the declared count for the message (a number, or "an impossible number")."""
        super().__init__(declared)
        self.declared = f"{declared:,}" if isinstance(declared, int) else "an impossible number of"


def _walk_pdf(shown: str, advice: str, data: bytes) -> None:
    """Parse and walk the PDF (in the child, :func:`check_pdf`); AttachmentError to refuse."""
    unreadable = f"{shown}: this PDF could not be read (it may be damaged or password-protected)."
    try:
        with pypdf_guard():
            active = _pdf_active_content(data)
    except _TooManyPagesError as exc:
        raise AttachmentError(
            f"{shown}: this PDF says it has {exc.declared} pages; we accept at most "
            f"{MAX_PDF_PAGES:,}. " + advice
        ) from None
    except _PdfExpandsError as exc:
        raise AttachmentError(
            f"{shown}: this PDF {exc}, so we have not accepted it. " + advice
        ) from None
    except _PdfLoopsError:
        raise AttachmentError(
            f"{shown}: this PDF has a structure that loops back on itself, which can make a "
            "PDF reader hang, so we have not accepted it. " + advice
        ) from None
    except (PdfTooBrokenError, Exception):  # any parser failure on untrusted bytes is a refusal
        raise AttachmentError(unreadable) from None
    if active is not None:
        raise AttachmentError(
            f"{shown}: this PDF contains scripts or embedded files, which we do not accept. "
            + advice
        )


def _in_child(shown: str, kind: str, work: Callable[[bytes], None], data: bytes) -> None:
    """Run ``work`` on the file in a child (``bot.core.contained``); AttachmentError to refuse,
    saying so when the child was stopped by one of its limits."""
    try:
        run_contained(work, data, passed=(AttachmentError,))
    except ContainedError as exc:
        reason = {
            "time": f"took too long to read (over {PARSE_SECONDS:.0f} seconds)",
            "memory": "needs far more memory to read than a real document does",
        }.get(exc.why, "could not be read (it may be damaged)")
        raise AttachmentError(
            f"{shown}: this {kind} {reason}, so we have not accepted it. Please save it again "
            "(or print it to a new PDF) and upload that."
        ) from None


def check_pdf(
    shown: str,
    data: bytes,
    *,
    advice: str = "Please print it to a new PDF (or save it as Word) and upload that.",
) -> None:
    """Refuse a PDF that is damaged, encrypted, acts on its own (scripts, embedded files),
    expands past ``MAX_PDF_DECODED`` (or a picture past its size), loops in its structure, or
    is also something else (data after its end, a web page at its start).

    pypdf reads it in a child process limited in memory and time (``bot.core.contained``):
    pypdf repairs damaged files at a cost no size check bounds.
    """
    if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-4096:]:
        raise AttachmentError(f"{shown}: this PDF is incomplete or damaged.")
    if data[data.rfind(b"%%EOF") + 5 :].strip(b" \t\r\n\x0c\x00"):
        raise AttachmentError(
            f"{shown}: this PDF has something else after its end, so we have not accepted it. "
            + advice
        )
    if MARKUP.search(data[:1024]):  # where a PDF that is also a web page keeps its page
        raise AttachmentError(
            f"{shown}: this PDF has web page or script code at its start, so we have not "
            "accepted it. " + advice
        )
    _in_child(shown, "PDF", functools.partial(_walk_pdf, shown, advice), data)


def _zip_refusal(shown: str, why: str) -> AttachmentError:
    return AttachmentError(
        f"{shown}: this Word file {why}, so we have not opened it. Please save it again from "
        "Word (or as a PDF) and upload that."
    )


class _XmlScan:
    """Counts one XML part's elements and depth as expat streams it; refuses any DTD (where
    "billion laughs" entities live: a Word part never has one) and absurd nesting or size."""

    def __init__(self, shown: str, counted: list[int]) -> None:
        """Scan into ``counted`` (one total of elements for the whole file)."""
        self.shown, self.counted, self.depth = shown, counted, 0
        self.parser = xml.parsers.expat.ParserCreate()
        self.parser.StartDoctypeDeclHandler = self._doctype
        self.parser.EntityDeclHandler = self._doctype
        self.parser.StartElementHandler = self._start
        self.parser.EndElementHandler = self._end

    def _doctype(self, *_: object) -> None:
        raise _zip_refusal(self.shown, "declares its own XML entities, which Word never does")

    def _start(self, *_: object) -> None:
        self.depth += 1
        self.counted[0] += 1
        if self.depth > MAX_XML_DEPTH:
            raise _zip_refusal(self.shown, f"nests its parts over {MAX_XML_DEPTH} levels deep")
        if self.counted[0] > MAX_XML_ELEMENTS:
            raise _zip_refusal(self.shown, f"holds over {MAX_XML_ELEMENTS:,} XML elements")

    def _end(self, *_: object) -> None:
        self.depth -= 1

    def feed(self, chunk: bytes, final: bool = False) -> None:
        """Parse the next piece; a malformed part is refused as damaged."""
        try:
            self.parser.Parse(chunk, final)
        except xml.parsers.expat.ExpatError:
            raise _zip_refusal(self.shown, "is damaged or is not really a Word document") from None


def _expand_docx(shown: str, data: bytes) -> None:
    """Read every member through once in small chunks (in the child, :func:`check_docx`),
    streaming each XML part through expat; AttachmentError to refuse."""
    counted = [0]
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in archive.infolist():
                if info.is_dir():
                    continue
                scan = (
                    _XmlScan(shown, counted)
                    if info.filename.lower().endswith((".xml", ".rels"))
                    else None
                )
                with archive.open(info) as member:
                    read = 0
                    while chunk := member.read(_ZIP_CHUNK):
                        read += len(chunk)
                        if read > info.file_size:  # zipfile stops at the declared size; be sure
                            raise zipfile.BadZipFile("longer than declared")
                        if scan is not None:
                            scan.feed(chunk)
                    if scan is not None:
                        scan.feed(b"", final=True)
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        NotImplementedError,
        ValueError,
        OSError,
        EOFError,
        RuntimeError,
    ) as exc:  # RuntimeError: a password-protected member
        if isinstance(exc, AttachmentError):
            raise
        raise _zip_refusal(shown, "is damaged or is not really a Word document") from None


def check_docx(shown: str, data: bytes) -> None:
    """Refuse a Word (.docx) file whose zip would expand beyond sane bounds, before expanding it.

    The zip's directory is measured here first (member count, total declared size, each large
    member's compression ratio): cheap, and nothing expands. Then, in a child process limited
    in memory and time (``bot.core.contained``), every member is read through once in small
    chunks, so a member whose real stream is longer than its header says fails its CRC check
    instead of filling memory, and every XML part is streamed through expat: a DTD (entity
    expansion, "billion laughs"), nesting deeper than ``MAX_XML_DEPTH`` or more than
    ``MAX_XML_ELEMENTS`` elements is refused before python-docx or mammoth builds a tree.
    Raises AttachmentError naming the file.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError):
        raise _zip_refusal(shown, "is damaged or is not really a Word document") from None
    with archive:
        members = archive.infolist()
        if len(members) > MAX_ZIP_MEMBERS:
            raise _zip_refusal(shown, f"holds {len(members):,} parts (at most {MAX_ZIP_MEMBERS:,})")
        total = sum(info.file_size for info in members)
        if total > MAX_ZIP_TOTAL:
            raise _zip_refusal(
                shown,
                f"would expand to {total / 1048576:,.0f} MB (at most "
                f"{MAX_ZIP_TOTAL // 1048576} MB)",
            )
        for info in members:
            if info.file_size > ZIP_RATIO_FROM and (
                info.file_size > MAX_ZIP_RATIO * max(info.compress_size, 1)
            ):
                raise _zip_refusal(shown, "is compressed far more than a real document can be")
    _in_child(shown, "Word file", functools.partial(_expand_docx, shown), data)


def _text_problem(shown: str, data: bytes) -> str | None:
    """Why text (.md, .txt) cannot be read as text: more than a few characters that no editor
    shows (the bytes of a broken sync, not a document), in UTF-8 or a Windows code page."""
    utf16 = data.startswith((b"\xff\xfe", b"\xfe\xff"))
    try:
        text = data.decode("utf-16" if utf16 else "utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")  # as the importer reads Windows files
    odd = sum(
        c == "\ufffd" or (unicodedata.category(c) == "Cc" and c not in "\t\n\r\f") for c in text
    )
    if odd <= max(2, len(text) // 100):
        return None
    return (
        f"{shown}: this file cannot be read as text (it may be damaged, or be another kind of "
        "file renamed), so we have not accepted it. Please save it again from the program it "
        "was written in."
    )


def check_document_content(shown: str, data: bytes) -> None:
    """Refuse a policy document (.pdf, .docx, .md, .txt by its name ``shown``) whose bytes are
    not what its name says, or that cannot be read or is unsafe to open: a PDF as
    :func:`check_pdf` judges it, a Word file as :func:`check_docx` does, text that is not text.
    AttachmentError naming the file."""
    kind = document_kind(data)
    problem = type_problem(shown, shown, data, kind, None)
    if problem is None and kind == "text/plain":
        problem = _text_problem(shown, data)
    if problem is not None:
        raise AttachmentError(problem)
    if kind == "application/pdf":
        check_pdf(shown, data)
    elif kind == DOCX:
        check_docx(shown, data)


def check_policy_document(name: str, data: bytes) -> str:
    """The one check of a policy document, whatever route it comes in by (the upload pages,
    the policy folder and whatever syncs it, the command line, a reading edition): of a
    document's type (:data:`DOCUMENT_TYPES`) and size, its bytes what its name says, readable
    and safe to open (:func:`check_document_content`). Returns its base name (at most 300
    characters); AttachmentError naming the file and why, in a person's words, otherwise."""
    base = PurePath(name.replace("\\", "/")).name.strip()
    if not base.lower().endswith(DOCUMENT_TYPES):
        raise AttachmentError(
            f"{base or 'the document'}: use a .pdf, .docx, .md or .txt file for the policy"
        )
    if not data:
        raise AttachmentError(f"{base}: the file is empty")
    if len(data) > MAX_DOCUMENT_BYTES:
        raise AttachmentError(f"{base}: the file is larger than 10 MB")
    check_document_content(base, data)
    return base[:300]


def clean_attachment(filename: str, data: bytes, declared: str | None = None) -> CleanFile:
    """Accept a JPEG, PNG or PDF of at most 5 MB, judged by content and refused when its name
    or ``declared`` type (the browser's) says it is something else; raise AttachmentError."""
    shown = re.split(r"[\\/]", filename or "")[-1][:80] or "the file"
    if not data:
        raise AttachmentError(N_("%(file)s: the file is empty."), file=shown)
    if len(data) > MAX_FILE_BYTES:
        raise AttachmentError(
            N_("%(file)s: the file is %(size)s MB; each file may be at most 5 MB."),
            file=shown,
            size=f"{len(data) / 1048576:.1f}",
        )
    kind = sniff(data)
    if kind is None:
        raise AttachmentError(
            N_(
                "%(file)s: only photos (JPEG or PNG) and PDF documents can be attached, and "
                "this file is not one of those (whatever its name says)."
            ),
            file=shown,
        )
    problem = type_problem(shown, filename, data, kind, declared)
    if problem is None and kind != "application/pdf":
        problem = image_problem(shown, data, kind)
    if problem is not None:
        raise AttachmentError(problem)
    if kind == "application/pdf":
        check_pdf(shown, data, advice="Please print it to a new PDF or attach a photo instead.")
        clean = data
    else:
        try:
            clean = _reencode(data, kind)
        except Exception as exc:  # any decoder failure on untrusted bytes is a refusal
            raise AttachmentError(
                N_("%(file)s: this image could not be read (it may be damaged or too large)."),
                file=shown,
            ) from exc
    return CleanFile(safe_filename(filename, kind), kind, clean)


def store_file(folder: Path, clean: CleanFile) -> Path:
    """Write under a random name, readable by the bot only."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{secrets.token_hex(16)}{_EXTENSIONS[clean.content_type]}"
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(clean.data)
    return target
