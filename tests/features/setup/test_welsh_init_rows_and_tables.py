"""``init`` in a Welsh school: the words from elsewhere inside its lines in the school's
language — a staff list's own row problems, the address library's reason an address is not one
(a reason it does not list stays as it wrote it, after the Welsh lead-in), the calendar table's
dates and what each event was read as, its notes, the policy folder's table and the notes under
it, and Welsh's article joined to the vowel before it. Welsh in ``cy``, Welsh first then English
in ``cy+en``, English as it always printed in ``en``."""

from __future__ import annotations

import csv
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar, Event
from typer.testing import CliRunner

from bot.cli.main import app
from bot.core.language.i18n import said_in, speaking
from bot.features.setup.problems import contracted
from bot.features.setup.term_calendar import read_term_calendar
from tests.support.mis_export import mis_export
from tests.support.newcomer import answers_file, policy_folder, staff_csv, term_calendar
from tests.support.terminal import answer, spawn

# a row of the staff list for each kind of problem: (cells, English, Welsh) — the line numbers
# are the file's (the header is line 1, 60 people follow)
BAD_ROWS = (
    (
        ["not-an-address", "Bad Row", "Teacher", "staff", "", ""],
        "staff.csv line 62 (Bad Row): email is missing or not an email address (got "
        "'not-an-address')",
        "staff.csv llinell 62 (Bad Row): mae email ar goll neu nid yw'n gyfeiriad e-bost (cafwyd "
        "'not-an-address')",
    ),
    (
        ["ada.ashby0@hillside.example", "Ada Again", "Teacher", "staff", "", ""],
        "staff.csv line 63 (Ada Again): email ada.ashby0@hillside.example already on line 2",
        "staff.csv llinell 63 (Ada Again): mae e-bost ada.ashby0@hillside.example eisoes ar "
        "linell 2",
    ),
    (
        ["late.starter@hillside.example", "Late Starter", "Teacher", "staff", "", "tomorrow"],
        "staff.csv line 64 (Late Starter): start_date must be a date like 2026-09-01 or "
        "01/09/2026 (got 'tomorrow'); dates are read day first, as in the UK",
        "staff.csv llinell 64 (Late Starter): rhaid i start_date fod yn ddyddiad fel 2026-09-01 "
        "neu 01/09/2026 (cafwyd 'tomorrow'); darllenir dyddiadau â'r diwrnod yn gyntaf, fel yn y "
        "DU",
    ),
    (
        ["short.year@hillside.example", "Short Year", "Teacher", "staff", "", "01/09/26"],
        "staff.csv line 65 (Short Year): start_date has a two-digit year (got '01/09/26'); write "
        "the whole year, e.g. 01/09/2026",
        "staff.csv llinell 65 (Short Year): mae gan start_date flwyddyn dau ddigid (cafwyd "
        "'01/09/26'); ysgrifennwch y flwyddyn gyfan, e.e. 01/09/2026",
    ),
)
LEFT_OUT = (62, 63, 64, 65)
# someone from outside the staff list by an address that is not one: a reason the catalogue
# says in Welsh, and one email-validator writes that it does not list (kept as written)
OUTSIDE = {"dpo": "Pat Jones <pat@@council.example>", "clerk": "Clerk <clerk@xn--abc.example>"}
IDNA = (
    "The part after the @-sign is not valid IDNA (Codepoint U+0082 at position 1 of "
    "'\\x82\\x81\\x80' not allowed)."
)
ADDRESS = {
    "en": [
        "people.dpo: pat@@council.example is not an email address (The part after the @-sign "
        "contains invalid characters: '@'.)",
        f"people.clerk: clerk@xn--abc.example is not an email address ({IDNA})",
    ],
    "cy": [
        "maes people.dpo: nid yw pat@@council.example yn gyfeiriad e-bost (Mae'r rhan ar ôl yr "
        "arwydd @ yn cynnwys nodau annilys: '@'.)",
        f"maes people.clerk: nid yw clerk@xn--abc.example yn gyfeiriad e-bost ({IDNA})",
    ],
}
ROW_END = {
    "en": " (fix the file, or leave the row out: leave_out: [{line}])",
    "cy": " (cywirwch y ffeil, neu gadewch y rhes allan: leave_out: [{line}])",
}


