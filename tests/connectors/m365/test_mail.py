"""Microsoft 365 mail: sendMail through msgraph-sdk's real pipeline, against the fake Graph.

What the issue asks to be proved: a 503 on sendMail is exactly one request and a
``delivery_unknown`` row; a 429 is retried after ``Retry-After``; a 1,000-message run (10,000
with COMPLIANCE_BOT_FULL_SIZE=1) against a mailbox that allows 30 a minute meets no throttling
beyond the first answer and sends nothing twice. Everything runs through the real outbox
(SQLite) and the real dispatcher.
"""

from __future__ import annotations

import base64
import email
import email.policy
import io
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from rich.console import Console
from sqlalchemy import func, select

from bot.cli.render import print_trouble
from bot.core.config import SchoolConfig
from bot.core.database.store import Store
from bot.core.deployment.context import own_mailboxes, own_senders
from bot.core.models import OutboxMessage, School, utcnow
from bot.core.outbox import EmailDraft, Urgency, dispatch, enqueue_emails
from bot.core.outbox import pacing as mail_pacing
from bot.core.outbox.delivery import trouble
from bot.core.outbox.waiting import pending_summary
from bot.core.ports import (
    Attachment,
    MailPacing,
    OutgoingEmail,
    PermanentError,
    RetryableError,
    SetupError,
    UrgentReserve,
)
from schedules.jobs import DISPATCH_SECONDS
from tests.connectors.contract.kit_m365 import m365_settings
from tests.support.fakes.graph import GRAPH, SENDER, FakeClock, FakeGraph
from tests.support.mail_names import assert_read_back, named_messages
from tests.support.scale import full_size

pytest.importorskip("msgraph", reason="msgraph-sdk is not installed (uv sync --extra m365)")

from connectors.m365.connector import build
from connectors.m365.mail import GraphMailer
from tests.support.keys import TEST_KEYS

SEND_PATH = r"^/users/[^/]+/sendMail$"


@dataclass
class Rig:
    """The m365 mailer over the fake Graph, an outbox in SQLite, and one fake clock for all."""

    fake: FakeGraph
    clock: FakeClock
    mailer: GraphMailer
    store: Store
    start: datetime

    def now(self) -> datetime:
        """The outbox's clock, moved by the same fake clock as the mailer and the fake."""
        return self.start + timedelta(seconds=self.clock.now - 1_000_000.0)

    def queue(
        self,
        count: int,
        *,
        prefix: str = "k",
        urgency: Urgency = Urgency.ROUTINE,
        to: tuple[str, ...] = (),
    ) -> None:
        items = [
            (
                f"{prefix}{i}",
                EmailDraft(
                    to=to or (f"person{i}@oakfield.example",),
                    subject=f"Please acknowledge: policy {i}",
                    text=f"Plain {i}",
                    html=f"<p>Rich {i}</p>",
                ),
            )
            for i in range(count)
        ]
        with self.store.transaction() as session:
            enqueue_emails(
                session,
                school_id="s",
                purpose="test",
                urgency=urgency,
                items=items,
                not_before=self.now(),
            )

    def dispatch(self) -> Any:
        return dispatch(self.store, self.mailer, None, now=self.now)

    def states(self) -> dict[str, str]:
        with self.store.session() as session:
            rows = session.execute(select(OutboxMessage.idempotency_key, OutboxMessage.status))
            return dict(rows.all())

    def sends(self) -> list[httpx.Request]:
        return self.fake.graph_requests("POST", SEND_PATH)

    def usage(self) -> tuple[int, int, int]:
        """The mailbox's sends the outbox counts now: this minute's messages, and the last 24
        hours' messages and recipients."""
        with self.store.session() as session:
            return mail_pacing.usage(session, self.mailer.pacing, self.now())[0]


