"""Uploaded files (report attachments, training certificates, decision records): judged by
their content, images re-encoded without metadata, stored outside the web root."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import secrets
import unicodedata
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_PIXELS",
    "AttachmentError",
    "CleanFile",
    "check_pdf",
    "clean_attachment",
    "remove_files",
    "safe_filename",
    "sniff",
    "store_file",
]

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000


class AttachmentError(ValueError):
    """An attachment was refused; ``str()`` names the file and says why."""


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


def _pdf_active_content(data: bytes) -> str | None:
    """The first active-content name in any object of the PDF (None when there is none).

    The file is parsed with pypdf, so escaped names, compressed object streams and objects
    reachable only from the cross-reference table are all seen as a PDF reader sees them.
    Raises ValueError when the file cannot be parsed or is encrypted.
    """
    from pypdf import PdfReader
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

    reader = PdfReader(io.BytesIO(data), strict=False)
    if reader.is_encrypted:
        raise ValueError("encrypted")
    pending: list[object] = [reader.trailer]
    for generation, numbers in reader.xref.items():
        pending += [IndirectObject(n, generation, reader) for n in numbers]
    pending += [IndirectObject(n, 0, reader) for n in reader.xref_objStm]  # compressed objects
    seen: set[tuple[int, int]] = set()
    walked = 0
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
    return None


def sniff(data: bytes) -> str | None:
    """The file's real type from its first bytes (never from its name)."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"%PDF-"):
        return "application/pdf"
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


def check_pdf(
    shown: str,
    data: bytes,
    *,
    advice: str = "Please print it to a new PDF (or save it as Word) and upload that.",
) -> None:
    """Refuse a PDF that is damaged, encrypted or acts on its own (scripts, embedded files)."""
    if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-4096:]:
        raise AttachmentError(f"{shown}: this PDF is incomplete or damaged.")
    try:
        active = _pdf_active_content(data)
    except Exception as exc:  # any parser failure on untrusted bytes is a refusal
        raise AttachmentError(
            f"{shown}: this PDF could not be read (it may be damaged or password-protected)."
        ) from exc
    if active is not None:
        raise AttachmentError(
            f"{shown}: this PDF contains scripts or embedded files, which we do not accept. "
            + advice
        )


def clean_attachment(filename: str, data: bytes) -> CleanFile:
    """Accept a JPEG, PNG or PDF of at most 5 MB, judged by content; raise AttachmentError."""
    shown = re.split(r"[\\/]", filename or "")[-1][:80] or "the file"
    if not data:
        raise AttachmentError(f"{shown}: the file is empty.")
    if len(data) > MAX_FILE_BYTES:
        raise AttachmentError(
            f"{shown}: the file is {len(data) / 1048576:.1f} MB; each file may be at most 5 MB."
        )
    kind = sniff(data)
    if kind is None:
        raise AttachmentError(
            f"{shown}: only photos (JPEG or PNG) and PDF documents can be attached, and this "
            "file is not one of those (whatever its name says)."
        )
    if kind == "application/pdf":
        check_pdf(
            shown, data, advice="Please print it to a new PDF or attach a photo instead."
        )
        clean = data
    else:
        try:
            clean = _reencode(data, kind)
        except Exception as exc:  # any decoder failure on untrusted bytes is a refusal
            raise AttachmentError(
                f"{shown}: this image could not be read (it may be damaged or too large)."
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


def remove_files(paths: Iterable[Path]) -> None:
    """Delete stored files (when the transaction that referenced them did not commit)."""
    for path in paths:
        with contextlib.suppress(OSError):
            path.unlink()


