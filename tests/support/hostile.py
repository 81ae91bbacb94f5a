"""Files built to hurt a parser, shared by the core and web tests of hostile uploads: a Word
zip bomb, a Word file whose zip lies about its sizes, "billion laughs" in a Word part, the
three hostile PDFs of issue #33, and calendars far bigger than any term-dates file."""

from __future__ import annotations

import io
import struct
import zipfile

from bot.demo.documents import code_of_conduct_docx
from tests.support.pdfs import pdf_document, raw_pdf

__all__ = [
    "HOSTILE_PDFS",
    "MARK",
    "MB",
    "billion_laughs_docx",
    "declared_size",
    "huge_ics",
    "zip_of_zeros",
]

MB = 1024 * 1024
MARK = b"/Upl#6fadMark"  # bytes of the upload that must never reach the log
CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"


def zip_of_zeros(size: int, *, name: str = "word/document.xml") -> bytes:
    """A zip whose one member is ``size`` zero bytes, written in 1 MB pieces (~1000:1)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        info = zipfile.ZipInfo(name)
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w") as member:
            for _ in range(size // MB):
                member.write(bytes(MB))
    return out.getvalue()


def declared_size(data: bytes, name: bytes, real: int, declared: int) -> bytes:
    """The zip with ``name``'s uncompressed size rewritten from ``real`` to ``declared`` in both
    its local header and the central directory (an attacker's lie; the CRC is left as it was)."""
    patched = bytearray(data)
    for signature, size_at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (start := patched.find(signature, start)) != -1:
            name_at = start + (30 if signature == b"PK\x03\x04" else 46)
            if patched[name_at : name_at + len(name)] == name:
                assert struct.unpack_from("<I", patched, start + size_at)[0] == real
                struct.pack_into("<I", patched, start + size_at, declared)
            start += 4
    return bytes(patched)


LAUGHS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<!DOCTYPE w:document [\n  <!ENTITY lol0 "UplOadMarkLaugh">\n'
    + b"".join(
        b'  <!ENTITY lol%d "%s">\n' % (n, b"".join(b"&lol%d;" % (n - 1) for _ in range(10)))
        for n in range(1, 10)
    )
    + b"]>\n"
    b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    b"<w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>"
)


def billion_laughs_docx() -> bytes:
    """A real Word file (the demo's code of conduct) whose document part declares nested
    entities that expand to 10⁹ copies of a marker (~15 GB) when a parser resolves them."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(code_of_conduct_docx())) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            data = LAUGHS if info.filename == "word/document.xml" else source.read(info)
            target.writestr(info.filename, data)
    return out.getvalue()


HOSTILE_PDFS = {
    "nested": (
        pdf_document(b"", b"<< " + MARK + b" " + b"<< /A " * 50_000 + b"1" + b" >>" * 50_001),
        "could not be read",
    ),
    "count": (
        raw_pdf(
            CATALOG,
            b"<< /Type /Pages /Kids [3 0 R] /Count 2000000000 " + MARK + b" 1 >>",
            pdf_document().split(b"3 0 obj\n")[1].split(b"\nendobj")[0],
        ),
        "says it has 2,000,000,000 pages",
    ),
    "cyclic": (
        raw_pdf(
            CATALOG,
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Pages /Parent 2 0 R /Kids [2 0 R] /Count 1 " + MARK + b" 1 >>",
        ),
        "could not be read",
    ),
}


def huge_ics(size: int) -> bytes:
    """A well-formed calendar of about ``size`` bytes: term-date events repeated, each
    carrying the marker, as a careless (or hostile) export might be."""
    head = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Hostile//EN\r\n"
    event = (
        b"BEGIN:VEVENT\r\nUID:%d@hostile.example\r\nDTSTART;VALUE=DATE:20260105\r\n"
        b"DTEND;VALUE=DATE:20260106\r\nSUMMARY:Spring term starts UplOadMarkIcs\r\nEND:VEVENT\r\n"
    )
    one = len(event % 0)
    body = b"".join(event % n for n in range(max((size - len(head)) // one, 1)))
    return head + body + b"END:VCALENDAR\r\n"
