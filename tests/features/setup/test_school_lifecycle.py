"""Each school of a trust its own preview / "Start sending" (#54 item 1;
bot.core.deployment.setup_state):
on SQLite and PostgreSQL, Hillside's admin starting sends nothing of Oakfield's until Oakfield's
own head starts it; a trust-wide administrator can start any school or all of them; the audit
names the school; a school added to a live trust starts in preview; the state is sealed, so a
change made in SQL behind the bot's back is named by ``audit verify`` (#55 item 6)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from alembic import command
from sqlalchemy import func, select, text
from typer.testing import CliRunner

from bot.cli.main import app as cli
from bot.core.audit.check import check
from bot.core.database.store import Store, alembic_config
from bot.core.deployment.context import AppContext
from bot.core.deployment.setup_state import begin_setup, is_sending, start_sending
from bot.core.models import AuditEvent, OutboxMessage, SchoolLifecycle
from bot.engine.sweep import run_sweep
from bot.web.app import create_app
from tests.features.reports.test_support import TestClient, csrf_of, sign_in
from tests.support.helpers import Row, SchoolBuilder, at
from tests.support.keys import TEST_KEYS

MONDAY = date(2026, 11, 23)
TRUST_ADMIN = "trust@oak.example"
NAMES = {"oak": "Oakfield Primary", "hill": "Hillside Academy"}


def _school(sid: str) -> dict[str, Any]:
    domain = f"{sid}.example"
    return {
        "id": sid,
        "name": NAMES[sid],
        "headteacher": f"head@{domain}",
        "dsl": [f"head@{domain}"],
        "admins": [f"admin@{domain}"],
        "policies": [
            {
                "id": f"safeguarding-{sid}",
                "title": "Safeguarding Policy",
                "version": "1",
                "document": f"policies/safeguarding-{sid}.md",
                "published": str(MONDAY),
            }
        ],
        "requirements": [
            {
                "id": f"ack-{sid}",
                "kind": "acknowledge_policy",
                "policy": f"safeguarding-{sid}",
                "audience": {"roles": ["staff"]},
                "due_days": 14,
            }
        ],
    }


def _trust(school: SchoolBuilder, url: str) -> AppContext:
    """Oakfield and Hillside, one trust; trust@oak.example administers both; set up (both in
    preview)."""
    school.school = _school("oak")
    school.others = [_school("hill")]
    school.organisation = {"name": "Test Trust", "trust_admins": [TRUST_ADMIN]}
    school.people = [
        Row(
            f"{who}@{sid}.example", f"{who.title()} {sid.title()}", "staff", "All Staff", school=sid
        )
        for sid in NAMES
        for who in ("head", "admin", "amy", "ben")
    ] + [Row(TRUST_ADMIN, "Tara Trust", "staff", "All Staff", school="oak")]
    for sid in NAMES:
        (school.home / "policies" / f"safeguarding-{sid}.md").write_text(
            f"# Safeguarding {sid}\n", encoding="utf-8"
        )
    context = school.context(url, demo=True, base_url="http://testserver")
    with context.store.transaction() as session:
        begin_setup(session, source="file", by="cli:init", now=at(MONDAY, 7))
    return context


def _sweep(context: AppContext, hour: int) -> dict[str, bool]:
    """One sweep of the trust (nothing delivered); each school's preview flag."""
    results, _ = run_sweep(
        context.store,
        context.settings,
        context.config,
        context.connectors,
        as_of=MONDAY,
        now=at(MONDAY, hour),
        deliver=False,
    )
    return {r.school_id: r.preview for r in results}


def _queued(context: AppContext) -> dict[str, int]:
    """Held-in-preview kinds of message queued, per school."""
    with context.store.session() as session:
        rows = session.execute(
            select(OutboxMessage.school_id, func.count())
            .where(OutboxMessage.purpose.in_(("reminder", "digest")))
            .group_by(OutboxMessage.school_id)
        )
        return {sid: n for sid, n in rows}


