"""The single central record trackers of ../shared/corpus/spreadsheets (openpyxl, re-saved by
LibreOffice Calc), imported by ``compliance-bot scr import`` as an office would, for a school
whose staff list is the corpus's own MIS export (60 people: the trackers' first 30 are its
first 30).

What a person expects of each file (read with openpyxl, not from the product's word lists):
- the six English trackers open on a guidance sheet (visible in 1, 3, 5; hidden in 2, 4, 6),
  keep the record on a sheet named "SCR" under two title rows, and put certificate numbers
  ("DBS", 12 digits) beside the DBS date in six wordings; every check of every row is dated
  20 days before its start date: 0 gaps of any check, 0 DBS numbers kept;
- the Scottish tracker holds PVG scheme membership and a renewal date 1,805 days after the
  start: 15 of its 20 renewal dates have passed on 20 November 2026 (the export's day), 5 not;
- the Northern Ireland tracker holds the enhanced AccessNI check: 0 gaps of it;
- a DBS column is not PVG (Scotland) nor AccessNI (Northern Ireland): read there it gives the
  nation's own check's gaps, unless the school says the column is it.
No tracker of the corpus has a late check: the late checks below are planted in a copy.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine
import yaml
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli.main import app
from bot.core.deployment.context import AppContext
from bot.core.deployment.settings import Settings
from bot.core.models import AuditEvent, ScrCheck, ScrEntry
from tests.features.decisions.test_support import sync_people
from tests.support.helpers import TEST_SECRET, at
from tests.support.split_headers import libreoffice_saved, split_date_workbook

TODAY = date(2026, 11, 20)  # the day the MIS export says it was made
ENGLISH = [
    "scr.1-enhanced-dbs-certificate-date",
    "scr.2-date-of-enhanced-dbs-certificate",
    "scr.3-dbs-certificate-issue-date",
    "scr.4-enhanced-dbs-check-date",
    "scr.5-dbs-date",
    "scr.6-date-dbs-received",
]
DATE_COLUMN = {
    "scr.1-enhanced-dbs-certificate-date": "Enhanced DBS certificate date",
    "scr.2-date-of-enhanced-dbs-certificate": "Date of enhanced DBS certificate",
    "scr.3-dbs-certificate-issue-date": "DBS certificate issue date",
    "scr.4-enhanced-dbs-check-date": "Enhanced DBS check date",
    "scr.5-dbs-date": "DBS Date",
    "scr.6-date-dbs-received": "Date DBS received",
}
PEOPLE = {  # the corpus export's people in roles
    "headteacher": "a.wright0@school.example",
    "dsl": ["l.roberts12@school.example"],
    "admins": ["o.wright13@school.example"],
}


@dataclass
class School:
    """A school set up from the corpus's MIS export, and the commands run for it."""

    home: Path
    context: AppContext

    def invoke(self, *args: str) -> Any:
        env = {"COMPLIANCE_BOT_HOME": str(self.home), "COLUMNS": "300"}
        result = CliRunner().invoke(app, [*args, "--as-of", TODAY.isoformat()], env=env)
        assert result.exit_code == 0, result.output
        return result

    def run(self, *args: str) -> str:
        """What the command printed, its lines joined as one."""
        return " ".join(self.invoke(*args).output.split())

    def gaps(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = json.loads(self.invoke("scr", "gaps", "--json").stdout)
        return found

    def kinds(self) -> Counter[tuple[str, str | None]]:
        return Counter((g["kind"], g["check"]) for g in self.gaps())


def _school(home: Path, country: str, export: Path) -> School:
    """The school's settings and its staff list as the MIS wrote it (directory.xlsx)."""
    home.mkdir(parents=True)
    (home / "secret.key").write_text(TEST_SECRET, encoding="utf-8")
    shutil.copyfile(export, home / "directory.xlsx")
    (home / "policies").mkdir()
    school = {
        "id": "ysgol",
        "name": "Example School",
        "country": country,
        "policies": [],
        "requirements": [],
        **PEOPLE,
    }
    (home / "school.yaml").write_text(
        yaml.safe_dump({"organisation": {"name": "Example"}, "schools": [school]}), encoding="utf-8"
    )
    context = AppContext(Settings(home=home, secret_key=TEST_SECRET))
    sync_people(context, TODAY)
    return School(home, context)


@pytest.fixture(scope="module")
def schools(
    shared_spreadsheets: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, School]]:
    export = shared_spreadsheets / "staff-export.mis-style.libreoffice.xlsx"
    home = tmp_path_factory.mktemp("corpus")
    with time_machine.travel(at(TODAY, 9), tick=False):
        nations = ("england", "scotland", "northern-ireland")
        made = {c: _school(home / c, c, export) for c in nations}
        yield made
    for school in made.values():
        school.context.store.dispose()


