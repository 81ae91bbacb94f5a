"""A staff list as a school's MIS exports it (all fictional): a byte-order mark, CRLF line
ends, trailing spaces, Arbor/SIMS-style headers, job titles in the role column, accents and
apostrophes, an Excel serial date and a dd/mm/yyyy date, a duplicate row and an email address
without its domain."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["MIS_TITLES", "MisPerson", "mis_export"]

DOMAIN = "glenview.example"
HEADER = ("Legal Forename", "Legal Surname", "Preferred Name", "Work Email ", "Staff Role",
          "Employment Start Date", "Line Manager")
# job title -> the role a school gives it in the answers (none: not asked)
MIS_TITLES = {"Headteacher": "staff", "Class Teacher": "staff", "Teaching Assistant": "staff",
              "Office Manager": "staff", "Governor": "governor", "Cleaner": "none"}


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