def _inputs(folder: Path) -> list[dict[str, str]]:
    """Hillside's staff list with a start_date column and the bad rows, its policies and its
    term dates."""
    rows = staff_csv(folder / "staff.csv")
    with (folder / "staff.csv").open(newline="", encoding="utf-8") as handle:
        lines = list(csv.reader(handle))
    lines[0].append("start_date")
    for line in lines[1:]:
        line.append("")
    lines += [cells for cells, _en, _cy in BAD_ROWS]
    with (folder / "staff.csv").open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(lines)
    policy_folder(folder / "policies")
    term_calendar(folder / "term-dates.ics")
    return rows


def _init(folder: Path, language: str, *, code: int, **changes: Any) -> list[str]:
    """``init --answers`` for a Welsh school in ``language`` (exit ``code``): the lines it
    printed (stdout and stderr), stripped."""
    rows = _inputs(folder)
    school = {"name": "Ysgol Gymraeg", "country": "wales", "language": language}
    answers = answers_file(folder / "answers.yaml", rows, school=school, **changes)
    env = {"COLUMNS": "400", "COMPLIANCE_BOT_HOME": str(folder / "home")}
    result = CliRunner().invoke(
        app,
        ["init", "--answers", str(answers), "--as-of", "2026-09-01"],
        env=env,
        catch_exceptions=False,
    )
    assert result.exit_code == code, result.output
    return [line.strip() for line in result.output.splitlines()]


def _problems(language: str) -> list[str]:
    """The problem lines init says in ``language``: each bad row, then the two addresses."""
    if language == "cy+en":
        return [f"{cy} / {en}" for cy, en in zip(_problems("cy"), _problems("en"), strict=True)]
    field = "directory: " if language == "en" else "maes directory: "
    rows = [
        field + (en if language == "en" else cy) + ROW_END[language].format(line=line)
        for (_cells, en, cy), line in zip(BAD_ROWS, LEFT_OUT, strict=True)
    ]
    return rows + ADDRESS[language]


@pytest.mark.parametrize("language", ["cy", "cy+en", "en"])
def test_row_problems_and_address_reasons_are_said_in_the_schools_language(
    tmp_path: Path, language: str
) -> None:
    people = {"headteacher": "ada.ashby0@hillside.example", "dsl": ["Ada Ashby"], **OUTSIDE}
    lines = _init(tmp_path, language, code=2, people=people)
    missing = [line for line in _problems(language) if line not in lines]
    assert not missing, "\n".join(lines)
    if language == "cy":
        text = "\n".join(lines)
        for english in (" line ", "got ", "already on", "must be", "is not an email", "@-sign c"):
            assert english not in text, english


# the calendar table's rows: (event, English dates, read as; Welsh dates, read as)
CALENDAR_ROWS = (
    ("INSET day", "Tue 01 Sep 2026", "INSET day", "Maw 01 Medi 2026", "diwrnod HMS"),
    (
        "Autumn term begins",
        "Wed 02 Sep 2026",
        "term starts",
        "Mer 02 Medi 2026",
        "tymor yn dechrau",
    ),
    (
        "Autumn half term",
        "Mon 26 Oct 2026 to Fri 30 Oct 2026",
        "holiday",
        "Llun 26 Hyd 2026 i Gwen 30 Hyd 2026",
        "gwyliau",
    ),
    ("Parents' evening", "Thu 12 Nov 2026", "not used", "Iau 12 Tach 2026", "heb ei ddefnyddio"),
    ("Summer term ends", "Wed 21 Jul 2027", "term ends", "Mer 21 Gorff 2027", "tymor yn gorffen"),
)


def _row(cells: tuple[str, ...]) -> str:
    """A table row as printed (cells between box lines), spaces squeezed."""
    return "│ " + " │ ".join(cells) + " │"


