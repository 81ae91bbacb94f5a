"""A staff file's duplicate rows are named by the line that came first, however the file
is written (a BOM, CRLF, a quoted line break), while the read keeps only a number a row for
its checks, not the row's address and id (#60: a trust's read flat in the number of staff)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.guards.emails import has_mailbox
from bot.core.ports import RejectedRecord
from connectors.local import directory as file_directory
from connectors.local.directory import FileDirectory

_FILE = (
    "id,email,name,school\n"
    "T1,amy@oak.example,Amy Able,oak\n"  # line 2
    "T2,ben@oak.example,Ben Brook,oak\n"
    "T3,cat@elm.example,Cat Cole,elm\n"
    "T1,amy.again@oak.example,Amy Again,oak\n"  # the id of line 2
    "T9,ben@oak.example,Ben Again,elm\n"  # line 3's address, in another school
    "T3,cat@elm.example,Cat Again,elm\n"  # both of line 4's
    ",,Dee Dunn,elm\n"  # no address: known by her name
    ",,Dee Dunn,oak\n"
    "T2,new@oak.example,Ben New,oak\n"  # line 3's id
    "amy@oak.example,eve@elm.example,Eve East,elm\n"  # an id that is line 2's address
    "T5,T4@elm.example,Fay Fern,elm\n"
    "T4@elm.example,fay@elm.example,Fay Again,elm\n"  # an id that is line 12's address
)
_REJECTED = [
    "staff.csv line 5 (Amy Again): id T1 already on line 2",
    "staff.csv line 6 (Ben Again): email ben@oak.example already on line 3",
    "staff.csv line 7 (Cat Again): email cat@elm.example already on line 4",
    "staff.csv line 9 (Dee Dunn): no email address and the same name as the person already "
    "on line 8",
    "staff.csv line 10 (Ben New): id T2 already on line 3",
]


def _read(path: Path, text: str, encoding: str = "utf-8", newline: str = "\n") -> FileDirectory:
    path.write_bytes(text.replace("\n", newline).encode(encoding))
    return FileDirectory(path)


@pytest.mark.parametrize(
    ("encoding", "newline"),
    [
        ("utf-8", "\n"),
        ("utf-8-sig", "\n"),
        ("utf-8", "\r\n"),
        ("utf-8-sig", "\r\n"),
        ("utf-8", "\r"),
    ],
)
def test_duplicates_by_email_by_id_and_by_both_name_the_line_first_read(
    tmp_path: Path, encoding: str, newline: str
) -> None:
    reader = _read(tmp_path / "staff.csv", _FILE, encoding, newline)
    changes = reader.fetch()
    assert changes.rejected == _REJECTED
    assert reader.rejected_lines == [5, 6, 7, 9, 10]
    assert [(p.email, p.school) for p in changes.people] == [
        ("amy@oak.example", "oak"),
        ("ben@oak.example", "oak"),
        ("cat@elm.example", "elm"),
        (changes.people[3].email, "elm"),
        ("eve@elm.example", "elm"),
        ("t4@elm.example", "elm"),
        ("fay@elm.example", "elm"),
    ]
    assert [p.external_id for p in changes.people][:3] == ["T1", "T2", "T3"]
    assert changes.people[3].display_name == "Dee Dunn"
    assert not has_mailbox(changes.people[3].email)
    assert changes.rejected_records[:3] == [
        RejectedRecord("T1", "amy.again@oak.example", "Amy Again"),
        RejectedRecord("T9", "ben@oak.example", "Ben Again"),
        RejectedRecord("T3", "cat@elm.example", "Cat Again"),
    ]
    assert [p.display_name for p in changes.by_school["oak"]] == ["Amy Able", "Ben Brook"]


def test_a_duplicate_many_rows_later_names_its_first_line(tmp_path: Path) -> None:
    """Rows far apart (past any chunk the read keeps its people in) are still found."""
    rows = "".join(f"T{i},p{i}@oak.example,Person {i},s{i % 7}\n" for i in range(5_000))
    text = (
        f"id,email,name,school\n{rows}T7,x@oak.example,Late Id,s1\n"
        "T8,p4321@oak.example,Late Email,s2\n"
    )
    changes = _read(tmp_path / "staff.csv", text).fetch()
    assert changes.rejected == [
        "staff.csv line 5002 (Late Id): id T7 already on line 9",
        "staff.csv line 5003 (Late Email): email p4321@oak.example already on line 4323",
    ]
    assert len(changes.people) == 5_000


def test_rows_whose_checks_collide_are_told_apart_by_their_values(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every address and id hashed alike: only a real duplicate is refused, by its line."""
    monkeypatch.setattr(file_directory, "hash", lambda value: 42, raising=False)
    reader = _read(tmp_path / "staff.csv", _FILE)
    changes = reader.fetch()
    assert changes.rejected == _REJECTED
    assert [p.display_name for p in changes.people] == [
        "Amy Able",
        "Ben Brook",
        "Cat Cole",
        "Dee Dunn",
        "Eve East",
        "Fay Fern",
        "Fay Again",
    ]


def test_a_quoted_line_break_and_a_bom_keep_every_line_number(tmp_path: Path) -> None:
    """A cell over two lines counts both (the next row is named by its own line); its lines
    are joined as before the read streamed, and a form feed ends a line as it did."""
    text = (
        'email,name,job_title\n"ann@oak.example","Ann\nSmith",Teacher\n'
        'bob@oak.example,"Bob\r\nBrown",TA\nann@oak.example,Ann Again,\n'
        "cat@oak.example,Cat\x0cCole,\n"
    )
    changes = _read(tmp_path / "staff.csv", text, "utf-8-sig").fetch()
    assert [(p.email, p.display_name, p.job_title) for p in changes.people] == [
        ("ann@oak.example", "AnnSmith", "Teacher"),
        ("bob@oak.example", "BobBrown", "TA"),
        ("cat@oak.example", "Cat", None),
    ]
    assert changes.rejected == [
        "staff.csv line 6 (Ann Again): email ann@oak.example already on line 3",
        "staff.csv line 8: email is missing or not an email address (got 'cole')",
    ]


def test_a_file_that_is_not_utf8_is_read_as_windows_1252(tmp_path: Path) -> None:
    """Excel's plain "CSV" on a UK Windows PC writes Windows-1252: read as it, however late
    its first accented letter comes."""
    path = tmp_path / "staff.csv"
    rows = b"".join(b"ann%d@oak.example,Ann\n" % n for n in range(50_000))
    path.write_bytes(b"email,name\n" + rows + b"b@oak.example,Bj\xf6rn\n")
    people = list(FileDirectory(path).fetch().people)
    assert len(people) == 50_001 and people[-1].display_name == "Bj\u00f6rn"
