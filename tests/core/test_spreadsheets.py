"""The one spreadsheet reader (``bot.core.files.spreadsheets``) on files written by tools we did not
write: every spreadsheet of ../shared/corpus (openpyxl, re-saved by LibreOffice Calc) read as
its README says, and workbooks built to hurt a reader (a zip bomb, "billion laughs", an external
entity) refused with a sentence naming the file, from the command line too, within bounds."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.core.files.spreadsheets import SpreadsheetError, read_spreadsheet
from tests.support.helpers import TEST_SECRET, SchoolBuilder
from tests.support.hostile_workbooks import (
    bare_doctype,
    billion_laughs,
    external_dtd,
    xxe,
    zip_bomb,
)

COMMAND = str(Path(sys.executable).parent / "compliance-bot")
PEAK_MB = 300  # the bound for a 1 MB zip bomb: the reader expands nothing first


def test_every_corpus_spreadsheet_reads_as_written(shared_spreadsheets: Path) -> None:
    """Facts read with openpyxl from each file: the sheets a person sees, hidden ones not
    read, the leaver's row hidden in the notes-first export, the CSVs' encodings."""
    read = {
        p.name: read_spreadsheet(p)
        for p in shared_spreadsheets.iterdir()
        if p.suffix in (".xlsx", ".csv")
    }
    assert len(read) == 13
    seen = {
        name: ([s.name for s in book.sheets], book.hidden_sheets) for name, book in read.items()
    }
    for n in range(1, 7):  # the record's sheet first, the guidance one after it or hidden
        name = next(k for k in read if k.startswith(f"scr.{n}-"))
        assert seen[name] == (
            (["SCR"], ["Guidance"]) if n % 2 == 0 else (["SCR", "Guidance"], [])
        ), name
    assert seen["staff-export.notes-sheet-first.libreoffice.xlsx"] == (["Staff", "Read me"], [])
    notes = read["staff-export.notes-sheet-first.libreoffice.xlsx"].sheets[0]
    assert notes.hidden_rows == {7}
    assert dict(notes.rows())[7][:2] == ["Hall, Gwenllïan", "Class Teacher"]
    mis = dict(read["staff-export.mis-style.libreoffice.xlsx"].sheets[0].rows())
    assert mis[1][0].startswith("Ysgol Enghraifft / Example School - Staff List")
    assert mis[4] == [
        "Wright",
        "Amelia",
        "Mrs",
        "Headteacher",
        "",
        "a.wright0@school.example",
        "2021-02-09",
    ]  # an Excel date as a date, the title row above it
    encodings = {n: b.sheets[0].encoding for n, b in read.items() if n.endswith(".csv")}
    assert encodings == {
        "staff-export.semicolons.csv": "utf-8-sig",
        "staff-export.utf8-bom.csv": "utf-8-sig",
        "staff-export.windows-1252.csv": "cp1252",
    }
    for name in encodings:
        rows = dict(read[name].sheets[0].rows())
        assert rows[1] == ["Surname", "Forename", "Job Title", "Email", "Start Date"], name
        assert rows[6][:2] == ["Ní Bhriain", "Aoife"], name
        assert len(rows) == 61, name
        # Windows-1252 has no ŷ: the tool that saved it wrote "?" (read as the file says)
        assert rows[14][:2] == ["Roberts", "Ll?r" if name.endswith("1252.csv") else "Llŷr"]


@pytest.mark.parametrize(
    ("build", "said"),
    [
        (billion_laughs, "declares its own XML entities, which Excel never does"),
        (xxe, "declares its own XML entities, which Excel never does"),
        (bare_doctype, "declares an XML document type, which Excel never does"),
        (external_dtd, "declares an XML document type, which Excel never does"),
    ],
)
def test_entities_are_refused_before_any_parser_reads_them(
    tmp_path: Path, build: object, said: str
) -> None:
    path = build(tmp_path / "staff.xlsx")  # type: ignore[operator]
    with pytest.raises(SpreadsheetError) as refused:
        read_spreadsheet(path)
    assert str(refused.value) == f"staff.xlsx: this workbook {said}, so it has not been read"


def test_a_workbook_renamed_csv_is_read_as_what_it_is(
    shared_spreadsheets: Path, tmp_path: Path
) -> None:
    renamed = tmp_path / "staff.csv"
    renamed.write_bytes(
        (shared_spreadsheets / "staff-export.mis-style.libreoffice.xlsx").read_bytes()
    )
    assert [s.name for s in read_spreadsheet(renamed).sheets] == ["Staff"]


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = zip_bomb(tmp_path_factory.mktemp("bomb") / "scr.xlsx")
    assert path.stat().st_size < 1_100_000  # about 1 MB, opening to a gigabyte
    return path


def _peak(args: list[str], home: Path) -> tuple[int, str, float]:
    """Run the installed command in a process of its own: (exit code, what it printed, its
    peak memory in MB: the largest resident set of the process and of its children)."""
    probe = (
        "import resource, subprocess, sys;r = subprocess.run(sys.argv[1:], capture_output=True, "
        "text=True);print(r.returncode); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss);print(r.stdout + r.stderr)"
    )
    env = {
        **os.environ,
        "COMPLIANCE_BOT_HOME": str(home),
        "COMPLIANCE_BOT_SECRET_KEY": TEST_SECRET,
        "COLUMNS": "300",
    }
    done = subprocess.run(
        [sys.executable, "-c", probe, COMMAND, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    code, peak, said = done.stdout.split("\n", 2)
    return int(code), " ".join(said.split()), int(peak) / 1024


@pytest.mark.slow
def test_a_zip_bomb_is_refused_by_scr_import_and_the_staff_file_within_300_mb(
    bomb: Path, tmp_path: Path
) -> None:
    school = SchoolBuilder(tmp_path / "school")
    home = school.installed()
    code, said, peak = _peak(["scr", "import", str(bomb)], home)
    print(f"\nscr import of a {bomb.stat().st_size:,}-byte zip bomb: peak {peak:.0f} MB")
    assert code == 2, said
    assert (
        "scr.xlsx: this workbook would expand to 1,024 MB when opened (at most 100 MB), so "
        "it has not been read"
    ) in said
    assert "Traceback" not in said and peak < PEAK_MB
    (home / "directory.csv").unlink()
    (home / "directory.xlsx").write_bytes(bomb.read_bytes())
    code, said, peak = _peak(["check", "config"], home)
    print(f"the staff file (check config) as the same zip bomb: peak {peak:.0f} MB")
    assert code != 0, said
    assert "directory.xlsx: this workbook would expand to 1,024 MB when opened" in said
    assert "Traceback" not in said and peak < PEAK_MB


@pytest.mark.parametrize("build", [billion_laughs, xxe])
def test_scr_import_refuses_entities_with_the_products_sentence(
    build: object, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from bot.cli.main import app

    home = SchoolBuilder(tmp_path / "school").installed()
    path = build(tmp_path / "scr.xlsx")  # type: ignore[operator]
    result = CliRunner().invoke(
        app, ["scr", "import", str(path)], env={"COMPLIANCE_BOT_HOME": str(home), "COLUMNS": "300"}
    )
    said = " ".join(result.output.split())
    assert result.exit_code == 2, said
    assert (
        "error: scr.xlsx: this workbook declares its own XML entities, which Excel never "
        "does, so it has not been read"
    ) in said
    assert "nothing was imported" in said and "Traceback" not in said
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_an_opendocument_spreadsheet_is_refused_saying_what_to_save_it_as(tmp_path: Path) -> None:
    """An .ods is a zip too (mimetype, content.xml): not an Excel workbook, refused plainly."""
    import zipfile

    ods = tmp_path / "staff.ods"
    with zipfile.ZipFile(ods, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    with pytest.raises(SpreadsheetError) as refused:
        read_spreadsheet(ods)
    assert str(refused.value) == (
        "staff.ods: this workbook is damaged or is not an Excel workbook, so it has not been "
        "read; open it in Excel and save it again as an Excel workbook (.xlsx)"
    )
