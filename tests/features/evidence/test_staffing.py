"""#82 item 2: the pack shows the single central record's gaps each with its date, and
training by the roles that owe it, for Ofsted's index.

A seeded school (its SCR spreadsheet with an enhanced DBS check left blank and a DBS renewal
overdue; safeguarding training in date, expired and never done, and a DSL course its deputy
has not done) makes its pack on the web. The two CSV files are in the signed manifest and the
summary's index; the index rows read ``filled``; the gaps are the ones /scr shows (the head's
pack names them, the DSL's does not: /scr is not theirs) and the training figures are the
dashboard's."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime
from html import unescape
from pathlib import Path

import openpyxl
import pytest
from pypdf import PdfReader
from sqlalchemy import select

from bot.core.models import Person, TrainingRecord
from bot.core.rendering.signed import MANIFEST
from bot.engine.sweep import run_sweep
from bot.features.dashboard.api import read_figures
from bot.features.evidence.inspection import INDEX
from bot.features.scr.service import import_sheet, refresh_gaps
from bot.features.scr.sheet import read_sheet
from bot.web.app import create_app
from tests.features.decisions.test_support import Env, configure, csrf_of, sync_people
from tests.support.helpers import SchoolBuilder, at

pytestmark = pytest.mark.slow

TODAY = date(2026, 11, 23)
GAPS = "single-central-record-gaps-by-person.csv"
ROLES = "training-by-role.csv"
TRAINED = {  # (email, course) -> completed on
    ("head@oak.example", "Safeguarding"): date(2026, 9, 3),
    ("dsl@oak.example", "Safeguarding"): date(2026, 9, 3),
    ("amy@oak.example", "Safeguarding"): date(2026, 9, 3),
    ("admin@oak.example", "Safeguarding"): date(2026, 9, 3),
    ("ben@oak.example", "Safeguarding"): date(2025, 9, 1),  # expired on 1 Sep 2026
    ("dsl@oak.example", "Designated safeguarding lead"): date(2026, 1, 10),
}  # the deputy has done neither


def _scr(path: Path, people: list[tuple[str, str]]) -> Path:
    """The office's SCR: Amy's enhanced DBS check left blank; Ben's DBS renewal overdue."""
    sheet = openpyxl.Workbook()
    page = sheet.active
    assert page is not None
    page.append(
        [
            "Surname",
            "Forename",
            "Role",
            "Category",
            "Start date",
            "Identity checked",
            "Barred list check",
            "Enhanced DBS check date",
            "Enhanced DBS renewal due",
            "Prohibition check",
            "Right to work",
        ]
    )
    checked = datetime(2020, 8, 1)
    for name, email in people:
        given, family = name.split()
        dbs = None if email == "amy@oak.example" else checked
        renewal = datetime(2026, 10, 1) if email == "ben@oak.example" else None
        category = "Governor" if email.startswith("gov") else "Staff"
        page.append(
            [
                family,
                given,
                "Teacher",
                category,
                datetime(2020, 9, 1),
                checked,
                checked,
                dbs,
                renewal,
                checked,
                checked,
            ]
        )
    sheet.save(path)
    return path


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Env:
    home = tmp_path_factory.mktemp("staffing")
    builder = configure(SchoolBuilder(home / "school"), scr_owner="admin@oak.example")
    builder.requirement(
        id="safeguarding",
        kind="complete_training",
        course="Safeguarding",
        valid_months=12,
        audience={"roles": ["staff"]},
    )
    builder.requirement(
        id="dsl-course",
        kind="complete_training",
        course="Designated safeguarding lead",
        valid_months=24,
        audience={"roles": ["dsl", "deputy_dsl"]},
    )
    context = builder.context(None, demo=True, base_url="http://testserver")
    sync_people(context, TODAY)
    with context.store.transaction() as session:
        people = {p.email: p for p in session.scalars(select(Person))}
        for n, ((email, course), done) in enumerate(TRAINED.items()):
            session.add(
                TrainingRecord(
                    school_id="oak",
                    person_id=people[email].id,
                    course=course,
                    completed_on=done,
                    source="manual",
                    import_key=f"t{n}",
                )
            )
        named = [(p.display_name, p.email) for p in people.values()]
    school = context.config.school("oak")
    with context.store.transaction() as session:
        import_sheet(
            session,
            school,
            read_sheet(_scr(home / "scr.xlsx", named), TODAY),
            where="scr.xlsx",
            actor="test",
            now=at(TODAY),
        )
        refresh_gaps(session, school, TODAY, force=True)
    run_sweep(
        context.store,
        context.settings,
        context.config,
        context.connectors,
        as_of=TODAY,
        now=at(TODAY),
        deliver=False,
    )
    return Env(context=context, app=create_app(context.settings, context), builder=builder)


