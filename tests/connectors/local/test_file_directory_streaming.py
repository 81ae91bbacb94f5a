"""A staff file is read row by row from the open file: a trust's 100,000 rows are never all
held at once beside the people made of them (#60: memory flat in the number of schools); a
row giving its line manager by name has the file read again for everyone's names."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bot.core.files.spreadsheets import _lines
from connectors.local.directory import FileDirectory, _named


def test_rows_come_one_at_a_time_and_names_are_read_only_for_a_manager_given_by_name() -> None:
    """Nobody's name is kept while managers are given by address; the first given by name has
    the file read again for everyone's, and no row is ever read ahead."""
    rows = [
        (2, {"email": "ana@oak.example", "name": "Ana Ortiz"}),
        (3, {"email": "ben@oak.example", "name": "Ben Lee", "manager_email": "ana@oak.example"}),
        (4, {"email": "cat@oak.example", "name": "Cat Cole", "manager_email": "Eve East"}),
        (5, {"email": "dan@oak.example", "name": "Dan Dale", "manager_email": "Ana Ortiz"}),
        (6, {"email": "eve@oak.example", "name": "Eve East"}),
    ]
    read: list[int] = []
    again: list[int] = []

    def reading() -> Iterator[tuple[int, dict[str, Any]]]:
        for line, row in rows:
            read.append(line)
            yield line, row

    def reading_again() -> Iterator[tuple[int, dict[str, Any]]]:
        for line, row in rows:
            again.append(line)
            yield line, dict(row)

    seen = []
    for line, _row, names in _named(reading(), reading_again):
        seen.append((line, list(read), len(names)))
        if line == 4:  # the manager named here is below: the whole file's names are known
            assert names["eve east"] == ["eve@oak.example"]
    assert seen == [
        (2, [2], 0),
        (3, [2, 3], 0),
        (4, [2, 3, 4], 5),
        (5, [2, 3, 4, 5], 5),
        (6, [2, 3, 4, 5, 6], 5),
    ]
    assert again == [2, 3, 4, 5, 6]  # once


def test_a_workbook_s_manager_named_above_and_below_is_found(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for cells in [
        ["Staff list"],
        ["Forename", "Surname", "Work Email", "Line Manager"],
        ["Ana", "Ortiz", "ana@oak.example", "Eve East"],
        ["Eve", "East", "eve@oak.example", "ana ortiz"],
        ["Ben", "Lee", "ben@oak.example", "Nobody Here"],
    ]:
        sheet.append(cells)
    book.save(tmp_path / "staff.xlsx")
    changes = FileDirectory(tmp_path / "staff.xlsx").fetch()
    assert [(p.email, p.manager_email) for p in changes.people] == [
        ("ana@oak.example", "eve@oak.example"),
        ("eve@oak.example", "ana@oak.example"),
    ]
    assert changes.rejected == [
        "staff.xlsx line 5 (Ben Lee): Line Manager 'Nobody Here' is nobody in this file; give "
        "their email"
    ]


def test_a_manager_named_below_the_row_is_found(tmp_path: Path) -> None:
    path = tmp_path / "staff.csv"
    path.write_text(
        "Forename,Surname,Work Email,Line "
        "Manager\nAna,Ortiz,ana@oak.example,\nBen,Lee,ben@oak.example,Eve "
        "East\nEve,East,eve@oak.example,ana ortiz\n",
        encoding="utf-8",
    )
    ana, ben, eve = FileDirectory(path).fetch().people
    assert (ana.manager_email, ben.manager_email, eve.manager_email) == (
        None,
        "eve@oak.example",
        "ana@oak.example",
    )


def test_lines_end_where_splitlines_ends_them(tmp_path: Path) -> None:
    """Read from the open file (never its whole text), a line ends as it did when the text
    was read whole and split, even where a CR and its LF fall in two reads of the file."""
    path = tmp_path / "staff.csv"
    long = "x" * 8191
    for text in [
        "",
        "\n",
        "a",
        "a\n",
        "a\nb",
        "a\r\nb\r\n",
        "a\rb\n\nc",
        "\n\na\n",
        "a\x0bb\x0cc\x1cd\x1de\x1ef\x85g\u2028h\u2029i",
        "a\r\r\nb\n\r",
        "é,ü\n",
        f"{long}\r\nb",
        f"{long}y\r\nb",
        f"{long}\x0c\nb\r",
    ]:
        path.write_text(text, encoding="utf-8", newline="")
        with path.open(encoding="utf-8", newline="") as file:
            assert list(_lines(file)) == text.splitlines(), repr(text[-9:])


def test_a_file_read_again_unchanged_is_parsed_only_when_its_people_are_asked_for(
    tmp_path: Path,
) -> None:
    """Between reads the file keeps its schools and their share digests, not its people
    (#60): read again unchanged, it parses them only when something asks, the same again."""
    path = tmp_path / "staff.csv"
    path.write_text(
        "email,name,school\nana@oak.example,Ana Ortiz,oak\n"
        "ben@elm.example,Ben Lee,elm\ncat@oak.example,Cat Cole,oak\n",
        encoding="utf-8",
    )
    reader = FileDirectory(path)
    first = reader.fetch()
    first.digests["oak"] = "as a sweep worked it out"
    again = reader.fetch()
    assert "oak" in again.by_school and None not in again.by_school
    assert sorted(again.by_school) == ["elm", "oak"] and again.digests is first.digests
    assert again.cursor == first.cursor
    assert list(again.by_school["oak"]) == list(first.by_school["oak"])
    assert list(again.people) == list(first.people) and len(again.people) == 3
    assert again.by_school.get(None, ()) == ()
