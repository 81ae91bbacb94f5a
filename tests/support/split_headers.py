"""Trackers as hand-kept ones are: a header over two rows, with a group heading merged over
its sub-columns and the other headings merged down both rows, and a date split over Day,
Month and Year columns. Written with openpyxl's real merged cells from a corpus file's own
values, then opened and saved by LibreOffice Calc (as xlsx and as CSV), as a school's would
be."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

from tests.conftest import _missing
from tests.support.documents import soffice


def split_date_workbook(
    source: Path,
    folder: Path,
    column: str,
    sub: Sequence[str] = ("Day", "Month", "Year"),
    *,
    bad: dict[int, Sequence[object]] | None = None,
) -> Path:
    """``source``'s first sheet with ``column`` split into ``sub`` under its own name merged
    over them, every other heading merged down two rows, title rows above kept; ``bad``: a
    data row's (1: the first) parts written instead. An openpyxl workbook, the one
    LibreOffice then opens."""
    from openpyxl import Workbook, load_workbook

    first = load_workbook(source, read_only=True).worksheets[0]
    rows = [list(r) for r in first.iter_rows(values_only=True)]
    top = next(i for i, r in enumerate(rows) if column in r)
    header, body = rows[top], rows[top + 1 :]
    at = header.index(column)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = first.title
    for title in rows[:top]:
        sheet.append(title)
    sheet.append([*header[:at], column, None, None, *header[at + 1 :]])
    sheet.append([*[None] * at, *sub, *[None] * (len(header) - at - 1)])
    row = top + 1
    for position in range(1, len(header) + 3):
        if position - 1 not in (at, at + 1, at + 2):
            sheet.merge_cells(
                start_row=row, start_column=position, end_row=row + 1, end_column=position
            )
    sheet.merge_cells(start_row=row, start_column=at + 1, end_row=row, end_column=at + 3)
    for number, cells in enumerate(body, start=1):
        day = cells[at]
        parts = [day.day, day.month, day.year] if isinstance(day, date | datetime) else [None] * 3
        sheet.append([*cells[:at], *(bad or {}).get(number, parts), *cells[at + 1 :]])
    path = folder / f"{source.name.split('.libreoffice')[0]}.split.xlsx"
    book.save(path)
    return path


def libreoffice_saved(source: Path, to: str) -> Path:
    """``source`` opened and saved by LibreOffice Calc as ``to`` (xlsx, csv) beside it;
    skipped where LibreOffice is not installed (CI installs it)."""
    if shutil.which("soffice") is None:
        _missing("LibreOffice is not installed here")
    out = source.parent / "saved"
    out.mkdir(exist_ok=True)
    soffice(source.parent, to, source, out)
    return out / f"{source.stem}.{to.split(':')[0]}"
