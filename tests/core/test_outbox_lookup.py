"""Unknown send outcomes settled by the platform: a message whose send answer was lost is
looked up by its Message-ID in the sending mailbox's sent items — through the real Graph and
Gmail connectors over the fakes, which keep what was sent and answer the real queries
(``$filter=internetMessageId eq '…'`` on Sent Items; ``q=rfc822msgid:…``). Found: marked sent
without a person, audited, never sent twice. Not found, or the lookup not permitted: left for
a person with a plain reason, and ``compliance-bot outbox resolve`` still works."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli.main import app
from bot.core.database.store import Store
from bot.core.models import AuditEvent, OutboxMessage, School, utcnow
from bot.core.outbox import EmailDraft, Urgency, dispatch, enqueue_email
from bot.core.outbox.lookup import LOOK_AFTER, MAX_LOOKUPS, settle_unknown
from connectors.local.connector import SmtpMailer
from tests.support.helpers import SchoolBuilder

pytest.importorskip("msgraph", reason="needs msgraph-sdk")
pytest.importorskip("googleapiclient", reason="needs google-api-python-client")

SEND_PATH = r"/users/[^/]+/sendMail"
GMAIL_SEND = "gmail.users.messages.send"


@dataclass
class Rig:
    """A school's store, a platform mailer over its fake, and the outbox's clock."""

    store: Store
    mailer: Any
    fake: Any
    start: datetime

    def queue(self, key: str) -> int:
        with self.store.transaction() as session:
            enqueue_email(
                session,
                school_id="oak",
                key=key,
                purpose="reminder",
                urgency=Urgency.ROUTINE,
                not_before=self.start,
                draft=EmailDraft(
                    ("amy@oak.example",), "Please acknowledge", "Plain words", "<p>Rich words</p>"
                ),
            )
            row = session.scalar(select(OutboxMessage).where(OutboxMessage.idempotency_key == key))
            assert row is not None
            return row.id

    def row(self, row_id: int) -> OutboxMessage:
        with self.store.session() as session:
            row = session.get(OutboxMessage, row_id)
            assert row is not None
            return row

    def audit(self) -> list[tuple[str, str, str]]:
        with self.store.session() as session:
            return [
                (e.actor, e.action, str(e.object_id))
                for e in session.scalars(
                    select(AuditEvent)
                    .where(AuditEvent.object_type == "outbox")
                    .order_by(AuditEvent.seq)
                )
            ]


@pytest.fixture
def store(
    school: SchoolBuilder, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Store]:
    """The school's store (SQLite and PostgreSQL), the CLI pointed at it."""
    ctx = school.context(database_url)
    monkeypatch.setenv("COMPLIANCE_BOT_HOME", str(ctx.settings.home))
    monkeypatch.setenv("COMPLIANCE_BOT_DATABASE_URL", database_url)
    monkeypatch.setenv("COLUMNS", "200")
    with ctx.store.transaction() as session:
        session.add(School(id="oak", name="Oak Test School"))
    yield ctx.store
    ctx.store.dispose()


def _graph_rig(store: Store, tmp_path: Path) -> tuple[Rig, Any]:
    from connectors.m365.connector import build
    from tests.connectors.contract.kit_m365 import m365_settings
    from tests.support.fakes.graph import FakeClock, FakeGraph

    clock = FakeClock()
    fake = FakeGraph(clock=clock)
    fake.seed_population()
    connectors = build(
        m365_settings(tmp_path), transport=fake.transport, clock=clock, sleep=clock.sleep
    )
    return Rig(store, connectors.mailer, fake, utcnow()), connectors.mailer.client.close


def _gmail_rig(store: Store, tmp_path: Path) -> Rig:
    from tests.connectors.contract.kit_google import build_google, seeded_fake

    fake = seeded_fake()
    return Rig(store, build_google(tmp_path, fake).mailer, fake, utcnow())


@pytest.fixture
def graph(store: Store, tmp_path: Path) -> Iterator[Rig]:
    """The Graph mailer over the fake Graph."""
    made, close = _graph_rig(store, tmp_path)
    yield made
    close()


@pytest.fixture
def gmail(store: Store, tmp_path: Path) -> Rig:
    """The Gmail mailer over the fake Google."""
    return _gmail_rig(store, tmp_path)


@pytest.fixture(params=["graph", "gmail"])
def rig(request: pytest.FixtureRequest, store: Store, tmp_path: Path) -> Iterator[Rig]:
    """Each platform that can look in its sent items."""
    if request.param == "gmail":
        yield _gmail_rig(store, tmp_path)
        return
    made, close = _graph_rig(store, tmp_path)
    yield made
    close()


def _lose_answer(rig: Rig, *, delivered: bool) -> None:
    """The next send's answer is lost: after the platform sent it, or before it did."""
    if hasattr(rig.fake, "fail_next"):  # Gmail
        error = TimeoutError("timed out")
        rig.fake.fail_next(
            GMAIL_SEND,
            **({"raise_after": error} if delivered else {"status": 503, "reason": "backendError"}),
        )
    else:  # Graph: a 504 after sending, or a reset before
        rig.fake.fail("POST", SEND_PATH, status=504, deliver=delivered)


def _sent_count(rig: Rig, key: str) -> int:
    if hasattr(rig.fake, "keys_sent"):
        return int(rig.fake.keys_sent().get(key, 0))
    return sum(1 for mail in rig.fake.sent if str(mail.message["X-Compliance-Bot-Key"]) == key)


