"""The weekly digest: when it is queued, that it is queued once, what it says, how it validates,
and its command line (with ``teams package``)."""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli.main import app
from bot.core.config import SchoolConfig
from bot.core.days.clock import LONDON
from bot.core.deployment.context import AppContext
from bot.core.deployment.settings import Settings
from bot.core.models import OutboxMessage
from bot.core.outbox import dispatch
from bot.features.dashboard.cards import week_key
from bot.features.dashboard.digest import (
    DIGEST_TIME,
    build_digest,
    channel_configured,
    dashboard_url,
    digest_due,
    digest_keys,
    digest_step,
    queue_digest,
)
from tests.features.dashboard.test_cards import card_errors, chat_validator
from tests.features.dashboard.test_support import NOW, SECRET, TODAY, Env
from tests.features.dashboard.test_teams_package import manifest_errors
from tests.support.helpers import step_context

pytest_plugins = ("tests.features.dashboard.test_support",)  # the env and frozen fixtures

MONDAY = date(2026, 11, 23)
APP_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"


def school_config(**extra: Any) -> SchoolConfig:
    """A school with the autumn term and a holiday on Monday 30 November."""
    return SchoolConfig.model_validate(
        {
            "id": "oak",
            "name": "Oak Test School",
            "headteacher": "head@oak.example",
            "terms": [{"name": "Autumn", "start": "2026-09-02", "end": "2026-12-18"}],
            "holidays": ["2026-11-30"],
            **extra,
        }
    )


def london(day: date, hour: int, minute: int = 0) -> datetime:
    """A London wall-clock time, as aware UTC."""
    return datetime.combine(day, time(hour, minute), tzinfo=LONDON).astimezone(UTC)


@pytest.mark.parametrize(
    ("today", "now", "due"),
    [
        (MONDAY, london(MONDAY, 7, 29), False),  # before 07:30
        (MONDAY, london(MONDAY, 7, 30), True),
        (MONDAY, london(MONDAY, 16, 0), True),
        (MONDAY + timedelta(days=1), london(MONDAY + timedelta(days=1), 6, 0), True),  # catch-up
        (date(2026, 11, 28), london(date(2026, 11, 28), 9, 0), False),  # Saturday
        (date(2026, 11, 30), london(date(2026, 11, 30), 9, 0), False),  # a holiday Monday
        (date(2026, 12, 1), london(date(2026, 12, 1), 7, 0), False),  # first school day, 07:00
        (date(2026, 12, 1), london(date(2026, 12, 1), 7, 45), True),
        (date(2026, 12, 22), london(date(2026, 12, 22), 9, 0), False),  # the holidays
        (MONDAY, london(MONDAY + timedelta(days=2), 6, 0), True),  # an "as of" sweep
    ],
)
def test_when_the_digest_is_due(today: date, now: datetime, due: bool) -> None:
    assert digest_due(school_config(), today, now) is due


def test_keys_are_per_school_and_iso_week() -> None:
    assert week_key(date(2027, 1, 1)) == "2026-W53"
    assert digest_keys("oak", MONDAY) == ("digest:oak:2026-W48", "digest:oak:2026-W48:email")
    assert digest_keys("oak", MONDAY + timedelta(days=4)) == digest_keys("oak", MONDAY)
    assert time(7, 30) == DIGEST_TIME


def test_channel_configured_mirrors_the_connectors() -> None:
    assert channel_configured(Settings(connector="local"))
    assert not channel_configured(Settings(connector="m365"))
    assert channel_configured(
        Settings.model_validate(
            {"connector": "m365", "m365": {"teams_webhook_url": "https://x.example/hook"}}
        )
    )
    assert not channel_configured(Settings(connector="google"))
    assert channel_configured(
        Settings.model_validate(
            {"connector": "google", "google": {"chat_webhook_url": "https://chat.example/hook"}}
        )
    )


def test_dashboard_url_names_the_school_in_a_trust() -> None:
    assert dashboard_url("https://bot.example/", "oak", several_schools=False) == (
        "https://bot.example/dashboard"
    )
    assert dashboard_url("https://bot.example", "oak", several_schools=True) == (
        "https://bot.example/dashboard?school=oak"
    )


