"""The dispatcher's lanes: each message's two statements, one round trip each on PostgreSQL,
without weakening "on disk as sending before the hand-over" or "each record before the next"."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import ExitStack
from datetime import datetime, timedelta

import pytest
from sqlalchemy import event, select, text

from bot.core.audit.check import check
from bot.core.models import MailSend, OutboxMessage, School, utcnow
from bot.core.outbox import EmailDraft, Urgency, dispatch, enqueue_emails
from bot.core.ports import Mailer, MailPacing, OutgoingEmail, SendResult
from bot.core.store import Store
from tests.support.keys import TEST_KEYS


def _store(url: str, rows: int) -> Store:
    store = Store(url, keys=TEST_KEYS)
    store.upgrade()
    with store.transaction() as session:
        session.add(School(id="s", name="Oakfield Primary School"))
        session.flush()
        enqueue_emails(session, school_id="s", purpose="test",
                       urgency=Urgency.ROUTINE, not_before=utcnow(), items=[
            (f"k{i}", EmailDraft(to=(f"p{i}@oakfield.example",), subject="S", text="t",
                                 html="<p>h</p>"))
            for i in range(rows)
        ])
    return store


class _Ticking:
    """A clock that moves a second each time it is read."""

    def __init__(self) -> None:
        self.at = utcnow()

    def __call__(self) -> datetime:
        self.at += timedelta(seconds=1)
        return self.at


class _Mailer(Mailer):
    """Accepts everything; the provider id is the message's key (so a mix-up shows)."""

    pacing: MailPacing | None = None  # type: ignore[assignment]  # set per test

    def __init__(self, pacing: MailPacing | None = None) -> None:
        self.pacing = pacing
        self.sent: list[str] = []

    def send(self, message: OutgoingEmail) -> SendResult:
        self.sent.append(message.idempotency_key)
        return SendResult(provider_id=f"<{message.idempotency_key}@provider>")


class _Batching(_Mailer):
    """Takes messages five at a time, as the Gmail batch path does."""

    max_batch = 5

    def send_batch(self, messages: Sequence[OutgoingEmail]) -> list[SendResult]:
        return [self.send(message) for message in messages]


@pytest.mark.parametrize("mailer", [_Mailer, _Batching])
def test_deliveries_are_recorded_on_their_own_rows_with_their_permits_from_the_start(
    database_url: str, mailer: type[_Mailer]
) -> None:
    """Each row gets its own provider id (one by one and in batches of five), and the
    mailbox's permits count from when each send started (its move to ``sending``), as the
    platform counts it: not from the claim, nor from the answer."""
    store = _store(database_url, 12)
    clock = _Ticking()
    sender = mailer(MailPacing("bot@oakfield.example", per_minute=30))
    stats = dispatch(store, sender, None, now=clock)
    assert stats.sent == 12 and sorted(stats.sent_keys) == sorted(f"k{i}" for i in range(12))
    with store.session() as session:
        rows = session.execute(select(
            OutboxMessage.id, OutboxMessage.idempotency_key, OutboxMessage.status,
            OutboxMessage.provider_id, OutboxMessage.claimed_at, OutboxMessage.sent_at,
            OutboxMessage.last_error,
        )).all()
        sends = {s.outbox_id: s for s in session.scalars(select(MailSend))}
    assert len(rows) == 12 and len(sends) == 12
    for row_id, key, status, provider_id, started_at, sent_at, error in rows:
        assert (status, provider_id, error) == ("sent", f"<{key}@provider>", None)
        assert sent_at is not None and started_at is not None and sent_at > started_at
        assert sends[row_id].done and sends[row_id].at == started_at  # counted from the start
    assert sorted(sender.sent) == sorted(f"k{i}" for i in range(12))
    store.dispose()


