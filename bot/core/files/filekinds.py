"""What a file is, by its bytes, and whether its name and declared type say the same: the
checks an upload passes before anyone opens it (``bot.core.files.uploads`` refuses what they find).

A file must be what it says it is: a ".png" that is a JPEG, or a PDF the browser sent as a web
page, is refused; an image carries nothing after its picture ends (PNG: its IEND chunk; JPEG:
its last EOI marker) and no web page or script inside it, the marks of a "polyglot" file that
a viewer or browser may read as something else. Pure functions of the bytes: no parsing
library, no I/O.
"""

from __future__ import annotations

import re

from bot.core.language.i18n import N_

__all__ = [
    "DOCX",
    "MARKUP",
    "ODT",
    "SAID_AS",
    "Problem",
    "document_kind",
    "image_problem",
    "named_kind",
    "sniff",
    "type_problem",
]


def sniff(data: bytes) -> str | None:
    """The file's real type from its first bytes (never from its name)."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    return None


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT = "application/vnd.oasis.opendocument.text"
# what a file's name may end in for each kind of content we take
_EXTENSION_OF = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".jpe": "image/jpeg",
    ".jfif": "image/jpeg",
    ".png": "image/png",
    ".pdf": "application/pdf",
    ".docx": DOCX,
    ".odt": ODT,
    ".md": "text/plain",
    ".markdown": "text/plain",
    ".txt": "text/plain",
}
# what browsers and phones declare for the same kinds
_DECLARED_AS = {
    "image/jpg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
    "image/x-png": "image/png",
    "application/x-pdf": "application/pdf",
    "application/acrobat": "application/pdf",
    "text/markdown": "text/plain",
    "text/x-markdown": "text/plain",
}
_UNDECLARED = {"", "application/octet-stream", "binary/octet-stream", "application/unknown"}
# how a person would say what a file is (catalogue sentences: said in the page's language)
_SAID = {
    "image/jpeg": N_("a JPEG photo"),
    "image/png": N_("a PNG image"),
    "application/pdf": N_("a PDF"),
    DOCX: N_("a Word document"),
    ODT: N_("an OpenDocument text"),
    "text/plain": N_("a text file"),
    "text/html": N_("a web page"),
    "image/gif": N_("a GIF image"),
    "image/webp": N_("a WebP image"),
    "image/heic": N_("a HEIC photo"),
    "image/svg+xml": N_("an SVG drawing"),
    "application/zip": N_("a zip file"),
}
# a refusal: its catalogue sentence and the values filled in after translating it; the values
# named in SAID_AS are themselves catalogue sentences (what a file is), translated too
Problem = tuple[str, dict[str, str]]
SAID_AS = ("really", "sent")
# a web page or script inside an image (a "polyglot": a browser or viewer may run it); each
# pattern long enough that compressed picture data never spells it by chance
MARKUP = re.compile(
    rb"<(?:script|iframe|object|embed)[\s/>]|<html[\s>]|<!doctype\s+html|<\?php"
    rb"|<svg[^>]{0,200}xmlns|javascript:",
    re.IGNORECASE,
)


def _contents(data: bytes) -> str:
    """What the bytes are, in a person's words (for a refusal)."""
    kind = sniff(data)
    if kind is None and data.startswith(b"PK\x03\x04"):
        kind = "application/zip"
    elif kind is None and MARKUP.search(data[:1024]):
        kind = "text/html"
    elif kind is None and data.startswith((b"GIF87a", b"GIF89a")):
        kind = "image/gif"
    return _SAID.get(kind or "", N_("a different kind of file"))


def _extension(name: str) -> str:
    """The extension of a file's name, lower case with its dot ("" when it has none)."""
    base = re.split(r"[\\/]", name or "")[-1]
    found = re.search(r"\.([A-Za-z][A-Za-z0-9]{0,9})$", base)
    return f".{found[1].lower()}" if found else ""


def named_kind(filename: str) -> str:
    """The content type a file's name says ("application/octet-stream": none we take)."""
    return _EXTENSION_OF.get(_extension(filename), "application/octet-stream")


