"""The directory's lines in ``sweep``, ``status`` and ``directory status`` — a stopped
sync and the command that confirms it, who is missing and until when, who was held back for a
job title the role table does not know, the sync's read error, rejected rows and notes (the MIS's
too), the people kept on unreadable rows and "handover needed" — in the school's language: Welsh
in ``cy``, Welsh first then English in ``cy+en``, English as main printed it in ``en`` (the
English lines below are main's). A connector's own reason for a row stays as it gives it. A scan
fails on a line of these functions that writes English words of its own.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.main import app
from bot.core.language.i18n import BETWEEN, said_in
from bot.engine.directory import sync_directory
from bot.engine.mis import sync_mis
from connectors.wonde.client import WondeClient
from connectors.wonde.connector import WondeMis
from tests.support.fakes.wonde import FakeWonde
from tests.support.helpers import Row, SchoolBuilder

ROOT = Path(__file__).parents[2]
ENV = {"COLUMNS": "1000", "COMPLIANCE_BOT_SECRET_KEY": "a-long-enough-secret-key-for-these-tests-0"}
HEAD = "head@oak.example"


def _said(language: str, welsh: str, english: str) -> str:
    return {"cy": welsh, "cy+en": f"{welsh}{BETWEEN}{english}", "en": english}[language]


def _run(school: SchoolBuilder, *args: str, code: int = 0) -> list[str]:
    """The command's stdout, line by line (trailing spaces dropped); it exits with ``code``."""
    result = CliRunner().invoke(
        app, list(args), env={**ENV, "COMPLIANCE_BOT_HOME": str(school.home)}
    )
    assert result.exit_code == code, result.output
    return [line.rstrip() for line in result.stdout.splitlines()]


def _speaking(school: SchoolBuilder, language: str) -> SchoolBuilder:
    school.school["language"] = language
    school.write()
    return school


def _school(home: Path, language: str) -> SchoolBuilder:
    """A Welsh school asking its staff and governors to acknowledge one policy."""
    school = SchoolBuilder(home)
    school.school["country"] = "wales"
    school.school["language"] = language
    school.policy("safeguarding", "1", title="Safeguarding", published="2026-11-02")
    school.requirement(
        id="ack",
        kind="acknowledge_policy",
        policy="safeguarding",
        audience={"roles": ["staff", "governor"]},
    )
    return school


def _missing(language: str) -> set[str]:
    """Amy's lines, missing since Tuesday 3 November 2026."""
    return {
        _said(
            language,
            "Mae 1 person ar goll o'r cyfeiriadur: maen nhw'n cadw eu dyletswyddau tan y dyddiad "
            "a ddangosir, oni bai bod y cyfeiriadur yn eu rhestru eto:",
            "1 person is missing from the directory: they keep their duties until the date "
            "shown, unless the directory lists them again:",
        ),
        "  "
        + _said(
            language,
            "Amy Able (amy@oak.example): ar goll ers 3 Tach, yn cadw eu dyletswyddau tan "
            "10 Tach 2026",
            "Amy Able (amy@oak.example): missing since 3 Nov, keeps their duties until 10 Nov 2026",
        ),
        "  "
        + _said(
            language,
            "I gadarnhau bod rhywun wedi gadael yn gynt:",
            "To confirm someone has left sooner:",
        ),
        "    compliance-bot directory confirm-leaver "
        + ("EMAIL --as YOUR-EMAIL" if language == "en" else "E-BOST --as EICH-E-BOST"),
    }


@pytest.fixture(scope="module")
def stopped(tmp_path_factory: pytest.TempPathFactory) -> SchoolBuilder:
    """A school of 27 whose directory lost 23 of them: its sync stopped (nobody confirmed); two
    of them hold a post the role table does not know (set up, owing nothing)."""
    school = _school(tmp_path_factory.mktemp("set-aa") / "school", "cy")
    school.school["job_titles"] = {"Headteacher": "staff", "Teacher": "staff"}
    school.people += [
        Row(f"p{i:02d}@oak.example", f"Person {i:02d}", title="Teacher") for i in range(20)
    ]
    school.people += [
        Row("cook@oak.example", "Cora Cook", "", title="Forest School Leader"),
        Row("chef@oak.example", "Chad Chef", "", title="Forest School Leader"),
    ]
    school.installed()
    _run(school, "sweep", "--no-send", "--as-of", "2026-11-02")
    school.people = school.people[:2] + school.people[-2:]
    school.write()
    _run(school, "sweep", "--no-send", "--as-of", "2026-11-03", code=3)
    return school