@pytest.fixture
def trust(school: SchoolBuilder, database_url: str) -> Iterator[AppContext]:
    context = _trust(school, database_url)
    yield context
    context.store.dispose()


def _start(client: TestClient, school_id: str | None = None) -> int:
    """Press "Start sending" (on /setup), for ``school_id`` when given; the status code."""
    data = {"csrf_token": csrf_of(client.get("/setup").text)}
    if school_id is not None:
        data["school"] = school_id
    return client.post("/setup/start-sending", data=data, follow_redirects=False).status_code


def test_hillside_starting_sends_nothing_of_oakfields_until_its_own_head_starts(
    trust: AppContext,
) -> None:
    assert _sweep(trust, 8) == {"oak": True, "hill": True} and _queued(trust) == {}
    client = TestClient(create_app(trust.settings))
    sign_in(client, "admin@hill.example")
    page = client.get("/setup").text
    assert "Hillside Academy is in preview" in page and "Oakfield" not in page
    assert _start(client, "oak") == 403  # another school's: only a trust-wide administrator
    assert _start(client) == 303  # their own school
    assert "Hillside Academy is sending" in client.get("/setup").text
    assert "Hillside Academy is sending" in client.get("/dashboard").text
    assert _sweep(trust, 9) == {"oak": True, "hill": False}
    queued = _queued(trust)
    assert queued.get("hill", 0) > 0 and "oak" not in queued  # Oakfield: nothing at all
    sign_in(client, "head@oak.example")
    assert "Oakfield Primary is in preview" in client.get("/setup").text
    dashboard = client.get("/dashboard").text
    assert "Preview: nothing has been sent yet" in dashboard
    assert _start(client) == 303
    assert _sweep(trust, 10) == {"oak": False, "hill": False}
    assert _queued(trust).get("oak", 0) > 0
    with trust.store.session() as session:
        started = session.execute(
            select(AuditEvent.actor, AuditEvent.school_id, AuditEvent.object_id)
            .where(AuditEvent.action == "sending.started")
            .order_by(AuditEvent.seq)
        ).all()
        assert [tuple(r) for r in started] == [
            ("admin@hill.example", "hill", "hill"),
            ("head@oak.example", "oak", "oak"),
        ]
        assert check(session).ok  # each school's state is sealed as the bot wrote it


def test_a_trust_admin_starts_every_school_and_a_school_added_later_starts_in_preview(
    trust: AppContext, school: SchoolBuilder
) -> None:
    _sweep(trust, 8)  # the directory is read: the trust's administrator is known
    client = TestClient(create_app(trust.settings))
    sign_in(client, TRUST_ADMIN)
    page = client.get("/setup").text
    assert "Start sending for Hillside Academy" in page and "Start sending for every school" in page
    assert _start(client, "*") == 303
    with trust.store.session() as session:
        assert is_sending(session, "oak") and is_sending(session, "hill")
        assert not is_sending(session, "ash")  # a school added to the live trust
    school.others.append(_school("hill") | {"id": "ash", "name": "Ash Grove School"})
    NAMES["ash"] = "Ash Grove School"
    try:
        later = school.context(trust.settings.database_url)
        assert _sweep(later, 9) == {"oak": False, "hill": False, "ash": True}
        later.store.dispose()
    finally:
        del NAMES["ash"]