def _tracker(folder: Path, name: str) -> Path:
    return folder / f"{name}.libreoffice.xlsx"


@pytest.mark.parametrize("name", ENGLISH)
def test_each_english_tracker_imports_with_no_false_dbs_gap(
    schools: dict[str, School], shared_spreadsheets: Path, name: str
) -> None:
    school = schools["england"]
    said = school.run("scr", "import", str(_tracker(shared_spreadsheets, name)))
    assert "sheet 'SCR' read (header on row 3)" in said
    assert "column 'DBS' skipped: vetting data is not kept" in said
    assert f"column '{DATE_COLUMN[name]}'" not in said  # read: neither skipped nor "not read"
    assert "30 rows read (30 matched to people of the school, 0 not)" in said
    assert "not judged" not in said and "is nobody of the school" not in said
    kinds = school.kinds()
    # the export's other 30 people: 4 governors and a clerk (on no record of staff), 25 who
    # work here; no training is recorded for the 48 who owe it (not the 8 governors, 2 clerks
    # and 2 volunteers of the 60)
    assert kinds == {
        ("not_in_scr", None): 25,
        ("governor_missing", None): 4,
        ("no_training", None): 48,
    }
    with school.context.store.session() as session:
        dated = session.scalars(
            select(ScrCheck.checked_on).where(ScrCheck.check == "criminal_record")
        ).all()
        kept = " ".join(
            str(v)
            for table in (ScrEntry, ScrCheck, AuditEvent)
            for v in session.execute(select(table.__table__)).all()
        )
    assert len(dated) == 30 and all(dated)
    numbers = _dbs_numbers(_tracker(shared_spreadsheets, name))
    assert len(numbers) == 30 and not [n for n in numbers if n in kept]  # 0 DBS numbers kept


def _dbs_numbers(path: Path) -> list[str]:
    """The certificate numbers of a tracker's "DBS" column, read with openpyxl."""
    from openpyxl import load_workbook

    sheet = load_workbook(path, read_only=True)["SCR"]
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    at = list(rows[0]).index("DBS")
    return [str(r[at]) for r in rows[1:] if r[at]]


def test_hidden_guidance_sheets_are_not_read(shared_spreadsheets: Path) -> None:
    from bot.core.files.spreadsheets import read_spreadsheet

    hidden = {n: read_spreadsheet(_tracker(shared_spreadsheets, n)).hidden_sheets for n in ENGLISH}
    assert hidden == {n: ["Guidance"] if n[4] in "246" else [] for n in ENGLISH}


