"""A report about someone who would normally hear of it (the head, a DSL, a deputy) goes to the
next in line and never to them; a staff policy breach tells the line manager, content-free."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli.main import app
from bot.core.models import AuditEvent, Report
from bot.features.reports.clocks import escalate_clocks
from bot.features.reports.routing import alert_recipients, escalation_recipients
from tests.features.reports.test_support import REF, Env, make_env, submission, sync_people
from tests.support.clock import FrozenClock
from tests.support.helpers import SchoolBuilder

NOW = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
SECRET = "UNIQUE-SUBJECT-SECRET-5150"


@pytest.fixture(name="env")
def env_with_managers(school: SchoolBuilder) -> Iterator[Env]:
    """The report school, where Amy's line manager is Dora (the business manager)."""
    made = make_env(school)
    school.people = [
        replace(r, manager="dpo@oak.example") if r.email == "amy@oak.example" else r
        for r in school.people
    ]
    school.write()
    sync_people(made.context)
    yield made
    made.context.store.dispose()


def test_routing_never_reaches_the_person_it_is_about(env: Env) -> None:
    oak = env.school
    assert alert_recipients(oak, "staff_concern", False, "dsl@oak.example") == [
        "deputy@oak.example",
        "head@oak.example",
    ]
    assert alert_recipients(oak, "staff_concern", False, "deputy@oak.example") == [
        "dsl@oak.example",
        "head@oak.example",
    ]
    # the head named as the person (a head who is also a DSL): the chair stands in
    assert alert_recipients(oak, "other", False, "head@oak.example") == [
        "dsl@oak.example",
        "deputy@oak.example",
        "chair@oak.example",
    ]
    assert escalation_recipients(oak, "lado", False, "deputy@oak.example", overdue=True) == [
        "dsl@oak.example",
        "head@oak.example",
        "chair@oak.example",
    ]
    assert escalation_recipients(oak, "ico", True, None) == [
        "dsl@oak.example",
        "deputy@oak.example",
        "chair@oak.example",
        "dpo@oak.example",
    ]