def _stopped(language: str, welsh: str, english: str) -> str:
    """A stopped sync's sentence naming the first ten of the 23 gone, and how many more."""
    names = ", ".join(["Amy Able", "Ben Brook", "Gail Gov"] + [f"Person {i:02d}" for i in range(7)])
    return _said(
        language, welsh.format(f"{names} a 13 arall"), english.format(f"{names} and 13 more")
    )


@pytest.mark.parametrize("language", ["cy", "cy+en", "en"])
def test_a_stopped_sync_is_said_in_the_schools_language(
    stopped: SchoolBuilder, language: str
) -> None:
    swept = _run(
        _speaking(stopped, language), "sweep", "--no-send", "--as-of", "2026-11-03", code=3
    )
    welsh, english = (
        "Stopiodd cysoniad y cyfeiriadur: byddai'n marcio 23 o'r 27 o bobl fel rhai sydd ar goll "
        "o'r cyfeiriadur (mwy na 10%): {}. Ni newidiwyd neb; aeth y nodiadau atgoffa a chlociau'r "
        "adroddiadau yn eu blaen gyda'r bobl sydd eisoes yn hysbys.",
        "Directory sync stopped: it would mark 23 of the 27 people as missing from the directory "
        "(more than 10%): {}. Nobody was changed; reminders and report clocks carried on with the "
        "people already known.",
    )
    if_gone = _said(
        language,
        "Os ydynt wedi mynd go iawn, cadarnhewch hynny, yna rhedwch yr archwiliad eto (neu "
        "arhoswch am yr un nesaf):",
        "If they really have gone, confirm it, then run the sweep again (or wait for the next "
        "one):",
    )
    you = "YOUR-EMAIL" if language == "en" else "EICH-E-BOST"
    tail = [
        f"  {if_gone}",
        f"    compliance-bot directory confirm-removals --school oak --as {you}",
        "  "
        + _said(
            language,
            "Os nad ydynt, rhowch nhw yn ôl yn y cyfeiriadur; mae'r archwiliad nesaf yn mynd yn "
            "ei flaen.",
            "If they have not, put them back in the directory; the next sweep carries on.",
        ),
    ]
    head = _stopped(language, welsh, english)
    at = swept.index(head)
    assert swept[at + 1 : at + 4] == tail
    listed = _run(stopped, "directory", "status")
    said_since = _stopped(
        language,
        "Mae cysoniad y cyfeiriadur wedi stopio ers 3 Tach 2026: byddai'n marcio 23 o'r 27 o "
        "bobl fel rhai sydd ar goll o'r cyfeiriadur: {}. Nid oes neb wedi'i newid.",
        "Directory sync stopped since 3 Nov 2026: it would mark 23 of the 27 people as missing "
        "from the directory: {}. Nobody has been changed.",
    )
    at = listed.index(said_since)
    assert listed[at + 1 : at + 4] == tail
    to_map = _said(
        language,
        "Swyddi i'w mapio: nid yw'r tabl rolau yn dweud beth mae'r swyddi hyn yn ei roi, felly "
        "mae eu deiliaid wedi'u gosod heb ddim yn ddyledus ganddynt nes ei fod yn gwneud hynny:",
        "Posts to map: the role table does not say what these posts give, so their holders are "
        "set up owing nothing until it does:",
    )
    at = listed.index(to_map)
    assert listed[at + 1] == "  'Forest School Leader': Cora Cook, Chad Chef"
    assert listed[at + 2] == "  " + _said(
        language,
        "Mapiwch bob swydd unwaith: compliance-bot roles map 'SWYDD' RÔL (staff, volunteer, "
        "governor, clerk, supply neu none), neu ar y dudalen Pobl mewn rolau; mae'r archwiliad "
        "nesaf yn rhoi'r rôl honno i'w deiliaid.",
        "Map each post once: compliance-bot roles map 'POST' ROLE (staff, volunteer, governor, "
        "clerk, supply or none), or on the People in roles page; the next sweep gives its "
        "holders that role.",
    )


