"""Staff exports as schools have them: header presets of MIS, HR, Entra and Google downloads,
dates (Excel serial, UK day first, never US order), "Surname, Forename", and messages naming
the file, line, person and the file's own column."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.core.guards.emails import has_mailbox
from bot.core.ports import PermanentError
from bot.engine.job_roles import map_roles, words_of
from connectors.local.directory import FileDirectory
from connectors.local.staff_export import read_header, split_name, staff_date


@pytest.mark.parametrize(
    ("header", "email", "name"),
    [
        # SIMS-style
        (
            "Surname,Forename,Preferred Forename,Email Address,Post,Start Date",
            "Ortiz,Ana,,ana@oak.example,Class Teacher,01/09/2024",
            "Ana Ortiz",
        ),
        # Arbor-style
        (
            "Legal Forename,Legal Surname,Preferred Name,Work Email,Staff Role,Employment Start "
            "Date",
            "Benjamin,Lee,Ben,ben@oak.example,Teaching Assistant,45170",
            "Ben Lee",
        ),
        # Bromcom-style, surname first in one column
        (
            "Staff Name,Primary Email,Job Title",
            '"Ní Bhriain, Siobhán",sio@oak.example,Teacher',
            "Siobhán Ní Bhriain",
        ),
        # Entra "Download users"
        (
            "userPrincipalName,displayName,surname,mail,givenName,jobTitle,accountEnabled",
            "upn@oak.example,Cat Cole,Cole,cat@oak.example,Cat,Teacher,True",
            "Cat Cole",
        ),
        # Google Admin "Download users"
        (
            "First Name [Required],Last Name [Required],Email Address [Required],Status [READ "
            "ONLY],Employee Title",
            "Dan,Dale,dan@oak.example,Active,Office Manager",
            "Dan Dale",
        ),
    ],
)
def test_common_exports_are_read_as_they_are(
    tmp_path: Path, header: str, email: str, name: str
) -> None:
    path = tmp_path / "staff.csv"
    path.write_bytes(f"\ufeff{header}  \r\n{email}  \r\n".encode())
    changes = FileDirectory(path).fetch()
    assert changes.rejected == []
    [person] = changes.people
    assert person.display_name == name
    assert person.email.endswith("@oak.example") and person.job_title


def test_entra_mail_is_preferred_to_the_sign_in_name_and_suspended_is_not_here(
    tmp_path: Path,
) -> None:
    path = tmp_path / "users.csv"
    path.write_text(
        "userPrincipalName,displayName,mail,Status\nupn@oak.example,Cat "
        "Cole,cat@oak.example,Suspended\neve@oak.example,Eve East,,Active\n",
        encoding="utf-8",
    )
    cat, eve = FileDirectory(path).fetch().people
    assert (cat.email, cat.active) == ("cat@oak.example", False)
    assert (eve.email, eve.active) == ("eve@oak.example", True)


def test_a_header_without_an_email_says_what_it_expected(tmp_path: Path) -> None:
    path = tmp_path / "staff.csv"
    path.write_text("Forename,Surname,Phone\nAna,Ortiz,0123\n", encoding="utf-8")
    with pytest.raises(PermanentError) as raised:
        FileDirectory(path).fetch()
    message = str(raised.value)
    assert "staff.csv line 1" in message and "an email column (e.g. Email, Work Email" in message
    assert "found: Forename, Surname, Phone" in message


def test_bad_rows_name_the_person_and_the_files_own_column(tmp_path: Path) -> None:
    path = tmp_path / "staff.csv"
    path.write_text(
        "Forename,Surname,Work Email,Employment Start Date,Line "
        "Manager\nAna,Ortiz,ana@oak.example,01/09/2024,\nBen,Lee,,01/09/2024,Ana "
        "Ortiz\nCat,Cole,cat@oak.example,09/13/2024,\nDan,Dale,dan@oak.example,,Nobody "
        "Known\nEve,East,eve@oak.example,,ana ortiz\n",
        encoding="utf-8",
    )
    directory = FileDirectory(path)
    changes = directory.fetch()
    assert changes.rejected == [
        "staff.csv line 4 (Cat Cole): Employment Start Date must be a date like 2026-09-01 or "
        "01/09/2026 (got '09/13/2024'); dates are read day first, as in the UK",
        "staff.csv line 5 (Dan Dale): Line Manager 'Nobody Known' is nobody in this file; "
        "give their email",
    ]
    assert directory.rejected_lines == [4, 5]
    eve = changes.people[-1]
    assert eve.manager_email == "ana@oak.example"  # a manager by name, in any case
    assert FileDirectory(path, left_out=frozenset({4, 5})).fetch().rejected == []


def test_a_row_without_an_email_address_is_kept_without_a_mailbox(tmp_path: Path) -> None:
    path = tmp_path / "staff.csv"
    path.write_text(
        "Staff ID,Forename,Surname,Work Email,Line "
        "Manager\nS1,Ana,Ortiz,ana@oak.example,\n,Ben,Lee,,Ana Ortiz\nS3,Cat,Cole,,Ben "
        "Lee\n,Ben,Lee,,\n",
        encoding="utf-8",
    )
    changes = FileDirectory(path).fetch()
    _ana, ben, cat = changes.people
    assert (ben.display_name, ben.manager_email) == ("Ben Lee", "ana@oak.example")
    assert not has_mailbox(ben.email) and not ben.has_account
    assert cat.email == "s3@no-email.invalid" and cat.manager_email == ben.email  # by MIS id
    assert changes.rejected == [
        "staff.csv line 5 (Ben Lee): no email address and the same "
        "name as the person already on line 3"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("45170", date(2023, 9, 1)),  # Excel serial
        ("45170.0", date(2023, 9, 1)),
        ("01/09/2026", date(2026, 9, 1)),
        ("1/9/2026", date(2026, 9, 1)),
        ("01-09-2026", date(2026, 9, 1)),
        ("01.09.2026", date(2026, 9, 1)),
        ("2026-09-01", date(2026, 9, 1)),
        ("2026-09-01 00:00:00", date(2026, 9, 1)),
        ("1 Sep 2026", date(2026, 9, 1)),
        ("1 September 2026", date(2026, 9, 1)),
        ("", None),
    ],
)
def test_dates_as_exports_write_them(text: str, expected: date | None) -> None:
    assert staff_date(text, "Start Date") == expected


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("09/13/2026", "day first"),  # US order is never guessed
        ("31/02/2026", "day first"),
        ("01/09/26", "two-digit year"),
        ("123", "must be a date"),
    ],
)
def test_dates_that_are_not_read(text: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        staff_date(text, "Start Date")


def test_names_surname_first_and_header_synonyms() -> None:
    assert split_name("Ortiz,  Ana") == ("Ana Ortiz", "Ana", "Ortiz")
    assert split_name("Ana Ortiz") == ("Ana Ortiz", None, None)
    header = read_header(["Email", "E-mail", "Legal Surname", "Known As"], "x.csv")
    assert header.sources["email"] == [0, 1] and header.column("family_name") == "Legal Surname"
    assert header.row(["", "a@b.example", "Lee", "Ben"])["email"] == "a@b.example"


def test_the_columns_not_read_are_named() -> None:
    header = read_header(
        ["Name", "Email", "Role", "Additional Role", "", "Notes", "Key Stage"], "x.csv"
    )
    assert header.column("job_title") == "Role"
    assert header.column("other_titles") == "Additional Role"
    assert header.unused == ["Notes", "Key Stage"]


def test_every_role_column_of_an_export_goes_through_the_role_table(tmp_path: Path) -> None:
    """An MIS's "Role" and "Additional Role" (and "Role 2"): the teaching assistant who is also a
    governor is both; a further role the table does not know holds its person back, named."""
    path = tmp_path / "staff.csv"
    path.write_text(
        "Name,Email,Role,Additional Role,Role 2\n"
        '"Ash, Tia",tia.ash@oak.example,Teaching Assistant,Governor,\n'
        '"Birch, Tom",tom.birch@oak.example,Teaching Assistant,,Parent Rep\n'
        '"Cole, Ann",ann.cole@oak.example,Class Teacher,,\n',
        encoding="utf-8",
    )
    reader = FileDirectory(path)
    people = {p.email: p for p in reader.fetch(None).people}
    assert reader.unused_columns == []
    assert people["tia.ash@oak.example"].other_titles == ("Governor",)
    assert people["tom.birch@oak.example"].other_titles == ("Parent Rep",)
    table = {"Teaching Assistant": "staff", "Class Teacher": "staff", "Governor": "governor"}
    tia = map_roles(people["tia.ash@oak.example"], {}, table)
    assert tia.roles == {"staff", "governor"} and tia.unknown == ()
    tom = map_roles(people["tom.birch@oak.example"], {}, table)
    assert tom.unknown == ("Parent Rep",)  # held back until the school says what it means
    assert map_roles(people["ann.cole@oak.example"], {}, table).roles == {"staff"}
    assert words_of(people.values(), {}) == {
        "Teaching Assistant": 2,
        "Governor": 1,
        "Parent Rep": 1,
        "Class Teacher": 1,
    }


def test_a_csv_with_title_rows_and_a_two_row_header_is_read_from_its_header(tmp_path: Path) -> None:
    """A title row, a blank row, "Staff Details" over the header, and a heading merged down
    the two rows ("Work Email" written in the upper row only): the header is the row found,
    the people are the rows under it, each named by the file's own line."""
    path = tmp_path / "staff.csv"
    path.write_text(
        "St Colman's Primary School — Staff List,,,\n,,,\nStaff Details,,,Work Email\nLegal "
        "Surname,Preferred "
        "Forename,Post,\nMcCann,Aoife,Principal,aoife@stcolmans.example\nQuinn,Ciara,Classroom "
        "Assistant,not-an-address\n",
        encoding="utf-8",
    )
    reader = FileDirectory(path)
    changes = reader.fetch(None)
    assert reader.header_line == 4
    # the group heading joined into each of its sub-columns' names (one rule, the reader's)
    assert reader.header_names == [
        "Staff Details Legal Surname",
        "Staff Details Preferred Forename",
        "Staff Details Post",
        "Work Email",
    ]
    assert [(p.display_name, p.job_title) for p in changes.people] == [
        ("Aoife McCann", "Principal")
    ]
    assert changes.rejected[0].startswith("staff.csv line 6 (Ciara Quinn): Work Email")


