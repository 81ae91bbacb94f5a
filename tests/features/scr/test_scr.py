"""The safer-recruitment check: a school of 120 staff and the SCR spreadsheet its office keeps
(title rows, a DBS number column, dates as Excel keeps them) with 12 planted gaps, two of each
of six kinds. The check finds 12 of 12 and nothing else; no DBS number reaches the database,
a page or the command's output; only the head and the SCR owner see names (a teacher, a
governor and a deputy DSL get 403); the dashboard shows a count; a new import closes gaps
(audited) and the owner hears of new gaps once. One module-scoped build of the school."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine
from sqlalchemy import select, text
from typer.testing import CliRunner

from bot.cli.main import app as cli_app
from bot.core.deployment import setup_state
from bot.core.language.words import school_words
from bot.core.models import AuditEvent, OutboxMessage, Person, ScrGap, TrainingRecord
from bot.features.scr.owner import tell_owner
from bot.features.scr.rules import describe
from bot.features.scr.service import check_names, current_gaps, import_sheet, refresh_gaps
from bot.features.scr.sheet import ScrSheetError, read_sheet
from bot.web.app import create_app
from tests.features.decisions.test_support import Env, configure, make_env, sync_people
from tests.support.helpers import Row, SchoolBuilder, at

TODAY = date(2026, 11, 23)
START = "2020-09-01"
STAFF = 120
DBS_NUMBER = "0012{:08d}"  # 12 digits, as a DBS certificate number is written
# the planted gaps: staff number -> (kind, check)
PLANTED = {
    1: ("missing_check", "barred_list"),  # left blank
    2: ("missing_check", "criminal_record"),  # "Yes", no date
    3: ("late_check", "criminal_record"),  # dated after the start, no risk assessment
    4: ("late_check", "identity"),
    6: ("right_to_work_expiring", "right_to_work"),  # within 60 days
    7: ("right_to_work_expiring", "right_to_work"),
    9: ("agency_confirmation", "agency_confirmation"),  # agency, no confirmation
    10: ("agency_confirmation", "agency_confirmation"),
    12: ("not_in_scr", None),  # working here, left off the spreadsheet
    13: ("not_in_scr", None),
    14: ("no_training", None),  # no safeguarding training this school year
    15: ("no_training", None),
}
# near misses that are no gap: 5 late with a risk assessment, 8's right to work runs out in
# 190 days, 11 agency with the confirmation, 16 lived abroad with the overseas checks


def _email(n: int) -> str:
    return f"staff{n:03d}@oak.example"


def _name(n: int) -> tuple[str, str]:
    return f"Fore{n:03d}", f"Sur{n:03d}"


def _people() -> list[Row]:
    rows = [
        Row("head@oak.example", "Hana Head", "staff", start=START, title="Headteacher"),
        Row("dsl@oak.example", "Dee Lead", "staff", start=START, title="DSL"),
        Row("deputy@oak.example", "Dan Deputy", "staff", start=START, title="Deputy DSL"),
        Row("office@oak.example", "Olive Office", "staff", start=START, title="Office manager"),
        Row("gov@oak.example", "Gail Gov", "governor", "Governors"),
        Row("gov2@oak.example", "Gus Gov", "governor", "Governors"),
    ]
    for n in range(1, STAFF - 3):  # with the four above, 120 staff
        given, family = _name(n)
        rows.append(
            Row(
                _email(n),
                f"{given} {family}",
                "staff",
                start=START,
                title="Class teacher" if n % 3 == 0 else "Teaching assistant",
            )
        )
    return rows


HEADER = [
    "Surname",
    "Forename",
    "Role",
    "Category",
    "Start date",
    "Identity checked",
    "Barred list check",
    "Enhanced DBS check date",
    "DBS certificate number",
    "Prohibition check",
    "Lived or worked abroad",
    "Overseas checks",
    "Right to work",
    "Right to work expiry",
    "Agency",
    "Agency confirmation",
    "Risk assessment",
    "Safeguarding training",
    "Checked by",
]


def _sheet_row(
    n: int, surname: str, forename: str, role: str, category: str = "Staff"
) -> list[Any]:
    checked = datetime(2020, 8, 1)  # as Excel keeps a date
    row = {
        "Surname": surname,
        "Forename": forename,
        "Role": role,
        "Category": category,
        "Start date": datetime(2020, 9, 1),
        "Identity checked": checked,
        "Barred list check": "01/08/2020",
        "Enhanced DBS check date": checked,
        "DBS certificate number": DBS_NUMBER.format(n),
        "Prohibition check": checked,
        "Lived or worked abroad": "No",
        "Overseas checks": "N/A",
        "Right to work": checked,
        "Right to work expiry": None,
        "Agency": None,
        "Agency confirmation": None,
        "Risk assessment": None,
        "Safeguarding training": datetime(2026, 9, 3),
        "Checked by": "OO",
    }
    if category == "Governor":
        row.update(
            {
                "Barred list check": "N/A",
                "Prohibition check": "N/A",
                "Right to work": "N/A",
                "Safeguarding training": None,
            }
        )
    changes: dict[int, dict[str, Any]] = {
        1: {"Barred list check": None},
        2: {"Enhanced DBS check date": "Yes"},
        3: {"Enhanced DBS check date": datetime(2020, 9, 20)},
        4: {"Identity checked": "15/09/2020"},
        5: {"Enhanced DBS check date": datetime(2020, 9, 20), "Risk assessment": "Yes"},
        6: {"Right to work expiry": datetime(2026, 12, 20)},
        7: {"Right to work expiry": "10/01/2027"},
        8: {"Right to work expiry": datetime(2027, 6, 1)},
        9: {"Agency": "Bright Supply Ltd"},
        10: {"Agency": "Bright Supply Ltd", "Agency confirmation": "No"},
        11: {"Agency": "Bright Supply Ltd", "Agency confirmation": datetime(2020, 8, 20)},
        14: {"Safeguarding training": None},
        15: {"Safeguarding training": datetime(2025, 9, 3)},  # last school year
        16: {"Lived or worked abroad": "Yes", "Overseas checks": datetime(2020, 7, 1)},
    }
    row.update(changes.get(n, {}) if category == "Staff" and n > 0 else {})
    return [row[h] for h in HEADER]


def write_scr(
    path: Path, skip: frozenset[int] = frozenset({12, 13}), fixed: frozenset[int] = frozenset()
) -> Path:
    """The SCR workbook as an office keeps it: a title, a blank row, the header, a row each."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Oak Test School — Single Central Record"])
    sheet.append([])
    sheet.append(HEADER)
    sheet.append(_sheet_row(-1, "Head", "Hana", "Headteacher"))
    sheet.append(_sheet_row(-2, "Lead", "Dee", "DSL"))
    sheet.append(_sheet_row(-3, "Deputy", "Dan", "Deputy DSL"))
    sheet.append(_sheet_row(-4, "Office", "Olive", "Office manager"))
    sheet.append(_sheet_row(-5, "Gov", "Gail", "Governor", "Governor"))
    sheet.append(_sheet_row(-6, "Gov", "Gus", "Governor", "Governor"))
    for n in range(1, STAFF - 3):
        if n in skip:
            continue
        given, family = _name(n)
        row = _sheet_row(
            0 if n in fixed else n,
            family,
            given,
            "Class teacher" if n % 3 == 0 else "Teaching assistant",
        )
        row[HEADER.index("DBS certificate number")] = DBS_NUMBER.format(n + 100)
        sheet.append(row)
    book.save(path)
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    """The 120-staff school with its training, the SCR imported and the gaps found."""
    home = tmp_path_factory.mktemp("scr")
    builder = configure(SchoolBuilder(home / "school"), scr_owner="office@oak.example", admins=[])
    builder.people = _people()
    context = builder.context(None, demo=True, base_url="http://testserver")
    sync_people(context, TODAY)
    env = Env(context=context, app=create_app(context.settings, context), builder=builder)
    with env.context.store.transaction() as session:
        for person in session.scalars(select(Person).where(Person.school_id == "oak")):
            if person.email in (_email(14), _email(15)) or "gov" in person.email:
                continue
            session.add(
                TrainingRecord(
                    school_id="oak",
                    person_id=person.id,
                    course="Safeguarding and child protection",
                    completed_on=date(2026, 9, 3)
                    if person.email != _email(16)
                    else date(2025, 9, 3),
                    source="manual",
                    import_key=f"sg-{person.id}",
                )
            )
    with env.context.store.transaction() as session:
        training16 = session.scalar(
            select(TrainingRecord).join(Person).where(Person.email == _email(16))
        )
        assert training16 is not None  # 16's old record: the SCR's date this year counts
    write_scr(home / "scr.xlsx")
    with env.context.store.transaction() as session:
        import_sheet(
            session,
            env.school,
            read_sheet(home / "scr.xlsx", TODAY),
            where="scr.xlsx",
            actor="test",
            now=at(TODAY),
        )
        refresh_gaps(session, env.school, TODAY, force=True)
    yield env
    env.context.store.dispose()