def test_a_confirmed_removal_and_the_missing_are_said_in_the_schools_language(
    tmp_path: Path,
) -> None:
    school = _school(tmp_path / "school", "cy")
    school.installed()
    _run(school, "sweep", "--no-send", "--as-of", "2026-11-02")
    school.people = school.people[:2]
    school.write()
    _run(school, "sweep", "--no-send", "--as-of", "2026-11-03", code=3)
    _run(school, "directory", "confirm-removals", "--as", HEAD)
    for language in ("cy", "cy+en", "en"):
        listed = _run(_speaking(school, language), "directory", "status")
        assert (
            "  "
            + _said(
                language,
                "Cadarnhawyd gan head@oak.example: mae'r archwiliad nesaf yn ei gymhwyso.",
                "Confirmed by head@oak.example: the next sweep applies it.",
            )
            == listed[-1]
        )
    _run(_speaking(school, "cy"), "sweep", "--no-send", "--as-of", "2026-11-03")
    for language in ("cy", "cy+en", "en"):
        listed = _run(_speaking(school, language), "directory", "status")
        assert listed[-6] == _said(
            language,
            "Mae 3 o bobl ar goll o'r cyfeiriadur: maen nhw'n cadw eu dyletswyddau tan y "
            "dyddiad a ddangosir, oni bai bod y cyfeiriadur yn eu rhestru eto:",
            "3 people are missing from the directory: they keep their duties until the date "
            "shown, unless the directory lists them again:",
        )


# the functions that say the directory's lines, by file
SAID = {
    "bot/engine/directory_said.py": {
        "say",
        "_command",
        "_day",
        "_names",
        "stop_lines",
        "missing_lines",
        "posts_to_map_lines",
        "report_lines",
        "handover_line",
    },
    "bot/cli/render.py": {"_print_school_sweep", "directory_lines"},
    "bot/engine/extra_people.py": {"_claimable", "sync_register", "sync_extra_people"},
    "bot/engine/mis.py": {"sync_mis", "_post_roles"},
    "bot/engine/directory.py": {"_posts_to_map"},
}
# not words a person reads: rich's styles, languages, babel's date patterns and locale, the
# stored keys a sweep's report is read by, a statement's bound parameter
_NOT_SAID = {"yellow", "warning", "cy", "cy+en", "en", "d MMM y", "d MMM", "%b", "_errors"}
_NOT_SAID |= {"school_id"}