# the policy folder's table and the lines under it: (English, Welsh); a document's own words
# (titles, bodies, the version label staff will see) as written
POLICY_LINES = (
    ("Policy folder: what was found", "Ffolder polisïau: beth a ganfuwyd"),
    (
        "│ child-protection.docx │ title: Child Protection and Safeguarding Policy (line 2) │ — │",
        "│ child-protection.docx │ teitl: Child Protection and Safeguarding Policy (llinell 2) "
        "│ — │",
    ),
    (
        "│ │ approving body: Full Governing Body (line 3) │ │",
        "│ │ corff cymeradwyo: Full Governing Body (llinell 3) │ │",
    ),
    (
        "│ │ next review: September 2027 (your answer) │ │",
        "│ │ adolygiad nesaf: September 2027 (eich ateb) │ │",
    ),
    (
        "check online-safety.pdf: This document names Hillside Primary School, not Ysgol Gymraeg "
        "— check it is yours",
        "gwiriad online-safety.pdf: Mae'r ddogfen hon yn enwi Hillside Primary School, nid Ysgol "
        "Gymraeg — gwiriwch mai eich un chi ydyw",
    ),
    (
        "note mobile-phones.md: next review September 2027 (month only) is stored as 30 September "
        "2027, the last day of that month",
        "nodyn mobile-phones.md: adolygiad nesaf Medi 2027 (mis yn unig): fe'i cedwir fel 30 Medi "
        "2027, diwrnod olaf y mis hwnnw",
    ),
    (
        "note mobile-phones.md: version: not stated in the document; staff will see “added 1 "
        "September 2026” (change it in school.yaml or on the settings pages)",
        "nodyn mobile-phones.md: fersiwn: heb ei nodi yn y ddogfen; bydd staff yn gweld “added 1 "
        "September 2026” (newidiwch hyn yn school.yaml neu ar y tudalennau gosodiadau)",
    ),
)


def _both(english: str, welsh: str, language: str) -> str:
    """A line in ``language``: a table row cell by cell, else the Welsh, ' / ', the English (a
    line under the table: its mark, then its sentence)."""
    if language in ("en", "cy"):
        return english if language == "en" else welsh
    if english.startswith("│"):
        cells = zip(welsh.split(" │ "), english.split(" │ "), strict=True)
        return " │ ".join(
            cy if cy == en or cy in ("│", "│ │") else f"{cy} / {en}" for cy, en in cells
        )
    if english.startswith(("check ", "note ")):
        mark, _sep, rest = english.partition(" ")
        marc, _sep, gweddill = welsh.partition(" ")
        document, _sep, sentence = rest.partition(": ")
        return f"{marc} / {mark} {document}: {gweddill.partition(': ')[2]} / {sentence}"
    return f"{welsh} / {english}"


@pytest.mark.parametrize("language", ["cy", "cy+en", "en"])
def test_the_tables_rows_are_said_in_the_schools_language(tmp_path: Path, language: str) -> None:
    """The calendar table's dates and what each event was read as, and the policy folder's
    table and the notes and checks under it."""
    lines = _init(tmp_path, language, code=0, leave_out=list(LEFT_OUT))
    shown = {" ".join(line.split()) for line in lines}
    for english, welsh in POLICY_LINES:
        expected = " ".join(_both(english, welsh, language).split())
        assert expected in shown, "\n".join(lines)
    for event, dates, kind, dyddiadau, math in CALENDAR_ROWS:
        cells = {
            "en": (event, dates, kind),
            "cy": (event, dyddiadau, math),
            "cy+en": (event, f"{dyddiadau} / {dates}", f"{math} / {kind}"),
        }[language]
        assert " ".join(_row(cells).split()) in shown, "\n".join(lines)


def _calendar(path: Path) -> bytes:
    """A calendar whose markers do not pair: a term ending without a start, one starting twice."""
    calendar = Calendar()
    calendar.add("prodid", "-//Fictional County Council//Term dates//EN")
    calendar.add("version", "2.0")
    for number, (summary, start, days) in enumerate(
        (
            ("Autumn term begins", date(2026, 9, 2), 1),
            ("Autumn term ends", date(2026, 12, 18), 1),
            ("Spring term ends", date(2027, 3, 26), 1),
            ("Summer term begins", date(2027, 4, 12), 1),
            ("Summer term 2 starts", date(2027, 6, 7), 1),
            ("Easter holidays", date(2027, 3, 29), 12),
        )
    ):
        event = Event()
        event.add("uid", f"term-{number}@county.example")
        event.add("summary", summary)
        event.add("dtstart", start)
        event.add("dtend", start + timedelta(days=days))
        calendar.add_component(event)
    path.write_bytes(calendar.to_ical())
    return path.read_bytes()


def test_the_calendars_notes_are_said_in_welsh(tmp_path: Path) -> None:
    notes = read_term_calendar(_calendar(tmp_path / "t.ics"), "t.ics").notes
    english = [said_in("en", note) for note in notes]
    assert english == [
        "'Spring term ends' (Fri 26 Mar 2027) has no matching term start",
        "'Summer term begins' (Mon 12 Apr 2027) has no matching term end",
        "'Summer term 2 starts' (Mon 07 Jun 2027) has no matching term end",
    ]
    assert [said_in("cy", note) for note in notes] == [
        "nid oes dechrau tymor yn cyfateb i 'Spring term ends' (Gwen 26 Maw 2027)",
        "nid oes diwedd tymor yn cyfateb i 'Summer term begins' (Llun 12 Ebr 2027)",
        "nid oes diwedd tymor yn cyfateb i 'Summer term 2 starts' (Llun 07 Meh 2027)",
    ]
    assert said_in("cy+en", notes[0]) == f"{said_in('cy', notes[0])} / {english[0]}"


