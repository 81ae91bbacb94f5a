"""The outbox: never lost, never sent twice — against a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import subprocess
import textwrap
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.core.database.store import Store
from bot.core.models import OutboxMessage, utcnow
from bot.core.outbox import EmailDraft, Urgency, dispatch, enqueue_email
from bot.core.ports import (
    DeliveryUnknownError,
    Mailer,
    OutgoingEmail,
    PermanentError,
    RetryableError,
    SendResult,
)
from connectors.local.connector import EmlMailer, SmtpMailer
from connectors.mime import KEY_HEADER
from tests.support.forked import forking, killed
from tests.support.keys import TEST_KEYS
from tests.support.smtp import Inbox, running_smtp


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    with running_smtp() as server:
        yield server


def _store(url: str) -> Store:
    store = Store(url, keys=TEST_KEYS)
    store.upgrade()
    from bot.core.models import School

    with store.transaction() as session:
        session.add(School(id="s", name="S"))
    return store


def _queue(store: Store, n: int) -> None:
    with store.transaction() as session:
        for i in range(n):
            draft = EmailDraft(
                to=(f"p{i}@x.org",),
                subject=f"Subject {i}",
                text=f"text {i}",
                html=f"<p>html {i}</p>",
            )
            assert enqueue_email(
                session,
                school_id="s",
                key=f"k{i}",
                purpose="test",
                urgency=Urgency.ROUTINE,
                draft=draft,
            )


def test_same_key_is_queued_once(database_url: str) -> None:
    store = _store(database_url)
    _queue(store, 1)
    with store.transaction() as session:
        again = enqueue_email(
            session,
            school_id="s",
            key="k0",
            purpose="test",
            urgency=Urgency.ROUTINE,
            draft=EmailDraft(("x@x.org",), "s", "t", "h"),
        )
        assert again is False
        assert len(session.scalars(select(OutboxMessage)).all()) == 1
    store.dispose()


def test_smtp_delivery_is_multipart_and_once(smtp: tuple[Inbox, int], database_url: str) -> None:
    inbox, port = smtp
    store = _store(database_url)
    _queue(store, 3)
    mailer = SmtpMailer("127.0.0.1", port, "bot@x.org", security="none")
    stats = dispatch(store, mailer, None)
    assert stats.sent == 3
    assert dispatch(store, mailer, None).sent == 0
    assert sorted(m[KEY_HEADER] for m in inbox.messages) == ["k0", "k1", "k2"]
    first = inbox.messages[0]
    assert first.get_content_type() == "multipart/alternative"
    assert first.get_body(("plain",)) is not None and first.get_body(("html",)) is not None
    store.dispose()


def test_each_row_is_sending_before_its_send_and_recorded_before_the_next(
    smtp: tuple[Inbox, int], database_url: str
) -> None:
    """What a second process sees at each hand-over to a real SMTP server: the row being sent
    already reads ``sending`` (one attempt), every earlier one ``sent`` with the Message-ID the
    server received. The pass holds its one connection between transactions without a lock:
    the other process writes meanwhile without waiting."""
    inbox, port = smtp
    store = _store(database_url)
    _queue(store, 25)  # more than one claimed page
    watcher = Store(database_url, keys=TEST_KEYS)
    seen: list[tuple[str, tuple[str, int], dict[str, str | None]]] = []

    class Watched(SmtpMailer):
        def send(self, message: OutgoingEmail) -> SendResult:
            with watcher.session() as session:
                rows = session.execute(
                    select(
                        OutboxMessage.idempotency_key,
                        OutboxMessage.status,
                        OutboxMessage.attempts,
                        OutboxMessage.provider_id,
                    )
                ).all()
            seen.append(
                (
                    message.idempotency_key,
                    next((s, a) for k, s, a, _ in rows if k == message.idempotency_key),
                    {k: p for k, s, _, p in rows if s == "sent"},
                )
            )
            with watcher.transaction() as session:  # another writer is never held up
                enqueue_email(
                    session,
                    school_id="s",
                    key=f"other:{len(seen)}",
                    purpose="test",
                    urgency=Urgency.ROUTINE,
                    draft=EmailDraft(("x@x.org",), "s", "t", "h"),
                    not_before=utcnow() + timedelta(days=1),
                )
            return super().send(message)

    stats = dispatch(store, Watched("127.0.0.1", port, "bot@x.org", security="none"), None)
    assert stats.sent == 25
    received = {m[KEY_HEADER]: m["Message-ID"] for m in inbox.messages}
    for index, (key, own, sent) in enumerate(seen):
        assert (key, own) == (f"k{index}", ("sending", 1))  # oldest first
        assert set(sent) == {k for k, _, _ in seen[:index]}  # each recorded before the next
        assert all(sent[k] == received[k] for k in sent)  # with the id the server received
    with watcher.session() as session:
        rows = session.execute(
            select(
                OutboxMessage.idempotency_key,
                OutboxMessage.status,
                OutboxMessage.provider_id,
                OutboxMessage.sent_at,
            ).where(
                OutboxMessage.purpose == "test", OutboxMessage.idempotency_key.not_like("other:%")
            )
        ).all()
    assert {k: (s, p) for k, s, p, _ in rows} == {k: ("sent", received[k]) for k in received}
    assert all(at is not None for *_, at in rows)
    watcher.dispose()
    store.dispose()


class Scripted(Mailer):
    """A mailer whose answers are scripted: SendResult or an exception per call."""

    def __init__(self, outcomes: list[Any]) -> None:
        self.outcomes = outcomes
        self.calls: list[str] = []

    def send(self, message: OutgoingEmail) -> SendResult:
        self.calls.append(message.idempotency_key)
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return SendResult("id")


def _states(store: Store) -> dict[str, tuple[str, int]]:
    with store.session() as session:
        rows = session.execute(
            select(OutboxMessage.idempotency_key, OutboxMessage.status, OutboxMessage.attempts)
        ).all()
    return {key: (status, attempts) for key, status, attempts in rows}


def test_permanent_fails_and_unknown_is_never_resent(sqlite_url: str) -> None:
    """A refusal fails one row; an unknown outcome flags one row and pauses the channel."""
    store = _store(sqlite_url)
    _queue(store, 3)
    mailer = Scripted(
        [PermanentError("bad address"), DeliveryUnknownError("504"), SendResult("ok")]
    )
    now = utcnow()
    stats = dispatch(store, mailer, None, now=lambda: now)
    assert (stats.sent, stats.failed, stats.delivery_unknown) == (0, 1, 1)
    assert mailer.calls == ["k0", "k1"]  # the 504 paused email: k2 was not even claimed
    assert stats.paused["email"] == now + timedelta(minutes=1)  # no Retry-After: backoff
    assert _states(store)["k2"] == ("pending", 0)
    later = dispatch(store, mailer, None, now=lambda: now + timedelta(days=1))
    assert (later.sent, later.failed, later.delivery_unknown) == (1, 0, 0)
    assert Counter(mailer.calls) == {"k0": 1, "k1": 1, "k2": 1}
    assert {k: v[0] for k, v in _states(store).items()} == {
        "k0": "failed",
        "k1": "delivery_unknown",
        "k2": "sent",
    }
    store.dispose()


class Recording(Mailer):
    """A mailer that accepts everything and keeps who each message went to."""

    def __init__(self) -> None:
        self.sent: dict[str, tuple[str, ...]] = {}

    def send(self, message: OutgoingEmail) -> SendResult:
        self.sent[message.idempotency_key] = (*message.to, *message.cc)
        return SendResult(f"id-{message.idempotency_key}")


def test_a_queued_message_changed_in_the_database_is_refused_not_sent(database_url: str) -> None:
    """What steers a queued message is checked at send time against what was queued: a
    pending safeguarding alert pointed elsewhere in the database (or its body or urgency
    changed) is never sent, is marked failed for the admins' alert (which names no content),
    and the untouched messages, shared bodies included, go as queued."""
    from sqlalchemy import update

    from bot.core.outbox import enqueue_emails
    from bot.core.rendering.rendered import Rendered, slot

    store = _store(database_url)
    shared = Rendered(f"Dear {slot('name')}, please read it.", f"<p>Dear {slot('name')}</p>")
    with store.transaction() as session:
        for key, urgency in (
            ("alert", Urgency.SAFEGUARDING),
            ("alert-body", Urgency.SAFEGUARDING),
            ("routine", Urgency.ROUTINE),
        ):
            assert enqueue_email(
                session,
                school_id="s",
                key=key,
                purpose="report_alert",
                urgency=urgency,
                draft=EmailDraft(("dsl@x.org",), "A new report", "Open the bot.", "<p>Open</p>"),
            )
        added = enqueue_emails(
            session,
            school_id="s",
            purpose="reminder",
            urgency=Urgency.ROUTINE,
            items=[
                (
                    f"shared-{n}",
                    EmailDraft(
                        (f"{n}@x.org",), "Read it", "", "", shared=shared, slots={"name": n}
                    ),
                )
                for n in ("amy", "ben")
            ],
        )
        assert added == {"shared-amy", "shared-ben"}
    table = OutboxMessage.__table__
    with store.engine.begin() as conn:  # someone with database access, not the bot
        conn.execute(
            update(table)
            .where(table.c.idempotency_key == "alert")
            .values(recipients=["someone@elsewhere.example"])
        )
        conn.execute(
            update(table)
            .where(table.c.idempotency_key == "alert-body")
            .values(payload={"text": "Click here", "html": "<p>Click</p>"})
        )
        conn.execute(
            update(table)
            .where(table.c.idempotency_key == "routine")
            .values(urgency=int(Urgency.SAFEGUARDING))
        )
    mailer = Recording()
    stats = dispatch(store, mailer, None)
    assert sorted(mailer.sent) == ["shared-amy", "shared-ben"]
    assert "someone@elsewhere.example" not in str(mailer.sent)
    assert stats.failed == 3
    with store.session() as session:
        rows = {r.idempotency_key: r for r in session.scalars(select(OutboxMessage))}
    assert {k: r.status for k, r in rows.items()} == {
        "alert": "failed",
        "alert-body": "failed",
        "routine": "failed",
        "shared-amy": "sent",
        "shared-ben": "sent",
    }
    assert "recipients changed after it was queued" in (rows["alert"].last_error or "")
    assert "body changed" in (rows["alert-body"].last_error or "")
    assert "urgency changed" in (rows["routine"].last_error or "")
    assert all(r.alerted_at is None for r in rows.values() if r.status == "failed")  # told next
    assert "Click" not in str([r.last_error for r in rows.values()])
    store.dispose()


def test_messages_waiting_before_seals_are_sealed_by_the_upgrade_that_brings_them(
    sqlite_url: str,
) -> None:
    """A row queued before the seal column existed (no seal) is refused at send time unless
    the upgrade sealed it; ``seal_waiting`` (run by that upgrade) seals exactly those."""
    from sqlalchemy import update

    from bot.core.audit.queued import seal_waiting

    store = _store(sqlite_url)
    _queue(store, 2)
    table = OutboxMessage.__table__
    with store.engine.begin() as conn:  # as queued by the release before
        conn.execute(update(table).values(seal=None))
    with store.transaction() as session:
        assert seal_waiting(session) == 2
        assert seal_waiting(session) == 0
    mailer = Recording()
    assert dispatch(store, mailer, None).sent == 2
    assert sorted(mailer.sent) == ["k0", "k1"]
    store.dispose()


def test_a_throttle_spends_no_attempt_and_pauses_the_channel(database_url: str) -> None:
    """A 429 is the platform's "not now": no row spends an attempt, none is claimed until
    Retry-After has passed, and the throttled row keeps its place at the front."""
    store = _store(database_url)
    _queue(store, 3)
    mailer = Scripted([RetryableError("429", retry_after=120)])
    now = utcnow()
    stats = dispatch(store, mailer, None, now=lambda: now)
    assert (stats.retry_later, stats.sent) == (1, 0)
    assert mailer.calls == ["k0"]
    assert {k: v for k, v in _states(store).items()} == {
        "k0": ("pending", 0),
        "k1": ("pending", 0),
        "k2": ("pending", 0),
    }
    # a minute on (the next run of the dispatch job), still inside Retry-After: nothing asked
    assert dispatch(store, mailer, None, now=lambda: now + timedelta(seconds=60)).sent == 0
    assert mailer.calls == ["k0"]
    mailer.outcomes = [SendResult("ok")] * 3
    assert dispatch(store, mailer, None, now=lambda: now + timedelta(seconds=120)).sent == 3
    assert mailer.calls == ["k0", "k0", "k1", "k2"]
    assert {v for v in _states(store).values()} == {("sent", 1)}
    store.dispose()


def test_a_setup_refusal_never_fails_a_message(sqlite_url: str) -> None:
    """Eight hours of an expired secret: every pass asks once, no message spends or fails."""
    from bot.core.ports import SetupError

    store = _store(sqlite_url)
    _queue(store, 2)
    now = utcnow()
    mailer = Scripted([SetupError("mail paused: token refused")] * 40)
    for minute in range(0, 8 * 60, 1):
        dispatch(store, mailer, None, now=lambda m=minute: now + timedelta(minutes=m))
    assert len(mailer.calls) == 32  # once every 15 minutes
    assert {v for v in _states(store).values()} == {("pending", 0)}
    mailer.outcomes = [SendResult("ok")] * 2
    assert dispatch(store, mailer, None, now=lambda: now + timedelta(hours=9)).sent == 2
    store.dispose()


def test_a_connector_bug_never_loses_the_row(sqlite_url: str) -> None:
    store = _store(sqlite_url)
    _queue(store, 1)
    stats = dispatch(store, Scripted([ZeroDivisionError()]), None)
    assert stats.delivery_unknown == 1
    store.dispose()


# the pass as ``compliance-bot run`` makes it, killed (-9) at one step, in a child forked
# from one helper process per module (tests/support/forked.py)
CRASHER = textwrap.dedent("""
    import json, os, signal, sys, traceback
    from pathlib import Path

    import bot.core.outbox.dispatcher as outbox
    from bot.core.database.store import Store
    from bot.core.ports import Mailer
    from connectors.local.connector import EmlMailer, SmtpMailer
    from tests.support.keys import TEST_KEYS

    def crashing_pass(url, mode, port, folder, step, crash_at):
        inner = (SmtpMailer("127.0.0.1", int(port), "bot@x.org", security="none")
                 if mode == "smtp" else EmlMailer(Path(folder), "bot@x.org"))
        seen = {"claim": 0, "send": 0, "record": 0}

        def reached(name):
            seen[name] += 1
            if name == step and seen[name] == int(crash_at):
                os.kill(os.getpid(), signal.SIGKILL)  # kill -9: no cleanup, no rollback handler

        real_claim, real_settle = outbox._claim, outbox._settle

        def claim(*args, **kwargs):
            taken = real_claim(*args, **kwargs)
            if taken:
                reached("claim")  # committed as 'sending', not yet handed to the platform
            return taken

        def settle(*args, **kwargs):
            until = real_settle(*args, **kwargs)
            reached("record")  # the platform's answer is committed
            return until

        class Dying(Mailer):
            idempotent = inner.idempotent
            def send(self, message):
                result = inner.send(message)
                reached("send")  # the platform accepted it; we have not recorded that yet
                return result

        outbox._claim, outbox._settle = claim, settle
        outbox.dispatch(Store(url, keys=TEST_KEYS), Dying(), None)

