"""The dashboard and the people list are served from memory only while nothing they show has
changed: an acknowledgement, a new report, a clock's next minute, another school.yaml or another
person each give a freshly built page; the CSRF token is always the reader's own; a clock's
words are kept exactly as long as they hold."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi import Request
from fastapi.responses import HTMLResponse
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from bot.core import audit
from bot.core.models import AuditEvent, Report, ReportClock
from bot.engine.web.page_cache import PageCache, kept
from bot.features.dashboard.panel import _clock_text, _clock_text_until
from tests.features.dashboard.test_support import NOW, TODAY, Env, acknowledge_as
from tests.features.dashboard.test_web import figure

pytest_plugins = ("tests.features.dashboard.test_support",)


def _cache(env: Env) -> PageCache:
    cache: PageCache = env.app.state.page_cache
    return cache


def _token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def _people_row(html: str, name: str) -> str:
    found = re.search(rf"{name}.*?</tr>", html, re.S)
    assert found, f"{name} is not on the page"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(0)))


def test_an_acknowledgement_shows_on_the_next_view(any_env: Env) -> None:
    env = any_env
    head = env.client("head@oak.example")
    first = head.get("/dashboard").text
    hits = _cache(env).hits
    assert head.get("/dashboard").text == first  # nothing changed: the kept page
    if env.context.store.engine.dialect.name == "sqlite":  # PostgreSQL's stamp moves with any
        assert _cache(env).hits == hits + 1  # transaction on the server (other tests' too)
    listing = head.get("/dashboard/people").text
    ben_before = _people_row(listing, "Ben Brook")

    acknowledge_as(env, "ben@oak.example", "online-safety", TODAY)

    after = head.get("/dashboard").text
    assert int(figure(after, "open-duties")) == int(figure(first, "open-duties")) - 1
    assert _people_row(head.get("/dashboard/people").text, "Ben Brook") != ben_before


def test_a_new_report_reaches_the_dsl_panel_and_never_a_governor(any_env: Env) -> None:
    env = any_env
    dsl = env.client("dsl@oak.example")
    before = dsl.get("/dashboard").text
    assert "CR-2026-0009" not in before
    with env.context.store.transaction() as session:
        report = Report(
            school_id="oak",
            reference="CR-2026-0009",
            category="other",
            urgency="high",
            status="new",
            what_happened="logged after the page was kept",
            created_at=NOW - timedelta(hours=1),
        )
        session.add(report)
    after = dsl.get("/dashboard").text
    assert "CR-2026-0009" in after
    assert int(figure(after, "open-reports")) == int(figure(before, "open-reports")) + 1
    # the DSL's page is kept, yet a governor still gets the refusal, with no reference on it
    for path in ("/dashboard", "/dashboard/people"):
        answer = env.client("gov@oak.example").get(path)
        assert answer.status_code == 403 and not re.search(r"CR-\d{4}-", answer.text)


def test_a_clock_reads_true_within_the_minute(any_env: Env, time_machine: Any) -> None:
    env = any_env
    with env.context.store.transaction() as session:
        report = session.scalar(select(Report).where(Report.reference == "CR-2026-0002"))
        assert report is not None
        clock = session.scalar(select(ReportClock).where(ReportClock.report_id == report.id))
        assert clock is not None
        clock.due_at = NOW + timedelta(minutes=5, seconds=30)
    head = env.client("head@oak.example")
    assert "5 min left" in head.get("/dashboard").text
    time_machine.move_to(NOW + timedelta(seconds=20), tick=False)  # the same minute
    assert "5 min left" in head.get("/dashboard").text
    time_machine.move_to(NOW + timedelta(seconds=45), tick=False)  # still the same minute
    assert "4 min left" in head.get("/dashboard").text


def test_each_reader_gets_their_own_csrf_token(env: Env) -> None:
    one, two = env.client("head@oak.example"), env.client("head@oak.example")
    first = one.get("/dashboard").text
    hits = _cache(env).hits
    second = two.get("/dashboard").text  # the same person and page: served from memory
    assert _cache(env).hits == hits + 1
    assert _token(first) != _token(second)
    assert second.replace(_token(second), "") == first.replace(_token(first), "")
    signed_out = two.post("/signout", data={"csrf_token": _token(second)}, follow_redirects=False)
    assert signed_out.status_code == 303
    # signing out changed the database: the other session's cookie opens nothing now
    assert one.get("/dashboard").status_code == 401


def test_another_school_yaml_gives_a_fresh_page(env: Env) -> None:
    head = env.client("head@oak.example")
    assert "Oak Test School" in head.get("/dashboard").text
    path = env.context.settings.config_path
    path.write_text(path.read_text().replace("Oak Test School", "Oak Renamed School"))
    assert "Oak Renamed School" in head.get("/dashboard").text


@given(
    due_in=st.integers(min_value=-5 * 86400, max_value=5 * 86400),
    fraction=st.integers(min_value=0, max_value=999_999),
)
def test_clock_words_hold_until_the_instant_given_and_no_longer(due_in: int, fraction: int) -> None:
    now = NOW + timedelta(microseconds=fraction)
    due = NOW + timedelta(seconds=due_in)
    until = _clock_text_until(due, now)
    assert until >= now
    words, late = _clock_text(due, now), due < now
    for moment in (now, now + (until - now) / 2, until):
        assert (_clock_text(due, moment), due < moment) == (words, late)
    after = until + timedelta(microseconds=1)
    assert (_clock_text(due, after), due < after) != (words, late)


def test_a_kept_page_that_audits_fails_and_records_nothing(env: Env) -> None:
    """A kept page is rendered once for many views, so recording a read there would record
    one of many: an audit entry while it is rendered fails, naming the rule, and leaves
    nothing."""
    store = env.context.store
    with store.session() as session:
        before = len(session.scalars(select(AuditEvent.seq)).all())

    def build() -> HTMLResponse:
        with store.transaction() as session:
            audit.record(
                session,
                actor="head@oak.example",
                action="dashboard.viewed",
                object_type="dashboard",
                school_id="oak",
            )
        return HTMLResponse("<p>kept</p>")

    scope = {
        "type": "http",
        "method": "GET",
        "path": "/dashboard",
        "query_string": b"",
        "headers": [],
        "app": env.app,
        "session": {},
    }
    with pytest.raises(audit.AuditRefused, match="page the page cache keeps must not write"):
        kept(Request(scope), build)
    with store.session() as session:
        assert len(session.scalars(select(AuditEvent.seq)).all()) == before
    # outside a kept page the same write is allowed
    build()
