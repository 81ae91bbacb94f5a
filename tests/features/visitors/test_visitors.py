"""Visitors confirm the phone and photo rules on a public page (no account), are never sent
email to an address they type (no open relay), are rate limited per address; the reception
poster is for staff who run the school; confirmations are purged after the school's retention
period (time-machine)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
import time_machine
from sqlalchemy import func, inspect, select
from typer.testing import CliRunner

from bot.cli.main import app as cli_app
from bot.core.models import AuditEvent, VisitorAssurance
from bot.core.outbox import dispatch
from bot.engine.sweep import run_sweep
from bot.features.visitors import rules as visitors
from tests.features.decisions.test_support import (  # noqa: F401
    Env,
    csrf_of,
    emails,
    env_fixture,
    html_of,
    make_env,
    text_of,
)
from tests.support.helpers import SchoolBuilder, at

TODAY = date(2026, 11, 23)


def _confirm(client: Any, school_id: str = "oak", **fields: str) -> Any:
    token = csrf_of(client.get(f"/visit/{school_id}").text)
    data = {
        "csrf_token": token,
        "name": "Sam Sparks",
        "organisation": "Bright Electrics Ltd",
        "visit_date": TODAY.isoformat(),
        "agree": "yes",
    }
    data.update(fields)
    return client.post(f"/visit/{school_id}", data={k: v for k, v in data.items() if v != "-"})


def _count(env: Env) -> int:
    with env.context.store.session() as session:
        return int(session.scalar(select(func.count()).select_from(VisitorAssurance)) or 0)


@time_machine.travel(at(TODAY, 10), tick=True)
def test_the_public_page_needs_no_account_and_shows_the_rules(env: Env) -> None:
    page = env.client().get("/visit/oak")
    assert page.status_code == 200
    assert "Visiting Oak Test School" in page.text
    assert "Do not take photographs, videos or recordings of children" in page.text
    assert "<script" not in page.text and 'value="2026-11-23"' in page.text
    assert "date of your visit for 365 days, then deletes them" in page.text
    assert 'name="email"' not in page.text  # nothing to type an address into
    assert env.client().get("/visit/elm").status_code == 404


@time_machine.travel(at(TODAY, 10), tick=True)
def test_a_school_can_write_its_own_rules(school: SchoolBuilder) -> None:
    env = make_env(
        school,
        visitor_rules="Phones stay in the car park lockers.\n- No photos.\n"
        "- Sign in at the office.",
        visitor_retention_days=30,
    )
    page = env.client().get("/visit/oak")
    assert "<p>Phones stay in the car park lockers.</p>" in page.text
    assert "<li>No photos.</li>" in page.text and "for 30 days" in page.text
    assert "Do not take photographs" not in page.text
    _confirm(env.client())
    with env.context.store.session() as session:
        stored = session.scalars(select(VisitorAssurance)).one()
        assert stored.rules_sha256 == visitors.rules_sha256(visitors.visitor_rules(env.school))
    env.context.store.dispose()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": ""}, "Enter your full name."),
        ({"agree": "-"}, "Tick the box to confirm"),
        ({"visit_date": "2027-06-01"}, "within the next 90 days"),
        ({"visit_date": "yesterday"}, "Enter the date of your visit"),
        ({"organisation": "x" * 121}, "at most 120 characters"),
    ],
)
@time_machine.travel(at(TODAY, 10), tick=True)
def test_mistakes_are_explained_and_nothing_is_stored(
    env: Env, fields: dict[str, str], message: str
) -> None:
    response = _confirm(env.client(), **fields)
    assert response.status_code == 422 and message in response.text
    assert 'id="error-summary"' in response.text and _count(env) == 0


@time_machine.travel(at(TODAY, 10), tick=True)
def test_confirmation_is_stored_and_no_email_goes_to_a_typed_address(env: Env) -> None:
    # a spammer's form: an address to relay to and a link in the name; the page stores the
    # confirmation (it is evidence) but nothing is ever mailed to what a visitor typed
    response = _confirm(
        env.client(),
        name="Sam Sparks https://phish.example/win",
        email="victim@elsewhere.example",
        visit_date="",
    )
    assert response.status_code == 200 and "VIS-000001" in response.text
    assert "on its way" not in response.text and "/visit/oak" in response.text
    with env.context.store.session() as session:
        stored = session.scalars(select(VisitorAssurance)).one()
        assert (stored.organisation, stored.visit_date, stored.copy_sent) == (
            "Bright Electrics Ltd",
            TODAY,
            False,
        )  # the date defaulted to today
        columns = {c.key for c in inspect(VisitorAssurance).columns}
        assert "email" not in columns
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "visitor.confirmed")
        ).one()
        assert "Sam" not in str(event.details) and event.details == {"copy": False}
    dispatch(env.context.store, env.context.connectors.mailer, env.context.connectors.notifier)
    assert env.outbox() == [] and emails(env.context.settings.outbox_dir) == []


def test_ten_confirmations_per_ten_minutes_from_one_address(env: Env) -> None:
    with time_machine.travel(at(TODAY, 10), tick=False) as traveller:
        client = env.client()
        for number in range(10):
            assert _confirm(client, name=f"Visitor {number}").status_code == 200
        blocked = _confirm(client, name="Visitor 11")
        assert blocked.status_code == 429
        assert "Please try again in 10 minutes, or ask at reception" in blocked.text
        assert _count(env) == 10
        traveller.shift(timedelta(minutes=9, seconds=59))  # still inside the window
        assert _confirm(client, name="Visitor 12").status_code == 429
        traveller.shift(timedelta(seconds=1))  # ten minutes after the first confirmation
        assert _confirm(client, name="Visitor 13").status_code == 200
        assert _count(env) == 11


def test_the_reception_poster_is_for_staff_who_run_the_school(env: Env) -> None:
    assert env.client().get("/visit/oak/poster").status_code == 401
    assert env.client("staff").get("/visit/oak/poster").status_code == 403
    assert env.client("governor").get("/visit/oak/poster").status_code == 403
    for who in ("admin", "dsl", "head"):
        poster = env.client(who).get("/visit/oak/poster")
        assert poster.status_code == 200, who
        assert "<svg" in poster.text and "http://testserver/visit/oak" in poster.text
        assert "Visiting Oak Test School?" in poster.text
    assert env.client("admin").get("/visit/elm/poster").status_code == 404


def test_purged_after_the_retention_period(
    school: SchoolBuilder, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = make_env(school, database_url, visitor_retention_days=30)
    with time_machine.travel(at(TODAY, 10), tick=True):
        _confirm(env.client(), name="Old Visitor")
        _confirm(env.client(), name="Later Visitor", visit_date="2026-11-30")
    ctx = env.context
    last_kept = TODAY + timedelta(days=30)
    with time_machine.travel(at(last_kept, 8), tick=False):
        [kept], _ = run_sweep(ctx.store, ctx.settings, ctx.config, ctx.connectors)
    # nothing past the retention: the step had nothing to do and was not run (no count)
    assert "visitors_purged" not in kept.extra and _count(env) == 2
    with time_machine.travel(at(last_kept + timedelta(days=1), 8), tick=False):
        [purged], _ = run_sweep(ctx.store, ctx.settings, ctx.config, ctx.connectors)
    assert purged.extra["visitors_purged"] == 1
    with ctx.store.session() as session:
        assert session.scalars(select(VisitorAssurance.name)).all() == ["Later Visitor"]
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "visitors.purged")
        ).one()
        assert event.details == {
            "count": 1,
            "copies": 0,
            "visited_before": "2026-11-24",
            "retention_days": 30,
        }
        assert event.actor == "system:sweep"
    # the CLI does the same, with a dry run first
    monkeypatch.setenv("COMPLIANCE_BOT_HOME", str(ctx.settings.home))
    monkeypatch.setenv("COMPLIANCE_BOT_DATABASE_URL", ctx.settings.db_url)
    runner = CliRunner()
    args = ["visitors", "purge", "--as-of", "2027-01-15"]
    dry = runner.invoke(cli_app, [*args, "--dry-run"])
    assert dry.exit_code == 0 and "1 visitor confirmation older" in dry.output
    assert "would be deleted" in dry.output and _count(env) == 1
    done = runner.invoke(cli_app, args)
    assert done.exit_code == 0 and "deleted" in done.output and _count(env) == 0
    assert runner.invoke(cli_app, [*args, "--as-of", "soon"]).exit_code == 2
    env.context.store.dispose()