def _found(env: Env) -> set[tuple[str, str, str | None]]:
    with env.context.store.session() as session:
        return {(g.kind, g.subject, g.check) for g in current_gaps(session, env.school, TODAY)}


def _expected() -> set[tuple[str, str, str | None]]:
    return {(kind, " ".join(_name(n)), check) for n, (kind, check) in PLANTED.items()}


def test_the_check_finds_the_twelve_planted_gaps_and_nothing_else(built: Env) -> None:
    assert _found(built) == _expected()
    kinds = [kind for kind, _ in PLANTED.values()]
    assert len(kinds) == 12 and all(kinds.count(k) == 2 for k in set(kinds))
    with built.context.store.session() as session:
        stored = {
            (g.kind, g.subject, g.check)
            for g in session.scalars(select(ScrGap).where(ScrGap.closed_on.is_(None)))
        }
    assert stored == _expected()


def test_no_dbs_number_reaches_the_database_or_a_page(built: Env) -> None:
    # A number on its own: a hex digest (an audit event's hash) may hold these digits by chance.
    numbers = re.compile(r"(?<![0-9A-Za-z])0012\d{8}(?![0-9A-Za-z])")
    with built.context.store.session() as session:
        tables = [
            r[0] for r in session.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))
        ]
        for table in tables:
            for row in session.execute(text(f'SELECT * FROM "{table}"')):
                assert not numbers.search(repr(tuple(row))), table
    db_file = Path(str(built.context.store.engine.url.database))
    assert not numbers.search(db_file.read_bytes().decode("latin-1"))
    head = built.client("head")
    for page in ("/scr", "/dashboard", "/me"):
        response = head.get(page)
        assert response.status_code == 200, page
        assert not numbers.search(response.text), page