# --------------------------------------------------------------------------- the sweep step


def outbox(env: Env) -> list[OutboxMessage]:
    """Every digest row in the outbox."""
    with env.context.store.session() as session:
        return list(
            session.scalars(
                select(OutboxMessage)
                .where(
                    OutboxMessage.purpose == "digest",
                    # the fixture's own sweeps (week 47) queue that week's digest too
                    OutboxMessage.idempotency_key.not_like("%2026-W47%"),
                )
                .order_by(OutboxMessage.id)
            )
        )


def test_sweep_queues_once_a_week_from_monday_0730(any_env: Env) -> None:
    env = any_env
    env.sweep(MONDAY, hour=7, minute=15)  # 07:30 London is the earliest
    assert outbox(env) == []
    env.sweep(MONDAY, hour=7, minute=45)
    rows = outbox(env)
    assert [(r.channel, r.idempotency_key) for r in rows] == [
        ("card", "digest:oak:2026-W48"),
        ("email", "digest:oak:2026-W48:email"),
    ]
    for row in rows:  # sent when the sending window opens, 08:00 London
        assert row.next_attempt_at == london(MONDAY, 8, 0)
    card, email = rows
    assert email.recipients == ["head@oak.example"]
    assert card.payload["teams"]["attachments"][0]["content"]["type"] == "AdaptiveCard"
    for later in (MONDAY, MONDAY + timedelta(days=1), MONDAY + timedelta(days=4)):
        env.sweep(later, hour=10)  # every sweep of the week: nothing new
    assert len(outbox(env)) == 2
    env.sweep(MONDAY + timedelta(days=7), hour=9)
    assert [r.idempotency_key for r in outbox(env)][2:] == [
        "digest:oak:2026-W49",
        "digest:oak:2026-W49:email",
    ]


def test_no_channel_means_email_only(env: Env) -> None:
    m365 = AppContext(env.context.settings.model_copy(update={"connector": "m365"}))
    with env.context.store.transaction() as session:
        counts = digest_step(
            step_context(
                env.context,
                session,
                env.context.config.school("oak"),
                london(MONDAY, 9),
                settings=m365.settings,
            )
        )
    assert counts == {"digest_queued": 1}
    assert [r.channel for r in outbox(env)] == ["email"]


def test_dry_run_writes_nothing(read_sqlite_env: Env, frozen: None) -> None:
    env = read_sqlite_env
    ctx = env.context
    with ctx.store.transaction() as session:
        counts = digest_step(
            step_context(ctx, session, ctx.config.school("oak"), london(MONDAY, 9), write=False)
        )
    assert counts == {"digest_queued": 1}
    assert outbox(env) == []


def test_the_step_links_use_the_deployment_base_url(any_env: Env) -> None:
    env = any_env
    school = env.context.config.school("oak")
    ctx = env.context
    settings = ctx.settings.model_copy(update={"base_url": "https://bot.oak.example"})
    with ctx.store.transaction() as session:
        run = step_context(ctx, session, school, london(MONDAY, 9), settings=settings)
        assert digest_step(run) == {"digest_queued": 1}
    [card, _] = outbox(env)
    actions = card.payload["teams"]["attachments"][0]["content"]["actions"]
    assert actions[0]["url"] == "https://bot.oak.example/dashboard"


# --------------------------------------------------------------------------- what it says


def test_digest_figures_match_the_dashboard_and_cards_validate(
    read_sqlite_env: Env, frozen: None
) -> None:
    env = read_sqlite_env
    school = env.context.config.school("oak")
    with env.context.store.session() as session:
        d = build_digest(session, school, TODAY, base_url="https://bot.oak.example", now=NOW)
    f = d.figures
    assert (f.ack_rate, f.training_rate) == (0.5, 1 / 7)
    assert (f.aup_unsigned_accounts, f.aup_accounts_total) == (1, 1)
    assert (f.policies_overdue, f.policies_due_soon, f.overdue_duties) == (1, 1, 13)
    assert (f.open_reports, f.reports_with_running_clocks) == (2, 2)  # not the one about the head
    assert f.per_policy == (("Child Protection Policy", 5 / 8), ("Online Safety Policy", 3 / 8))
    assert f.dashboard_url == "https://bot.oak.example/dashboard"
    assert card_errors(d.card) == []  # the official Adaptive Card 1.5 schema
    assert d.card["version"] == "1.5"
    assert d.card["actions"][0] == {
        "type": "Action.OpenUrl",
        "title": "Open dashboard",
        "url": f.dashboard_url,
    }
    assert d.teams["attachments"][0]["content"] == d.card
    assert not list(chat_validator().iter_errors(d.chat))  # the Chat API's Message schema
    for rendering in (json.dumps(d.card), json.dumps(d.chat), d.text):
        assert SECRET not in rendering and "CR-2026" not in rendering


