"""Messages that need a person: the admins' alert about a refused message (real SMTP), the
``outbox resolve`` command both ways (audited, with its refusals), the counts everyone sees,
and the migration that adds it all without touching stored messages."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, text
from typer.testing import CliRunner

from bot.cli.main import app
from bot.core.config import SchoolConfig
from bot.core.database.store import Store
from bot.core.models import AuditEvent, OutboxMessage, School, utcnow
from bot.core.outbox import EmailDraft, Urgency, dispatch, enqueue_email
from bot.core.outbox.delivery import AdminAlerts, ResolveError, failure_recipients, resolve, trouble
from bot.core.ports import DeliveryUnknownError, Mailer, OutgoingEmail, SendResult
from connectors.local.connector import SmtpMailer
from connectors.mime import KEY_HEADER
from tests.conftest import free_port
from tests.support.helpers import SchoolBuilder
from tests.support.keys import TEST_KEYS

SCHOOL = SchoolConfig(
    id="s",
    name="Oak Test School",
    headteacher="head@oak.example",
    dsl=["dsl@oak.example"],
    deputy_dsl=["deputy@oak.example"],
    admins=["it@oak.example"],
)
BODY = "UNIQUE-BODY-TEXT-2718"
SUBJECT = "Please acknowledge: Online Safety Policy"


class Mailroom:
    """aiosmtpd handler: refuses the recipients in ``refused`` (550), keeps everything else."""

    def __init__(self) -> None:
        self.refused: set[str] = {"gone@oak.example"}
        self.messages: list[email.message.EmailMessage] = []

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address.lower() in self.refused:
            return "550 5.1.1 <" + address + ">: Recipient address rejected: no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, email.message.EmailMessage)
        self.messages.append(parsed)
        return "250 OK"

    def alerts(self) -> list[email.message.EmailMessage]:
        return [m for m in self.messages if str(m[KEY_HEADER]).startswith("delivery_alert:")]


@pytest.fixture
def mailroom() -> Iterator[tuple[Mailroom, SmtpMailer]]:
    room = Mailroom()
    port = free_port()
    controller = Controller(room, hostname="127.0.0.1", port=port)
    controller.start()
    yield room, SmtpMailer("127.0.0.1", port, "bot@oak.example", security="none")
    controller.stop()


def _store(url: str) -> Store:
    store = Store(url, keys=TEST_KEYS)
    store.upgrade()
    with store.transaction() as session:
        session.add(School(id="s", name=SCHOOL.name))
    return store


def _queue(store: Store, key: str, to: str, purpose: str = "reminder") -> int:
    with store.transaction() as session:
        enqueue_email(
            session,
            school_id="s",
            key=key,
            purpose=purpose,
            urgency=Urgency.ROUTINE,
            draft=EmailDraft((to,), SUBJECT, BODY, f"<p>{BODY}</p>"),
        )
        row_id = session.scalar(
            select(OutboxMessage.id).where(OutboxMessage.idempotency_key == key)
        )
        assert row_id is not None
        return row_id


def _row(store: Store, row_id: int) -> OutboxMessage:
    with store.session() as session:
        row = session.get(OutboxMessage, row_id)
        assert row is not None
        return row


# --------------------------------------------------------------------------- the admins' alert


def test_a_refused_message_fails_once_and_alerts_the_admins_without_its_content(
    mailroom: tuple[Mailroom, SmtpMailer], database_url: str
) -> None:
    room, mailer = mailroom
    store = _store(database_url)
    bad = _queue(store, "k-bad", "gone@oak.example")
    _queue(store, "k-good", "amy@oak.example")
    alerts = AdminAlerts.of([SCHOOL])
    stats = dispatch(store, mailer, None, alerts=alerts)
    assert (stats.failed, stats.alerts) == (1, 1)
    assert stats.sent == 2  # the good one, and the alert within the same run
    row = _row(store, bad)
    assert row.status == "failed" and row.alerted_at is not None
    assert "550" in (row.last_error or "") or "refused" in (row.last_error or "")
    [alert] = room.alerts()
    assert alert["To"] == "it@oak.example"  # the admins, not the headteacher
    assert alert["Subject"] == "A message could not be delivered"
    words = alert.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert f"Message {bad}" in words and "Reminder to a member of staff" in words
    assert "compliance-bot outbox resolve" in words
    for secret in (BODY, SUBJECT, "gone@oak.example"):  # never what it said, nor to whom
        assert secret not in alert.as_string()
    # told once: later runs (and another process catching up) queue nothing more
    assert dispatch(store, mailer, None, alerts=alerts).alerts == 0
    with store.transaction() as session:
        assert alerts.queue(session, utcnow()) == 0
    assert len(room.alerts()) == 1
    store.dispose()


def test_an_alert_that_is_refused_is_never_alerted_about(
    mailroom: tuple[Mailroom, SmtpMailer], sqlite_url: str
) -> None:
    room, mailer = mailroom
    room.refused.add("it@oak.example")  # the admin's own address is wrong too
    store = _store(sqlite_url)
    _queue(store, "k-bad", "gone@oak.example")
    alerts = AdminAlerts.of([SCHOOL])
    for _ in range(3):
        dispatch(store, mailer, None, alerts=alerts)
    with store.session() as session:
        purposes = [(r.purpose, r.status) for r in session.scalars(select(OutboxMessage))]
        waiting = trouble(session, utcnow())
    assert sorted(purposes) == [("delivery_alert", "failed"), ("reminder", "failed")]
    assert (waiting.failed, waiting.unknown) == (2, 0)  # both still visible to people
    store.dispose()


def test_a_failure_caught_up_later_and_again_after_a_resend(
    mailroom: tuple[Mailroom, SmtpMailer], sqlite_url: str
) -> None:
    """A dispatch without alerts (e.g. the web's) leaves it to the next one; a message resent
    and refused again is alerted about again."""
    room, mailer = mailroom
    store = _store(sqlite_url)
    bad = _queue(store, "k-bad", "gone@oak.example")
    dispatch(store, mailer, None)
    assert room.alerts() == []
    alerts = AdminAlerts.of([SCHOOL])
    assert dispatch(store, mailer, None, alerts=alerts).alerts == 1
    with store.transaction() as session:
        resolve(
            session, bad, resend=True, email="it@oak.example", schools={"s": SCHOOL}, now=utcnow()
        )
    assert dispatch(store, mailer, None, alerts=alerts).alerts == 1
    assert len(room.alerts()) == 2
    store.dispose()


def test_who_hears_about_a_refusal() -> None:
    assert failure_recipients(SCHOOL, "reminder") == ["it@oak.example"]
    # a safeguarding message: the DSL team (it may be about the headteacher), and the admins
    assert failure_recipients(SCHOOL, "report_alert") == [
        "dsl@oak.example",
        "deputy@oak.example",
        "it@oak.example",
    ]
    bare = SchoolConfig(id="s", name="S", headteacher="head@oak.example")
    assert failure_recipients(bare, "reminder") == ["head@oak.example"]


# --------------------------------------------------------------------------- resolve


class Scripted(Mailer):
    """A mailer answering from a list (SendResult or an exception)."""

    def __init__(self, outcomes: list[Any]) -> None:
        self.outcomes = outcomes
        self.calls: list[str] = []

    def send(self, message: OutgoingEmail) -> SendResult:
        self.calls.append(message.idempotency_key)
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return SendResult("id")


@pytest.fixture
def cli(school: SchoolBuilder, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    school.school["admins"] = ["it@oak.example"]
    ctx = school.context(database_url)
    monkeypatch.setenv("COMPLIANCE_BOT_HOME", str(ctx.settings.home))
    monkeypatch.setenv("COMPLIANCE_BOT_DATABASE_URL", database_url)
    monkeypatch.setenv("COLUMNS", "200")
    with ctx.store.transaction() as session:
        session.add(School(id="oak", name="Oak Test School"))
    yield ctx
    ctx.store.dispose()


def _uncertain(store: Store, key: str, to: str = "amy@oak.example") -> int:
    with store.transaction() as session:
        enqueue_email(
            session,
            school_id="oak",
            key=key,
            purpose="reminder",
            urgency=Urgency.ROUTINE,
            draft=EmailDraft((to,), SUBJECT, BODY, "<p>h</p>"),
        )
    now = utcnow()
    dispatch(
        store, Scripted([DeliveryUnknownError("sendMail failed (HTTP 504)")]), None, now=lambda: now
    )
    with store.session() as session:
        row_id = session.scalar(
            select(OutboxMessage.id).where(OutboxMessage.idempotency_key == key)
        )
        assert row_id is not None
        return row_id


def _audit(store: Store) -> list[AuditEvent]:
    with store.session() as session:
        return list(
            session.scalars(
                select(AuditEvent)
                .where(AuditEvent.object_type == "outbox")
                .order_by(AuditEvent.seq)
            )
        )


def test_resolve_sent_marks_it_delivered_and_records_who(cli: Any) -> None:
    store = cli.store
    row_id = _uncertain(store, "k1")
    result = CliRunner().invoke(
        app, ["outbox", "resolve", str(row_id), "--sent", "--as", "IT@oak.example"]
    )
    assert result.exit_code == 0, result.output
    assert f"Message {row_id} is marked as delivered" in result.output
    assert _row(store, row_id).status == "sent"
    [event] = _audit(store)
    assert (event.actor, event.action, event.object_id) == (
        "cli:it@oak.example",
        "outbox.confirmed_sent",
        str(row_id),
    )
    assert event.details["was"] == "delivery_unknown" and "os_user" in event.details
    # nothing is sent again
    mailer = Scripted([])
    dispatch(store, mailer, None, now=lambda: utcnow() + timedelta(hours=1))
    assert mailer.calls == []


def test_resolve_resend_sends_it_once_more_and_records_who(cli: Any) -> None:
    store = cli.store
    row_id = _uncertain(store, "k1")
    result = CliRunner().invoke(
        app, ["outbox", "resolve", str(row_id), "--resend", "--as", "head@oak.example"]
    )
    assert result.exit_code == 0, result.output
    assert f"Message {row_id} is queued to be sent again" in result.output
    mailer = Scripted([SendResult("ok")])
    stats = dispatch(store, mailer, None, now=lambda: utcnow() + timedelta(hours=1))
    assert (stats.sent, mailer.calls) == (1, ["k1"])
    assert _row(store, row_id).status == "sent"
    [event] = _audit(store)
    assert (event.actor, event.action) == ("cli:head@oak.example", "outbox.resent")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--sent"], "say who you are with --as EMAIL"),
        (["--as", "it@oak.example"], "say either --sent"),
        (["--sent", "--resend", "--as", "it@oak.example"], "say either --sent"),
        (
            ["--sent", "--as", "amy@oak.example"],
            "amy@oak.example is not the headteacher, an "
            "admin, a DSL or a deputy DSL of Oak Test School",
        ),
    ],
)
def test_resolve_refuses_unclear_or_unauthorised_requests(
    cli: Any, args: list[str], says: str
) -> None:
    row_id = _uncertain(cli.store, "k1")
    result = CliRunner().invoke(app, ["outbox", "resolve", str(row_id), *args])
    assert result.exit_code == 2
    assert says in " ".join(result.output.split())
    assert _row(cli.store, row_id).status == "delivery_unknown"  # untouched
    assert _audit(cli.store) == []


def test_resolve_refuses_rows_that_need_no_person(cli: Any) -> None:
    store = cli.store
    schools = {s.id: s for s in cli.config.schools}
    delivered = _uncertain(store, "k-sent")
    with store.transaction() as session:
        resolve(
            session, delivered, resend=False, email="it@oak.example", schools=schools, now=utcnow()
        )
        enqueue_email(
            session,
            school_id="oak",
            key="waiting",
            purpose="reminder",
            urgency=Urgency.ROUTINE,
            draft=EmailDraft(("amy@oak.example",), "s", "t", "h"),
        )
    with store.session() as session:
        waiting = session.scalar(
            select(OutboxMessage.id).where(OutboxMessage.idempotency_key == "waiting")
        )
    runner = CliRunner()
    only = "only a message that may not have arrived or could not be delivered can be resolved"
    for row_id, says in (
        (waiting, f"Message {waiting} is waiting to be sent: {only}"),
        (delivered, f"Message {delivered} was delivered: {only}"),
        (999, "There is no message 999 in the outbox"),
    ):
        result = runner.invoke(
            app, ["outbox", "resolve", str(row_id), "--resend", "--as", "it@oak.example"]
        )
        assert result.exit_code == 2, result.output
        assert says in " ".join(result.output.split())
    assert _row(store, delivered).status == "sent" and _row(store, waiting).status == "pending"
    assert [e.action for e in _audit(store)] == ["outbox.confirmed_sent"]  # the set-up only
    with pytest.raises(ResolveError), store.transaction() as session:
        resolve(
            session, delivered, resend=True, email="it@oak.example", schools=schools, now=utcnow()
        )


def test_the_outbox_listing_still_works_and_explains_uncertain_rows(cli: Any) -> None:
    _uncertain(cli.store, "k1")
    result = CliRunner().invoke(app, ["outbox"])
    assert result.exit_code == 0, result.output
    words = " ".join(result.output.split())
    assert "delivery_unknown: 1" in words
    assert "Email paused until" in words  # the 504 paused email for a minute
    assert "outbox resolve ID --sent" in words
    filtered = CliRunner().invoke(app, ["outbox", "--status", "sent"])
    assert filtered.exit_code == 0 and "k1" not in filtered.output


def test_sweep_and_status_say_what_waits_for_a_person(cli: Any) -> None:
    _uncertain(cli.store, "k1")
    sweep = CliRunner().invoke(app, ["sweep", "--no-send"])
    assert sweep.exit_code == 0, sweep.output
    words = " ".join(sweep.output.split())
    assert "1 message may not have arrived" in words
    assert "compliance-bot outbox resolve ID --sent" in words
    status = CliRunner().invoke(app, ["status"])
    assert status.exit_code == 0, status.output
    words = " ".join(status.output.split())
    assert "1 message may not have arrived" in words  # the dashboard's line
    assert "Check the sending mailbox's Sent Items" in words  # and what to do about it
    assert "compliance-bot outbox resolve ID --sent --as YOU" in words
    assert "compliance-bot outbox --status delivery_unknown" in words


# --------------------------------------------------------------------------- the migration


def test_the_migration_keeps_every_message_and_floods_no_one(database_url: str) -> None:
    """Upgrading from 0001: stored messages are unchanged; those already failed count as told
    (so no flood of alerts about old failures); the channel table starts empty."""
    from alembic import command

    from bot.core.database.store import alembic_config

    store = Store(database_url, keys=TEST_KEYS)
    command.upgrade(alembic_config(store.engine), "0001")
    created = utcnow() - timedelta(days=30)
    with store.engine.begin() as conn:
        conn.execute(
            text("INSERT INTO schools (id, name, created_at) VALUES ('s', 'S', :at)"),
            {"at": created.replace(tzinfo=None)},
        )
        for key, status in (
            ("old-failed", "failed"),
            ("old-pending", "pending"),
            ("old-unknown", "delivery_unknown"),
        ):
            conn.execute(
                text(
                    "INSERT INTO outbox (school_id, idempotency_key, channel, purpose, recipients,"
                    " cc, subject, payload, status, attempts, next_attempt_at, created_at) VALUES"
                    " ('s', :key, 'email', 'reminder', '[]', '[]', 'subj', '{}', :status, 1,"
                    " :at, :at)"
                ),
                {"key": key, "status": status, "at": created.replace(tzinfo=None)},
            )
    store.upgrade()
    with store.session() as session:
        rows = {r.idempotency_key: r for r in session.scalars(select(OutboxMessage))}
        assert {k: r.status for k, r in rows.items()} == {
            "old-failed": "failed",
            "old-pending": "pending",
            "old-unknown": "delivery_unknown",
        }
        assert rows["old-failed"].alerted_at == rows["old-failed"].created_at
        assert rows["old-pending"].alerted_at is None
        assert session.execute(text("SELECT count(*) FROM outbox_channels")).scalar() == 0
    with store.transaction() as session:
        assert (
            AdminAlerts.of([SchoolConfig(id="s", name="S", headteacher="h@s.example")]).queue(
                session, utcnow()
            )
            == 0
        )
    store.dispose()