@pytest.mark.postgres
def test_each_message_costs_two_round_trips_and_the_lanes_setting_stays_out_of_the_pool(
    postgres_url: str,
) -> None:
    """Per message, one statement moves it to ``sending`` and one records it (each its own
    transaction: no BEGIN, no COMMIT); the relaxed lane's ``synchronous_commit = off`` ends
    with the pass: every pooled connection afterwards waits for the disk again."""
    store = _store(postgres_url, 40)
    statements: list[str] = []
    commits: list[int] = []
    event.listen(store.engine, "before_cursor_execute",
                 lambda _c, _cur, statement, *_: statements.append(statement))
    event.listen(store.engine, "commit", lambda _c: commits.append(1))
    mailer = _Mailer()
    assert dispatch(store, mailer, None).sent == 40
    starts = [s for s in statements if "attempts=(outbox.attempts +" in s]
    records = [s for s in statements if "FROM unnest(" in s]
    assert (len(starts), len(records)) == (40, 40)  # one of each a message
    # the pinned connection's transactions: a claim a page of 20 and the last (empty) claim
    # (the stale check only reads when nothing is stale), and one at the end of the pass that
    # seals the 40 messages the lanes recorded as sent; the lanes commit nothing of their own
    assert len(commits) == 4
    with store.session() as session:
        assert check(session).records["sent_message"] == 40  # every message sent is sealed
    with ExitStack() as stack:  # every connection the pool holds, at once
        connections = [stack.enter_context(store.engine.connect())
                       for _ in range(store.engine.pool.size())]  # type: ignore[attr-defined]
        assert {c.scalar(text("SHOW synchronous_commit")) for c in connections} == {"on"}
    store.dispose()


@pytest.mark.postgres
def test_each_record_is_on_disk_before_the_next_hand_over_and_at_the_end(
    postgres_url: str,
) -> None:
    """WAL is one log: after a message's record (committed without waiting for the disk),
    the next message's durable move to ``sending`` flushes the log past that record before
    the message is handed over; after the last message the pass flushes it itself. Read from
    the server: the flushed position at each hand-over is at least the log's end right after
    the previous record (as far as this can be seen from outside: the server's own log writer
    may have flushed it too)."""
    store = _store(postgres_url, 25)
    watcher = Store(postgres_url, keys=TEST_KEYS)
    after_record: list[int] = []
    flushed_at_hand_over: list[int] = []

    def lsn(function: str) -> int:
        with watcher.engine.connect() as conn:
            return int(conn.scalar(text(f"SELECT {function}() - '0/0'::pg_lsn")))

    class Watched(_Mailer):
        def send(self, message: OutgoingEmail) -> SendResult:
            flushed_at_hand_over.append(lsn("pg_current_wal_flush_lsn"))
            return super().send(message)

    stats = dispatch(store, Watched(), None,
                     on_sent=lambda _key: after_record.append(lsn("pg_current_wal_insert_lsn")))
    assert stats.sent == 25 and len(after_record) == 25
    for index in range(1, 25):
        assert flushed_at_hand_over[index] >= after_record[index - 1]
    assert lsn("pg_current_wal_flush_lsn") >= after_record[-1]
    watcher.dispose()
    store.dispose()


@pytest.mark.postgres
def test_a_hand_over_records_durably_without_a_connection_of_its_own(postgres_url: str) -> None:
    """A web request's hand-over of urgent mail (``up_to`` below routine) records each
    message on the durable lane: no connection is made for the pass (the relaxed lane's is
    made and closed every pass, a cost for one or two messages), and each record is on disk
    when it is made."""
    store = _store(postgres_url, 0)
    with store.transaction() as session:
        enqueue_emails(session, school_id="s", purpose="report_alert",
                       urgency=Urgency.SAFEGUARDING, not_before=utcnow(), items=[
            (f"alert{i}", EmailDraft(to=("dsl@oakfield.example",), subject="S", text="t",
                                     html="<p>h</p>"))
            for i in range(2)
        ])
    # the first hand-over: the pool has its connections from now on
    dispatch(store, _Mailer(), None, limit=1, up_to=Urgency.WAITING)
    made: list[int] = []
    settings: list[str] = []
    event.listen(store.engine, "connect", lambda *_: made.append(1))
    event.listen(store.engine, "before_cursor_execute",
                 lambda _c, _cur, statement, *_: settings.append(statement)
                 if statement.startswith("SET") else None)
    assert dispatch(store, _Mailer(), None, up_to=Urgency.WAITING).sent == 1
    assert made == [] and settings == []  # no new connection, no relaxed setting
    with store.session() as session:
        assert check(session).records["sent_message"] == 2
    store.dispose()