def test_two_late_checks_planted_in_a_tracker_are_found(
    schools: dict[str, School], shared_spreadsheets: Path, tmp_path: Path
) -> None:
    """A copy of tracker 4 with two DBS dates after their start (one with a risk assessment
    recorded: no gap), a leaver's row hidden, and the volunteer's row hidden too."""
    from openpyxl import load_workbook

    book = load_workbook(_tracker(shared_spreadsheets, "scr.4-enhanced-dbs-check-date"))
    sheet = book["SCR"]
    header = [c.value for c in sheet[3]]
    dbs, start = header.index("Enhanced DBS check date") + 1, header.index("Start date") + 1
    sheet.cell(3, len(header) + 1, "Risk assessment")
    late = {
        "Hughes": datetime(2024, 11, 4),
        "Patel": datetime(2024, 3, 1),
        "MacLeòid": datetime(2024, 9, 2),
    }
    for row in sheet.iter_rows(min_row=4):
        surname = row[0].value
        if surname in late and row[1].value in ("Isla", "Zoë", "Leo"):
            row[dbs - 1].value = late[surname]
            assert row[dbs - 1].value > row[start - 1].value
            if surname == "MacLeòid":
                sheet.cell(row[0].row, len(header) + 1, "Yes")
        if surname == "Thomas" and row[2].value == "Volunteer":
            sheet.row_dimensions[row[0].row].hidden = True
    planted = tmp_path / "scr-late.xlsx"
    book.save(planted)
    school = schools["england"]
    said = school.run("scr", "import", str(planted))
    assert "1 hidden row read (hidden rows are on the record too)" in said
    late_gaps = sorted(g["person"] for g in school.gaps() if g["kind"] == "late_check")
    assert late_gaps == ["Isla Hughes", "Zoë Patel"]
    assert not [g for g in school.gaps() if g["kind"] == "left_in_scr"]  # the volunteer too