@pytest.fixture
def rig(tmp_path: Path, sqlite_url: str) -> Iterator[Rig]:
    clock = FakeClock()
    fake = FakeGraph(clock=clock)
    fake.seed_population()
    connectors = build(
        m365_settings(tmp_path), transport=fake.transport, clock=clock, sleep=clock.sleep
    )
    assert isinstance(connectors.mailer, GraphMailer)
    store = Store(sqlite_url, keys=TEST_KEYS)
    store.upgrade()
    with store.transaction() as session:
        session.add(School(id="s", name="Oakfield Primary School"))
    yield Rig(fake, clock, connectors.mailer, store, utcnow())
    connectors.mailer.client.close()
    store.dispose()


def _message(key: str = "m1", **overrides: Any) -> OutgoingEmail:
    values: dict[str, Any] = {
        "idempotency_key": key,
        "to": ("ben.teacher@oakfield.example",),
        "subject": "Please acknowledge: Online Safety Policy",
        "text": "Plain words",
        "html": "<p>Rich words</p>",
    }
    values.update(overrides)
    return OutgoingEmail(**values)


# --------------------------------------------------------------------------- the wire format


def test_sendmail_is_one_post_of_base64_mime_from_the_sender(rig: Rig) -> None:
    ics = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"
    attachment = Attachment("review.ics", "text/calendar", ics)
    rig.mailer.send(_message(attachments=(attachment,), from_name="Oakfield"))
    [request] = rig.sends()
    assert request.url.raw_path == b"/v1.0/users/compliance-bot%40oakfield.example/sendMail"
    assert request.headers["Content-Type"].startswith("text/plain")
    mime = email.message_from_bytes(base64.b64decode(request.content), policy=email.policy.default)
    assert isinstance(mime, email.message.EmailMessage)
    assert mime["From"].addresses[0].addr_spec == SENDER
    assert mime["X-Compliance-Bot-Key"] == "m1"
    assert mime.get_body(("plain",)) is not None and mime.get_body(("html",)) is not None
    [attachment] = list(mime.iter_attachments())
    assert attachment.get_filename() == "review.ics"
    assert attachment.get_payload(decode=True) == ics
    assert rig.fake.rejected == []


def test_every_name_reads_back_exactly_in_the_mime_graph_is_given(
    rig: Rig, node_modules: Path
) -> None:
    """Issue #40: the names of tests/support/mail_names.py in From, To, Cc and Reply-To of the
    MIME sendMail carries, read back exactly by Python's strict parser and by postal-mime."""
    sent = named_messages(SENDER)
    for message, _ in sent:
        rig.mailer.send(message)
    raws = [base64.b64decode(request.content) for request in rig.sends()]
    assert_read_back(raws, [expected for _, expected in sent], node_modules)
    assert rig.fake.rejected == []


def test_reads_and_sends_carry_the_token_and_no_secret_in_urls(rig: Rig) -> None:
    rig.mailer.send(_message())
    assert len(rig.fake.token_requests()) == 1
    for request in rig.fake.graph_requests():
        assert request.headers["Authorization"] == f"Bearer {rig.fake.access_token}"
        assert rig.fake.access_token not in str(request.url)
        assert rig.fake.client_secret not in str(request.url)


# --------------------------------------------------------------------------- failures


@pytest.mark.parametrize("status", [503, 504])
def test_5xx_on_sendmail_is_one_request_and_delivery_unknown(rig: Rig, status: int) -> None:
    rig.queue(1)
    rig.fake.fail("POST", SEND_PATH, status=status, times=5)
    stats = rig.dispatch()
    assert stats.delivery_unknown == 1
    assert len(rig.sends()) == 1  # the SDK's RetryHandler did not repeat the POST
    assert rig.states() == {"k0": "delivery_unknown"}
    rig.clock.advance(86_400)
    assert rig.dispatch().sent == 0
    assert len(rig.sends()) == 1  # and the outbox never resends it


