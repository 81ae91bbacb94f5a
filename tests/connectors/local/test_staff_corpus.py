"""The local directory on every staff export of ../shared/corpus (openpyxl re-saved by
LibreOffice Calc; CSV with a byte-order mark, in Windows-1252, with semicolons): the same 60
people from each, their posts, start dates and names as written (accents, apostrophes,
particles, "Surname, Forename"); the MIS workbook's title row and merged heading passed over
and its second post read; the notes-first workbook's staff sheet found and its hidden leaver
read (left on 21 July 2026)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import time_machine

from bot.core.ports import PermanentError
from connectors.local.directory import FileDirectory
from tests.support.helpers import at
from tests.support.split_headers import libreoffice_saved, split_date_workbook

EXPORTS = {  # file -> (sheet read, its header's row, rows hidden)
    "staff-export.mis-style.libreoffice.xlsx": ("Staff", 3, 0),
    "staff-export.notes-sheet-first.libreoffice.xlsx": ("Staff", 1, 1),
    "staff-export.utf8-bom.csv": (None, 1, 0),
    "staff-export.semicolons.csv": (None, 1, 0),
    "staff-export.windows-1252.csv": (None, 1, 0),
}


@pytest.mark.parametrize("name", EXPORTS)
def test_every_staff_export_gives_the_same_sixty_people(
    shared_spreadsheets: Path, name: str
) -> None:
    reader = FileDirectory(shared_spreadsheets / name)
    with time_machine.travel(at(date(2026, 11, 20), 9), tick=False):
        changes = reader.fetch(None)
    people = {p.email: p for p in changes.people}
    assert (len(people), changes.rejected) == (60, [])
    assert (reader.sheet_name, reader.header_line, reader.hidden_rows) == EXPORTS[name]
    oneill = people["s.oneill3@school.example"]
    assert (oneill.display_name, oneill.job_title, oneill.start_date) == (
        "Siobhán O'Neill",
        "Vice Principal",
        date(2020, 9, 6),
    )
    assert people["d.aprhys44@school.example"].display_name == "Dafydd ap Rhys"
    assert people["k.jones22@school.example"].job_title == "Chair of Governors"
    isla = people["i.níbhriain7@school.example"]
    assert isla.other_titles == (("Designated Safeguarding Lead",) if "mis" in name else ())
    leaver = people["g.hall5@school.example"]
    assert leaver.active is ("notes" not in name)  # its end date: 21 July 2026
    assert reader.unused_columns == (["Title"] if "mis" in name else [])


def test_a_start_date_split_under_a_merged_heading_is_read(
    shared_spreadsheets: Path, tmp_path: Path
) -> None:
    """The MIS export kept by hand: its Start Date over Day, Month and Year under one merged
    heading (the other headings merged down two rows), saved by LibreOffice: the same people
    and start dates, through the one spreadsheet reader."""
    export = shared_spreadsheets / "staff-export.mis-style.libreoffice.xlsx"
    saved = libreoffice_saved(split_date_workbook(export, tmp_path, "Start Date"), "xlsx")
    reader = FileDirectory(saved)
    with time_machine.travel(at(date(2026, 11, 20), 9), tick=False):
        changes = reader.fetch(None)
    people = {p.email: p for p in changes.people}
    assert (len(people), changes.rejected, reader.header_line) == (60, [], 4)
    assert people["s.oneill3@school.example"].start_date == date(2020, 9, 6)


def test_two_columns_of_one_name_are_refused_with_the_column_named(tmp_path: Path) -> None:
    """Two "Work Email" columns (read before: the first filled one, quietly)."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Surname", "Forename", "Work Email", "Work Email"])
    sheet.append(["Wright", "Amelia", "a.wright@school.example", "amelia@home.example"])
    book.save(tmp_path / "staff.xlsx")
    saved = libreoffice_saved(tmp_path / "staff.xlsx", "xlsx")
    with pytest.raises(PermanentError) as refused:
        FileDirectory(saved).fetch(None)
    assert str(refused.value).endswith(
        "staff.xlsx line 1: two columns are named 'Work Email', so which one to read is not "
        "clear; rename or remove one, then try again"
    )