def test_start_sending_on_the_command_line_takes_a_school_or_all(
    school: SchoolBuilder, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    context = _trust(school, sqlite_url)
    monkeypatch.setenv("COMPLIANCE_BOT_HOME", str(school.home))
    monkeypatch.setenv("COMPLIANCE_BOT_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("COMPLIANCE_BOT_SECRET_KEY", "test-secret-key-0123456789-abcdefghij")
    runner = CliRunner()
    which = runner.invoke(cli, ["start-sending"])
    assert which.exit_code == 2 and "hill for Hillside Academy" in which.output
    other = runner.invoke(cli, ["start-sending", "--school", "oak", "--as", "admin@hill.example"])
    assert other.exit_code == 2 and "not the head or an admin of Oakfield Primary" in other.output
    own = runner.invoke(cli, ["start-sending", "--school", "hill", "--as", "admin@hill.example"])
    assert own.exit_code == 0 and "Sending has started at Hillside Academy" in own.output
    status = runner.invoke(cli, ["status"]).output
    assert status.count("Preview: no reminder or request is sent") == 1  # Oakfield's only
    every = runner.invoke(cli, ["start-sending", "--all", "--as", TRUST_ADMIN])
    assert every.exit_code == 0, every.output
    assert "Sending has started at Oakfield Primary" in every.output
    assert "Hillside Academy had already started" in every.output
    with context.store.session() as session:
        assert is_sending(session, "oak") and is_sending(session, "hill")
    context.store.dispose()


def test_a_lifecycle_changed_in_sql_is_named_by_audit_verify(trust: AppContext) -> None:
    with trust.store.transaction() as session:
        start_sending(session, "hill", by="admin@hill.example", now=at(MONDAY, 9))
    _sweep(trust, 9)  # the schools are stored: the finding can name them
    with trust.store.session() as session:
        assert check(session).ok
    with trust.store.engine.begin() as conn:  # someone with database access, not the bot
        conn.execute(
            text(
                "UPDATE school_lifecycles SET sending_started_at = NULL,"
                " sending_started_by = NULL WHERE school_id = 'hill'"
            )
        )
        conn.execute(
            text(
                "INSERT INTO school_lifecycles (school_id, created_at,"
                " sending_started_at, sending_started_by) VALUES ('oak',"
                " '2026-11-23 09:00:00', '2026-11-23 09:00:00', 'someone')"
            )
        )
    with trust.store.session() as session:
        assert not is_sending(session, "hill") and is_sending(session, "oak")
        verdict = check(session)
    assert not verdict.ok
    assert (
        "Whether Hillside Academy has started sending was changed after it was recorded "
        "(sending started at, sending started by)."
    ) in verdict.problems
    assert (
        "Whether Oakfield Primary has started sending is not in the audit log: it was added"
        " directly to the database, or the log was cut short."
    ) in verdict.problems


@pytest.mark.parametrize("set_up", [True, False], ids=["set-up", "before-setup"])
def test_0042_gives_every_stored_school_the_installs_state_sealed(
    database_url: str, set_up: bool
) -> None:
    store = Store(database_url, keys=TEST_KEYS)
    command.upgrade(alembic_config(store.engine), "0041")
    with store.engine.begin() as conn:
        for sid, name in NAMES.items():
            conn.execute(
                text(
                    "INSERT INTO schools (id, name, created_at) VALUES"
                    " (:id, :name, '2026-09-01 08:00:00')"
                ),
                {"id": sid, "name": name},
            )
        if set_up:
            conn.execute(
                text(
                    "INSERT INTO setup_state (config_source, begun_at, begun_by, "
                    "sending_started_at, sending_started_by) VALUES ('web', '2026-09-01 08:00:00', "
                    "'cli:init', '2026-09-02 08:00:00', 'head@oak.example')"
                )
            )
    store.upgrade()
    with store.session() as session:
        rows = session.scalars(select(SchoolLifecycle).order_by(SchoolLifecycle.school_id)).all()
        assert [r.school_id for r in rows] == ["hill", "oak"]
        by = {r.sending_started_by for r in rows}
        assert by == ({"head@oak.example"} if set_up else {"system:upgrade"})
        assert is_sending(session, "oak") and is_sending(session, "hill")
        assert not is_sending(session, "ash")  # a school added later starts in preview
        verdict = check(session)
        assert verdict.ok, verdict.problems
        assert verdict.records["school_lifecycle"] == 2
    command.downgrade(alembic_config(store.engine), "0041")
    store.dispose()
