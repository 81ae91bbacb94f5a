"""``compliance-bot audit rotate-key``: the log moves to a new key and records the change;
``audit verify`` checks the older entries with the previous key kept outside the database, and
names the entry it cannot check without it. Real CLI through Typer's runner, SQLite and
PostgreSQL."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event, select, update
from sqlalchemy.pool import NullPool
from typer.testing import CliRunner

from bot.cli.main import app
from bot.core import audit
from bot.core.config import store as config_store
from bot.core.deployment.context import AppContext
from bot.core.models import AuditEvent, ConfigVersion
from tests.support.helpers import SchoolBuilder
from tests.support.keys import TEST_SECRET

NOW = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)


@contextmanager
def _env(context: AppContext, url: str) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COMPLIANCE_BOT_HOME", str(context.settings.home))
        mp.setenv("COMPLIANCE_BOT_DATABASE_URL", url)
        mp.setenv("COMPLIANCE_BOT_SECRET_KEY", TEST_SECRET)
        yield


def _said(output: str) -> str:
    return " ".join(output.split())


def test_a_rotated_key_is_recorded_and_older_entries_need_the_previous_key(
    database_url: str, school: SchoolBuilder, tmp_path: Path
) -> None:
    context = school.context(database_url)
    with context.store.transaction() as session:
        config_store.save(session, context.config, by="head@oak.example", now=NOW, note="First")
        for i in range(3):
            audit.record(
                session,
                actor="dsl@oak.example",
                action="report.viewed",
                object_type="report",
                object_id=1,
                school_id="oak",
                details={"i": i},
            )
    before = context.settings.audit_keyring().current_id
    context.store.dispose()
    runner = CliRunner()
    with _env(context, database_url):
        rotated = runner.invoke(app, ["audit", "rotate-key"])
        assert rotated.exit_code == 0, rotated.output
        after = context.settings.audit_keyring()
        assert after.current_id != before and before in after.previous
        assert f"(before: {before})" in _said(rotated.output)
        written = context.settings.audit_key_file
        assert written.stat().st_mode & 0o777 == 0o600
        assert context.settings.previous_audit_keys_path.stat().st_mode & 0o777 == 0o600

        clean = runner.invoke(app, ["audit", "verify"])  # the new key, and the old one kept
        assert clean.exit_code == 0, clean.output
        assert "1 settings version" in _said(clean.output)

        kept = tmp_path / "usb-stick" / "previous-audit-keys"
        kept.parent.mkdir()
        context.settings.previous_audit_keys_path.rename(kept)
        lost = runner.invoke(app, ["audit", "verify"])
        assert lost.exit_code == 1
        assert (
            f"Audit log entry #1 was made with the audit key {before}, which this "
            "installation does not hold"
        ) in _said(lost.output)
        given = runner.invoke(app, ["audit", "verify", "--previous-keys", str(kept)])
        assert given.exit_code == 0, given.output

        store = AppContext(context.settings).store
        with store.session() as session:
            change = session.scalars(
                select(AuditEvent).where(AuditEvent.action == audit.KEY_CHANGED)
            ).one()
        store.dispose()
        assert change.details["from"] == before and change.details["to"] == after.current_id
        # a settings version rewritten from outside after the rotation, fingerprint and all
        outsider = create_engine(database_url, poolclass=NullPool)
        if outsider.dialect.name == "sqlite":  # the bot's triggers ask for a tag it has not got
            event.listen(
                outsider,
                "connect",
                lambda dbapi, _record: dbapi.create_function("seal_tag", 0, lambda: None),
            )
        with outsider.begin() as conn:
            conn.execute(
                update(ConfigVersion).values(
                    document="organisation: {}",
                    sha256=hashlib.sha256(b"organisation: {}").hexdigest(),
                )
            )
        outsider.dispose()
        edited = runner.invoke(app, ["audit", "verify", "--previous-keys", str(kept)])
    assert edited.exit_code == 1
    assert "Settings version #1 was changed after it was recorded" in _said(edited.output)


def test_rotate_key_refuses_when_the_key_comes_from_the_environment(
    sqlite_url: str, school: SchoolBuilder
) -> None:
    context = school.context(sqlite_url)
    context.store.dispose()
    with _env(context, sqlite_url), pytest.MonkeyPatch.context() as mp:
        mp.setenv("COMPLIANCE_BOT_AUDIT_KEY", "an-audit-secret-from-the-environment-0123")
        result = CliRunner().invoke(app, ["audit", "rotate-key"])
    assert result.exit_code == 2
    assert "COMPLIANCE_BOT_AUDIT_KEY" in _said(result.output)
    assert not context.settings.audit_key_file.exists()