def test_only_the_head_and_the_scr_owner_see_names(built: Env) -> None:
    for who in ("ben", _email(3), "governor", "deputy", "dsl", "gov@oak.example"):
        client = built.client(
            who
            if who not in ("ben", "governor")
            else {"ben": _email(20), "governor": "gov@oak.example"}[who]
        )
        assert client.get("/scr").status_code == 403, who
    assert built.client().get("/scr").status_code == 401
    for who in ("head", "office@oak.example"):
        page = built.client(who).get("/scr")
        assert page.status_code == 200
        assert "Fore003 Sur003" in page.text and "<script" not in page.text
        assert (
            "enhanced DBS check dated Sunday 20 September 2020, after the start date" in page.text
        )
    reads = [e for e in built.audit("scr.read")]
    assert {e.actor for e in reads} >= {"head@oak.example", "office@oak.example"}


def test_the_dashboard_shows_a_count_only(built: Env) -> None:
    page = built.client("head").get("/dashboard").text
    assert re.search(r'data-extra="single_central_record_gaps">12<', page)
    assert "Sur003" not in page and "Fore014" not in page


def test_the_digest_the_governors_report_and_the_evidence_pack_count_only(built: Env) -> None:
    from zoneinfo import ZoneInfo

    from bot.features.dashboard.digest import build_digest
    from bot.features.evidence.service import gather, school_reports
    from bot.features.governors.report import build_report, pick_term

    with built.context.store.session() as session:
        digest = build_digest(session, built.school, TODAY, base_url="http://testserver")
        report = build_report(session, built.school, pick_term(built.school, None, TODAY), TODAY)
        facts = gather(
            session,
            "oak",
            "Oak Test School",
            now=at(TODAY, 12),
            tz=ZoneInfo("Europe/London"),
            reports=school_reports("oak"),
            made_by="test",
            reports_scope="all",
        )
    email = digest.email("head@oak.example")
    assert "12 gaps in the single central record" in email.text + email.html
    assert report.scr_sentence() == "Single central record: 12 gaps open (counts only)."
    rows = {row[0]: row[1:] for row in facts.scr.rows}
    assert rows["Right to work running out"] == ("2", TODAY.isoformat())
    assert sum(int(r[0]) for r in rows.values()) == 12
    for shown in (email.text, email.html, repr(report), repr(facts.scr)):
        assert "Sur0" not in shown and "Fore0" not in shown


