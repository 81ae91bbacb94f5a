"""A staff list as a school's MIS exports it (all fictional): a byte-order mark, CRLF line
ends, trailing spaces, Arbor/SIMS-style headers, job titles in the role column, accents and
apostrophes, an Excel serial date and a dd/mm/yyyy date, a duplicate row and an email address
without its domain."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["MIS_TITLES", "NI_TITLES", "MisPerson", "mis_export", "mis_workbook"]

DOMAIN = "glenview.example"
HEADER = (
    "Legal Forename",
    "Legal Surname",
    "Preferred Name",
    "Work Email ",
    "Staff Role",
    "Employment Start Date",
    "Line Manager",
)
# job title -> the role a school gives it in the answers (none: not asked)
MIS_TITLES = {
    "Headteacher": "staff",
    "Class Teacher": "staff",
    "Teaching Assistant": "staff",
    "Office Manager": "staff",
    "Governor": "governor",
    "Cleaner": "none",
}


@dataclass(frozen=True)
class MisPerson:
    """One row of the export (its line in the file, its name as shown, its email)."""

    line: int
    name: str
    email: str
    title: str


def mis_export(path: Path) -> tuple[list[MisPerson], dict[str, int]]:
    """Write the export; the good rows, and the lines of the bad ones (duplicate, bad email)."""
    rows = [
        ("Moira", "Campbell", "", "Headteacher", "01/09/2015", ""),
        ("Siobhán", "Ní Bhriain", "", "Class Teacher", "45170", "Moira Campbell"),
        ("Robert", "D'Arcy", "Rob", "Class Teacher", "2020-09-01", "Moira Campbell"),
        ("Aoife", "O'Neill", "", "Teaching Assistant", "03/01/2022", "Siobhán Ní Bhriain"),
        ("Callum", "Fraser", "", "Teaching Assistant", "", "Siobhan Ni Bhriain"),
        ("Elspeth", "Murray", "", "Office Manager", "15/04/2019", "Moira Campbell"),
        ("Hamish", "Reid", "", "Governor", "", ""),
        ("Isla", "Grant", "", "Cleaner", "", "Elspeth Murray"),
    ]
    lines = [",".join(f"{h}" for h in HEADER)]
    people = []
    for number, (given, family, preferred, title, start, manager) in enumerate(rows, start=2):
        shown = f"{preferred or given} {family}"
        email = f"{(preferred or given).lower()}.{family.lower()}@{DOMAIN}"
        email = email.replace("'", "").replace(" ", "").replace("á", "a").replace("í", "i")
        people.append(MisPerson(number, shown, email, title))
        lines.append(f'{given} ,"{family}",{preferred},{email}  ,{title} ,{start},{manager}')
    bad = {"duplicate": len(lines) + 1, "bad email": len(lines) + 2}
    lines.append(f"Robert,D'Arcy,Bob,{people[2].email},Class Teacher,,")
    lines.append("Fiona,MacLeod,,fiona.macleod@,Teaching Assistant,02/09/2024,Moira Campbell")
    path.write_bytes(("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8"))
    return people, bad


NI_DOMAIN = "stcolmans.example"
NI_TITLE = "St Colman's Primary School \u2014 Staff List"
NI_HEADER = (
    "Legal Surname",
    "Preferred Forename",
    "Post",
    "Additional Post",
    "Work Email",
    "Start Date",
)
# a Northern Ireland primary's posts -> the role the school gives each
NI_TITLES = {
    "Principal": "staff",
    "Vice Principal": "staff",
    "Teacher": "staff",
    "Classroom Assistant": "staff",
    "Staff Governor": "governor",
    "Bursar": "staff",
    "Clerk to the Board of Governors": "clerk",
    "School Secretary": "staff",
    "Chair of the Board of Governors": "governor",
}


def mis_workbook(path: Path) -> list[MisPerson]:
    """St Colman's staff list as SIMS/Bromcom write it (all fictional): an .xlsx with a title
    row, a blank row, "Staff Details" merged over the header row, Excel dates (and one start
    date as Excel's serial number), one person with two posts; the people, each with their
    posts joined by ``;`` as ``title``."""
    from datetime import datetime

    from openpyxl import Workbook

    rows = [
        ("McCann", "Aoife", "Principal", "", datetime(2012, 9, 1)),
        ("Doherty", "Sean", "Vice Principal", "", datetime(2015, 9, 1)),
        ("Kelly", "Gr\u00e1inne", "Teacher", "", 45170),  # a serial number: 2023-09-01
        ("Quinn", "Ciara", "Classroom Assistant", "Staff Governor", datetime(2019, 1, 7)),
        ("Rafferty", "Eimear", "Bursar", "Clerk to the Board of Governors", datetime(2010, 4, 19)),
        ("Byrne", "Orla", "School Secretary", "", datetime(2018, 9, 3)),
        ("Maguire", "Fr. Brendan", "Chair of the Board of Governors", "", None),
    ]
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Staff"
    sheet.append([NI_TITLE])
    sheet.append([])
    sheet.append(["Staff Details"])
    sheet.merge_cells(start_row=3, start_column=1, end_row=3, end_column=len(NI_HEADER))
    sheet.append(list(NI_HEADER))
    people = []
    for number, (family, preferred, post, extra, start) in enumerate(rows, start=5):
        given = preferred.removeprefix("Fr. ").lower().replace("\u00e1", "a")
        email = f"{given}.{family.lower()}@{NI_DOMAIN}"
        sheet.append([family, preferred, post, extra or None, email, start])
        if isinstance(start, datetime):
            sheet.cell(row=number, column=6).number_format = "dd/mm/yyyy"
        people.append(
            MisPerson(
                number, f"{preferred} {family}", email, ";".join(t for t in (post, extra) if t)
            )
        )
    book.save(path)
    return people
