"""The trust board's termly pack (#81): a seeded 12-school trust with planted lapsed trainings,
unread statutory readings, SCR gaps, late staff-route referrals, a breach past 72 hours and
policies overdue; every planted item in its school and the total, each figure the school's own
dashboard's and governors' report's, no name in the files, small counts suppressed, last term's
figures and the change, signed; made only by the trust's safeguarding leads and admins."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import zipfile
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from bot.core.config import Term
from bot.core.deployment.context import AppContext
from bot.core.deployment.setup_state import begin_setup, start_sending
from bot.core.models import (
    ConnectorState,
    Duty,
    OutboxMessage,
    Person,
    PolicyVersion,
    Report,
    ReportClock,
    ScrGap,
    TrainingRecord,
)
from bot.core.rendering.signed import private_key, signature_holds
from bot.engine.sweep import run_sweep
from bot.features.dashboard.api import read_figures
from bot.features.evidence.people import training as training_matrix
from bot.features.evidence.service import _ack_counts as ack_counts
from bot.features.governors.report import build_report, pick_term
from bot.features.policies.attest import acknowledge
from bot.features.reading.service import register_edition
from bot.features.reports.intake import submit_report
from bot.features.trust.board import Share
from bot.features.trust.pack import gather, make_files, school_board, term_of
from bot.web.app import create_app
from tests.features.reports.test_support import TestClient, csrf_of, sign_in, submission
from tests.support.helpers import Row, SchoolBuilder, at
from tests.support.keys import TEST_SECRET

MONDAY = date(2026, 11, 23)  # Autumn 2026
SPRING = date(2027, 1, 18)  # the next term's pack
SCHOOLS = [f"s{n:02d}" for n in range(12)]
LEAD, ADMIN = "lead@s00.example", "admin@s01.example"
# planted, by school (index): each list sums to the figure
LAPSED = [6, 5, 4, 4, 3, 3, 3, 3, 3, 2, 2, 2]  # 40 lapsed trainings
UNREAD = [3, 3, 3, 2, 2, 2, 2, 2, 2, 2, 1, 1]  # 25 unread statutory readings
SCR = [3, 2, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0]  # 9 SCR gaps
LATE_REFERRAL = {1, 5}  # 2 staff-route referrals made late
LATE_BREACH = {7}  # 1 breach past 72 hours, still not decided
OVERDUE = [0, 0, 2, 0, 0, 0, 0, 0, 0, 1, 0, 0]  # 3 policies overdue for review
CONCERNS = [6] + [1] * 11  # school 0: 6 (shown); the rest 1 (fewer than 5)
STAFF = 10
SECRET = "Messages about a pupil were shared in the staff room."


def _name(sid: str, n: int) -> str:
    return f"Person{n} Surname{sid.upper()}"


def _school(index: int, sid: str) -> dict[str, Any]:
    domain = f"{sid}.example"
    return {
        "id": sid,
        "name": f"School {index + 1:02d}",
        "headteacher": f"p0@{domain}",
        "dsl": [f"p1@{domain}"],
        "admins": [f"p2@{domain}"],
        "language": "cy" if index == 11 else "en",
        "policies": [
            {
                "id": f"pol{k}",
                "title": f"Policy {k}",
                "version": "1",
                "document": f"policies/pol{k}.md",
                "published": "2026-09-01",
                "next_review": "2026-10-01" if k < OVERDUE[index] else "2027-09-01",
            }
            for k in range(2)
        ],
        "requirements": [
            {
                "id": "train-sg",
                "kind": "complete_training",
                "course": "Safeguarding",
                "audience": {"roles": ["staff"]},
                "due_days": 28,
                "valid_months": 12,
            },
            {
                "id": "ack-pol0",
                "kind": "acknowledge_policy",
                "policy": "pol0",
                "audience": {"roles": ["staff"]},
                "due_days": 14,
            },
            {
                "id": "read-kcsie",
                "kind": "reading_campaign",
                "title": "Keeping children safe in education",
                "due_days": 14,
                "audiences": {"part-1": {"roles": ["staff"]}},
            },
        ],
    }


def _sweep(context: AppContext, day: date) -> None:
    run_sweep(
        context.store,
        context.settings,
        context.config,
        context.connectors,
        as_of=day,
        now=at(day, 9),
        deliver=False,
    )


def _plant(context: AppContext) -> None:
    """Training records (the lapsed ones a year and more ago), readings read but the unread,
    SCR gaps, reports with their deadlines met, missed and running."""
    with context.store.transaction() as session:
        people = {p.email: p for p in session.scalars(select(Person))}
        for index, sid in enumerate(SCHOOLS):
            for n in range(STAFF):
                lapsed = n < LAPSED[index]
                session.add(
                    TrainingRecord(
                        school_id=sid,
                        person_id=people[f"p{n}@{sid}.example"].id,
                        course="Safeguarding",
                        source="manual",
                        import_key=f"{sid}-{n}",
                        completed_on=date(2025, 9, 1) if lapsed else date(2026, 9, 10),
                    )
                )
    _sweep(context, MONDAY)
    with context.store.transaction() as session:
        for duty, person in session.execute(
            select(Duty, Person)
            .join(Person, Person.id == Duty.person_id)
            .where(Duty.status == "open", Duty.kind == "reading_campaign")
        ).all():
            index = SCHOOLS.index(duty.school_id)
            if int(person.email.split("@")[0][1:]) < UNREAD[index]:
                continue
            version = session.get(PolicyVersion, duty.policy_version_id)
            assert version is not None
            acknowledge(
                session,
                person,
                duty,
                version,
                method="link",
                ip=None,
                user_agent="test",
                now=at(MONDAY, 9, 10),
            )
        for index, sid in enumerate(SCHOOLS):
            school = context.config.school(sid)
            for n in range(CONCERNS[index]):
                category = (
                    "staff_concern"
                    if index in LATE_REFERRAL | {3} and n == 0
                    else "data_breach"
                    if index in LATE_BREACH and n == 0
                    else "cyberbullying"
                )
                filed = at(MONDAY - timedelta(days=5), 10)
                report = submit_report(
                    session,
                    school,
                    submission(
                        category=category, what_happened=SECRET, reporter_name=_name(sid, 9)
                    ),
                    now=filed,
                    base_url="http://testserver",
                    actor="public-link",
                )
                clock = session.scalars(
                    select(ReportClock).where(
                        ReportClock.report_id == report.report_id,
                        ReportClock.kind.in_(("lado", "ico")),
                    )
                ).one_or_none()
                if clock is not None and index in LATE_REFERRAL:
                    clock.stopped_at = clock.due_at + timedelta(hours=3)  # referred late
                elif clock is not None and index == 3:
                    clock.stopped_at = clock.started_at + timedelta(hours=1)  # in time
    _sweep(context, MONDAY)
    with context.store.transaction() as session:  # the gaps the SCR's check would record
        for index, sid in enumerate(SCHOOLS):
            for k in range(SCR[index]):
                session.add(
                    ScrGap(
                        school_id=sid,
                        key=f"g{k}",
                        kind="missing_check",
                        subject=_name(sid, k),
                        opened_on=MONDAY,
                    )
                )
            if SCR[index]:
                ConnectorState.put(session, sid, "scr:last-check", f"{MONDAY}|seed")


@pytest.fixture(scope="module")
def trust(
    tmp_path_factory: pytest.TempPathFactory, module_database_url: str
) -> Iterator[tuple[AppContext, SchoolBuilder]]:
    """The 12 schools, swept and planted on Monday 23 November 2026."""
    builder = SchoolBuilder(tmp_path_factory.mktemp("board") / "school")
    schools = [_school(i, sid) for i, sid in enumerate(SCHOOLS)]
    builder.school, builder.others = schools[0], schools[1:]
    builder.organisation = {
        "name": "Vale Trust",
        "trust_safeguarding_leads": [LEAD],
        "trust_admins": [ADMIN],
    }
    builder.people = [
        Row(f"p{n}@{sid}.example", _name(sid, n), "staff", "All Staff", school=sid)
        for sid in SCHOOLS
        for n in range(STAFF)
    ]
    builder.people += [
        Row(LEAD, "Lee Lead", "governor", "Governors", school="s00"),
        Row(ADMIN, "Ada Admin", "governor", "Governors", school="s01"),
    ]
    for k in range(2):
        (builder.home / "policies" / f"pol{k}.md").parent.mkdir(exist_ok=True)
        (builder.home / "policies" / f"pol{k}.md").write_text(f"# Policy {k}\n\nText.\n")
    kcsie = builder.home / "kcsie.md"
    kcsie.write_text("# Keeping children safe in education 2026\n\nPart one.\n")
    context = builder.context(module_database_url, demo=True, base_url="http://testserver")
    _sweep(context, MONDAY - timedelta(days=7))
    with context.store.transaction() as session:
        begin_setup(session, source="file", by="cli:init", now=at(MONDAY, 7))
        for sid in SCHOOLS:
            start_sending(session, sid, by=f"p0@{sid}.example", now=at(MONDAY, 7))
            register_edition(
                session,
                context.config.school(sid),
                "read-kcsie",
                "part-1",
                title="Keeping children safe in education 2026",
                edition="2026",
                path=kcsie,
                in_force=date(2026, 9, 1),
                actor="cli",
            )
    _plant(context)
    yield context, builder
    context.store.dispose()


def _pack(context: AppContext, day: date, term: str | None = None) -> dict[str, bytes]:
    with context.store.transaction() as session:
        lines = gather(session, context.config, term, day, at(day, 12))
        return make_files(
            session,
            context.config,
            lines,
            secret=TEST_SECRET,
            made=at(day, 12),
            actor="test",
            threshold=90,
        )


def _rows(files: dict[str, bytes]) -> dict[str, dict[str, str]]:
    text = files["trust-board.csv"].decode("utf-8").lstrip("\ufeff")
    return {row["school"]: row for row in csv.DictReader(io.StringIO(text))}


def test_every_planted_item_is_in_its_school_and_the_total_and_equals_the_dashboard(
    trust: tuple[AppContext, SchoolBuilder],
) -> None:
    context, _ = trust
    rows = _rows(_pack(context, MONDAY))
    assert len(rows) == 13
    with context.store.session() as session:
        for index, sid in enumerate(SCHOOLS):
            school = context.config.school(sid)
            row = rows[school.name]
            figures = read_figures(session, sid, MONDAY, now=at(MONDAY, 12))
            report = build_report(session, school, pick_term(school, None, MONDAY), MONDAY)
            matrix = training_matrix(session, sid, MONDAY)
            in_date = sum(1 for r in matrix.rows if r[5] in ("in date", "expires soon"))
            assert (
                (int(row["training_in_date"]), int(row["training_required"]))
                == (STAFF - LAPSED[index], STAFF)
                == (figures.training_done, figures.training_owed)
            )
            assert report.training_done == in_date == STAFF - LAPSED[index]
            assert (
                (int(row["statutory_reading_done"]), int(row["statutory_reading_asked"]))
                == (STAFF - UNREAD[index], STAFF)
                == (figures.reading_done, figures.reading_owed)
            )
            assert int(row["policies_acknowledged"]) == figures.ack_done == report.ack_done
            # the evidence pack's own table: people who read the edition, and still to read
            acks = {r[0]: r for r in ack_counts(session, sid, MONDAY).rows}
            kcsie = acks["Keeping children safe in education 2026"]
            assert (int(kcsie[3]), int(kcsie[4])) == (STAFF - UNREAD[index], UNREAD[index])
            assert (int(acks["Policy 0"][3]), int(acks["Policy 0"][4])) == (
                figures.ack_done,
                figures.ack_owed - figures.ack_done,
            )
            assert int(row["acknowledgements_asked"]) == figures.ack_owed == STAFF
            assert (row["scr_gaps"], report.scr_gaps) == (
                (str(SCR[index]), SCR[index]) if SCR[index] else ("not stated", None)
            ), index
            assert int(row["staff_route_referrals_late"]) == (index in LATE_REFERRAL)
            assert int(row["breaches_late"]) == (index in LATE_BREACH)
            assert int(row["policies_overdue_review"]) == OVERDUE[index] == len(report.overdue)
            assert int(row["policies_overdue_review"]) == figures.policies_overdue
            assert row["staff"] == str(figures.people)
            assert row["concerns_opened"] == (
                str(CONCERNS[index]) if CONCERNS[index] >= 5 else "fewer than 5"
            )
            assert CONCERNS[index] == report.reports_total
            assert row["allegations_against_staff"] == "fewer than 5"
            assert row["safeguarding_training_in_date_pct"] == str(
                (STAFF - LAPSED[index]) * 100 // STAFF
            )
    whole = rows["trust"]
    assert int(whole["training_required"]) - int(whole["training_in_date"]) == 40
    assert int(whole["statutory_reading_asked"]) - int(whole["statutory_reading_done"]) == 25
    assert (
        whole["scr_gaps"],
        whole["staff_route_referrals_late"],
        whole["breaches_late"],
        whole["policies_overdue_review"],
    ) == ("9", "2", "1", "3")
    assert (whole["concerns_opened"], whole["allegations_against_staff"]) == ("17", "3")
    assert whole["staff_route_referrals_in_time"] == "1"


def test_the_files_name_nobody_and_the_pdf_is_embedded_tagged_dated_and_signed(
    trust: tuple[AppContext, SchoolBuilder], tmp_path: Path
) -> None:
    context, builder = trust
    files = _pack(context, MONDAY)
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    pdf = tmp_path / "trust-board.pdf"
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = " ".join(text.split())
    csv_text = files["trust-board.csv"].decode("utf-8")
    with context.store.session() as session:
        references = list(session.scalars(select(Report.reference)))
    people = [(r.name, r.email) for r in builder.people]
    for said in (text, csv_text):
        leaked = [x for pair in people for x in pair if x in said]
        leaked += [ref for ref in references if ref in said]
        assert not leaked and SECRET not in said and "Sam (Year 5)" not in said
    assert "fewer than 5" in text and "School 12" in text
    # a Welsh school in the trust: the trust's pages in Welsh and English, sentence by
    # sentence; the Welsh school's page in Welsh
    assert (
        "Eithriadau: beth sydd angen sylw'r ymddiriedolwyr / Exceptions: what needs the "
        "trustees' eye"
    ) in flat
    welsh = flat[flat.rindex("School 12 Tymor") :]
    assert "llai na 5" in welsh and "fewer than 5" not in welsh and "Y tymor hwn" in welsh
    fonts = subprocess.run(
        ["pdffonts", str(pdf)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    assert fonts and all(re.search(r"TrueType\s+\S+\s+yes yes yes", f) for f in fonts), fonts
    info = subprocess.run(
        ["pdfinfo", "-isodates", str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    assert re.search(r"^Tagged:\s+yes$", info, re.M), info
    assert re.search(r"^CreationDate:\s+2026-11-23T12:30:00Z$", info, re.M), info
    assert int(re.findall(r"^Pages:\s+(\d+)$", info, re.M)[0]) >= 13  # exceptions, 12 schools
    public = private_key(TEST_SECRET).public_key()
    assert signature_holds(public, files["MANIFEST.sig"], files["MANIFEST.sha256"])
    assert (
        subprocess.run(
            ["sha256sum", "-c", "MANIFEST.sha256"], cwd=tmp_path, capture_output=True
        ).returncode
        == 0
    )


def test_next_term_shows_last_terms_figures_and_the_change(
    trust: tuple[AppContext, SchoolBuilder],
) -> None:
    context, _ = trust
    _pack(context, MONDAY)  # the autumn pack keeps its figures
    _sweep(context, SPRING)
    rows = _rows(_pack(context, SPRING))
    first = rows["School 01"]
    assert first["term"] == "Spring 2027"
    # the autumn's 6 concerns are not this term's: 0 now, shown "fewer than 5", no change said
    assert "concerns_opened" not in first["change_since_last_term"]
    # every school's 0 is small, and a total of 0 would tell each: the total is not shown,
    # nor its change (-17 would tell it from the autumn's 17)
    assert rows["trust"]["concerns_opened"] == "not shown"
    assert "concerns_opened" not in rows["trust"]["change_since_last_term"]
    with context.store.session() as session:
        kept = ConnectorState.of(session, "s00", "trust-board:autumn-2026")
    assert kept is not None and '"training": {"done": 4, "owed": 10}' in kept.value


def test_an_earlier_term_without_a_pack_is_counted_again_from_the_record(
    trust: tuple[AppContext, SchoolBuilder],
) -> None:
    context, _ = trust
    rows = _rows(_pack(context, MONDAY, "previous"))
    summer = rows["School 01"]
    assert summer["term"] == "Summer 2026" and summer["concerns_opened"] == "fewer than 5"
    assert summer["safeguarding_training_in_date_pct"] == "not stated"


@pytest.mark.parametrize(
    ("who", "status"),
    [
        (LEAD, 200),
        (ADMIN, 200),
        ("p0@s00.example", 403),
        ("p1@s01.example", 403),
        ("p5@s02.example", 403),
    ],
)
def test_only_the_trusts_leads_and_admins_make_the_pack(
    trust: tuple[AppContext, SchoolBuilder], who: str, status: int
) -> None:
    context, _ = trust
    client = TestClient(create_app(context.settings, context))
    sign_in(client, who)
    page = client.get("/trust")
    assert page.status_code == status
    token = csrf_of(page.text) if status == 200 else csrf_of(client.get("/").text)
    made = client.post("/trust/board", data={"csrf_token": token, "term": "current"})
    assert made.status_code == status
    if status == 200:
        names = set(zipfile.ZipFile(io.BytesIO(made.content)).namelist())
        assert {"trust-board.pdf", "trust-board.csv", "MANIFEST.sha256"} <= names
        with context.store.session() as session:
            told = session.scalars(
                select(OutboxMessage).where(OutboxMessage.purpose == "trust_board")
            ).all()
        assert len(told) == 1 and LEAD in told[0].recipients


def test_the_command_writes_the_pack(
    trust: tuple[AppContext, SchoolBuilder], tmp_path: Path, module_database_url: str
) -> None:
    _, builder = trust
    from bot.cli.main import app

    result = CliRunner().invoke(
        app,
        ["trust", "report", "--out", str(tmp_path / "out"), "--as-of", str(MONDAY)],
        env={
            "COMPLIANCE_BOT_HOME": str(builder.home),
            "COMPLIANCE_BOT_DATABASE_URL": module_database_url,
            "COMPLIANCE_BOT_SECRET_KEY": TEST_SECRET,
        },
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "trust-board.pdf").read_bytes().startswith(b"%PDF")
    assert (
        len(_rows({"trust-board.csv": (tmp_path / "out" / "trust-board.csv").read_bytes()})) == 13
    )
    bad = CliRunner().invoke(
        app,
        ["trust", "report", "--out", str(tmp_path / "x"), "--term", "1999-autumn"],
        env={
            "COMPLIANCE_BOT_HOME": str(builder.home),
            "COMPLIANCE_BOT_DATABASE_URL": module_database_url,
            "COMPLIANCE_BOT_SECRET_KEY": TEST_SECRET,
        },
    )
    assert bad.exit_code == 2 and "unknown term" in bad.output


def test_in_the_holiday_after_a_term_its_pack_has_the_figures_as_they_stand(
    trust: tuple[AppContext, SchoolBuilder],
) -> None:
    """A board meeting in the Christmas holiday gets the autumn's figures as of that day, not
    "not stated" (the school's own terms, with a gap between them)."""
    context, _ = trust
    school = context.config.school("s01").model_copy(
        update={
            "terms": [
                Term(name="Autumn 2026", start=date(2026, 9, 2), end=date(2026, 11, 20)),
                Term(name="Spring 2027", start=date(2027, 1, 5), end=date(2027, 3, 26)),
            ]
        }
    )
    term, before = term_of(school, None, MONDAY)  # Monday 23 November: after the autumn
    assert (term.name, before) == ("Autumn 2026", None)
    with context.store.session() as session:
        row = school_board(session, school, term, MONDAY, at(MONDAY, 12))
    assert not row.recomputed and row.training == Share(STAFF - LAPSED[1], STAFF)