def test_the_command_says_which_columns_it_skipped_and_lists_the_gaps(
    built: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    monkeypatch.setenv("COMPLIANCE_BOT_HOME", str(built.builder.home))
    sheet = built.builder.home.parent / "scr.xlsx"
    result = runner.invoke(cli_app, ["scr", "import", str(sheet), "--as-of", TODAY.isoformat()])
    assert result.exit_code == 0, result.output
    assert "column 'DBS certificate number' skipped: vetting data is not kept" in result.output
    assert "column 'Checked by' not read" in result.output
    assert "0 added, 0 changed, 0 removed" in result.output
    assert not re.search(r"0012\d{8}", result.output)
    listed = runner.invoke(cli_app, ["scr", "gaps", "--json", "--as-of", TODAY.isoformat()])
    assert listed.exit_code == 0, listed.output
    assert '"kind": "agency_confirmation"' in listed.output
    assert listed.output.count('"kind"') == 12
    assert built.audit("scr.read")[-1].details == {"gaps": 12, "via": "cli"}


def test_a_bad_or_ambiguous_sheet_is_refused_and_keeps_the_record(
    built: Env, tmp_path: Path
) -> None:
    bad = tmp_path / "scr.csv"
    bad.write_text(
        "Surname,Forename,Identity checked,Barred list check\n"
        "Sur001,Fore001,maybe 0012345678901,01/08/2020\n",
        encoding="utf-8",
    )
    with pytest.raises(ScrSheetError) as caught:
        read_sheet(bad, TODAY)
    assert "scr.csv row 2 (Sur001): 'Identity checked' is not a date" in str(caught.value)
    assert "0012345678901" not in str(caught.value)
    twice = tmp_path / "twice.csv"
    twice.write_text(
        "Surname,Forename,Identity checked,Barred list check\n"
        "Sur001,Fore001,01/08/2020,01/08/2020\nSur001,Fore001,yes,yes\n",
        encoding="utf-8",
    )
    with built.context.store.session() as session, pytest.raises(ScrSheetError) as caught:
        import_sheet(
            session,
            built.school,
            read_sheet(twice, TODAY),
            where="twice.csv",
            actor="test",
            now=at(TODAY),
        )
    assert "twice.csv row 3 (Fore001 Sur001): the same person as row 2" in str(caught.value)
    assert _found(built) == _expected()


def test_nation_words(tmp_path: Path) -> None:
    """Scotland's PVG, Northern Ireland's AccessNI and Wales's words, with their sources."""
    seen = {}
    for nation, word, source in (
        ("scotland", "PVG scheme membership", "legislation.gov.uk/asp/2020/13"),
        ("northern-ireland", "enhanced AccessNI check", "nidirect.gov.uk"),
        ("wales", "registration check with the EWC", "gov.wales/keeping-learners"),
    ):
        env = make_env(SchoolBuilder(tmp_path / nation), today=TODAY, country=nation)
        page = env.client("head").get("/scr").text
        assert word in page and source in page, nation
        assert "KCSIE" not in page and "Keeping children safe" not in page, nation
        seen[nation] = page
        env.context.store.dispose()
    assert "DBS" not in seen["scotland"] and "DBS" not in seen["northern-ireland"]
    with pytest.raises(KeyError):
        check_names(type("S", (), {"country": "scotland"})())["prohibition"]  # type: ignore[arg-type]


@time_machine.travel(at(TODAY, 10), tick=True)
def test_a_new_import_closes_gaps_audited_and_the_owner_hears_once(
    built: Env, tmp_path: Path
) -> None:
    base_url = "http://testserver"
    with built.context.store.transaction() as session:
        setup_state.start_sending(session, "oak", by="test", now=at(TODAY))
    with built.context.store.transaction() as session:
        told = tell_owner(session, built.school, TODAY, base_url=base_url)
        again = tell_owner(session, built.school, TODAY, base_url=base_url)
    assert (told, again) == (12, 0)
    with built.context.store.session() as session:
        rows = list(
            session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "scr_gaps"))
        )
    assert len(rows) == 1 and rows[0].recipients == ["office@oak.example"]
    assert rows[0].subject == "Single central record: 12 new gaps"
    assert "Sur0" not in repr(rows[0].payload)
    fixed = write_scr(tmp_path / "fixed.xlsx", fixed=frozenset({1, 2}))
    with built.context.store.transaction() as session:
        import_sheet(
            session,
            built.school,
            read_sheet(fixed, TODAY),
            where="fixed.xlsx",
            actor="test",
            now=at(TODAY, 11),
        )
        assert refresh_gaps(session, built.school, TODAY) == (0, 2)
    closed = built.audit("scr.gap_closed")
    assert len(closed) == 2 and {e.details["kind"] for e in closed} == {"missing_check"}
    assert "Sur001" not in repr([e.details for e in closed])
    words = school_words(built.school)
    with built.context.store.session() as session:
        gaps = current_gaps(session, built.school, TODAY)
        assert len(gaps) == 10
        assert describe(gaps[0], check_names(built.school), words)
    assert [e for e in built.audit("scr.imported")][-1].details["changed"] == 2
    assert isinstance(AuditEvent, type)