def test_connection_lost_after_graph_sent_is_unknown_and_not_resent(rig: Rig) -> None:
    rig.queue(1)
    rig.fake.fail(
        "POST",
        SEND_PATH,
        exception=lambda request: httpx.ReadError("connection reset", request=request),
        deliver=True,
    )
    assert rig.dispatch().delivery_unknown == 1
    rig.clock.advance(3600)
    rig.dispatch()
    assert len(rig.sends()) == 1
    assert rig.fake.keys_sent() == {"k0": 1}  # it did arrive, once


def test_connection_refused_is_retried_later_and_delivered_once(rig: Rig) -> None:
    rig.queue(1)
    rig.fake.fail(
        "POST", SEND_PATH, exception=lambda request: httpx.ConnectError("refused", request=request)
    )
    assert rig.dispatch().retry_later == 1
    assert rig.states() == {"k0": "pending"}
    rig.clock.advance(120)
    assert rig.dispatch().sent == 1
    assert rig.fake.keys_sent() == {"k0": 1}


def test_429_is_retried_after_retry_after(rig: Rig) -> None:
    rig.queue(1)
    rig.fake.fail("POST", SEND_PATH, status=429, headers={"Retry-After": "7"})
    first = rig.dispatch()
    assert first.retry_later == 1 and len(rig.sends()) == 1
    assert abs((first.paused["email"] - rig.now()).total_seconds() - 7) < 0.01
    with rig.store.session() as session:
        row = session.scalars(select(OutboxMessage)).one()
        assert (row.status, row.attempts) == ("pending", 0)  # a 429 spends no attempt
    rig.clock.advance(6)
    assert rig.dispatch().sent == 0
    assert len(rig.sends()) == 1  # nothing asked of Graph before Retry-After
    rig.clock.advance(1)
    assert rig.dispatch().sent == 1
    assert len(rig.sends()) == 2
    assert rig.fake.keys_sent() == {"k0": 1}


def test_429_pauses_the_mailbox_without_spending_other_rows_attempts(rig: Rig) -> None:
    rig.queue(5)
    rig.fake.fail("POST", SEND_PATH, status=429, headers={"Retry-After": "30"})
    stats = rig.dispatch()
    assert (stats.retry_later, stats.sent) == (1, 0)
    assert len(rig.sends()) == 1
    with rig.store.session() as session:
        attempts = session.scalars(select(OutboxMessage.attempts).order_by(OutboxMessage.id))
        assert list(attempts) == [0, 0, 0, 0, 0]  # not even the throttled one spent one
    rig.clock.advance(30)
    assert rig.dispatch().sent == 5
    assert rig.fake.keys_sent() == {f"k{i}": 1 for i in range(5)}


def test_401_with_graph_error_body_pauses_mail_and_keeps_the_message(rig: Rig) -> None:
    rig.queue(3)
    rig.fake.fail("POST", SEND_PATH, status=401)
    assert rig.dispatch().retry_later == 1
    assert len(rig.sends()) == 1  # one probe; the other rows were not touched
    with rig.store.session() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [r.status for r in rows] == ["pending"] * 3
    assert [r.attempts for r in rows] == [0, 0, 0]  # a setup problem spends no attempt
    error = rows[0].last_error or ""
    assert "HTTP 401" in error and "InvalidAuthenticationToken" in error
    assert "deploy/m365.md" in error
    rig.clock.advance(15 * 60)
    assert rig.dispatch().sent == 3
    assert rig.fake.keys_sent() == {"k0": 1, "k1": 1, "k2": 1}


def test_mail_send_not_granted_for_the_sender_says_why_and_sends_nothing(rig: Rig) -> None:
    rig.fake.send_scope = {"someone.else@oakfield.example"}
    with pytest.raises(SetupError) as caught:
        rig.mailer.send(_message())
    text = str(caught.value)
    assert "ErrorAccessDenied" in text and "Mail.Send" in text and SENDER in text
    assert rig.fake.sent == []
    assert rig.mailer.ready_in() == 15 * 60  # paused: the next message does not ask again
    with pytest.raises(RetryableError):
        rig.mailer.send(_message("m2"))
    assert len(rig.sends()) == 1