def test_a_sheet_without_a_dbs_date_column_says_so_once(
    schools: dict[str, School], shared_spreadsheets: Path, tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    book = load_workbook(_tracker(shared_spreadsheets, "scr.5-dbs-date"))
    book["SCR"].delete_cols(8)  # "DBS Date": only the certificate numbers are left
    plain = tmp_path / "scr-no-dbs-date.xlsx"
    book.save(plain)
    school = schools["england"]
    said = school.run("scr", "import", str(plain))
    assert (
        said.count(
            "this sheet has no enhanced DBS check column we can read: the enhanced "
            "DBS check is not judged"
        )
        == 1
    )
    assert "column 'DBS' skipped" in said
    assert not [g for g in school.gaps() if g["check"] == "criminal_record"]


def test_scotland_reads_pvg_and_gaps_the_passed_renewal_dates(
    schools: dict[str, School], shared_spreadsheets: Path
) -> None:
    school = schools["scotland"]
    said = school.run("scr", "import", str(_tracker(shared_spreadsheets, "scr.scotland-pvg")))
    assert "20 rows read (20 matched" in said
    # the tracker keeps no right to work column: said once, and no gap of it
    assert (
        said.count("not judged") == 1
        and ("this sheet has no right to work in the UK check column we can read") in said
    )
    renewals = sorted((g["person"], g["gap"]) for g in school.gaps() if g["kind"] == "renewal_due")
    assert len(renewals) == 15  # of 20: five renewal dates are after 20 November 2026
    assert (
        "Amelia Wright",
        "PVG scheme membership: renewal was due on Monday 19 January 2026",
    ) in renewals
    assert not [g for g in school.gaps() if g["kind"] == "missing_check"]


@pytest.mark.parametrize(
    ("nation", "check", "asked"),
    [
        # Scotland's pack asks PVG membership of staff (its 4 governors: not stated); Northern
        # Ireland's asks the AccessNI check of governors too
        ("scotland", "PVG scheme membership", 26),
        ("northern-ireland", "enhanced AccessNI check", 30),
    ],
)
def test_a_dbs_column_is_not_the_nations_check_unless_the_school_says(
    schools: dict[str, School], shared_spreadsheets: Path, nation: str, check: str, asked: int
) -> None:
    school = schools[nation]
    tracker = str(_tracker(shared_spreadsheets, "scr.4-enhanced-dbs-check-date"))
    said = school.run("scr", "import", tracker)
    assert (
        f"column 'Enhanced DBS check date' is for the DBS check, not {check}, so it is not "
        "read as one (if it is, import again with --criminal-record-column 'Enhanced DBS "
        "check date')"
    ) in said
    assert "column 'DBS' skipped: vetting data is not kept" in said
    missing = [g for g in school.gaps() if g["check"] == "criminal_record"]
    assert len(missing) == asked and {g["gap"] for g in missing} == {f"{check}: not recorded"}
    said = school.run(
        "scr", "import", tracker, "--criminal-record-column", "Enhanced DBS check date"
    )
    assert "is for the DBS check" not in said
    assert not [g for g in school.gaps() if g["check"] == "criminal_record"]


def test_northern_ireland_reads_accessni(
    schools: dict[str, School], shared_spreadsheets: Path
) -> None:
    school = schools["northern-ireland"]
    said = school.run("scr", "import", str(_tracker(shared_spreadsheets, "scr.ni-accessni")))
    assert "20 rows read (20 matched" in said and "AccessNI check date' is" not in said
    assert not [g for g in school.gaps() if g["check"] == "criminal_record"]
    in_england = schools["england"].run(
        "scr", "import", str(_tracker(shared_spreadsheets, "scr.ni-accessni"))
    )
    assert (
        "column 'Enhanced AccessNI check date' is for the AccessNI check, not enhanced DBS "
        "check" in in_england
    )


@pytest.mark.parametrize(
    ("to", "parts"),
    [
        ("xlsx", ("Day", "Month", "Year")),
        ("xlsx", ("DD", "MM", "YYYY")),
        ("xlsx", ("Dydd", "Mis", "Blwyddyn")),
        ("csv:Text - txt - csv (StarCalc):44,34,76", ("Day", "Month", "Year")),
    ],
)
def test_a_pvg_date_split_over_day_month_year_under_one_heading_is_read(
    schools: dict[str, School],
    shared_spreadsheets: Path,
    tmp_path: Path,
    to: str,
    parts: tuple[str, ...],
) -> None:
    """The Scottish tracker kept by hand: a header over two rows (its headings merged down
    both, "PVG scheme membership date" merged over Day, Month and Year), saved by
    LibreOffice: read as the corpus's own (before: "'Surname' is missing" and "not a date"
    for every row)."""
    school = schools["scotland"]
    tracker = shared_spreadsheets / "scr.scotland-pvg.libreoffice.xlsx"
    split = split_date_workbook(tracker, tmp_path, "PVG scheme membership date", parts)
    said = school.run("scr", "import", str(libreoffice_saved(split, to)))
    assert "20 rows read (20 matched" in said
    assert "header on row 2" in said or not to.startswith("xlsx")  # a workbook's title row
    assert not [p for p in parts if f"'{p}'" in said]  # no part is a column "not read"
    renewals = [g for g in school.gaps() if g["kind"] == "renewal_due"]
    assert len(renewals) == 15
    assert not [g for g in school.gaps() if g["kind"] == "missing_check"]


def test_a_split_date_that_is_no_day_is_refused_naming_file_row_and_column(
    schools: dict[str, School], shared_spreadsheets: Path, tmp_path: Path
) -> None:
    """31 February and a day left out: each row named, the column named, nothing kept."""
    school = schools["scotland"]
    tracker = shared_spreadsheets / "scr.scotland-pvg.libreoffice.xlsx"
    school.run("scr", "import", str(tracker))
    before = school.gaps()
    split = split_date_workbook(
        tracker, tmp_path, "PVG scheme membership date", bad={1: (31, 2, 2021), 3: (None, 9, 2024)}
    )
    saved = libreoffice_saved(split, "xlsx")
    env = {"COMPLIANCE_BOT_HOME": str(school.home), "COLUMNS": "300"}
    result = CliRunner().invoke(
        app, ["scr", "import", str(saved), "--as-of", TODAY.isoformat()], env=env
    )
    said = " ".join(result.output.split())
    assert result.exit_code != 0
    for row, who in ((3, "Wright"), (5, "Hughes")):
        assert (
            f"scr.scotland-pvg.split.xlsx row {row} ({who}): 'PVG scheme membership date' is not "
            "a date like 01/09/2026"
        ) in said
    assert said.count("is not a date") == 2
    assert school.gaps() == before