@pytest.mark.parametrize("engine", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_the_sweep_keeps_the_list_live_on_both_databases(
    engine: str, school: SchoolBuilder, request: pytest.FixtureRequest
) -> None:
    """A small school: the sweep's step finds the gaps of an imported SCR, a re-import that
    fixes one closes it (audited) on the next sweep, and the owner is told once."""
    from bot.engine.sweep import run_sweep

    url = request.getfixturevalue("postgres_url") if engine == "postgres" else None
    env = make_env(school, url, today=TODAY, scr_owner="amy@oak.example")
    ctx = env.context
    with ctx.store.transaction() as session:
        setup_state.start_sending(session, "oak", by="test", now=at(TODAY))
    sheet = school.home / "scr.csv"
    header = "Surname,Forename,Email,Start date,Identity checked,Barred list check,"
    header += "Enhanced DBS check date,DBS number,Right to work,Safeguarding training\n"
    rows = [
        f"{n},{n},{e},01/09/2020,01/08/2020,01/08/2020,{{dbs}},000123456789,01/08/2020,03/09/2026\n"
        for n, e in (
            ("Head", "head@oak.example"),
            ("Lead", "dsl@oak.example"),
            ("Deputy", "deputy@oak.example"),
            ("Able", "amy@oak.example"),
            ("Brook", "ben@oak.example"),
            ("Admin", "admin@oak.example"),
        )
    ]
    sheet.write_text(
        header + "".join(r.format(dbs="01/08/2020") for r in rows[:-1]) + rows[-1].format(dbs=""),
        encoding="utf-8",
    )
    with ctx.store.transaction() as session:
        import_sheet(
            session,
            env.school,
            read_sheet(sheet, TODAY),
            where="scr.csv",
            actor="test",
            now=at(TODAY),
        )
    with time_machine.travel(at(TODAY, 10), tick=True):
        run_sweep(ctx.store, ctx.settings, ctx.config, ctx.connectors, as_of=TODAY, deliver=False)
    with ctx.store.session() as session:
        gaps = {
            (g.kind, g.subject, g.check)
            for g in session.scalars(select(ScrGap).where(ScrGap.closed_on.is_(None)))
        }
        assert ("missing_check", "Adam Admin", "criminal_record") in gaps
        assert ("governor_missing", "Gail Gov", None) in gaps
        owner = list(
            session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "scr_gaps"))
        )
        assert len(owner) == 1 and owner[0].recipients == ["amy@oak.example"]
    sheet.write_text(header + "".join(r.format(dbs="01/08/2020") for r in rows), encoding="utf-8")
    with ctx.store.transaction() as session:
        import_sheet(
            session,
            env.school,
            read_sheet(sheet, TODAY),
            where="scr.csv",
            actor="test",
            now=at(TODAY, 11),
        )
    with time_machine.travel(at(TODAY, 12), tick=True):
        run_sweep(ctx.store, ctx.settings, ctx.config, ctx.connectors, as_of=TODAY, deliver=False)
    assert [e.details["kind"] for e in env.audit("scr.gap_closed")] == ["missing_check"]
    with ctx.store.session() as session:
        assert (
            session.scalar(
                select(OutboxMessage.id).where(
                    OutboxMessage.purpose == "scr_gaps", OutboxMessage.id != owner[0].id
                )
            )
            is None
        )
        assert "000123456789" not in repr(
            list(session.execute(text("SELECT * FROM scr_entries")))
            + list(session.execute(text("SELECT * FROM scr_checks")))
        )
    ctx.store.dispose()