def test_expired_secret_holds_the_queue_until_it_is_replaced(tmp_path: Path, rig: Rig) -> None:
    """A client secret expires every 6-24 months: the queue must wait for the new one, not fail."""
    rig.fake.client_secret = "the-secret-was-rotated"
    rig.queue(5)
    for _ in range(8):  # two hours of dispatch passes before anyone notices
        rig.dispatch()
        rig.clock.advance(15 * 60)
    with rig.store.session() as session:
        rows = session.scalars(select(OutboxMessage)).all()
    assert {r.status for r in rows} == {"pending"}
    assert {r.attempts for r in rows} == {0}
    assert all("AADSTS7000215" in (r.last_error or "") for r in rows if r.last_error)
    assert "fake-client-secret-for-tests" not in " ".join(r.last_error or "" for r in rows)
    assert rig.fake.graph_requests() == []  # Graph was never called without a token
    rig.fake.client_secret = "fake-client-secret-for-tests"  # the new secret is deployed
    rig.clock.advance(15 * 60)
    assert rig.dispatch().sent == 5
    assert rig.fake.keys_sent() == {f"k{i}": 1 for i in range(5)}


def test_no_recipients_and_oversized_messages_never_reach_graph(rig: Rig) -> None:
    with pytest.raises(PermanentError, match="no recipients"):
        rig.mailer.send(_message(to=()))
    big = Attachment("minutes.pdf", "application/pdf", b"x" * (3 * 1024 * 1024 + 1))
    with pytest.raises(PermanentError, match="4 MB"):
        rig.mailer.send(_message(attachments=(big,)))
    assert rig.sends() == []


