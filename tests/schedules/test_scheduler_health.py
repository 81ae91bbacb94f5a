"""The scheduler's health is visible: ``compliance-bot run`` (web and scheduler in one process)
whose scheduler loses its lock answers ``/readyz`` with 503 and a short reason within two
beats, and the head's and administrators' dashboard says the bot's regular jobs have stopped;
a teacher's page says nothing of it."""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from bot.core.deployment import scheduler_health
from tests.conftest import free_port
from tests.features.setup.conftest import build_web_school
from tests.support.helpers import SchoolBuilder
from tests.support.served import served as serving

DEADLINE = 120.0  # seconds: a bound for a state change to show up, never a measured duration
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _until(condition: Callable[[], bool]) -> bool:
    end = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > end:
            return False
        time.sleep(0.2)
    return True


def _sign_in(http: httpx.Client, email: str) -> None:
    found = CSRF.search(http.get("/signin").text)
    assert found is not None
    http.post("/signin", data={"email": email, "csrf_token": found.group(1)})


@pytest.mark.slow
def test_a_lost_lock_under_run_fails_readyz_and_the_head_is_told(
    school: SchoolBuilder, sqlite_url: str, tmp_path: Path
) -> None:
    build_web_school(school, sqlite_url).store.dispose()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    variables = {
        **os.environ,
        "COMPLIANCE_BOT_HOME": str(school.home),
        "COMPLIANCE_BOT_DATABASE_URL": sqlite_url,
        "COMPLIANCE_BOT_BASE_URL": url,
        "COMPLIANCE_BOT_DEMO": "true",
        "COMPLIANCE_BOT_SCHEDULER_BEAT_SECONDS": "1",  # two beats: 2 s
        "PYTHONUNBUFFERED": "1",
    }
    cli = Path(sys.executable).parent / "compliance-bot"
    command = [str(cli), "run", "--port", str(port)]
    with serving(command, env=variables, url=url, log=tmp_path / "run.log", cwd=tmp_path):
        head = httpx.Client(base_url=url, timeout=60)
        assert _until(lambda: head.get("/readyz").status_code == 200)
        _sign_in(head, "head@oak.example")
        page = head.get("/dashboard")
        assert page.status_code == 200 and "scheduler-stopped" not in page.text

        (school.home / "scheduler.lock").unlink()  # what a clean-up script or a person does

        assert _until(lambda: head.get("/readyz").status_code == 503)
        ready = head.get("/readyz")
        assert ready.status_code == 503 and ready.text.startswith("scheduler not running")
        assert str(school.home) not in ready.text  # a short reason: no path
        page = head.get("/dashboard").text
        assert 'id="scheduler-stopped"' in page
        assert "regular jobs have not run since" in page and "restarting it" in page
        office = httpx.Client(base_url=url, timeout=60)
        _sign_in(office, "office@oak.example")  # an administrator is told too
        assert 'id="scheduler-stopped"' in office.get("/dashboard").text
        dsl = httpx.Client(base_url=url, timeout=60)
        _sign_in(dsl, "line@oak.example")  # the deputy DSL: not hers to act on
        assert 'id="scheduler-stopped"' not in dsl.get("/dashboard").text
    assert "has stopped running jobs because its lock file" in (tmp_path / "run.log").read_text()


def test_the_beat_is_judged_by_two_intervals() -> None:
    start = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    assert scheduler_health.stopped(start) is None  # no scheduler in this process
    scheduler_health.started(60, start)
    try:
        assert scheduler_health.stopped(start + timedelta(seconds=120)) is None
        scheduler_health.beat(start + timedelta(seconds=60))
        late = scheduler_health.stopped(start + timedelta(seconds=181))
        assert late is not None and late.reason == "scheduler not running: no run for 121 s"
        assert "since 23 November 2026 at 09:01" in late.said or "09:01" in late.said
    finally:
        scheduler_health.ended()
    assert scheduler_health.stopped(start + timedelta(days=1)) is None