# from tests/core/test_i18n_set_aa.py (main)
@pytest.mark.parametrize("language", ["cy", "cy+en", "en"])
def test_a_sweep_says_its_directorys_rows_notes_and_people_in_the_schools_language(
    tmp_path: Path, language: str
) -> None:
    school = _school(tmp_path / "school", language)
    school.school["job_titles"] = {"Headteacher": "staff", "Teacher": "staff"}
    school.school["official_accounts"] = [
        {
            "id": "fb",
            "platform": "Facebook",
            "name": "School Facebook page",
            "custodian": HEAD,
            "holders": ["amy@oak.example"],
        }
    ]
    for row in school.people:
        row.title = row.title or ("Teacher" if row.roles == "staff" else "")
    school.people += [
        Row("cook@oak.example", "Cora Cook", "", "All Staff", title="Forest School Leader"),
        Row("bad-address", "Bad Row", "staff", "All Staff", title="Teacher"),
    ]
    school.installed()
    extra = school.home / "extra-people.csv"
    extra.write_text("email,name,roles\ngov@oak.example,Gail at home,volunteer\n", encoding="utf-8")
    first = _run(school, "sweep", "--no-send", "--as-of", "2026-11-02")
    # the connector's reason, a sentence and its values, said in the school's language; each
    # line whole in Welsh, then whole in English (cy+en)
    rejected = _said(
        language,
        "gwrthodwyd directory.csv llinell 8 (Bad Row): mae email ar goll neu nid yw'n gyfeiriad "
        "e-bost (cafwyd 'bad-address')",
        "rejected directory.csv line 8 (Bad Row): email is missing or not an email address (got "
        "'bad-address')",
    )
    to_map = _said(
        language,
        "Swyddi i'w mapio: nid yw'r tabl rolau yn dweud beth mae'r swyddi hyn yn ei roi, felly "
        "mae eu deiliaid wedi'u gosod heb ddim yn ddyledus ganddynt nes ei fod yn gwneud hynny:",
        "Posts to map: the role table does not say what these posts give, so their holders are "
        "set up owing nothing until it does:",
    )
    plain = [line.replace("[yellow]", "").replace("[/]", "") for line in first]
    assert f"  {rejected}" in plain, [line for line in plain if "Bad Row" in line]
    assert f"  {to_map}" in first  # Cora is set up, owing nothing: never a rejected row
    assert "    'Forest School Leader': Cora Cook" in first
    assert not [line for line in first if "Cora Cook <" in line]
    note = _said(
        language,
        "nodyn: ffeil pobl ychwanegol: mae gov@oak.example yng nghyfeiriadur yr ysgol, felly "
        "defnyddir manylion a rolau'r cyfeiriadur tra bydd yn eu rhestru",
        "note: extra people file: gov@oak.example is in the school's directory, so the "
        "directory's details and roles are used while it lists them",
    )
    assert f"  {note}" in first
    # Amy leaves the directory, Ben's row cannot be read, the extra people file neither
    school.people = [r for r in school.people if r.email != "amy@oak.example"]
    next(r for r in school.people if r.email == "ben@oak.example").start = "not-a-date"
    school.write()
    extra.write_text("who,what\n", encoding="utf-8")
    second = _run(school, "sweep", "--no-send", "--as-of", "2026-11-03", code=2)
    error = next(line for line in second if "extra-people.csv" in line)
    not_read = _said(language, "ni ddarllenwyd y cyfeiriadur", "directory not read")
    file = _said(
        language,
        "ni ellid darllen y ffeil pobl ychwanegol: ",
        "the extra people file could not be read: ",
    )
    # the line whole in Welsh, then whole in English (cy+en): it opens with the first half
    assert error.startswith(f"  {not_read.split(BETWEEN)[0]}: {file.split(BETWEEN)[0]}")
    carried_on = _said(
        language,
        "aeth y bot yn ei flaen gyda'r bobl sydd eisoes yn hysbys",
        "carried on with the people already known",
    )
    # and ends with the last half's words (the error said once in each half)
    assert error.endswith(f" — {carried_on.split(BETWEEN)[-1]}")
    assert error.count("extra-people.csv line 1: header must include") == len(language) // 2
    assert (
        "  "
        + _said(
            language,
            "1 person ar resi na ellid eu darllen wedi'i gadw fel yr oedd (gyda'u dyletswyddau); "
            "cywirwch y rhesi uchod",
            "1 person on rows that could not be read kept as they were (with their duties); "
            "correct the rows above",
        )
        in second
    )
    assert _missing(language) <= set(second)
    left = _run(school, "sweep", "--no-send", "--as-of", "2026-11-11", code=2)
    assert (
        "  "
        + _said(
            language,
            "angen trosglwyddo: School Facebook page (mae deiliad wedi gadael)",
            "handover needed: School Facebook page (a holder has left)",
        )
        in left
    )


# from tests/core/test_i18n_set_aa.py (main)
@pytest.mark.parametrize("language", ["cy", "cy+en", "en"])
def test_the_mis_notes_are_said_in_the_schools_language(tmp_path: Path, language: str) -> None:
    fake = FakeWonde()
    fake.add_employee(
        "A1", "Amy", "Able", work_email="amy@oak.example", roles=("Forest School Leader",)
    )
    fake.add_employee("A2", "Sam", "Supply", roles=("Teacher",))  # no account
    notes = []
    # a role table without Amy's post; none at all (roles from groups alone)
    for titles in ({"Teacher": "staff"}, {}):
        school = _school(tmp_path / f"school-{len(titles)}", language)
        school.school["job_titles"] = titles
        school.school["role_groups"] = {} if titles else {"All Staff": "staff"}
        ctx = school.context()
        mis = WondeMis(
            WondeClient(fake.school, fake.token, transport=fake.transport), now=lambda: fake.now
        )
        with ctx.store.transaction() as session:
            config = ctx.config.schools[0]
            sync_directory(session, config, ctx.connectors.directory, date(2026, 11, 2))
            notes += sync_mis(session, config, mis, date(2026, 11, 2)).people.notes
        ctx.store.dispose()
    assert [said_in(language, note) for note in notes] == [
        _said(
            language,
            "MIS: nid yw swydd 'Forest School Leader' Amy Able yn y tabl rolau (job_titles), "
            "felly nid yw'n rhoi rôl iddynt",
            "MIS: Amy Able's post 'Forest School Leader' is not in the role table (job_titles), "
            "so it gives them no role",
        ),
        _said(
            language,
            "MIS: ni ofynnir dim i 1 person heb gyfrif nes bod y tabl rolau (job_titles) yn dweud "
            "beth mae eu swyddi'n ei olygu",
            "MIS: 1 person with no account asked nothing until the role table (job_titles) says "
            "what their posts mean",
        ),
    ]