def test_an_unknown_outcome_found_in_sent_items_is_marked_sent_without_a_person(rig: Rig) -> None:
    row_id = rig.queue("ack-1")
    _lose_answer(rig, delivered=True)
    dispatch(rig.store, rig.mailer, None, now=lambda: rig.start)
    assert rig.row(row_id).status == "delivery_unknown"
    # too soon: a sent item may take a moment to appear; nothing is looked up yet
    assert settle_unknown(rig.store, rig.mailer, rig.start).found == 0
    later = rig.start + LOOK_AFTER + timedelta(seconds=1)
    # the next dispatch pass looks it up (no person, no command)
    stats = dispatch(rig.store, rig.mailer, None, now=lambda: later)
    assert stats.found_sent == 1
    row = rig.row(row_id)
    assert (row.status, row.last_error) == ("sent", None) and row.provider_id
    assert rig.audit() == [("bot:sent-items-lookup", "outbox.found_sent", str(row_id))]
    dispatch(rig.store, rig.mailer, None, now=lambda: later + timedelta(hours=1))
    assert _sent_count(rig, "ack-1") == 1  # it arrived once and was never sent again


def test_an_unknown_outcome_not_in_sent_items_is_left_for_a_person(rig: Rig) -> None:
    row_id = rig.queue("ack-2")
    _lose_answer(rig, delivered=False)
    dispatch(rig.store, rig.mailer, None, now=lambda: rig.start)
    assert rig.row(row_id).status == "delivery_unknown"
    when = rig.start + LOOK_AFTER
    for look in range(1, MAX_LOOKUPS + 1):
        when += timedelta(hours=1)
        assert settle_unknown(rig.store, rig.mailer, when).not_found == 1
        assert rig.row(row_id).sent_lookups == look
    row = rig.row(row_id)
    assert row.status == "delivery_unknown"
    assert row.last_error == (
        f"not in the sending mailbox's sent items after {MAX_LOOKUPS} looks: a person should "
        "check whether it arrived (then `outbox resolve --sent` or `--resend`)"
    )
    assert settle_unknown(rig.store, rig.mailer, when + timedelta(days=1)).not_found == 0
    # a person decides, as before
    result = CliRunner().invoke(
        app, ["outbox", "resolve", str(row_id), "--resend", "--as", "head@oak.example"]
    )
    assert result.exit_code == 0, result.output
    later = when + timedelta(days=1)
    dispatch(rig.store, rig.mailer, None, now=lambda: later)
    assert rig.row(row_id).status == "sent"
    assert _sent_count(rig, "ack-2") == 1


def test_a_lookup_graph_does_not_permit_is_left_for_a_person_saying_why(graph: Rig) -> None:
    graph.fake.granted.discard("Mail.ReadBasic.All")
    row_id = graph.queue("ack-3")
    _lose_answer(graph, delivered=True)
    dispatch(graph.store, graph.mailer, None, now=lambda: graph.start)
    stats = settle_unknown(graph.store, graph.mailer, graph.start + timedelta(hours=1))
    assert (stats.found, stats.left_for_a_person) == (0, 1)
    row = graph.row(row_id)
    assert row.status == "delivery_unknown" and row.sent_lookups == MAX_LOOKUPS
    assert row.last_error is not None and "Mail.ReadBasic.All" in row.last_error
    assert "a person should check whether it arrived" in row.last_error
    result = CliRunner().invoke(
        app, ["outbox", "resolve", str(row_id), "--sent", "--as", "head@oak.example"]
    )
    assert result.exit_code == 0, result.output
    assert graph.row(row_id).status == "sent"


def test_a_lookup_without_the_gmail_read_scope_is_left_for_a_person(gmail: Rig) -> None:
    from tests.support.fakes.google import SA_CLIENT_ID

    gmail.fake.delegation[SA_CLIENT_ID].discard("https://www.googleapis.com/auth/gmail.readonly")
    row_id = gmail.queue("ack-4")
    _lose_answer(gmail, delivered=True)
    dispatch(gmail.store, gmail.mailer, None, now=lambda: gmail.start)
    assert (
        settle_unknown(
            gmail.store, gmail.mailer, gmail.start + timedelta(hours=1)
        ).left_for_a_person
        == 1
    )
    row = gmail.row(row_id)
    assert row.status == "delivery_unknown" and row.last_error is not None
    assert "gmail.readonly" in row.last_error and "deploy/google.md" in row.last_error


def test_smtp_cannot_say_so_its_unknown_outcomes_wait_for_a_person(store: Store) -> None:
    mailer = SmtpMailer("127.0.0.1", 1, "bot@oak.example", security="none")
    rig = Rig(store, mailer, None, utcnow())
    row_id = rig.queue("ack-5")
    with store.transaction() as session:
        row = session.get(OutboxMessage, row_id)
        assert row is not None
        row.status, row.last_error = "delivery_unknown", "interrupted while sending"
    stats = settle_unknown(store, mailer, rig.start + timedelta(hours=1))
    assert (stats.found, stats.not_found, stats.left_for_a_person) == (0, 0, 0)
    assert rig.row(row_id).last_error == "interrupted while sending"


def test_the_message_id_is_the_one_the_lookup_asks_for(graph: Rig) -> None:
    from connectors.mime import message_id

    graph.queue("ack-6")
    dispatch(graph.store, graph.mailer, None, now=lambda: graph.start)
    [mail] = graph.fake.sent
    assert mail.mime is not None
    assert message_id("ack-6", graph.mailer.sender).encode() in mail.mime
    found = graph.mailer.find_sent("ack-6")
    assert found is not None and found.provider_id
    [lookup] = graph.fake.graph_requests("GET", r"/mailFolders/SentItems/messages")
    assert lookup.url.params["$filter"] == (
        f"internetMessageId eq '{message_id('ack-6', graph.mailer.sender)}'"
    )
    assert graph.mailer.find_sent("never-sent") is None
