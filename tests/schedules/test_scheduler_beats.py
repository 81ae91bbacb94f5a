"""On PostgreSQL a web process without a scheduler (``run --web-only``) judges whether any
scheduler runs: the beat the scheduler keeps in the database through its lock's connection.
No beat for two intervals and ``/readyz`` answers 503 and the head's dashboard says the bot's
regular jobs are not running; a beat written and both are well again."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from fastapi.testclient import TestClient

from bot.core.deployment import scheduler_health
from bot.web.app import create_app
from schedules.runner import SchedulerLock
from tests.features.setup.conftest import TODAY, Site, build_web_school
from tests.support.helpers import SchoolBuilder, at

pytestmark = pytest.mark.postgres


def test_a_web_only_process_fails_readyz_until_a_scheduler_beats(
    school: SchoolBuilder, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COMPLIANCE_BOT_SCHEDULER_BEAT_SECONDS", "1")  # two beats: 2 s
    monkeypatch.setattr(scheduler_health, "_watch", None)  # what this test watches goes with it
    monkeypatch.setattr(scheduler_health, "_beat", None)  # no scheduler in this process
    ctx = build_web_school(school, postgres_url)
    start = at(TODAY)
    with (
        time_machine.travel(start, tick=False) as clock,
        TestClient(
            create_app(ctx.settings, ctx, web_only=True), base_url="http://testserver"
        ) as client,
    ):
        site = Site(ctx, client)
        assert client.get("/readyz").status_code == 200  # watching began now
        site.sign_in("head@oak.example")
        assert 'id="scheduler-stopped"' not in client.get("/dashboard").text

        clock.move_to(start + timedelta(seconds=3))  # no scheduler anywhere for two beats
        ready = client.get("/readyz")
        assert (ready.status_code, ready.text) == (503, "scheduler not running: no run for 3 s")
        # the web pods' readiness probe: pages (the report form) stay in service meanwhile
        assert client.get("/readyz?scope=pages").text == "ready"
        page = client.get("/dashboard").text
        assert 'id="scheduler-stopped"' in page
        assert "regular jobs are not running" in page and "restarting it" in page

        lock = SchedulerLock(ctx.settings)  # a scheduler process elsewhere takes the lock
        lock.acquire()
        try:
            lock.keep_beat(start + timedelta(seconds=3), 1)  # ... and beats
            assert client.get("/readyz").status_code == 200
            assert 'id="scheduler-stopped"' not in client.get("/dashboard").text

            clock.move_to(start + timedelta(seconds=6))  # it has stopped beating
            ready = client.get("/readyz")
            assert (ready.status_code, ready.text) == (503, "scheduler not running: no run for 3 s")
            assert "regular jobs have not run since" in client.get("/dashboard").text
        finally:
            lock.release()
    ctx.store.dispose()


def test_a_process_that_runs_no_scheduler_on_sqlite_judges_only_the_database(
    school: SchoolBuilder, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COMPLIANCE_BOT_SCHEDULER_BEAT_SECONDS", "1")
    monkeypatch.setattr(scheduler_health, "_watch", None)
    monkeypatch.setattr(scheduler_health, "_beat", None)
    ctx = school.context(sqlite_url, demo=True)
    start = at(TODAY)
    with (
        time_machine.travel(start, tick=False) as clock,
        TestClient(
            create_app(ctx.settings, ctx, web_only=True), base_url="http://testserver"
        ) as client,
    ):
        clock.move_to(start + timedelta(minutes=5))
        assert client.get("/readyz").status_code == 200  # no beat is kept in SQLite
    ctx.store.dispose()