def test_a_message_just_over_graphs_4_mb_is_refused_and_one_just_under_is_sent(rig: Rig) -> None:
    """Graph refuses a request over 4 MB (413). The request is the MIME in base64, and the
    attachment is base64 inside the MIME: about 2.2 MB of attachment is the most that fits."""
    limit = 4 * 1024 * 1024
    with pytest.raises(PermanentError, match="at most 4 MB"):
        rig.mailer.send(
            _message(attachments=(Attachment("minutes.pdf", "application/pdf", b"x" * 2_300_000),))
        )
    assert rig.sends() == []
    rig.mailer.send(
        _message(attachments=(Attachment("minutes.pdf", "application/pdf", b"x" * 2_296_000),))
    )
    [request] = rig.sends()
    assert limit - 4 * 1024 < len(request.content) <= limit and rig.fake.rejected == []
    with httpx.Client(transport=rig.fake.transport) as http:  # the fake answers as Graph does
        over = http.post(
            f"{GRAPH}/users/{SENDER}/sendMail",
            content=b"QUFB" * (limit // 4 + 1),
            headers={
                "Authorization": f"Bearer {rig.fake.access_token}",
                "Content-Type": "text/plain",
            },
        )
    assert over.status_code == 413
    assert over.json()["error"]["code"] == "RequestEntityTooLarge"


# --------------------------------------------------------------------------- limits


def test_the_mailer_declares_the_mailboxs_limits_for_the_outbox_to_count(
    rig: Rig, tmp_path: Path
) -> None:
    """The mailer counts nothing: it declares the mailbox's limits (the setting's messages a
    minute, Exchange's 10,000 recipients a day, the urgent reserve) and the dispatcher counts
    them in the database (``tests/core/test_outbox_claim.py``, ``test_outbox_urgency.py``)."""
    assert rig.mailer.pacing == MailPacing(
        SENDER, per_minute=30, window=60.0, daily_recipients=10_000, reserve=UrgentReserve(1, 300)
    )
    settings = m365_settings(
        tmp_path, messages_per_minute=20, urgent_reserve_per_minute=2, urgent_reserve_per_day=500
    )
    mailer = build(settings, transport=rig.fake.transport, clock=rig.clock).mailer
    assert isinstance(mailer, GraphMailer)
    assert mailer.pacing == MailPacing(
        SENDER, per_minute=20, daily_recipients=10_000, reserve=UrgentReserve(2, 500)
    )
    mailer.client.close()


@pytest.mark.parametrize("status", [503, 504])
def test_the_days_recipients_are_given_back_after_a_429_and_kept_after_a_5xx(
    rig: Rig, status: int
) -> None:
    """Exchange counts recipients over 24 hours; the outbox counts them before calling Graph.
    A 429 was not processed (its recipients are given back); a 503/504 may have been sent
    (they count). A message that no longer fits waits, without Graph being asked, until the
    24 hours have passed. That the limit holds mail back before any platform, and says when,
    is ``tests/core/test_outbox_claim.py``'s to prove:
    ``test_pacing_gives_out_only_what_the_mailbox_allows_and_remembers_it`` and
    ``test_a_day_held_back_by_the_mailbox_limit_is_said_in_words``."""
    rig.mailer.daily_recipients = 2
    two = ("a@oakfield.example", "B@oakfield.example")
    rig.queue(1, prefix="a", urgency=Urgency.SAFEGUARDING, to=two)
    rig.fake.fail("POST", SEND_PATH, status=429, headers={"Retry-After": "1"})
    assert rig.dispatch().retry_later == 1
    assert rig.usage() == (0, 0, 0)  # a 429 was not processed: nothing counts
    rig.clock.advance(1)
    rig.fake.fail("POST", SEND_PATH, status=status)
    assert rig.dispatch().delivery_unknown == 1
    assert rig.usage() == (1, 1, 2)  # it may have been sent: its two recipients count
    unknown_at = rig.now()
    assert len(rig.sends()) == 2

    rig.clock.advance(15 * 60)  # the pause after the unknown outcome has passed
    rig.queue(
        1, prefix="b", urgency=Urgency.SAFEGUARDING, to=("c@oakfield.example", "d@oakfield.example")
    )
    held = rig.dispatch()
    assert held.sent == 0 and len(rig.sends()) == 2  # refused before Graph
    assert held.paced_until is not None
    assert abs((held.paced_until - (unknown_at + timedelta(hours=24))).total_seconds()) <= 1
    assert rig.states()["b0"] == "pending"
    rig.clock.advance(24 * 3600)
    assert rig.dispatch().sent == 1
    assert rig.fake.keys_sent() == {"b0": 1}
    assert rig.states() == {"a0": "delivery_unknown", "b0": "sent"}


def test_a_message_to_more_people_than_a_days_limit_fails_without_reaching_graph(rig: Rig) -> None:
    """No day would ever fit it: the outbox lets it through alone and the mailer refuses it
    for good, instead of it holding the queue back for ever."""
    rig.mailer.daily_recipients = 2
    rig.queue(
        1,
        prefix="big",
        urgency=Urgency.SAFEGUARDING,
        to=tuple(f"p{i}@oakfield.example" for i in range(3)),
    )
    rig.queue(1, prefix="small", urgency=Urgency.SAFEGUARDING)
    stats = rig.dispatch()
    assert (stats.failed, stats.sent) == (1, 1)
    assert rig.states() == {"big0": "failed", "small0": "sent"}
    assert rig.fake.keys_sent() == {"small0": 1}


def test_a_minute_of_sends_is_paced_to_thirty(rig: Rig) -> None:
    """61 alerts (urgent: the mailbox's whole 30 a minute) go 30, 30 and 1 a minute apart,
    held back by the outbox's count, never by Graph."""
    rig.queue(61, urgency=Urgency.SAFEGUARDING)
    _drain(rig)
    stamps = [mail.at for mail in rig.fake.sent]
    assert len(stamps) == 61
    for i in range(30, len(stamps)):
        assert stamps[i] - stamps[i - 30] >= 60.0  # never 31 in any 60 seconds
    assert rig.fake.throttled == 0
    assert stamps[-1] - stamps[0] == pytest.approx(120.0)


def _drain(rig: Rig) -> int:
    """Dispatch as the scheduler would until nothing is pending: a pass that sent nothing is
    followed by the next run of the dispatch job (or the next due row, if later)."""
    passes = 0
    while True:
        passes += 1
        stats = rig.dispatch()
        with rig.store.session() as session:
            due = session.scalar(
                select(func.min(OutboxMessage.next_attempt_at)).where(
                    OutboxMessage.status == "pending"
                )
            )
        if due is None:
            return passes
        idle = 0.0 if stats.sent else float(DISPATCH_SECONDS)
        rig.clock.advance(max(idle, (due - rig.now()).total_seconds()))


@pytest.mark.slow
def test_many_messages_at_30_a_minute_no_throttling_beyond_the_first_no_duplicates(
    rig: Rig,
) -> None:
    # 300 by default (ten minutes of the mailbox's allowance: every minute's 30 after the first
    # throttled answer, as test_mail_workers sends); COMPLIANCE_BOT_FULL_SIZE=1 runs the 10,000
    # of the issue (6 min on 2 cores)
    count = full_size(300, 10_000)
    rig.queue(count)
    # the bot restarted: the mailbox's allowance for this minute is already spent elsewhere
    rig.fake.sent_elsewhere(SENDER, 30)
    started, wall = rig.clock.now, time.perf_counter()
    passes = _drain(rig)
    wall = time.perf_counter() - wall
    minutes = (rig.clock.now - started) / 60
    assert rig.fake.throttled == 1  # the first answer only; pacing avoided every other 429
    assert len(rig.fake.sent) == count
    keys = rig.fake.keys_sent()
    assert len(keys) == count and set(keys.values()) == {1}  # no duplicates
    assert set(rig.states().values()) == {"sent"}
    assert len(rig.sends()) == count + 1
    assert count / 30 <= minutes <= count / 30 + 2  # spread out, not bunched
    print(
        f"\n{count:,} messages: {passes} dispatch passes, {rig.fake.throttled} throttled answer, "
        f"{minutes:.0f} minutes of mailbox time (fake clock), {wall:.1f} s of wall time"
    )


def test_a_message_bounced_after_graphs_202_is_marked_bounced_and_shown(rig: Rig) -> None:
    """Past the tenant's external recipient limit Exchange accepts (202) and then bounces
    (5.7.233): the report in the sender's inbox turns that row from sent to bounced, once."""
    from bot.core.models import AuditEvent
    from bot.core.outbox.delivery import trouble
    from bot.core.outbox.lookup import record_bounces

    rig.queue(2, to=("gill@home.example",))
    assert rig.dispatch().sent == 2
    first = next(m for m in rig.fake.sent if m.key == "k0")
    rig.fake.bounce(first)
    assert record_bounces(rig.store, rig.mailer, rig.now()) == 1
    assert rig.states() == {"k0": "bounced", "k1": "sent"}
    assert record_bounces(rig.store, rig.mailer, rig.now()) == 0  # marked once
    inbox = rig.fake.graph_requests("GET", r"^/users/[^/]+/mailFolders/inbox/messages$")[-1]
    assert inbox.url.params["$filter"].startswith("receivedDateTime ge ")
    with rig.store.session() as session:
        assert trouble(session, rig.now()).failed == 1  # shown as not delivered
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "outbox.bounced")
        ).one()
        row = session.scalars(
            select(OutboxMessage).where(OutboxMessage.idempotency_key == "k0")
        ).one()
    assert event.object_id == str(row.id) and "non-delivery report" in (row.last_error or "")
    rig.fake.bounce(next(m for m in rig.fake.sent if m.key == "k1"))
    rig.dispatch()  # the dispatcher's passes read the reports too
    assert rig.states() == {"k0": "bounced", "k1": "bounced"}