def _pack(env: Env, who: str) -> dict[str, bytes]:
    client = env.client(who)
    response = client.post(
        "/evidence/pack", data={"csrf_token": csrf_of(client.get("/evidence").text)}
    )
    assert response.status_code == 200, response.text
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _rows(members: dict[str, bytes], name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(members[name].decode("utf-8-sig"))))


def test_the_gaps_each_with_its_date_are_the_ones_scr_shows(env: Env) -> None:
    import time_machine

    with time_machine.travel(at(TODAY, 11), tick=False):
        members = _pack(env, "head")
        page = unescape(env.client("head").get("/scr").text)
    rows = _rows(members, GAPS)
    by_who = {(r["Who"], r["Check"]): r for r in rows}
    amy = by_who["Amy Able", "enhanced DBS check"]
    assert (amy["Date"], amy["Gap"]) == ("", "enhanced DBS check: not recorded")
    ben = by_who["Ben Brook", "enhanced DBS check"]
    assert ben["Date"] == "01 Oct 2026"
    assert ben["Gap"] == "enhanced DBS check: renewal was due on Thursday 1 October 2026"
    assert ben["Kind of gap"] and ben["Kind of gap"] != amy["Kind of gap"]
    for row in rows:  # every gap, whose and what, as the record's page says it
        assert row["Who"] in page and row["Gap"] in page, row
    assert page.count("<li") >= len(rows)
    assert GAPS in members[MANIFEST].decode() and ROLES in members[MANIFEST].decode()


def test_training_by_role_is_the_dashboards_figures(env: Env) -> None:
    import time_machine

    with time_machine.travel(at(TODAY, 11), tick=False):
        members = _pack(env, "head")
    rows = {r["Course"]: r for r in _rows(members, ROLES)}
    assert rows["Safeguarding"] | {} == {
        "Who must do it": "staff",
        "Course": "Safeguarding",
        "People": "6",
        "Trained and in date": "4",
        "Owe it": "2",
        "Overdue": rows["Safeguarding"]["Overdue"],
    }
    assert rows["Designated safeguarding lead"]["Who must do it"] == "DSL, deputy DSL"
    assert (
        rows["Designated safeguarding lead"]["Trained and in date"],
        rows["Designated safeguarding lead"]["Owe it"],
    ) == ("1", "1")
    with env.context.store.session() as session:
        figures = read_figures(session, "oak", TODAY).training
    assert {
        t.course: (str(t.audience), str(t.up_to_date), str(t.audience - t.up_to_date))
        for t in figures
    } == {c: (r["People"], r["Trained and in date"], r["Owe it"]) for c, r in rows.items()}


def test_ofsteds_index_reads_filled_and_the_summary_lists_both(env: Env) -> None:
    import time_machine

    with time_machine.travel(at(TODAY, 11), tick=False):
        members = _pack(env, "head")
    index = {r["item"]: r for r in _rows(members, INDEX)}
    scr, training = index["The single central record"], index["Staff safeguarding training"]
    assert (scr["file"], scr["status"]) == (f"single-central-record-gaps.csv; {GAPS}", "filled")
    assert (training["file"], training["status"]) == (f"training-matrix.csv; {ROLES}", "filled")
    summary = "".join(
        "".join(page.extract_text().split())
        for page in PdfReader(io.BytesIO(members["summary.pdf"])).pages
    )
    assert GAPS in summary and ROLES in summary
    assert "Trainingbyrole:howmanyaretrainedandindate" in summary


def test_a_pack_made_by_someone_scr_is_not_for_names_no_one(env: Env) -> None:
    import time_machine

    with time_machine.travel(at(TODAY, 11), tick=False):
        members = _pack(env, "dsl")
    rows = _rows(members, GAPS)
    assert rows and all(r["Who"] == "" for r in rows)
    assert not any(b"Amy Able" in members[n] or b"Ben Brook" in members[n] for n in (GAPS,))