def type_problem(
    shown: str, filename: str, data: bytes, kind: str, declared: str | None
) -> Problem | None:
    """Why a file whose bytes are ``kind`` is refused because its name, or the type the browser
    declared, says it is something else (a ".png" that is a JPEG, a PDF sent as a web page);
    None when they agree. A name without an extension, and a declared type that says nothing
    ("application/octet-stream"), claim nothing."""
    extension = _extension(filename)
    named = _EXTENSION_OF.get(extension, extension) if extension else None
    really = _SAID.get(kind) or _contents(data)
    if named is not None and named != kind:
        return N_(
            "%(file)s: its name ends in %(extension)s, but the file is %(really)s, so we "
            "have not accepted it. Please attach the original file, or save it again with the "
            "right kind of name."
        ), {"file": shown, "extension": extension, "really": really}
    said = (declared or "").split(";")[0].strip().lower()
    said = _DECLARED_AS.get(said, said)
    if said not in _UNDECLARED and said != kind:
        sent = _SAID.get(said, f'"{said[:60]}"')
        return N_(
            "%(file)s: it was sent as %(sent)s, but the file is %(really)s, so we have "
            "not accepted it. Please attach the original file."
        ), {"file": shown, "sent": sent, "really": really}
    return None


def _png_end(data: bytes) -> int | None:
    """Where a PNG's last chunk (IEND) ends; None when its chunks do not lead to one."""
    at = 8
    while at + 12 <= len(data):
        length = int.from_bytes(data[at : at + 4], "big")
        chunk = data[at + 4 : at + 8]
        at += 12 + length
        if chunk == b"IEND":
            return at if at <= len(data) else None
    return None


def _jpeg_end(data: bytes, at: int = 0) -> int | None:
    """Where the JPEG starting at ``at`` ends (just past its EOI marker); None when its
    markers do not lead to one. Stray bytes between segments are stepped over, as decoders do."""
    if data[at : at + 2] != b"\xff\xd8":
        return None
    at += 2
    while True:
        at = data.find(b"\xff", at)
        if at < 0 or at + 1 >= len(data):
            return None
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
        elif marker == 0xD9:  # EOI
            return at + 2
        elif marker == 0x01 or 0xD0 <= marker <= 0xD7 or marker == 0x00:  # no length
            at += 2
        else:
            at += 2 + int.from_bytes(data[at + 2 : at + 4], "big")
            if marker == 0xDA:  # entropy-coded data runs to the next real marker
                while (at := data.find(b"\xff", at)) >= 0 and at + 1 < len(data):
                    following = data[at + 1]
                    if following == 0x00 or 0xD0 <= following <= 0xD7:
                        at += 2  # a stuffed 0xFF or a restart marker
                    elif following == 0xFF:
                        at += 1
                    else:
                        break
                else:
                    return None


def _image_end(data: bytes, kind: str) -> int | None:
    """Where the picture ends: a PNG's IEND, a JPEG's last EOI (a phone's MPO file is several
    JPEGs one after another); None when the file's structure does not say."""
    if kind == "image/png":
        return _png_end(data)
    end = _jpeg_end(data)
    while end is not None and data.startswith(b"\xff\xd8\xff", end):
        end = _jpeg_end(data, end)
    return end


def image_problem(shown: str, data: bytes, kind: str) -> Problem | None:
    """Why an image is refused: a web page or script anywhere in it, or anything after its
    picture ends (padding aside), the marks of a file that is also something else; or None."""
    if MARKUP.search(data):
        return N_(
            "%(file)s: this image has web page or script code inside it, so we have not "
            "accepted it. Please attach a plain photo or a screenshot of it."
        ), {"file": shown}
    end = _image_end(data, kind)
    if end is None:
        return N_("%(file)s: this image could not be read (it may be damaged)."), {"file": shown}
    hidden = len(data[end:].strip(b"\x00\xff"))
    if hidden:
        return N_(
            "%(file)s: this image has %(bytes)s bytes of something else after the picture "
            "(a phone's motion photo has a video there), so we have not accepted it. Please "
            "attach a plain photo or a screenshot of it."
        ), {"file": shown, "bytes": f"{hidden:,}"}
    return None


def document_kind(data: bytes) -> str:
    """What a policy document's bytes are: a PDF, an image, an OpenDocument text (a zip that
    says so first, as the standard has it), a Word file's zip, text, or "unknown" (binary, or a
    web page)."""
    kind = sniff(data)
    if kind is not None:
        return kind
    if data.startswith(b"PK\x03\x04"):
        # the OpenDocument standard's first member: "mimetype", stored, naming the kind
        content = 38 + int.from_bytes(data[28:30], "little")  # after its name and extra field
        opendocument = data[30:38] == b"mimetype" and data[content:].startswith(ODT.encode())
        return ODT if opendocument else DOCX  # check_zip says whether the zip really is one
    if re.match(rb"\s*(?:<!doctype\s+html|<html[\s>])", data[:1024], re.IGNORECASE):
        return "text/html"
    if b"\x00" not in data or data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "text/plain"
    return "unknown"
