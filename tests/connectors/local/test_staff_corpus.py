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

from connectors.local.directory import FileDirectory
from tests.support.helpers import at

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
