"""Workbooks built to hurt a reader, as an attacker builds them: a real workbook (written by
openpyxl, a writer the product does not use for these) with one part swapped for a zip bomb
(a 1 MB file whose sheet opens to a gigabyte), a "billion laughs" entity expansion, or an
external entity reading a local file (XXE). Fictional data only."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

__all__ = ["billion_laughs", "plain_workbook", "xxe", "zip_bomb"]

SHEET = "xl/worksheets/sheet1.xml"
_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b"<sheetData>"
)
_TAIL = b"</sheetData></worksheet>"


def plain_workbook() -> bytes:
    """A small SCR-like workbook: a header and one person."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Surname", "Forename", "Email", "Identity checked", "Barred list check"])
    sheet.append(["Able", "Amy", "amy@oak.example", "01/08/2020", "01/08/2020"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _with_sheet(path: Path, write_sheet: object) -> Path:
    """``plain_workbook`` with its first sheet's part written by ``write_sheet(stream)``."""
    source = zipfile.ZipFile(io.BytesIO(plain_workbook()))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        for info in source.infolist():
            if info.filename == SHEET:
                with out.open(SHEET, "w", force_zip64=True) as part:
                    write_sheet(part)  # type: ignore[operator]
            else:
                out.writestr(info, source.read(info.filename))
    return path


def zip_bomb(path: Path, expanded: int = 1024**3) -> Path:
    """A workbook of about 1 MB whose sheet expands to ``expanded`` bytes: one cell holding a
    gigabyte of the same letter (what a reader that trusts the file holds in memory)."""
    chunk = b"A" * (1024 * 1024)

    def write(part: io.BufferedIOBase) -> None:
        part.write(_HEAD + b'<row r="1"><c r="A1" t="inlineStr"><is><t>')
        for _ in range(expanded // len(chunk)):
            part.write(chunk)
        part.write(b"</t></is></c></row>" + _TAIL)

    return _with_sheet(path, write)


def billion_laughs(path: Path) -> Path:
    """A workbook whose sheet declares entities that double ten times over (a billion
    "lol"s when expanded)."""
    entities = [b'<!ENTITY lol0 "lol">'] + [
        b'<!ENTITY lol%d "%s">' % (n, b"".join(b"&lol%d;" % (n - 1) for _ in range(10)))
        for n in range(1, 10)
    ]
    doctype = b"<!DOCTYPE worksheet [" + b"".join(entities) + b"]>"
    xml = _HEAD.replace(b"?>\n", b"?>\n" + doctype + b"\n", 1)
    body = xml + b'<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>' + _TAIL
    return _with_sheet(path, lambda part: part.write(body))


def xxe(path: Path, target: str = "/etc/hostname") -> Path:
    """A workbook whose sheet's cell is an external entity naming a file of the server."""
    doctype = b'<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file://%s">]>' % target.encode()
    xml = _HEAD.replace(b"?>\n", b"?>\n" + doctype + b"\n", 1)
    body = xml + b'<row r="1"><c r="A1" t="inlineStr"><is><t>&xxe;</t></is></c></row>' + _TAIL
    return _with_sheet(path, lambda part: part.write(body))


def bare_doctype(path: Path) -> Path:
    """A workbook whose sheet carries a document type declaration and nothing in it (no
    entity: a DTD all the same, which Excel never writes)."""
    xml = _HEAD.replace(b"?>\n", b"?>\n<!DOCTYPE worksheet>\n", 1)
    body = xml + b'<row r="1"><c r="A1" t="inlineStr"><is><t>Surname</t></is></c></row>' + _TAIL
    return _with_sheet(path, lambda part: part.write(body))