def test_files_that_are_no_staff_list_say_what_to_give(tmp_path: Path) -> None:
    titled = tmp_path / "titled.csv"
    titled.write_text("St Colman's Primary School — Staff List\nPrinted 1 Sept 2026\n", "utf-8")
    with pytest.raises(
        PermanentError,
        match=r"line 1: header must include 'email' and 'name'.*"
        r"no row of the first 20 has them",
    ):
        FileDirectory(titled).fetch(None)
    renamed = tmp_path / "staff.csv"  # read by what it is, not by its name
    renamed.write_bytes(b"PK\x03\x04rest of a workbook")
    with pytest.raises(PermanentError, match="this workbook is damaged or is not an Excel"):
        FileDirectory(renamed).fetch(None)
    old = tmp_path / "staff.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(PermanentError, match=r"save it as an Excel workbook \(.xlsx\)"):
        FileDirectory(old).fetch(None)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a zip")
    with pytest.raises(PermanentError, match=r"broken\.xlsx: this workbook is damaged"):
        FileDirectory(broken).fetch(None)


def test_a_name_is_found_by_any_part_titles_aside() -> None:
    from bot.core.ports import DirectoryPerson
    from bot.features.setup.answers import pick_person

    people = [
        DirectoryPerson(external_id=e, email=e, display_name=n)
        for e, n in (
            ("b.maguire@stcolmans.example", "Fr. Brendan Maguire"),
            ("m.hamill@stcolmans.example", "Mrs Margaret Hamill"),
            ("m.quinn@stcolmans.example", "Margaret Quinn"),
        )
    ]
    assert pick_person(people, "brendan", "staff.xlsx")[0] == "b.maguire@stcolmans.example"
    assert pick_person(people, "Maguire Brendan", "x")[0] == "b.maguire@stcolmans.example"
    assert pick_person(people, "Margaret Hamill", "x")[0] == "m.hamill@stcolmans.example"
    email, problem, choices = pick_person(people, "margaret", "staff.xlsx")
    assert email is None and len(choices) == 2 and problem is not None