def test_the_head_enters_an_interview_panel_without_javascript(built: Env) -> None:
    from tests.features.decisions.test_support import csrf_of

    head = built.client("head")
    page = head.get("/scr").text
    assert '<select id="members" name="members" multiple' in page
    empty = head.post("/scr/panels", data={"csrf_token": csrf_of(page), "title": " "})
    assert empty.status_code == 422 and "Choose the people on the interview panel." in empty.text
    for nobody in ("²", "99999999999"):  # not a number; past any id: nobody chosen, never a 500
        data = {"csrf_token": csrf_of(page), "title": "Panel", "members": [nobody]}
        refused = head.post("/scr/panels", data=data)
        assert refused.status_code == 422, refused.status_code
        assert "Choose the people on the interview panel." in refused.text
    with built.context.store.session() as session:
        ids = [
            str(session.scalar(select(Person.id).where(Person.email == e)))
            for e in (_email(20), _email(21))
        ]
    added = head.post(
        "/scr/panels",
        data={"csrf_token": csrf_of(page), "members": ids, "title": "Year 4 teacher, January"},
        follow_redirects=False,
    )
    assert added.status_code == 303
    shown = head.get("/scr").text
    assert "Year 4 teacher, January" in shown and "Fore020 Sur020, Fore021 Sur021" in shown
    assert "interview panel &#39;Year 4 teacher, January&#39;: no member trained" in shown
    assert [e.details for e in built.audit("scr.panel_added")] == [{"members": 2}]
