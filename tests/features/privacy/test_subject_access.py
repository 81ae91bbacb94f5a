"""Subject access (UK GDPR Art. 15): ``privacy export`` gives a named teacher every kind of
record held about them and nothing about anyone else; another person's concern about them is
listed for the DSL's review, never exported; the request is tracked with its one-month clock."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from datetime import date
from pathlib import Path

import time_machine
from pypdf import PdfReader
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli.main import app
from bot.core.models import AuditEvent, Complaint, Duty, Person, PolicyVersion, TrainingRecord
from bot.features.policies.attest import sign_aup
from bot.features.privacy.rules import one_month_after
from bot.features.reports.intake import submit_report
from tests.features.reports.test_support import PEOPLE, configure, submission, sync_people
from tests.support.helpers import Row, SchoolBuilder, acknowledged_by_link, at, sweep

MONDAY = date(2026, 11, 23)
BEN = Row("ben@oak.example", "Ben Brook", "staff", "All Staff", title="Teacher")
CONCERN = "Amy Able shouted at a pupil in the corridor."
OWN = "A pupil's phone was used to film a lesson."
INVOLVED = "A phone was left unlocked in the staff room."


def _school(
    school: SchoolBuilder, database_url: str, *extra: Row, **settings: str
) -> dict[str, str]:
    """The school with Amy (the teacher asking) and Ben, each with every kind of record."""
    configure(school)
    school.school.update(settings)
    school.people = [*PEOPLE, BEN, *extra]
    school.policy("online-safety", "2026.1", published="2026-11-02")
    school.staff_acknowledge()
    school.policy("aup", "2026.1", title="Social Media AUP", published="2026-11-02", aup=True)
    school.requirement(id="sign-aup", kind="sign_aup", policy="aup", due_days=10)
    school.school["official_accounts"] = [
        {
            "id": "facebook",
            "platform": "Facebook",
            "name": "School Facebook page",
            "custodian": "head@oak.example",
            "holders": ["amy@oak.example", "ben@oak.example"],
            "aup_policy": "aup",
        }
    ]
    ctx = school.context(database_url, base_url="http://testserver")
    sync_people(ctx, MONDAY)
    with time_machine.travel(at(MONDAY), tick=False):
        sweep(ctx, MONDAY)
    with ctx.store.transaction() as session:
        oak = ctx.config.school("oak")
        for email in ("amy@oak.example", "ben@oak.example"):
            person = session.scalar(select(Person).where(Person.email == email))
            assert person is not None
            for duty in list(session.scalars(select(Duty).where(Duty.person_id == person.id))):
                version = session.get(PolicyVersion, duty.policy_version_id)
                assert version is not None
                if duty.kind == "sign_aup":
                    sign_aup(
                        session,
                        person,
                        version,
                        version.policy.title,
                        person.display_name,
                        method="link",
                        ip=None,
                        user_agent="test",
                        now=at(MONDAY, 13),
                    )
                else:
                    acknowledged_by_link(session, person, duty, version, MONDAY)
            session.add(
                TrainingRecord(
                    school_id="oak",
                    person_id=person.id,
                    course="Online safety",
                    completed_on=MONDAY,
                    provider="Local authority",
                    import_key=f"os-{email}",
                )
            )
        submit_report(
            session,
            oak,
            submission(
                what_happened=OWN, reporter_name="Amy Able", reporter_email="amy@oak.example"
            ),
            now=at(MONDAY, 11),
            base_url="http://testserver",
            actor="amy@oak.example",
        )
        about = submit_report(
            session,
            oak,
            submission(
                category="staff_concern",
                what_happened=CONCERN,
                reporter_name="Ben Brook",
                reporter_email="ben@oak.example",
            ),
            now=at(MONDAY, 12),
            base_url="http://testserver",
            actor="ben@oak.example",
        )
        named = submit_report(  # names her only among who was involved
            session,
            oak,
            submission(
                involved=(("staff", "Amy Able"),),
                what_happened=INVOLVED,
                reporter_name="Ben Brook",
                reporter_email="ben@oak.example",
            ),
            now=at(MONDAY, 13),
            base_url="http://testserver",
            actor="ben@oak.example",
        )
    ctx.store.dispose()
    return {
        "named": named.reference,
        "COMPLIANCE_BOT_HOME": str(school.home),
        "COMPLIANCE_BOT_DATABASE_URL": database_url,
        "about": about.reference,
    }


def _export(env: dict[str, str], who: str, out: Path) -> tuple[int, str]:
    result = CliRunner().invoke(
        app,
        ["privacy", "export", who, "--out", str(out)],
        env={k: v for k, v in env.items() if k.startswith("COMPLIANCE_BOT_")},
    )
    return result.exit_code, result.output


def test_a_teachers_export_holds_every_kind_and_nothing_about_anyone_else(
    school: SchoolBuilder, database_url: str, tmp_path: Path
) -> None:
    env = _school(school, database_url)
    with time_machine.travel(at(date(2026, 12, 1), 10), tick=False):
        code, output = _export(env, "Amy Able", tmp_path / "out")
    assert code == 0, output
    (made,) = (tmp_path / "out").glob("subject-access-DP-*.zip")
    archive = zipfile.ZipFile(made)
    files = {n: archive.read(n) for n in archive.namelist()}
    manifest = json.loads(files["manifest.json"])
    rows = {f["name"]: f["rows"] for f in manifest["files"]}
    for kind in (
        "directory.csv",
        "duties.csv",
        "acknowledgements-and-signatures.csv",
        "training.csv",
        "official-accounts.csv",
        "messages.csv",
        "audit-events.csv",
        "reports-made.csv",
    ):
        assert rows[kind] >= 1, kind  # every kind that exists for her
    made_rows = list(csv.reader(io.StringIO(files["reports-made.csv"].decode("utf-8-sig"))))
    assert [r[2] for r in made_rows[1:]] == [OWN]
    signed = files["acknowledgements-and-signatures.csv"].decode("utf-8-sig")
    assert "aup_signature" in signed and "acknowledgement" in signed
    pdf = "".join(p.extract_text() for p in PdfReader(io.BytesIO(files["personal-data.pdf"])).pages)
    assert "Amy Able" in pdf and "Training" in pdf
    everything = b"".join(files.values()).decode("utf-8", "replace") + pdf
    others = ("ben@oak.example", "Ben Brook", CONCERN, INVOLVED, env["about"], env["named"])
    for other in (*others, "pat@home.example"):
        assert other not in everything, other
    # the concern about her is listed for the DSL's review, not exported
    assert env["about"] in output and env["named"] in output
    assert output.count("another person's report that mentions their name") == 2
    with school.context(database_url).store.session() as session:
        (request,) = session.scalars(select(Complaint).where(Complaint.kind == "access"))
        assert request.email == "amy@oak.example" and request.reference in made.name
        assert request.outcome_due_on == one_month_after(date(2026, 12, 1))
        actions = set(session.scalars(select(AuditEvent.action)))
        assert {"privacy.access_opened", "privacy.access_exported"} <= actions
    # a second export answers the same request (one tracked item)
    code, output = _export(env, "amy@oak.example", tmp_path / "again")
    assert code == 0 and request.reference in output


def test_an_ambiguous_name_asks_which_one(
    school: SchoolBuilder, database_url: str, tmp_path: Path
) -> None:
    env = _school(
        school, database_url, Row("amy.able@oak.example", "Amy Able", "staff", "All Staff")
    )
    code, output = _export(env, "amy able", tmp_path)
    assert code == 2
    assert "amy.able@oak.example" in output and "amy@oak.example" in output
    assert not list(tmp_path.glob("*.zip"))
    code, output = _export(env, "nobody@oak.example", tmp_path)
    assert code == 2 and "No one" in re.sub(r"\s+", " ", output)


def test_a_welsh_schools_export_is_in_welsh(
    school: SchoolBuilder, database_url: str, tmp_path: Path
) -> None:
    env = _school(school, database_url, country="wales", language="cy")
    code, output = _export(env, "amy@oak.example", tmp_path)
    assert code == 0, output
    (made,) = tmp_path.glob("*.zip")
    archive = zipfile.ZipFile(made)
    training = archive.read("training.csv").decode("utf-8-sig")
    assert training.startswith("Cwrs,")  # the header in Welsh
    reader = PdfReader(io.BytesIO(archive.read("personal-data.pdf")))
    text = " ".join((p.extract_text() or "") for p in reader.pages)
    assert "Data personol a gedwir am Amy Able" in " ".join(text.split())
    assert "Wedi'u rhestru i'r" in output


def test_in_a_trust_the_school_is_named_not_guessed(
    school: SchoolBuilder, database_url: str, tmp_path: Path
) -> None:
    school.others = [{"id": "elm", "name": "Elm School", "headteacher": "head@oak.example"}]
    school.installed(database_url)
    env = {"COMPLIANCE_BOT_HOME": str(school.home), "COMPLIANCE_BOT_DATABASE_URL": database_url}
    code, output = _export(env, "amy@oak.example", tmp_path)
    assert code == 2 and "--school (oak, elm)" in " ".join(output.split())
    assert not list(tmp_path.glob("*.zip"))
