"""Uploaded files (report attachments, training certificates, decision records, policy
documents): judged by their content within bounds of time and memory, images re-encoded without
metadata, stored outside the web root. A Word or OpenDocument file's zip is measured before
anything expands it; pypdf never writes to the server log and is stopped when a file makes it
complain without end.

A file must be what it says it is, and safe for the person who opens it later (a DSL opening a
report's attachment, staff opening a policy): its name's extension and the type the browser
declared must match its bytes; an image may carry nothing after its picture ends and no web
page or script inside it; a PDF may not expand past ``MAX_PDF_DECODED`` when opened, loop
in its structure (cross-reference chain, page tree, outline), or carry anything after its end
(names, declared types and images' ends are read by ``bot.core.files.filekinds``).

pypdf and Pillow are imported where a file is checked: this module is loaded by every command's
sweep and by the web app, and they would add ~0.18 s and ~25 ms to their start (measured); the
PDF checks run in ``bot.core.files.contained``'s children, whose forkserver imports pypdf ahead.
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
import re
import secrets
import unicodedata
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import TypeVar

from bot.core.files.contained import PARSE_SECONDS, ContainedError, run_contained
from bot.core.files.filekinds import (
    DOCX,
    MARKUP,
    ODT,
    SAID_AS,
    Problem,
    document_kind,
    image_problem,
    sniff,
    type_problem,
)
from bot.core.files.pdf_reading import (
    MAX_PDF_DECODED,
    MAX_PDF_IMAGE_PIXELS,
    MAX_PDF_PAGES,
    PdfExpandsError,
    PdfLoopsError,
    PdfPasswordError,
    PdfTooBrokenError,
    TooManyPagesError,
    pdf_active_content,
    pypdf_guard,
)
from bot.core.files.zipped import ZipLimits, ZipRefused, measure, scan
from bot.core.guards.forms import SaidError
from bot.core.language.i18n import N_, Joined, Lazy, Msg

__all__ = [
    "DOCUMENT_TYPES",
    "MAX_DOCUMENT_BYTES",
    "MAX_FILES",
    "MAX_FILE_BYTES",
    "MAX_PDF_DECODED",
    "MAX_PDF_IMAGE_PIXELS",
    "MAX_PIXELS",
    "AttachmentError",
    "CleanFile",
    "check_document_content",
    "check_pdf",
    "check_policy_document",
    "check_zip",
    "clean_attachment",
    "policy_document_name",
    "pypdf_guard",
    "read_contained",
    "safe_filename",
    "store_file",
]

T = TypeVar("T")

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_FILES = 3  # files one form takes unless its page says otherwise (a report's)
# what a policy document may be
DOCUMENT_TYPES = (".pdf", ".docx", ".odt", ".md", ".markdown", ".txt")
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000


class AttachmentError(SaidError, ValueError):
    """An attachment was refused: the sentence naming the file and saying why, with ``then``
    (what to do, a catalogue sentence too) after it. It crosses from the child checking a file
    (``bot.core.files.contained``) as its sentence and values: the parent says it."""

    said_as: tuple[str, ...] = ()  # values that are catalogue sentences too ("a JPEG photo")

    def __init__(self, message: str, *, then: str | None = None, **values: str) -> None:
        self.then = then
        super().__init__(message, **values)

    @property
    def msg(self) -> Lazy:
        """The sentence, then what to do, each said where shown."""
        values = {k: Msg(str(v)) if k in self.said_as else v for k, v in self.values.items()}
        said = Msg(self.message, **values)
        return Joined((said, Msg(self.then)), " ") if self.then else said


# what to do with a file refused (``then``): a policy document, an attachment, any file
PDF_OR_WORD = N_("Please print it to a new PDF (or save it as Word) and upload that.")
PDF_OR_PHOTO = N_("Please print it to a new PDF or attach a photo instead.")
SAVE_AGAIN = N_("Please save it again (or print it to a new PDF) and upload that.")
SAVE_WORD = N_("Please save it again from Word (or as a PDF) and upload that.")


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
# a .docx or .odt is a zip (``bot.core.files.zipped``); its XML nests no deeper than any
# real document's tables in tables, with fewer elements than a 1,000-page document has
# (python-docx and mammoth build a tree of every one of them)
MAX_ZIP_MEMBERS = 2_000
ZIP_LIMITS = ZipLimits(
    parts=MAX_ZIP_MEMBERS, expanded=50 * 1024 * 1024, ratio=100, depth=200, elements=500_000
)


def safe_filename(name: str, content_type: str) -> str:
    """A display name without folders or odd characters, with the extension its content has."""
    base = re.split(r"[\\/]", name or "")[-1]
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = "".join(c for c in _clean_text(stem) if c.isalnum() or c in " ._-()")[:80].strip()
    return f"{stem or 'attachment'}{_EXTENSIONS.get(content_type, '')}"


def _reencode(data: bytes, content_type: str) -> bytes:
    """Decode and re-encode an image, dropping EXIF, GPS, comments and colour profiles."""
    from PIL import Image, ImageOps  # lazy: ~25 ms at start (module docstring)

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


def _walk_pdf(shown: str, advice: str, data: bytes) -> None:
    """Parse and walk the PDF (in the child, :func:`check_pdf`); AttachmentError to refuse."""
    try:
        with pypdf_guard():
            active = pdf_active_content(data)
    except TooManyPagesError as exc:
        raise AttachmentError(
            N_("%(file)s: this PDF says it has %(pages)s pages; we accept at most %(most)s.")
            if exc.declared
            else N_(
                "%(file)s: this PDF says it has an impossible number of pages; we accept at most "
                "%(most)s."
            ),
            then=advice,
            file=shown,
            most=f"{MAX_PDF_PAGES:,}",
            pages=exc.declared or "",
        ) from None
    except PdfExpandsError as exc:
        raise AttachmentError(
            str(exc), then=advice, file=shown, size=str(MAX_PDF_DECODED // 1048576)
        ) from None
    except PdfPasswordError as exc:
        raise AttachmentError(str(exc), file=shown) from None
    except PdfLoopsError:
        raise AttachmentError(
            N_(
                "%(file)s: this PDF has a structure that loops back on itself, which can make a "
                "PDF reader hang, so we have not accepted it."
            ),
            then=advice,
            file=shown,
        ) from None
    except (PdfTooBrokenError, Exception):  # any parser failure on untrusted bytes is a refusal
        raise AttachmentError(
            N_("%(file)s: this PDF could not be read (it may be damaged or password-protected)."),
            file=shown,
        ) from None
    if active is not None:
        raise AttachmentError(active, then=advice, file=shown)


# a file whose reading was stopped (``_in_child``), by its kind and what stopped it
_STOPPED = {
    ("PDF", "time"): N_(
        "%(file)s: this PDF took too long to read (over %(seconds)s seconds), so "
        "we have not accepted it."
    ),
    ("PDF", "memory"): N_(
        "%(file)s: this PDF needs far more memory to read than a real document "
        "does, so we have not accepted it."
    ),
    ("PDF", "failed"): N_(
        "%(file)s: this PDF could not be read (it may be damaged), so we have not accepted it."
    ),
    ("file", "time"): N_(
        "%(file)s: this file took too long to read (over %(seconds)s seconds), so we have not "
        "accepted it."
    ),
    ("file", "memory"): N_(
        "%(file)s: this file needs far more memory to read than a real document does, so we "
        "have not accepted it."
    ),
    ("file", "failed"): N_(
        "%(file)s: this file could not be read (it may be damaged), so we have not accepted it."
    ),
}


def read_contained(shown: str, kind: str, work: Callable[[bytes], T], data: bytes) -> T:
    """``work(data)`` in a child (``bot.core.files.contained``), its answer; AttachmentError to
    refuse (``kind``: "PDF" or "file", for the sentence when a limit stopped the child)."""
    try:
        return run_contained(work, data, passed=(AttachmentError, ZipRefused))
    except ContainedError as exc:
        why = exc.why if exc.why in ("time", "memory") else "failed"
        raise AttachmentError(
            _STOPPED[kind, why], then=SAVE_AGAIN, file=shown, seconds=f"{PARSE_SECONDS:.0f}"
        ) from None


def check_pdf(shown: str, data: bytes, *, advice: str = PDF_OR_WORD) -> None:
    """Refuse a PDF that is damaged, encrypted, acts on its own (scripts, embedded files),
    expands past ``MAX_PDF_DECODED`` (or a picture past its size), loops in its structure, or
    is also something else (data after its end, a web page at its start).

    pypdf reads it in a child process limited in memory and time (``bot.core.files.contained``):
    pypdf repairs damaged files at a cost no size check bounds.
    """
    if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-4096:]:
        raise AttachmentError(N_("%(file)s: this PDF is incomplete or damaged."), file=shown)
    if data[data.rfind(b"%%EOF") + 5 :].strip(b" \t\r\n\x0c\x00"):
        raise AttachmentError(
            N_("%(file)s: this PDF has something else after its end, so we have not accepted it."),
            then=advice,
            file=shown,
        )
    if MARKUP.search(data[:1024]):  # where a PDF that is also a web page keeps its page
        raise AttachmentError(
            N_(
                "%(file)s: this PDF has web page or script code at its start, so we have not "
                "accepted it."
            ),
            then=advice,
            file=shown,
        )
    read_contained(shown, "PDF", functools.partial(_walk_pdf, shown, advice), data)


_DAMAGED_WORD = N_(
    "%(file)s: this Word file is damaged or is not really a Word document, so we "
    "have not opened it."
)
_DAMAGED_ODT = N_(
    "%(file)s: this OpenDocument file is damaged or is not really an OpenDocument text, so we "
    "have not opened it."
)
SAVE_ODT = N_("Please save it again as a Word file (.docx) or a PDF and upload that.")
# what is said of each kind of zipped document when it is damaged, and what to do
_ZIPPED = {DOCX: (_DAMAGED_WORD, SAVE_WORD), ODT: (_DAMAGED_ODT, SAVE_ODT)}


@dataclass(frozen=True)
class _Refuse:
    """How a zipped file is refused: its name, why it is damaged, and what to do."""

    shown: str
    damaged: str
    then: str

    def __call__(self, why: str | None = None, **values: str) -> AttachmentError:
        return AttachmentError(why or self.damaged, then=self.then, file=self.shown, **values)


# what is said of a zipped document refused (``bot.core.files.zipped``), by why
_ENTITIES = N_(
    "%(file)s: this file declares its own XML entities, which office programs never do, so "
    "we have not opened it."
)
_ZIP_REFUSED = {
    "parts": N_(
        "%(file)s: this file holds %(parts)s parts (at most %(most)s), so we have not opened it."
    ),
    "expands": N_(
        "%(file)s: this file would expand to %(size)s MB (at most %(most)s MB), so we have "
        "not opened it."
    ),
    "ratio": N_(
        "%(file)s: this file is compressed far more than a real document can be, so we "
        "have not opened it."
    ),
    "entities": _ENTITIES,
    "doctype": _ENTITIES,
    "deep": N_(
        "%(file)s: this file nests its parts over %(most)s levels deep, so we have not opened it."
    ),
    "elements": N_(
        "%(file)s: this file holds over %(most)s XML elements, so we have not opened it."
    ),
}


def check_zip(shown: str, data: bytes) -> None:
    """Refuse a Word (.docx) or OpenDocument (.odt, by ``shown``'s name) file whose zip would
    expand beyond sane bounds, before expanding it, or whose XML a reader should not build a
    tree of (``bot.core.files.zipped``: its directory measured here, then every member read
    through once in a child). Raises AttachmentError naming the file."""
    refuse = _Refuse(shown, *_ZIPPED[ODT if shown.lower().endswith(".odt") else DOCX])
    try:
        measure(data, ZIP_LIMITS)
        read_contained(shown, "file", functools.partial(scan, limits=ZIP_LIMITS), data)
    except ZipRefused as exc:
        raise refuse(_ZIP_REFUSED.get(exc.why), **exc.values) from None


def _text_problem(shown: str, data: bytes) -> AttachmentError | None:
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
    return AttachmentError(
        N_(
            "%(file)s: this file cannot be read as text (it may be damaged, or be another kind "
            "of file renamed), so we have not accepted it."
        ),
        then=N_("Please save it again from the program it was written in."),
        file=shown,
    )


def _kind_refusal(problem: Problem) -> AttachmentError:
    """A file refused for what it is (``bot.core.files.filekinds``): its sentence and values, what
    the file is said in the page's language too."""
    refused = AttachmentError(problem[0], **problem[1])
    refused.said_as = SAID_AS
    return refused


def check_document_content(shown: str, data: bytes) -> None:
    """Refuse a policy document (.pdf, .docx, .odt, .md, .txt by its name ``shown``) whose
    bytes are not what its name says, or that cannot be read or is unsafe to open: a PDF as
    :func:`check_pdf` judges it, a Word or OpenDocument file as :func:`check_zip` does, text
    that is not text. AttachmentError naming the file."""
    kind = document_kind(data)
    problem = type_problem(shown, shown, data, kind, None)
    if problem is None and kind == "text/plain":
        refused = _text_problem(shown, data)
        if refused is not None:
            raise refused
    if problem is not None:
        raise _kind_refusal(problem)
    if kind == "application/pdf":
        check_pdf(shown, data)
    elif kind in (DOCX, ODT):
        check_zip(shown, data)


def policy_document_name(name: str) -> str:
    """A policy document's base name (at most 300 characters), refused (AttachmentError) when
    it is not of a document's type (:data:`DOCUMENT_TYPES`)."""
    base = PurePath(name.replace("\\", "/")).name.strip()
    if not base.lower().endswith(DOCUMENT_TYPES):
        raise AttachmentError(
            N_("%(file)s: use a .pdf, .docx, .odt, .md or .txt file for the policy"),
            file=base or "the document",
        )
    return base[:300]


def check_policy_document(name: str, data: bytes) -> str:
    """The one check of a policy document, whatever route it comes in by (the upload pages,
    the policy folder and whatever syncs it, the command line, a reading edition): of a
    document's type (:func:`policy_document_name`) and size, its bytes what its name says,
    readable and safe to open (:func:`check_document_content`). Returns its base name;
    AttachmentError naming the file and why, in a person's words, otherwise."""
    base = policy_document_name(name)
    if not data:
        raise AttachmentError(N_("%(file)s: the file is empty"), file=base)
    if len(data) > MAX_DOCUMENT_BYTES:
        raise AttachmentError(
            N_("%(file)s: the file is larger than %(size)s MB"),
            file=base,
            size=str(MAX_DOCUMENT_BYTES // 1048576),
        )
    check_document_content(base, data)
    return base


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
        raise _kind_refusal(problem)
    if kind == "application/pdf":
        check_pdf(shown, data, advice=PDF_OR_PHOTO)
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
