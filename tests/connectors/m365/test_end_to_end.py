"""The whole bot on Microsoft 365: directory by delta, duties, one digest each by sendMail,
leavers, the Teams card — the real sweep and outbox against the fake Graph."""

from __future__ import annotations

import email
import email.policy
from datetime import date, datetime
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from bot.core.deployment.context import AppContext
from bot.core.deployment.settings import Settings
from bot.core.models import Duty, OutboxMessage, Person, Report
from bot.core.ports import Connectors
from bot.engine.sweep import run_sweep
from bot.features.reports.forms import poll_forms
from tests.connectors.contract.kit_m365 import m365_settings
from tests.support.fakes.graph import FakeClock, FakeGraph
from tests.support.helpers import SchoolBuilder, at

pytest.importorskip("msgraph", reason="msgraph-sdk is not installed (uv sync --extra m365)")

from connectors.m365.connector import build

MONDAY = date(2026, 11, 23)
ADA, BEN = "ada.head@oakfield.example", "ben.teacher@oakfield.example"


def _school(tmp_path: Path, sqlite_url: str) -> tuple[Settings, FakeGraph, Connectors, AppContext]:
    """Oakfield on the fake Microsoft 365: a policy staff must acknowledge; people from Graph."""
    builder = SchoolBuilder(tmp_path / "home")
    builder.people = []  # the people come from Graph, not a file
    builder.school.update(headteacher=ADA, dsl=[ADA], deputy_dsl=[])
    builder.policy("online-safety", "2026.1", title="Online Safety Policy", published="2026-11-02")
    builder.requirement(
        id="ack-os",
        kind="acknowledge_policy",
        policy="online-safety",
        audience={"roles": ["staff"]},
    )
    home = builder.write()
    settings = m365_settings(home).model_copy(
        update={
            "database_url": sqlite_url,
            "secret_key": SecretStr("test-secret-key-0123456789-abcdefghij"),
        }
    )
    clock = FakeClock()
    fake = FakeGraph(clock=clock)
    fake.seed_population()
    connectors = build(settings, transport=fake.transport, clock=clock, sleep=clock.sleep)
    return settings, fake, connectors, AppContext(settings)


def _read_forms(settings: Settings, connectors: Connectors, ctx: AppContext, now: datetime) -> None:
    """The scheduler's minute job: the Microsoft form's new responses become reports."""
    assert connectors.forms is not None
    poll_forms(
        ctx.store,
        ctx.config,
        connectors.forms,
        now=now,
        base_url=settings.base_url,
        channel_card=connectors.notifier is not None,
    )


