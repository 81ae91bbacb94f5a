"""The report form's POST does only what the reporter waits for: the report is stored and its
alerts are queued; the tracked list's mirror is left to the scheduled sweep (SQLite and
PostgreSQL), whichever of the form's addresses was used."""

from __future__ import annotations

import csv
import re

import pytest

from connectors.local.connector import CsvListMirror
from tests.features.reports.test_support import Env, env_fixture, make_env  # noqa: F401
from tests.support.helpers import SchoolBuilder


def _mirrored(env: Env) -> list[str]:
    mirror = env.context.connectors.mirror
    assert isinstance(mirror, CsvListMirror)
    if not mirror.path.exists():
        return []
    with mirror.path.open(newline="", encoding="utf-8") as handle:
        return [row["reference"] for row in csv.DictReader(handle)]


def test_the_form_leaves_the_mirror_to_the_scheduled_sweep(
    school: SchoolBuilder, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A report through the public form is stored with its alert queued, and nothing else
    waits on it: the mirror is brought in line by the scheduled sweep job."""
    from schedules import jobs

    env = make_env(school, database_url)
    try:
        response = env.submit(env.client())
        assert response.status_code == 200
        found = re.search(r"CR-\d{4}-[A-Z0-9]{4,6}\b", response.text)
        assert found
        reference = found[0]
        keys = {m.idempotency_key for m in env.outbox("report_alert")}
        assert f"report-alert:oak:{reference}" in keys  # the alert is queued with the report
        assert _mirrored(env) == []  # the POST (and what ran after it) left the mirror alone
        # the scheduled job, as the scheduler runs it, over the same home and database
        monkeypatch.setenv("COMPLIANCE_BOT_DATABASE_URL", env.context.settings.db_url)
        home = str(env.context.settings.home)
        try:
            jobs.sweep_job(home)
        finally:
            context = jobs._contexts.pop(str(env.context.settings.home.resolve()), None)
            if context is not None:
                context.store.dispose()
        assert _mirrored(env) == [reference]
    finally:
        env.context.store.dispose()


def test_the_signed_in_form_leaves_the_mirror_alone_too(env: Env) -> None:
    staff = env.client("staff")
    assert env.submit(staff, "/report").status_code == 200
    assert env.submit(env.client(), f"/report/{env.school.id}").status_code == 200
    assert _mirrored(env) == []
