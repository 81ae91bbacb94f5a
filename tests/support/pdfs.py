"""Hand-built PDFs for upload tests: a valid file with a cross-reference table, whose objects
the test chooses (so active content can be written exactly as an attacker would)."""

from __future__ import annotations

PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>"


def pdf_document(catalog_extra: bytes = b"", *extra_objects: bytes) -> bytes:
    """A one-page PDF; ``catalog_extra`` is added to the catalog, objects 4.. follow it."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b" >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        PAGE,
        *extra_objects,
    ]
    return raw_pdf(*objects)


def raw_pdf(*objects: bytes) -> bytes:
    """A PDF of exactly these objects (1 is the catalog), with a correct cross-reference table."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


PDF = pdf_document()