def test_welshs_article_joins_the_vowel_before_it() -> None:
    """A directory's name after a preposition: 'i'r cyfeiriadur', never 'i y cyfeiriadur'."""
    welsh = "Ann (o'r tu allan i y cyfeiriadur Microsoft 365: ar gofrestr y bobl)"
    with speaking("cy"):
        joined = str(contracted(welsh))
        assert str(contracted("llinell 3 o y cyfeiriadur")) == "llinell 3 o'r cyfeiriadur"
    assert joined == "Ann (o'r tu allan i'r cyfeiriadur Microsoft 365: ar gofrestr y bobl)"


@pytest.mark.slow
def test_the_interactive_init_says_a_bad_row_in_welsh(tmp_path: Path) -> None:
    """Staff list given at the terminal of a Welsh school (cy): its rows that cannot be used are
    said in Welsh, before the choice to fix the file or leave them out."""
    people, bad = mis_export(tmp_path / "staff.csv")
    child, shown = spawn(["init", "--as-of", "2026-09-14"], cwd=tmp_path)
    for question, typed in (
        ("School name", "Ysgol Gymraeg Glan"),
        ("Nation", "wales"),
        ("an independent school", ""),
        ("Its language category", ""),
        (r"read the bot in English only\?", "n"),
        (r"Cymraeg only \(cy\), or Welsh first", "cy"),
        ("Ble mae cyfrifon y staff", ""),
        ("Cyfeiriad gwe y bydd staff yn ei ddefnyddio", ""),
        ("Rhestr y staff: yr allforyn o'ch MIS", str(tmp_path / "staff.csv")),
    ):
        answer(child, question, typed)
    child.expect("Cywiro'r ffeil a'i darllen eto")
    child.terminate(force=True)
    said_rows = " ".join(shown.getvalue().split())
    duplicate, address = bad["duplicate"], bad["bad email"]
    assert re.search(
        rf"staff\.csv llinell {duplicate} \(Bob D'Arcy\): mae e-bost {people[2].email} eisoes ar "
        r"linell \d+",
        said_rows,
    ), said_rows
    assert re.search(
        rf"staff\.csv llinell {address} \(Fiona MacLeod\): mae Work Email ar goll neu nid yw'n "
        r"gyfeiriad e-bost \(cafwyd 'fiona\.macleod@'\)",
        said_rows,
    ), said_rows
    assert "rhes pennawd: llinell 1: Legal Forename | Legal Surname" in said_rows
    assert " line " not in said_rows.partition("(cy/cy+en)")[2]


@pytest.mark.parametrize(
    ("wanted", "platform", "english", "welsh"),
    [
        ("Zed", "Microsoft 365",
         "people.dsl[0]: nobody called 'Zed' in the Microsoft 365 directory; give the name or "
         "email it has",
         "maes people.dsl[0]: does neb o'r enw 'Zed' yn y cyfeiriadur Microsoft 365; rhowch yr "
         "enw neu'r cyfeiriad e-bost sydd ganddo yno"),
        ("zed@hillside.example", "Google Workspace",
         "people.dsl[0]: zed@hillside.example is not in the Google Workspace directory",
         "maes people.dsl[0]: nid yw zed@hillside.example yn y cyfeiriadur Google Workspace"),
    ],
)  # fmt: skip
def test_a_platform_directorys_name_is_said_in_welsh(
    wanted: str, platform: str, english: str, welsh: str
) -> None:
    """A person not found keeps its sentence and values, the directory's name among them."""
    from bot.core.language.i18n import Msg
    from bot.features.setup.answers import pick_person
    from bot.features.setup.problems import THE_PLATFORM_DIRECTORY, field_problem

    source = Msg(THE_PLATFORM_DIRECTORY, platform=platform)
    _email, problem, _choices = pick_person([], wanted, source)
    assert problem is not None
    line = field_problem("people.dsl[0]", problem)
    assert said_in("en", line) == english
    assert said_in("cy", line) == welsh
    assert said_in("cy+en", line) == f"{welsh} / {english}"