def test_email_to_the_headteacher(env: Env) -> None:
    school = env.context.config.school("oak")
    with env.context.store.transaction() as session:
        result = queue_digest(
            session,
            school,
            MONDAY,
            london(MONDAY, 9),
            base_url="https://bot.oak.example",
            channel=True,
        )
    assert result.card and result.email and result.queued
    stats = dispatch(
        env.context.store,
        env.context.connectors.mailer,
        env.context.connectors.notifier,
        now=lambda: london(MONDAY, 9, 1),
    )
    assert {"digest:oak:2026-W48", "digest:oak:2026-W48:email"} <= set(stats.sent_keys)
    [text] = [
        t
        for t in (
            p.read_text(encoding="utf-8") for p in env.context.settings.outbox_dir.glob("*.eml")
        )
        if "digest:oak:2026-W48:email" in t  # the fixture's week-47 digest is there too
    ]
    assert "To: head@oak.example" in text
    assert "Weekly compliance digest" in text and "week 2026-W48" in text
    assert "https://bot.oak.example/dashboard" in text
    assert SECRET not in text
    channel = (env.context.settings.home / "channel.jsonl").read_text(encoding="utf-8")
    assert "AdaptiveCard" in channel and SECRET not in channel
    with env.context.store.transaction() as session:
        again = queue_digest(
            session,
            school,
            MONDAY + timedelta(days=2),
            london(MONDAY, 9),
            base_url="https://bot.oak.example",
            channel=True,
        )
    assert not again.queued


# --------------------------------------------------------------------------- command line