""")


@pytest.fixture(scope="module")
def crashes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[subprocess.Popen[str]]:
    """The helper process that forks each crashing pass (started once for the module)."""
    with forking(tmp_path_factory.mktemp("crasher"), CRASHER, "crashing_pass") as helper:
        yield helper


def _school_config() -> Any:
    from bot.core.config import SchoolConfig

    return SchoolConfig(id="s", name="S", headteacher="head@x.org", admins=["it@x.org"])


def _resolve_by_looking(store: Store, delivered: set[str]) -> None:
    """What a person does with each uncertain row: look in Sent Items, then --sent or --resend."""
    from bot.core.outbox.delivery import resolve

    with store.transaction() as session:
        rows = session.execute(
            select(OutboxMessage.id, OutboxMessage.idempotency_key).where(
                OutboxMessage.status == "delivery_unknown"
            )
        ).all()
        for row_id, key in rows:
            resolve(
                session,
                row_id,
                resend=key not in delivered,
                email="it@x.org",
                schools={"s": _school_config()},
                now=utcnow(),
                os_user="tester",
            )


@pytest.mark.parametrize("step", ["claim", "send", "record"])
@pytest.mark.parametrize("mode", ["smtp", "eml"])
def test_killed_at_every_step_of_a_dispatch_loses_nothing_and_sends_nothing_twice(
    mode: str,
    step: str,
    smtp: tuple[Inbox, int],
    database_url: str,
    tmp_path: Path,
    crashes: subprocess.Popen[str],
) -> None:
    """kill -9 after the claim, after the platform accepted, after the answer was recorded:
    restarted, every message arrives exactly once. A row whose fate the bot cannot know is
    flagged, never resent blindly; a person resolves it (resent only if it is not in the
    mailbox). The .eml writer is idempotent by key, so the bot requeues those itself."""
    inbox, port = smtp
    store = _store(database_url)
    _queue(store, 6)
    folder = tmp_path / "outbox"
    errors = tmp_path / "crasher.stderr"
    killed(crashes, database_url, mode, port, str(folder), step, 3, errors=errors)
    with store.session() as session:
        interrupted = Counter(session.scalars(select(OutboxMessage.status)).all())
    assert interrupted["sending"] == (0 if step == "record" else 1)
    # restarted after the stale window
    later = utcnow() + timedelta(minutes=20)
    mailer = (
        SmtpMailer("127.0.0.1", port, "bot@x.org", security="none")
        if mode == "smtp"
        else EmlMailer(folder, "bot@x.org")
    )
    dispatch(store, mailer, None, now=lambda: later)
    with store.session() as session:
        states = Counter(session.scalars(select(OutboxMessage.status)).all())
    if mode == "eml":
        assert states == {"sent": 6}  # idempotent writer: safely retried by the bot itself
        assert len(list(folder.glob("*.eml"))) == 6
        store.dispose()
        return
    flagged = 0 if step == "record" else 1
    expected = Counter({"sent": 6 - flagged, "delivery_unknown": flagged})
    assert states == +expected  # (+ drops a zero count)
    _resolve_by_looking(store, {m[KEY_HEADER] for m in inbox.messages})
    dispatch(store, mailer, None, now=lambda: later + timedelta(minutes=1))
    keys = Counter(m[KEY_HEADER] for m in inbox.messages)
    assert keys == {f"k{i}": 1 for i in range(6)}  # nothing lost, nothing twice
    with store.session() as session:
        assert set(session.scalars(select(OutboxMessage.status)).all()) == {"sent"}
    store.dispose()


def test_outbox_command_says_why_a_message_waits(
    school: Any, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from bot.cli.main import app
    from bot.core.models import School
    from bot.core.ports import SetupError

    ctx = school.context(sqlite_url)
    store = ctx.store
    with store.transaction() as session:
        session.add(School(id="s", name="S"))
    _queue(store, 2)
    now = utcnow()
    mailer = Scripted(
        [SetupError("mail paused: getting a token failed: AADSTS7000222", retry_after=900)]
    )
    dispatch(store, mailer, None, now=lambda: now)
    monkeypatch.setenv("COMPLIANCE_BOT_HOME", str(ctx.settings.home))
    monkeypatch.setenv("COMPLIANCE_BOT_DATABASE_URL", sqlite_url)
    result = CliRunner().invoke(app, ["outbox"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Why these have not gone yet" in result.output
    assert "email sending is paused" in result.output and "AADSTS7000222" in result.output
    store.dispose()
