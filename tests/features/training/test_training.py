"""Training completions from a provider's CSV: row errors reported, good rows kept, re-import
is a no-op, and a completion closes the person's training duty at the next sweep."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import time_machine
from sqlalchemy import func, select
from typer.testing import CliRunner

from bot.cli.main import app
from bot.core.models import Duty, Person, TrainingRecord
from bot.engine.sweep import run_sweep
from tests.support.helpers import SchoolBuilder, at
from tests.support.pdfs import pdf_document


def test_import_reports_rows_keeps_good_ones_and_is_idempotent(
    school: SchoolBuilder, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    school.requirement(
        id="os", kind="complete_training", course="Online safety", audience={"roles": ["staff"]}
    )
    ctx = school.context(sqlite_url)
    with time_machine.travel(at(date(2026, 11, 23)), tick=False):
        run_sweep(ctx.store, ctx.settings, ctx.config, ctx.connectors)
    export = school.home / "provider-export.csv"
    export.write_text(
        "Email Address,Course Name,Completion Date,Training Provider\namy@oak.example,Online "
        "safety,20/11/2026,SafeCo\nnobody@oak.example,Online "
        "safety,20/11/2026,SafeCo\nben@oak.example,Online "
        "safety,31/13/2026,SafeCo\nben@oak.example,,20/11/2026,SafeCo\nline@oak.example,Online "
        "safety,2026-11-19,\nben@oak.example,Online Safety "
        "Training,20/11/2026,SafeCo\nline@oak.example,  online SAFETY "
        ",2026-11-18,\nben@oak.example,Fire drill,20/11/2026,SafeCo\nben@oak.example,Online "
        "safety,01/01/1900,SafeCo\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("COMPLIANCE_BOT_HOME", str(school.home))
    monkeypatch.setenv("COMPLIANCE_BOT_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("COMPLIANCE_BOT_SECRET_KEY", "test-secret-key-0123456789-abcdefghij")
    runner = CliRunner()
    first = runner.invoke(app, ["training", "import", str(export)])
    assert first.exit_code == 0, first.output
    said = " ".join(first.output.split())  # Rich wraps long lines
    assert "3 imported, 0 already present, 6 rejected" in said
    assert "provider-export.csv line 3: email nobody@oak.example is not in the directory" in said
    assert "line 4: completed_on not a date: '31/13/2026'" in said
    assert "line 5, column 'Course Name': empty" in said
    assert (
        "line 7, column 'Course Name': unknown course 'Online Safety Training' — did you mean "
        "'Online safety'?" in said
    )
    assert (
        "line 9, column 'Course Name': unknown course 'Fire drill' (the school's courses "
        "are 'Online safety')" in said
    )
    assert "line 10: completed_on 1900-01-01 is too long ago" in said
    again = runner.invoke(app, ["training", "import", str(export)])
    assert "0 imported, 3 already present, 6 rejected" in " ".join(again.output.split())
    with ctx.store.session() as session:
        assert session.scalar(select(func.count()).select_from(TrainingRecord)) == 3
        # a name written differently is kept under the school's own name for the course
        assert set(session.scalars(select(TrainingRecord.course))) == {"Online safety"}
    with time_machine.travel(at(date(2026, 11, 24)), tick=False):
        run_sweep(ctx.store, ctx.settings, ctx.config, ctx.connectors)
    with ctx.store.session() as session:
        open_for = set(
            session.scalars(
                select(Person.email)
                .join(Duty, Duty.person_id == Person.id)
                .where(Duty.status == "open")
            )
        )
    assert open_for == {"ben@oak.example", "head@oak.example"}


def test_missing_columns_is_one_clear_line(
    school: SchoolBuilder, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    school.installed(sqlite_url)
    bad = school.home / "bad.csv"
    bad.write_text("who,what\nx,y\n", encoding="utf-8")
    monkeypatch.setenv("COMPLIANCE_BOT_HOME", str(school.home))
    monkeypatch.setenv("COMPLIANCE_BOT_DATABASE_URL", sqlite_url)
    result = CliRunner().invoke(app, ["training", "import", str(bad)])
    assert result.exit_code == 1
    assert (
        "bad.csv line 1: missing columns email (or staff id, or name), course, completed_on"
    ) in " ".join(result.output.split())
    missing = CliRunner().invoke(app, ["training", "import", str(school.home / "nope.csv")])
    assert missing.exit_code == 2 and "file not found" in missing.output


def _signed_in(ctx: object, email: str) -> object:
    import re

    from fastapi.testclient import TestClient

    from bot.core.deployment.context import AppContext
    from bot.web.app import create_app

    demo = AppContext(ctx.settings.model_copy(update={"demo": True}))  # type: ignore[attr-defined]
    client = TestClient(create_app(demo.settings, demo))
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/signin").text)
    assert token is not None
    client.post("/signin", data={"email": email, "csrf_token": token.group(1)})
    return client


def test_record_training_with_a_certificate(school: SchoolBuilder, sqlite_url: str) -> None:
    import re

    school.requirement(
        id="os", kind="complete_training", course="Online safety", audience={"roles": ["staff"]}
    )
    ctx = school.context(sqlite_url)
    with time_machine.travel(at(date(2026, 11, 23)), tick=False):
        run_sweep(ctx.store, ctx.settings, ctx.config, ctx.connectors)
    client: Any = _signed_in(ctx, "amy@oak.example")
    page = client.get("/me").text
    action = re.search(r'action="(/me/training/\d+)"', page)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert action is not None and token is not None
    fake = client.post(
        action.group(1),
        data={"csrf_token": token.group(1), "completed_on": "2026-11-20"},
        files={"certificate": ("cert.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")},
    )
    assert fake.status_code == 422 and "only photos (JPEG or PNG) and PDF" in fake.text
    future = client.post(
        action.group(1), data={"csrf_token": token.group(1), "completed_on": "2099-01-01"}
    )
    assert future.status_code == 422 and "cannot be in the future" in future.text
    pdf = pdf_document()
    ok = client.post(
        action.group(1),
        data={"csrf_token": token.group(1), "completed_on": "2026-11-20", "provider": "SafeCo"},
        files={"certificate": ("C:\\certs\\mine.pdf", pdf, "application/pdf")},
    )
    assert ok.status_code == 200 and "recorded with your certificate" in ok.text
    with ctx.store.session() as session:
        record = session.scalars(select(TrainingRecord)).one()
        assert record.source == "self" and record.certificate_path
        stored = ctx.settings.uploads_dir / record.certificate_path
        assert stored.read_bytes() == pdf and "mine" not in stored.name
        assert (
            session.scalar(select(Duty.status).where(Duty.person_id == record.person_id)) == "done"
        )
    assert "Online safety" not in client.get("/me").text.split("Recently done")[0]


def test_a_certificate_that_is_not_what_it_says_or_unsafe_to_open_is_refused(
    school: SchoolBuilder, sqlite_url: str
) -> None:
    """Issue #40: a certificate someone later opens is refused, naming it, when its PDF
    inflates to 1 GB or loops, or it is not what its name or declared type says; the
    training stays open and nothing is stored."""
    import re

    from tests.support.hostile import DISGUISED, HOSTILE_PDFS

    school.requirement(
        id="os", kind="complete_training", course="Online safety", audience={"roles": ["staff"]}
    )
    ctx = school.context(sqlite_url)
    with time_machine.travel(at(date(2026, 11, 23)), tick=False):
        run_sweep(ctx.store, ctx.settings, ctx.config, ctx.connectors)
    client: Any = _signed_in(ctx, "amy@oak.example")
    page = client.get("/me").text
    action = re.search(r'action="(/me/training/\d+)"', page)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert action is not None and token is not None
    cases = [
        *(
            (f"{kind}.pdf", HOSTILE_PDFS[kind][0], "application/pdf", HOSTILE_PDFS[kind][1])
            for kind in ("inflating", "xref-loop", "outline-loop")
        ),
        *DISGUISED.values(),
    ]
    for name, data, declared, why in cases:
        refused = client.post(
            action.group(1),
            data={"csrf_token": token.group(1), "completed_on": "2026-11-20"},
            files={"certificate": (name, data, declared)},
        )
        said = " ".join(refused.text.split())
        assert refused.status_code == 422 and why in said and name in said, (name, said[-600:])
    with ctx.store.session() as session:
        assert session.scalar(select(func.count()).select_from(TrainingRecord)) == 0
        assert set(
            session.scalars(select(Duty.status).where(Duty.kind == "complete_training"))
        ) == {"open"}
    stored = ctx.settings.uploads_dir
    assert not stored.exists() or not any(p.is_file() for p in stored.rglob("*"))