def test_a_school_on_microsoft_365_runs_end_to_end(tmp_path: Path, sqlite_url: str) -> None:
    settings, fake, connectors, ctx = _school(tmp_path, sqlite_url)
    _read_forms(settings, connectors, ctx, at(MONDAY))
    _, stats = run_sweep(ctx.store, settings, ctx.config, connectors, as_of=MONDAY, now=at(MONDAY))
    assert stats is not None and stats.failed == stats.delivery_unknown == 0
    # staff (Ada, Ben) owe the acknowledgement; Cara is a governor; Dan's account is disabled
    to = sorted(
        addr for mail in fake.sent for addr in _recipients(mail.mime) if mail.mime is not None
    )
    assert ADA in to and BEN in to
    assert "cara.governor@oakfield.example" not in to and "dan.left@oakfield.example" not in to
    ben_mail = next(m for m in fake.sent if m.mime and BEN in _recipients(m.mime))
    parsed = email.message_from_bytes(ben_mail.mime or b"", policy=email.policy.default)
    assert isinstance(parsed, email.message.EmailMessage)
    assert "Online Safety Policy" in parsed.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert parsed.get_body(("html",)) is not None
    assert fake.rejected == []
    # the Microsoft form's two responses (read by the minute job) became tracked reports,
    # mirrored to the SharePoint list with minimal fields; the DSL was alerted without the
    # contents
    rows = fake.rows_of("Safeguarding reports")
    with ctx.store.session() as session:
        stored = set(session.scalars(select(Report.reference)))
    assert len(stored) == 2 and set(rows) == stored
    keys = [m.key for m in fake.sent]
    assert all(f"report-alert:oak:{ref}" in keys for ref in stored)
    everything = b"".join(m.mime or b"" for m in fake.sent).decode("utf-8", "replace")
    everything += repr(rows)
    assert "Fictional test text" not in everything

    # later the same day: reminders and digests are not sent again (only a clock escalation
    # may be new), and the directory costs two requests
    mark = len(fake.requests)
    run_sweep(ctx.store, settings, ctx.config, connectors, as_of=MONDAY, now=at(MONDAY, 11))
    assert set(fake.keys_sent().values()) == {1}
    new_keys = [m.key or "" for m in fake.sent[len(keys) :]]
    assert all(k.startswith("report-escalation:") for k in new_keys), new_keys
    directory_reads = [r.url.path for r in fake.requests[mark:] if "delta()" in r.url.path]
    assert directory_reads == ["/v1.0/users/delta()", "/v1.0/groups/delta()"]

    # Ben leaves (account disabled): missing for the grace period, then his duty closes as
    # "left" and he is kept, not deleted
    fake.update_user("u-2", accountEnabled=False)
    run_sweep(
        ctx.store,
        settings,
        ctx.config,
        connectors,
        as_of=date(2026, 11, 24),
        now=at(date(2026, 11, 24)),
    )
    with ctx.store.session() as session:
        ben = session.scalar(select(Person).where(Person.email == BEN))
        assert ben is not None and ben.active and ben.missing_since == date(2026, 11, 24)
        statuses = set(session.scalars(select(Duty.status).where(Duty.person_id == ben.id)))
        assert statuses == {"open"}  # still owed while missing
    run_sweep(
        ctx.store,
        settings,
        ctx.config,
        connectors,
        as_of=date(2026, 12, 1),
        now=at(date(2026, 12, 1)),
    )
    with ctx.store.session() as session:
        ben = session.scalar(select(Person).where(Person.email == BEN))
        assert ben is not None and not ben.active and ben.left_on == date(2026, 12, 1)
        statuses = set(session.scalars(select(Duty.status).where(Duty.person_id == ben.id)))
        assert statuses == {"left"}
        keys = session.scalars(select(OutboxMessage.idempotency_key)).all()
    assert len(keys) == len(set(keys))
    assert len(fake.keys_sent()) == len(fake.sent)  # every delivery carried its own key once
    # Monday's weekly digest card went to the Teams channel through the Workflows webhook
    assert fake.posted and fake.posted[0]["type"] == "message"
    connectors.mailer.client.close()  # type: ignore[attr-defined]


def _recipients(mime: bytes | None) -> list[str]:
    message = email.message_from_bytes(mime or b"", policy=email.policy.default)
    return [a.addr_spec for name in ("To", "Cc") if message[name] for a in message[name].addresses]


def test_an_unreadable_directory_does_not_stop_the_report_clocks(
    tmp_path: Path, sqlite_url: str
) -> None:
    settings, fake, connectors, ctx = _school(tmp_path, sqlite_url)
    _read_forms(settings, connectors, ctx, at(MONDAY))
    run_sweep(ctx.store, settings, ctx.config, connectors, as_of=MONDAY, now=at(MONDAY))
    fake.rename_group("Governors", "Governing Board")  # IT renames a role group
    results, _ = run_sweep(
        ctx.store, settings, ctx.config, connectors, as_of=MONDAY, now=at(MONDAY, 11)
    )
    [result] = results
    assert result.directory.error and "'Governors'" in result.directory.error
    # the untriaged reports' clocks still escalated, and nobody became a leaver
    assert any((m.key or "").startswith("report-escalation:") for m in fake.sent)
    with ctx.store.session() as session:
        assert session.scalar(select(Person).where(Person.email == BEN)).active  # type: ignore[union-attr]
    connectors.mailer.client.close()  # type: ignore[attr-defined]