@pytest.fixture
def cli(env: Env, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A runner whose environment points at the test school."""
    return _runner(env, monkeypatch)


@pytest.fixture
def read_cli(read_sqlite_env: Env, frozen: None, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """``cli`` at the module's shared school (for commands that only read it)."""
    return _runner(read_sqlite_env, monkeypatch)


def _runner(env: Env, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    settings = env.context.settings
    monkeypatch.setenv("COMPLIANCE_BOT_HOME", str(settings.home))
    monkeypatch.setenv("COMPLIANCE_BOT_DATABASE_URL", settings.db_url)
    monkeypatch.setenv("COMPLIANCE_BOT_SECRET_KEY", settings.signing_key())
    monkeypatch.setenv("COMPLIANCE_BOT_BASE_URL", "https://bot.oak.example")
    monkeypatch.setenv("COLUMNS", "200")  # Rich tables wide enough to read whole names
    return CliRunner()


def test_cli_preview_prints_valid_cards_and_sends_nothing(
    read_sqlite_env: Env, read_cli: CliRunner
) -> None:
    env, cli = read_sqlite_env, read_cli
    result = cli.invoke(app, ["digest", "--preview", "--as-of", MONDAY.isoformat()])
    assert result.exit_code == 0, result.output
    card = json.loads(result.stdout)
    assert card_errors(card) == []
    assert "2026-W48" in json.dumps(card)
    chat = cli.invoke(app, ["digest", "--preview", "--chat"])
    assert chat.exit_code == 0, chat.output
    assert not list(chat_validator().iter_errors(json.loads(chat.stdout)))
    text = cli.invoke(app, ["digest", "--preview", "--text"])
    assert "Weekly compliance digest — Oak Test School" in text.stdout
    assert outbox(env) == []
    assert cli.invoke(app, ["digest"]).exit_code == 2
    assert cli.invoke(app, ["digest", "--send", "--chat"]).exit_code == 2
    assert cli.invoke(app, ["digest", "--preview", "--school", "nope"]).exit_code == 2


def test_cli_send_queues_once_a_week(env: Env, cli: CliRunner) -> None:
    first = cli.invoke(app, ["digest", "--send", "--as-of", MONDAY.isoformat()])
    assert first.exit_code == 0, first.output
    assert "Queued" in first.output and "head@oak.example" in first.output
    assert first.output.count("using ") == 1  # which school's data: said once
    second = cli.invoke(app, ["digest", "--send", "--as-of", "2026-11-26"])
    assert "already queued" in second.output
    # what was queued is said in the school's words, never the outbox's own key
    assert "digest:" not in first.output + second.output
    assert len(outbox(env)) == 2
    delivered = cli.invoke(app, ["digest", "--send", "--as-of", "2026-11-30", "--deliver"])
    assert delivered.exit_code == 0, delivered.output
    assert "Delivered" in delivered.output


def _tile(output: str, label: str) -> str:
    """The figure printed above ``label`` in the same tile of ``status`` (not anywhere else)."""
    lines = output.splitlines()
    row = next(n for n, line in enumerate(lines) if f"│ {label}" in line)
    column = lines[row].index(f"│ {label}")
    return lines[row - 1][column:].split("│")[1].strip()


def test_cli_status_shows_the_dashboard_figures(read_cli: CliRunner) -> None:
    cli = read_cli
    result = cli.invoke(app, ["status"])
    assert result.exit_code == 0, result.output
    assert "Acknowledgements: 50% (target 95%)   Training: 14%" in result.output  # headline
    assert _tile(result.output, "policies acknowledged") == "50%"
    assert _tile(result.output, "training up to date") == "14%"
    assert _tile(result.output, "overdue duties") == "13"
    assert _tile(result.output, "open reports") == "2"
    for words in (
        "Things needing you now",
        "13 overdue staff duties",
        "Online Safety Policy",
        "Safeguarding",
        "School Facebook page",
        "Open reports by urgency",
    ):
        assert words in result.output, words
    assert SECRET not in result.output and "CR-2026" not in result.output


def test_cli_teams_package_builds_a_valid_manifest(read_cli: CliRunner, tmp_path: Path) -> None:
    cli = read_cli
    target = tmp_path / "dist" / "teams.zip"
    result = cli.invoke(
        app,
        [
            "teams",
            "package",
            "--host",
            "school.example.org",
            "--app-id",
            APP_ID,
            "--out",
            str(target),
        ],
    )
    assert result.exit_code == 0, result.output
    manifest = json.loads(zipfile.ZipFile(target).read("manifest.json"))
    assert manifest_errors(manifest) == []  # the official Teams manifest schema
    assert manifest["staticTabs"][0]["contentUrl"] == (
        "https://school.example.org/dashboard?theme={theme}&inTeams=1"
    )
    bad = cli.invoke(
        app, ["teams", "package", "--host", "https://school.example.org", "--app-id", APP_ID]
    )
    assert bad.exit_code == 2 and "without a scheme" in bad.output


@pytest.mark.parametrize(
    ("today", "now", "due"),
    [
        (MONDAY, london(MONDAY, 7, 29), False),
        (MONDAY, london(MONDAY, 9, 0), True),  # Monday morning in term, as the email says
        (MONDAY, london(MONDAY, 18, 30), False),  # not the evening a school starts sending
        (MONDAY + timedelta(days=2), london(MONDAY + timedelta(days=2), 9, 0), False),  # Wed
        (MONDAY + timedelta(days=2), london(MONDAY + timedelta(days=2), 19, 0), False),
        (date(2026, 11, 30), london(date(2026, 11, 30), 9, 0), False),  # a holiday Monday
        (date(2026, 12, 1), london(date(2026, 12, 1), 8, 0), True),  # that week's first day
        (date(2026, 12, 22), london(date(2026, 12, 22), 9, 0), False),  # the holidays
    ],
)
def test_the_trusts_overview_is_due_on_the_weeks_first_school_morning_only(
    today: date, now: datetime, due: bool
) -> None:
    assert digest_due(school_config(), today, now, catch_up=False) is due
