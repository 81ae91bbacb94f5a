"""A dispatcher killed (-9) mid-pass never leaves a false tamper alarm.

A real dispatch pass runs in a child process (``outbox.dispatch``, writing .eml files) and
kills itself at a chosen point: after N messages were handed over, or after N were recorded as
sent. Each record and its seal are one transaction, on both databases: nothing is left to seal,
the check is clean at once and after the next pass, and ``compliance-bot audit verify`` is
clean; a sent row changed directly in the database afterwards is still named.
"""

from __future__ import annotations

import subprocess
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Connection, create_engine, event, select, text, update
from sqlalchemy.pool import NullPool
from typer.testing import CliRunner

from bot.cli.main import app
from bot.core.audit.check import check
from bot.core.database.store import Store
from bot.core.models import OutboxMessage, School, SealNote, utcnow
from bot.core.outbox import EmailDraft, Urgency, dispatch, enqueue_email
from connectors.local.connector import EmlMailer
from tests.support.forked import forking, killed
from tests.support.helpers import SchoolBuilder
from tests.support.keys import TEST_KEYS, TEST_SECRET

MESSAGES = 8

# the pass as ``compliance-bot run`` makes it, killed at one point: "send" right after the
# platform took message N (not yet recorded), "record" right after message N's record was
# committed. Each pass is a child forked from one helper process per module
# (tests/support/forked.py).
DYING = textwrap.dedent("""
    import json, os, signal, sys, traceback
    from pathlib import Path

    import bot.core.outbox.dispatcher as outbox
    from bot.core.database.store import Store
    from bot.core.ports import Mailer
    from connectors.local.connector import EmlMailer
    from tests.support.keys import TEST_KEYS

    def dying_pass(url, folder, step, at):
        inner = EmlMailer(Path(folder), "bot@x.org")
        seen = {"send": 0, "record": 0}

        def reached(name):
            seen[name] += 1
            if name == step and seen[name] == int(at):
                os.kill(os.getpid(), signal.SIGKILL)  # kill -9: no cleanup, no rollback

        real_settle = outbox._settle

        def settle(*args, **kwargs):
            until = real_settle(*args, **kwargs)
            reached("record")
            return until

        class Dying(Mailer):
            idempotent = True
            def send(self, message):
                result = inner.send(message)
                reached("send")
                return result

        outbox._settle = settle
        outbox.dispatch(Store(url, keys=TEST_KEYS), Dying(), None)

""")


@pytest.fixture(scope="module")
def passes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[subprocess.Popen[str]]:
    """The helper process that forks each dying pass (started once for the module)."""
    with forking(tmp_path_factory.mktemp("dying"), DYING, "dying_pass") as helper:
        yield helper


def _store(url: str) -> Store:
    store = Store(url, keys=TEST_KEYS)
    store.upgrade()
    with store.transaction() as session:
        session.add(School(id="s", name="Oakfield Primary School"))
    with store.transaction() as session:
        for i in range(MESSAGES):
            draft = EmailDraft(
                to=(f"p{i}@oakfield.example",),
                subject=f"Reminder {i}",
                text=f"text {i}",
                html=f"<p>html {i}</p>",
            )
            enqueue_email(
                session,
                school_id="s",
                key=f"k{i}",
                purpose="reminder",
                urgency=Urgency.ROUTINE,
                draft=draft,
            )
    return store


def _kill_a_pass(
    passes: subprocess.Popen[str], url: str, folder: Path, step: str, at: int, tmp_path: Path
) -> None:
    killed(passes, url, str(folder), step, at, errors=tmp_path / "dying.stderr")


def _sent(store: Store) -> int:
    with store.session() as session:
        return len(
            session.scalars(select(OutboxMessage.id).where(OutboxMessage.status == "sent")).all()
        )


def _problems(store: Store) -> list[str]:
    with store.session() as session:
        return check(session).problems


def _noted(store: Store) -> int:
    with store.session() as session:
        return len(session.scalars(select(SealNote.id)).all())


@contextmanager
def _intruder(url: str) -> Iterator[Connection]:
    """A connection as someone with database access has it: not the bot's, no triggers."""
    engine = create_engine(url, poolclass=NullPool)
    if engine.dialect.name == "sqlite":  # the triggers' tag function, telling them nothing
        event.listen(
            engine,
            "connect",
            lambda dbapi, _record: dbapi.create_function("seal_tag", 0, lambda: None),
        )
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SET session_replication_role = replica"))
        yield conn
    engine.dispose()


@pytest.mark.parametrize(("step", "at"), [("send", 1), ("send", 4), ("record", 1), ("record", 5)])
def test_a_pass_killed_anywhere_leaves_no_false_alarm(
    database_url: str, step: str, at: int, tmp_path: Path, passes: subprocess.Popen[str]
) -> None:
    store = _store(database_url)
    folder = tmp_path / "outbox"
    _kill_a_pass(passes, database_url, folder, step, at, tmp_path)
    assert _sent(store) == (at if step == "record" else at - 1)
    assert _noted(store) == 0 and _problems(store) == []  # each record sealed as it committed
    later = utcnow() + timedelta(minutes=20)
    dispatch(store, EmlMailer(folder, "bot@x.org"), None, now=lambda: later)  # its recovery
    assert _sent(store) == MESSAGES
    assert _noted(store) == 0
    assert _problems(store) == []
    # a sent row changed directly in the database afterwards is still named
    with _intruder(database_url) as conn:
        conn.execute(
            update(OutboxMessage)
            .where(OutboxMessage.idempotency_key == "k0")
            .values(recipients=["someone@elsewhere.example"])
        )
    problems = _problems(store)
    assert len(problems) == 1 and "was changed after it was recorded" in problems[0]
    store.dispose()


def test_killed_again_and_again_then_verify_is_clean_at_once(
    database_url: str, school: SchoolBuilder, tmp_path: Path, passes: subprocess.Popen[str]
) -> None:
    """Four passes killed one after another, each after recording two messages, and no
    dispatcher since the last: the real ``audit verify`` is clean."""
    store = _store(database_url)
    folder = tmp_path / "outbox"
    for _ in range(4):
        _kill_a_pass(passes, database_url, folder, "record", 2, tmp_path)
        with store.transaction() as session:  # the next pass finds the claims free
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.status.in_(("claimed", "sending")))
                .values(status="pending", claimed_by=None)
            )
    assert _sent(store) == MESSAGES
    assert _problems(store) == []
    env = {
        "COMPLIANCE_BOT_HOME": str(school.write()),
        "COMPLIANCE_BOT_DATABASE_URL": database_url,
        "COMPLIANCE_BOT_SECRET_KEY": TEST_SECRET,
    }
    result = CliRunner().invoke(app, ["audit", "verify"], env=env)
    said = " ".join(result.output.split())
    assert result.exit_code == 0, said
    assert "audit log intact" in said and "8 sent messages" in said
    store.dispose()
