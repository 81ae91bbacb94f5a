"""`compliance-bot maintenance --compact`: an older SQLite file is rewritten once, never while
the bot runs, and keeps every record; maintenance says when the file is worth compacting."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update
from typer.testing import CliRunner

from bot.cli.main import app
from bot.core.models import OutboxMessage, School, utcnow
from bot.core.outbox import EmailDraft, Urgency, enqueue_email
from bot.engine import maintenance
from schedules.runner import SchedulerLock


def test_compact_waits_for_a_stopped_bot_then_keeps_every_record(
    school: Any, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = school.context(sqlite_url)
    with ctx.store.transaction() as session:
        session.add(School(id="oak", name="Oakfield"))
        session.flush()
        for i in range(40):
            enqueue_email(
                session,
                school_id="oak",
                key=f"digest:{i}",
                purpose="reminder",
                urgency=Urgency.ROUTINE,
                draft=EmailDraft(
                    to=(f"p{i}@oakfield.example",),
                    subject="Digest",
                    text="Your week. " * 900,
                    html="<p>Your week.</p>",
                ),
            )
        session.execute(
            update(OutboxMessage).values(
                status="sent", sent_at=utcnow() - timedelta(days=40), provider_id="<id@x>"
            )
        )
    database = ctx.store.engine.url.database
    ctx.store.dispose()
    with closing(sqlite3.connect(database)) as old:  # as a version before auto_vacuum made it
        old.executescript("PRAGMA auto_vacuum=NONE; VACUUM;")
    monkeypatch.setenv("COMPLIANCE_BOT_HOME", str(ctx.settings.home))
    monkeypatch.setenv("COMPLIANCE_BOT_DATABASE_URL", sqlite_url)
    monkeypatch.setattr(maintenance, "COMPACT_WORTH", 1)  # any free space is worth it here
    runner = CliRunner(env={"COLUMNS": "300"})

    result = runner.invoke(app, ["maintenance"])
    assert result.exit_code == 0, result.output
    assert "Dropped the text of 40 delivered messages" in result.output
    assert "cannot give back to the disk by itself" in result.output
    assert "compliance-bot maintenance --compact" in result.output

    running = SchedulerLock(ctx.settings)
    running.acquire()
    try:
        refused = runner.invoke(app, ["maintenance", "--compact"])
    finally:
        running.release()
    assert refused.exit_code == 2
    assert "the bot is running here: stop it" in refused.output
    assert "cannot give back" not in refused.output  # the command is already compacting
    with closing(sqlite3.connect(database)) as conn:
        assert conn.execute("PRAGMA auto_vacuum").fetchone() == (0,)  # not touched

    done = runner.invoke(app, ["maintenance", "--compact"])
    assert done.exit_code == 0, done.output
    assert "Compacted the database file from" in done.output
    assert "gives space the database no longer needs back to the disk" in done.output
    space = ctx.store.space()
    assert space is not None and space.returns_free_space and space.free_bytes == 0
    with ctx.store.session() as session:
        assert (
            session.scalar(
                select(func.count()).where(
                    OutboxMessage.body_sha256.is_not(None), OutboxMessage.provider_id == "<id@x>"
                )
            )
            == 40
        )
    ctx.store.dispose()
