"""Nothing sensitive in any log: a database failure during a real report submission (SQLite
and PostgreSQL) and a NUL byte on PostgreSQL are logged as an error reference, types and code
places, never the report, the pupil's or reporter's name or the reporter's email. A report
the database refuses is answered 503 with the reporter's own words kept in their form (#77):
the log names the failure's types only. Scanned: every captured log record (at DEBUG, so
SQLAlchemy's own statement log is on), stderr and stdout, and the log of the real
``compliance-bot run`` server (uvicorn)."""

from __future__ import annotations

import logging
import os
import re
import sys
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
import time_machine
from sqlalchemy import create_engine, func, select, text

from bot.core.models import Report
from bot.engine.sweep import run_sweep
from tests.conftest import free_port
from tests.features.reports.test_support import csrf_of, make_env
from tests.support.helpers import SchoolBuilder, at
from tests.support.served import served

MARKERS = {
    "what_happened": "Zebrafinch-7QX3 said something in the cloakroom",
    "names_pupil": "Tobias Quillmarker",
    "reporter_name": "Perpetua Snodgrass",
    "reporter_email": "perpetua.snodgrass@home.example",
}
REFERENCE = re.compile(r"error reference ([0-9A-F]{8})")
SQLITE_FAILURE = (
    "CREATE TRIGGER refuse_reports BEFORE INSERT ON reports "
    "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
)
POSTGRES_FAILURE = (
    "CREATE FUNCTION refuse_reports() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'could not extend file: No space left on device'; END $$",
    "CREATE TRIGGER refuse_reports BEFORE INSERT ON reports "
    "FOR EACH ROW EXECUTE FUNCTION refuse_reports()",
)


def break_report_inserts(url: str) -> None:
    """Make the database itself refuse to store a report (as a full disk would)."""
    engine = create_engine(url)
    with engine.begin() as conn:
        for statement in (SQLITE_FAILURE,) if url.startswith("sqlite") else POSTGRES_FAILURE:
            conn.execute(text(statement))
    engine.dispose()


def leaks(logged: str, markers: Any) -> list[str]:
    """The markers (any case) found in ``logged``."""
    return [m for m in markers if m.lower() in logged.lower()]


def everything_logged(caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]) -> str:
    """Every record (message, traceback text) and everything written to stdout/stderr."""
    records = [
        f"{r.name} {r.getMessage()} {r.exc_text or ''} {r.exc_info or ''}" for r in caplog.records
    ]
    out, err = capfd.readouterr()
    return "\n".join([caplog.text, *records, out, err])


def test_a_failed_submission_is_logged_as_a_reference_only(
    database_url: str,
    school: SchoolBuilder,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    env = make_env(school, database_url)
    break_report_inserts(database_url)
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")  # every statement, logged
    client = env.client(raise_server_exceptions=False)
    response = env.submit(client, involved=["pupil"], **MARKERS)
    assert response.status_code == 503
    assert "It could not be saved just now" in response.text
    logged = everything_logged(caplog, capfd)
    assert "a report to oak could not be stored" in logged
    assert "IntegrityError" in logged or "InternalError" in logged or "RaiseException" in logged
    assert "[SQL parameters hidden due to hide_parameters=True]" in logged  # the echo ran
    assert leaks(logged, MARKERS.values()) == []
    # the page gives the reporter back their own words, and nothing else of anyone's
    assert leaks(response.text, MARKERS.values()) == list(MARKERS.values())
    with env.context.store.session() as session:
        assert session.scalar(select(func.count()).select_from(Report)) == 0
    env.context.store.dispose()


@pytest.mark.postgres
def test_a_nul_byte_on_postgresql_is_never_logged_with_the_text(
    school: SchoolBuilder, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    """The training form's provider field reaches PostgreSQL as typed. Another change refuses
    NUL with a 4xx; whichever answer comes, the text typed is in no log."""
    from fastapi.testclient import TestClient

    from bot.core.deployment.context import AppContext
    from bot.web.app import create_app
    from tests.conftest import _postgres_database

    databases = _postgres_database()
    url = next(databases)
    try:
        school.requirement(
            id="os", kind="complete_training", course="Online safety", audience={"roles": ["staff"]}
        )
        ctx = school.context(url)
        with time_machine.travel(at(date(2026, 11, 23)), tick=False):
            run_sweep(ctx.store, ctx.settings, ctx.config, ctx.connectors)
        demo = AppContext(ctx.settings.model_copy(update={"demo": True}))
        client = TestClient(create_app(demo.settings, demo), raise_server_exceptions=False)
        sign_in = csrf_of(client.get("/signin").text)
        client.post("/signin", data={"email": "amy@oak.example", "csrf_token": sign_in})
        page = client.get("/me").text
        action = re.search(r'action="(/me/training/\d+)"', page)
        assert action is not None
        caplog.set_level(logging.DEBUG)
        caplog.set_level(logging.INFO, logger="sqlalchemy.engine")
        provider = "Quillmarker\x00Training Ltd"
        response = client.post(
            action.group(1),
            data={"csrf_token": csrf_of(page), "completed_on": "2026-11-20", "provider": provider},
        )
        assert response.status_code in (400, 422, 500), response.status_code
        logged = everything_logged(caplog, capfd)
        assert leaks(logged, ["Quillmarker"]) == []
        if response.status_code == 500:
            found = REFERENCE.search(response.text)
            assert found and f"error {found.group(1)}" in logged
        ctx.store.dispose()
        demo.store.dispose()
    finally:
        for _ in databases:
            pass


@pytest.mark.slow
def test_the_real_server_log_names_no_one_when_the_database_fails(
    database_url: str, school: SchoolBuilder, tmp_path: Path
) -> None:
    """``compliance-bot run``: uvicorn's own error log goes through the same scrubbing."""
    env = make_env(school, database_url)
    public_path = env.public_path
    key = env.context.settings.signing_key()
    env.context.store.dispose()
    break_report_inserts(database_url)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    variables = {
        **os.environ,
        "COMPLIANCE_BOT_HOME": str(school.home),
        "COMPLIANCE_BOT_DATABASE_URL": database_url,
        "COMPLIANCE_BOT_SECRET_KEY": key,
        "COMPLIANCE_BOT_BASE_URL": url,
        "PYTHONUNBUFFERED": "1",
    }
    command = [sys.executable, "-m", "bot.cli.main", "run", "--web-only", "--port", str(port)]
    log = tmp_path / "server.log"
    with (
        served(command, env=variables, url=url, log=log, cwd=tmp_path),
        httpx.Client(base_url=url, timeout=120) as http,
    ):
        form = http.get(public_path)
        assert form.status_code == 200, form.text
        response = http.post(
            public_path,
            data={
                "csrf_token": csrf_of(form.text),
                "category": "cyberbullying",
                "involved": "pupil",
                "occurred": "Monday lunchtime",
                "location": "Online",
                "reporter_relationship": "parent",
                **MARKERS,
            },
        )
    logged = log.read_text(errors="replace")  # the server has stopped: its whole output
    assert response.status_code == 503
    assert "It could not be saved just now" in response.text
    assert "a report to oak could not be stored" in logged
    assert "Traceback" not in logged
    assert leaks(logged, MARKERS.values()) == []
