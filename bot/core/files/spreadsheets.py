"""A school's spreadsheet read as rows of text, whatever wrote it: an Excel workbook (.xlsx,
.xlsm from Excel, LibreOffice or an MIS) or a CSV export (UTF-8 with or without its byte-order
mark, Windows-1252 as Excel's plain "CSV" saves it, UTF-16; commas, semicolons or tabs).

A workbook is a zip of XML parts, opened within bounds as every zipped office file is
(``bot.core.files.zipped``: at most ``MAX_EXPANDED`` bytes in ``MAX_PARTS`` parts, no DTD, at
most ``MAX_ROWS`` rows) before openpyxl reads a cell. What comes back is each visible sheet's
rows as text (a date as 2026-09-01, 12.0 as 12) with the rows it hides; a hidden sheet is not
read.

One reader for the single central record, the staff file, ``init`` and training imports: each
finds its header on the first sheet that has it (``first_header``: sheets named like the
record's kind first), in one row or a band of two by rule (``_band``): a group heading over
sub-columns ("PVG scheme membership" over "Day", "Month", "Year") is joined into each one's
name, a heading merged down both rows keeps its name, and a day, month and year under one
heading are read as one date column named by the heading.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from itertools import islice
from pathlib import Path
from typing import TypeVar

from bot.core.files.contained import ContainedError, run_contained
from bot.core.files.zipped import ZipLimits, ZipRefused, measure, scan
from bot.core.guards.forms import SaidError
from bot.core.language.i18n import N_
from bot.core.language.words import plain_key

__all__ = [
    "HEADER_SCAN",
    "MAX_EXPANDED",
    "MAX_ROWS",
    "SPREADSHEET_SENTENCES",
    "HeaderRefused",
    "Sheet",
    "Spreadsheet",
    "SpreadsheetError",
    "first_header",
    "read_spreadsheet",
]

T = TypeVar("T")

HEADER_SCAN = 20  # a sheet's title rows and header come within its first rows
MAX_FILE_BYTES = 20 * 1024 * 1024  # a workbook, read whole: a trust's 200,000 rows are 6 MB
MAX_EXPANDED = 100 * 1024 * 1024  # bytes, every part of a workbook opened
MAX_PARTS = 2_000  # a workbook's zip parts (sheets, styles, relations…)
MAX_ROWS = 200_000  # rows of every sheet together: twice a large trust's staff
WORKBOOK_SECONDS = 60.0  # CPU time for a workbook (measured: 21 s for MAX_ROWS rows of 7 cells)
WORKBOOK_MEMORY = 768 * 1024 * 1024  # what the child may add to read one (openpyxl's strings)
_CHUNK = 64 * 1024
_SHEETS_FIRST = ("single central record", "scr", "staff")  # a sheet so named is searched first
# a split date's sub-columns as schools head them (English and Welsh): day, month, year
_DATE_PARTS = {
    **dict.fromkeys(("day", "dd", "d", "dydd", "diwrnod"), 0),
    **dict.fromkeys(("month", "mm", "m", "mis"), 1),
    **dict.fromkeys(("year", "yyyy", "yy", "y", "blwyddyn"), 2),
}

NOT_FOUND = N_("%(file)s: file not found")
EMPTY = N_("%(file)s: the file is empty")
OLD_EXCEL = N_(
    "%(file)s: an old Excel file (.xls) cannot be read; open it in Excel and save it as an "
    "Excel workbook (.xlsx)"
)
TOO_BIG = N_("%(file)s: the file is %(size)s MB (at most %(most)s MB), so it has not been read")
DAMAGED = N_(
    "%(file)s: this workbook is damaged or is not an Excel workbook, so it has not been read; "
    "open it in Excel and save it again as an Excel workbook (.xlsx)"
)
EXPANDS = N_(
    "%(file)s: this workbook would expand to %(size)s MB when opened (at most %(most)s MB), "
    "so it has not been read"
)
TOO_MANY_PARTS = N_(
    "%(file)s: this workbook holds %(parts)s parts (at most %(most)s), so it has not been read"
)
TOO_MANY_ROWS = N_("%(file)s: this workbook has more than %(most)s rows, so it has not been read")
ENTITIES = N_(
    "%(file)s: this workbook declares its own XML entities, which Excel never does, so it has "
    "not been read"
)
DOCUMENT_TYPE = N_(
    "%(file)s: this workbook declares an XML document type, which Excel never does, so it has "
    "not been read"
)
TOOK_TOO_LONG = N_(
    "%(file)s: this workbook took too long to read (over %(seconds)s seconds), so it has not "
    "been read"
)
TOO_MUCH_MEMORY = N_(
    "%(file)s: this workbook needs far more memory to read than a real one does, so it has "
    "not been read"
)
SPREADSHEET_SENTENCES = (
    NOT_FOUND,
    EMPTY,
    OLD_EXCEL,
    TOO_BIG,
    DAMAGED,
    EXPANDS,
    TOO_MANY_PARTS,
    TOO_MANY_ROWS,
    ENTITIES,
    DOCUMENT_TYPE,
    TOOK_TOO_LONG,
    TOO_MUCH_MEMORY,
)


# a workbook opened within bounds (``bot.core.files.zipped``), and its refusals said
_LIMITS = ZipLimits(MAX_PARTS, MAX_EXPANDED, xml=(".xml", ".rels", ".vml"), rows=MAX_ROWS)
_REFUSED = {
    "parts": TOO_MANY_PARTS,
    "expands": EXPANDS,
    "entities": ENTITIES,
    "doctype": DOCUMENT_TYPE,
    "rows": TOO_MANY_ROWS,
}


class SpreadsheetError(SaidError, ValueError):
    """The file cannot be read as a spreadsheet: ``str()`` names it and says why in English,
    ``said(tr)`` in a language (a catalogue sentence, ``SPREADSHEET_SENTENCES``)."""


class HeaderRefused(SaidError, ValueError):
    """A header found but not to be read as it is (two columns of one name): said at once,
    never passed over for another sheet's or row's."""


@dataclass(frozen=True)
class Sheet:
    """One sheet's rows (a CSV file is one sheet without a name): numbered as the school's
    program numbers them, read as they come."""

    name: str | None
    hidden_rows: frozenset[int] = frozenset()
    encoding: str = "utf-8"  # a CSV's, as found
    _path: Path | None = None  # a CSV, streamed from its file
    _text: str = ""  # a workbook's sheet as CSV text, each row's number first
    _delimiter: str = ","
    _header: int = 0  # the header's row, once found: below it, split dates are joined
    _dates: tuple[tuple[int, ...], ...] = ()  # each split date's day, month, year positions

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """(row number, cells) of every row, empty ones too; below a header whose dates are
        split over columns, each date's day, month and year as one cell (in the day's place,
        the others empty) that a date reader reads or refuses."""
        for number, cells in self._rows():
            if self._dates and number > self._header:
                cells = cells + [""] * (max(max(d) for d in self._dates) + 1 - len(cells))
                for day, month, year in self._dates:
                    parts = [cells[day].strip(), cells[month].strip(), cells[year].strip()]
                    cells[day] = cells[month] = cells[year] = ""
                    if any(parts):  # "31/2/2026", "1 Sep 2026"; a part missing: "//2026"
                        cells[day] = (" " if parts[1].isalpha() else "/").join(parts)
            yield number, cells

    def _rows(self) -> Iterator[tuple[int, list[str]]]:
        if self._path is None:
            for cells in csv.reader(io.StringIO(self._text)):
                yield int(cells[0]), cells[1:]
            return
        # UTF-8 was checked whole; a byte Windows-1252 or UTF-16 has no letter for shows as �
        with self._path.open(encoding=self.encoding, errors="replace", newline="") as text:
            reader = csv.reader(_lines(text), delimiter=self._delimiter)
            for cells in reader:
                yield reader.line_num, cells

    def head(self) -> list[tuple[int, list[str]]]:
        """The first ``HEADER_SCAN`` rows, where a header is looked for."""
        return list(islice(self.rows(), HEADER_SCAN))


@dataclass(frozen=True)
class Spreadsheet:
    """A file's visible sheets in the order a header is looked for, and the hidden ones'
    names (never read)."""

    name: str
    sheets: list[Sheet]
    hidden_sheets: list[str] = field(default_factory=list)


def _lines(text: Iterator[str] | io.TextIOBase) -> Iterator[str]:
    """A file's lines as ``str.splitlines`` ends them, read as they come (a trust's file is
    never held whole)."""
    for line in text:
        yield from line.splitlines()


def read_spreadsheet(path: Path, shown: str | None = None) -> Spreadsheet:
    """The file's sheets, by what its bytes are (a workbook renamed .csv is read as one);
    SpreadsheetError naming the file (as ``shown``, else its name) and why not."""
    shown = shown or path.name
    if not path.is_file():
        raise SpreadsheetError(NOT_FOUND, file=str(path))
    size = path.stat().st_size
    if size == 0:
        raise SpreadsheetError(EMPTY, file=shown)
    with path.open("rb") as file:
        start = file.read(8)
    suffix = path.suffix.lower()
    if start.startswith(b"\xd0\xcf\x11\xe0") or suffix == ".xls":  # Excel 97-2003
        raise SpreadsheetError(OLD_EXCEL, file=shown)
    if start.startswith(b"PK\x03\x04"):
        if size > MAX_FILE_BYTES:  # read whole into the child: a CSV is streamed instead
            raise SpreadsheetError(
                TOO_BIG, file=shown, size=f"{size / 1048576:,.0f}", most=str(MAX_FILE_BYTES >> 20)
            )
        return _workbook(shown, path.read_bytes())
    if suffix in (".xlsx", ".xlsm"):
        raise SpreadsheetError(DAMAGED, file=shown)
    encoding = _encoding(path, start)
    return Spreadsheet(
        shown, [Sheet(None, encoding=encoding, _path=path, _delimiter=_delimiter(path, encoding))]
    )


def _encoding(path: Path, start: bytes) -> str:
    """UTF-16 by its byte-order mark; UTF-8 when every byte is (a mark at its start is
    dropped); else Windows-1252, as Excel's plain "CSV" saves a UK school's file."""
    if start.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as file:
        try:
            while chunk := file.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1252"
    return "utf-8-sig"


def _delimiter(path: Path, encoding: str) -> str:
    """The separator the file's first lines use most: a comma, a semicolon (Excel where the
    decimal mark is a comma) or a tab."""
    with path.open(encoding=encoding, newline="", errors="replace") as text:
        sample = text.read(_CHUNK)
    counts = {d: sample.count(d) for d in (",", ";", "\t")}
    return max(counts, key=lambda d: (counts[d], d == ","))


def first_header(
    book: Spreadsheet, find: Callable[[list[list[str]]], tuple[int, T]]
) -> tuple[Sheet, int, T]:
    """The first sheet whose first rows hold a header (``find``: the rows in, the header's
    index among them and what it found out, ValueError when none is one): (the sheet, the
    header's row number, what ``find`` found). ValueError from the first sheet tried when no
    sheet has one; a header's band of two rows (``_band``) is tried before its rows alone.
    HeaderRefused from ``find`` at once."""
    first: ValueError | None = None
    for sheet in book.sheets:
        head = sheet.head()
        rows = [cells for _number, cells in head]
        banded, dates = list(rows), {}
        for index in range(1, len(rows)):
            band = None if index - 1 in dates else _band(rows[index - 1], rows[index])
            if band is not None:
                banded[index - 1], (banded[index], dates[index]) = [], band
        for tried in (banded, rows) if dates else (rows,):
            try:
                index, found = find(tried)
            except HeaderRefused:
                raise
            except ValueError as exc:
                first = first or exc
                continue
            split = dates.get(index, ()) if tried is banded else ()
            return replace(sheet, _header=head[index][0], _dates=split), head[index][0], found
    raise first or ValueError(EMPTY % {"file": book.name})


def _band(
    upper: list[str], lower: list[str]
) -> tuple[list[str], tuple[tuple[int, ...], ...]] | None:
    """Two rows read as one header, when the upper holds two headings or more and one is a
    group over sub-columns (a filled cell, then empty ones over filled ones: a merged cell as
    Excel, LibreOffice and a CSV export keep it): each column's name (a sub-column's joined
    to its group's, a heading over an empty cell its own) and the split dates' positions (a
    group's Day, Month and Year, named by the group). None: not a band."""
    width = max(len(upper), len(lower))
    up = [c.strip() for c in upper] + [""] * (width - len(upper))
    low = [c.strip() for c in lower] + [""] * (width - len(lower))
    group = list(up)
    for j in range(1, width):
        if not up[j] and low[j] and low[j - 1] and group[j - 1]:
            group[j] = group[j - 1]
    if sum(1 for c in up if c) < 2 or all(up[j] or not group[j] for j in range(width)):
        return None
    names = [" ".join(f"{group[j]} {low[j]}".split()) if low[j] else up[j] for j in range(width)]
    dates = []
    for j in range(width):
        found = _split_date(j, up, low, group) if up[j] and low[j] else None
        if found is not None:  # named by its group, in the day's place
            dates.append(found)
            names[found[0]], names[found[1]], names[found[2]] = up[j], "", ""
    return names, tuple(dates)


def _split_date(j: int, up: list[str], low: list[str], group: list[str]) -> tuple[int, ...] | None:
    """The day, month and year positions among the sub-columns of the group heading at ``j``
    (None: not all three there)."""
    run = [j]
    while run[-1] + 1 < len(up) and not up[run[-1] + 1] and group[run[-1] + 1] == up[j]:
        run.append(run[-1] + 1)
    parts = {_DATE_PARTS.get(plain_key(low[k]).strip(" ."), -1): k for k in run}
    return (parts[0], parts[1], parts[2]) if {0, 1, 2} <= set(parts) else None


# ------------------------------------------------------------------------- workbooks


def _workbook(shown: str, data: bytes) -> Spreadsheet:
    """A workbook measured, then read in a child within bounds (this module's docstring)."""
    try:
        measure(data, _LIMITS)
        sheets, hidden = run_contained(
            _read_workbook,
            data,
            passed=(ZipRefused,),
            seconds=WORKBOOK_SECONDS,
            memory=WORKBOOK_MEMORY,
        )
    except ZipRefused as exc:
        raise SpreadsheetError(_REFUSED.get(exc.why, DAMAGED), file=shown, **exc.values) from None
    except ContainedError as exc:
        why = {"time": TOOK_TOO_LONG, "memory": TOO_MUCH_MEMORY}.get(exc.why, DAMAGED)
        raise SpreadsheetError(why, file=shown, seconds=f"{WORKBOOK_SECONDS:.0f}") from None
    ordered = sorted(sheets, key=lambda s: not _named_first(s[0]))
    return Spreadsheet(
        shown, [Sheet(name, frozenset(rows), _text=text) for name, text, rows in ordered], hidden
    )


def _named_first(name: str) -> bool:
    words = f" {plain_key(name)} "
    return any(f" {w} " in words for w in _SHEETS_FIRST)


def _read_workbook(data: bytes) -> tuple[list[tuple[str, str, list[int]]], list[str]]:
    """In the child: each visible sheet's (name, rows as CSV text, hidden rows) and the hidden
    sheets' names."""
    scan(data, _LIMITS)
    from openpyxl import load_workbook  # lazy: in the child only (the forkserver preloads it)

    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    sheets: list[tuple[str, str, list[int]]] = []
    hidden: list[str] = []
    try:
        for sheet in book.worksheets:
            if sheet.sheet_state != "visible":
                hidden.append(sheet.title)
                continue
            sheets.append((sheet.title, *_sheet_text(book, sheet)))
    finally:
        book.close()
    return sheets, hidden


def _sheet_text(book: object, sheet: object) -> tuple[str, list[int]]:
    """A read-only sheet's rows as CSV text (each row's number first) and its hidden rows.

    openpyxl's own streaming parser, as its read-only sheet runs it, is run here to see each
    row's attributes too (``hidden``): the read-only sheet keeps none."""
    from openpyxl.worksheet._reader import WorkSheetParser  # lazy: in the child only

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    hidden: list[int] = []
    with sheet._get_source() as source:  # type: ignore[attr-defined]
        parser = WorkSheetParser(
            source,
            sheet._shared_strings,  # type: ignore[attr-defined]
            data_only=True,
            epoch=book.epoch,  # type: ignore[attr-defined]
            date_formats=book._date_formats,  # type: ignore[attr-defined]
            timedelta_formats=book._timedelta_formats,  # type: ignore[attr-defined]
        )
        for number, cells in parser.parse():
            if parser.row_dimensions.get(str(number), {}).get("hidden") in ("1", "true"):
                hidden.append(number)
            values = {cell["column"]: _cell_text(cell["value"]) for cell in cells}
            width = max((c for c, v in values.items() if v), default=0)
            if width:
                writer.writerow([number, *(values.get(c, "") for c in range(1, width + 1))])
    return out.getvalue(), hidden


def _cell_text(value: object) -> str:
    """A cell as an export's text: a date as 2026-09-01, 12.0 as 12."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return re.sub(r"[\r\n]+", " ", str(value)) if isinstance(value, str) else str(value)