def test_the_form_shows_a_renamed_team_member_within_a_minute(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The team's names are read once a minute per web process, not on every view."""
    import bot.features.reports.web_intake as web_intake
    from bot.core.models import Person

    clock = [5000.0]
    monkeypatch.setattr(web_intake, "monotonic", lambda: clock[0])
    public = env.client()
    assert "Dan Deputy (deputy DSL)" in public.get(env.public_path).text
    with env.context.store.transaction() as session:
        deputy = session.scalars(select(Person).where(Person.email == "deputy@oak.example")).one()
        deputy.display_name = "Daniel Deputy"  # the directory's next sync
    assert "Dan Deputy (deputy DSL)" in public.get(env.public_path).text
    clock[0] += web_intake.TEAM_NAMES_FOR
    assert "Daniel Deputy (deputy DSL)" in public.get(env.public_path).text


def test_the_form_keeps_a_report_about_a_deputy_from_that_deputy(
    env: Env, frozen_clock: FrozenClock
) -> None:
    # filed at NOW on the wall clock too, so that NOW + 30 days is past its deadline whatever
    # the real date
    frozen_clock.at(NOW.date(), NOW.hour, NOW.minute, tick=True)
    public = env.client()
    page = public.get(env.public_path).text
    assert "Dan Deputy (deputy DSL)" in page and "Dee Lead (Designated Safeguarding Lead)" in page
    assert "deputy@oak.example" not in page  # positions, never addresses
    response = env.submit(
        public,
        category="staff_concern",
        involved=["staff"],
        about_person="deputy-1",
        what_happened=SECRET,
    )
    assert response.status_code == 200, response.text
    ref = REF.search(response.text)
    assert ref is not None
    (alert,) = env.outbox("report_alert")
    assert alert.recipients == ["dsl@oak.example", "head@oak.example"]
    deputy = env.client("deputy")
    assert deputy.get(f"/reports/{ref.group(0)}").status_code == 404
    assert ref.group(0) not in deputy.get("/reports").text
    assert SECRET in env.client("dsl").get(f"/reports/{ref.group(0)}").text
    # its deadline is chased without the deputy, the chair copied once it has passed
    with env.context.store.transaction() as session:
        escalate_clocks(
            session, env.school, NOW + timedelta(days=30), base_url=lambda: "x", write=True
        )
    (late,) = env.outbox("report_escalation")
    assert "deputy@oak.example" not in late.recipients
    assert "chair@oak.example" in late.recipients


def test_a_choice_not_on_the_list_is_a_clear_error(env: Env) -> None:
    public = env.client()
    response = env.submit(public, about_person="deputy@oak.example")
    assert response.status_code == 422
    assert "Choose who in the safeguarding team it is about from the list." in response.text
    with env.context.store.session() as session:
        assert session.scalar(select(Report.id)) is None


@pytest.fixture
def cli(env: Env, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A runner whose environment points at the test school."""
    settings = env.context.settings
    monkeypatch.setenv("COMPLIANCE_BOT_HOME", str(settings.home))
    monkeypatch.setenv("COMPLIANCE_BOT_DATABASE_URL", settings.db_url)
    monkeypatch.setenv("COMPLIANCE_BOT_SECRET_KEY", settings.signing_key())
    monkeypatch.setenv("COMPLIANCE_BOT_BASE_URL", "https://bot.oak.example")
    return CliRunner()


def test_a_staff_breach_tells_the_line_manager_without_what_or_who(
    env: Env, cli: CliRunner
) -> None:
    ref = env.store_report(
        submission(
            category="mobile_device", what_happened=SECRET, involved=(("staff", "Amy Able"),)
        ),
        NOW,
    )
    result = cli.invoke(
        app, ["reports", "about", ref, "amy@oak.example", "--as", "dsl@oak.example"]
    )
    assert result.exit_code == 0, result.output
    assert "line manager (dpo@oak.example) will be told" in result.output
    (told,) = env.outbox("report_line_manager")
    assert told.recipients == ["dpo@oak.example"]
    for part in (told.subject, told.payload["text"], told.payload["html"]):
        assert SECRET not in part and "Amy" not in part and "mobile" not in part.lower()
    assert ref in told.subject
    again = cli.invoke(app, ["reports", "about", ref, "amy@oak.example", "--as", "dsl@oak.example"])
    assert again.exit_code == 0 and len(env.outbox("report_line_manager")) == 1
    assert env.report(ref).about_person == "amy@oak.example"
    with env.context.store.session() as session:
        actions = set(session.scalars(select(AuditEvent.action)))
    assert {"report.subject_recorded", "report.line_manager_told"} <= actions


def test_an_allegation_never_goes_to_the_line_manager(env: Env, cli: CliRunner) -> None:
    ref = env.store_report(submission(category="staff_concern"), NOW)
    result = cli.invoke(
        app, ["reports", "about", ref, "amy@oak.example", "--as", "dsl@oak.example"]
    )
    assert result.exit_code == 0, result.output
    assert "line manager" not in result.output
    assert env.outbox("report_line_manager") == []


def test_recording_a_deputy_hides_the_report_from_them(env: Env, cli: CliRunner) -> None:
    ref = env.store_report(submission(category="other"), NOW)
    assert env.client("deputy").get(f"/reports/{ref}").status_code == 200
    result = cli.invoke(
        app, ["reports", "about", ref, "deputy@oak.example", "--as", "head@oak.example"]
    )
    assert result.exit_code == 0, result.output
    assert env.client("deputy").get(f"/reports/{ref}").status_code == 404
    unknown = cli.invoke(
        app, ["reports", "about", ref, "nobody@oak.example", "--as", "head@oak.example"]
    )
    assert unknown.exit_code == 2 and "not in Oak Test School's directory" in unknown.output
    missing = cli.invoke(
        app, ["reports", "about", "CR-2026-9999", "amy@oak.example", "--as", "head@oak.example"]
    )
    assert missing.exit_code == 2 and "has no report CR-2026-9999" in missing.output