# --------------------------------------------------------------------------- a trust's mailboxes

MONDAY = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def test_a_429_holds_only_its_mailbox_and_the_schools_sharing_it(
    tmp_path: Path, sqlite_url: str, time_machine: Any
) -> None:
    """Schools a and c share a's own mailbox, b has its own, d uses the install's: Graph's 429
    (Retry-After 30 s) on a's mailbox holds a's and c's mail, b's and d's go in the same pass,
    and a's and c's go once the Retry-After has passed; each message once, none lost.
    ``status`` names the mailbox."""
    time_machine.move_to(MONDAY, tick=False)
    fake = FakeGraph(clock=time.time)
    fake.seed_population()
    for user, address in (("mbx-a", "office@a.example"), ("mbx-b", "office@b.example")):
        fake.add_user(user, "School office", address, account_enabled=False, licensed=False)
    fake.send_scope = {SENDER, "office@a.example", "office@b.example"}
    connectors = build(m365_settings(tmp_path), transport=fake.transport, clock=time.time)
    head = {"headteacher": "head@oakfield.example"}
    schools = [
        SchoolConfig(id="a", name="A", sender="office@a.example", **head),
        SchoolConfig(id="b", name="B", sender="office@b.example", **head),
        SchoolConfig(id="c", name="C", sender="office@a.example", **head),
        SchoolConfig(id="d", name="D", **head),
    ]
    boxes = own_mailboxes(schools, connectors)
    store = Store(sqlite_url, keys=TEST_KEYS)
    store.upgrade()
    with store.transaction() as session:
        session.add_all(School(id=s.id, name=s.name) for s in schools)
        session.flush()
        for school in "abcd":
            enqueue_emails(
                session,
                school_id=school,
                purpose="digest",
                urgency=Urgency.ROUTINE,
                not_before=MONDAY,
                items=[
                    (f"{school}{i}", EmailDraft((f"p{i}@oakfield.example",), "S", "t", "<p>h</p>"))
                    for i in range(5)
                ],
            )
    a_sends = r"^/users/office(@|%40)a\.example/sendMail$"
    fake.fail("POST", a_sends, status=429, headers={"Retry-After": "30"})

    def send() -> Any:
        return dispatch(store, connectors.mailer, None, mailboxes=boxes)

    def states() -> dict[str, str]:
        with store.session() as session:
            return dict(
                session.execute(select(OutboxMessage.idempotency_key, OutboxMessage.status)).all()
            )

    first = send()
    assert first.paused == {"office@a.example": MONDAY + timedelta(seconds=30)}
    assert first.retry_later == 1
    assert fake.keys_sent() == {f"{s}{i}": 1 for s in "bd" for i in range(5)}
    held = {key for key, state in states().items() if state == "pending"}
    assert held == {f"{s}{i}" for s in "ac" for i in range(5)}
    with store.session() as session:
        waiting = pending_summary(session, MONDAY, senders=own_senders(schools))
        problems = trouble(session, MONDAY)
    assert [w.sentence(MONDAY) for w in waiting] == [
        "10 wait because sending from office@a.example is paused after the platform asked the "
        "bot to slow down: they go today at 08:00."
    ]
    words = io.StringIO()
    print_trouble(Console(file=words, width=400), problems)
    assert words.getvalue().startswith("Email from office@a.example paused until Mon 23 Nov")
    time_machine.shift(29)
    assert send().sent == 0 and len(fake.graph_requests("POST", a_sends)) == 1  # none early
    time_machine.shift(1)
    assert send().sent == 10
    assert set(states().values()) == {"sent"}
    assert fake.keys_sent() == {f"{s}{i}": 1 for s in "abcd" for i in range(5)}
