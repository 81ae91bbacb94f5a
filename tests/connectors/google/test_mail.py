"""GmailMailer over the fake Gmail API: raw RFC 5322 body, batches, error mapping, and its
declared limits as the outbox counts them (the mailer itself counts nothing)."""

from __future__ import annotations

import base64
import email
import email.message
import email.parser
import email.policy
import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.core.database.store import Store
from bot.core.models import School, utcnow
from bot.core.outbox import EmailDraft, Urgency, dispatch, enqueue_emails
from tests.support.keys import TEST_KEYS
from tests.support.mail_names import assert_read_back, named_messages

pytest.importorskip("googleapiclient", reason="needs google-api-python-client")

from bot.core.ports import (
    Attachment,
    DeliveryUnknownError,
    MailPacing,
    OutgoingEmail,
    PermanentError,
    RetryableError,
    SendResult,
    SetupError,
    UrgentReserve,
)
from connectors.google.mail import GmailMailer
from tests.connectors.contract.kit_google import SENDER, build_google, seeded_fake
from tests.support.fakes.google import FakeGoogle, ManualClock, no_real_http  # noqa: F401

pytestmark = pytest.mark.usefixtures("no_real_http")

SEND = "gmail.users.messages.send"


def mail(number: int = 0, **changes: Any) -> OutgoingEmail:
    values: dict[str, Any] = {
        "idempotency_key": f"ack:policy-1:person-{number}:2026:stage-0",
        "to": (f"person{number}@oakfield.example",),
        "subject": f"Please acknowledge {number}",
        "text": f"Plain words {number}",
        "html": f"<p>Rich words {number}</p>",
    }
    values.update(changes)
    return OutgoingEmail(**values)


@pytest.fixture
def fake() -> FakeGoogle:
    return seeded_fake()


@pytest.fixture
def mailer(tmp_path: Path, fake: FakeGoogle) -> GmailMailer:
    built = build_google(tmp_path, fake).mailer
    assert isinstance(built, GmailMailer)
    return built


def _decoded(body: dict[str, Any]) -> email.message.EmailMessage:
    assert set(body) == {"raw"}
    assert "+" not in body["raw"] and "/" not in body["raw"]  # base64url, not base64
    raw = base64.urlsafe_b64decode(body["raw"])
    assert b"\r\n" in raw and b"\n\n" not in raw.replace(b"\r\n", b"")  # CRLF line endings
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, email.message.EmailMessage)
    return parsed


def test_every_name_reads_back_exactly_in_the_raw_gmail_is_given(
    mailer: GmailMailer, fake: FakeGoogle, node_modules: Path
) -> None:
    """Issue #40: the names of tests/support/mail_names.py in From, To, Cc and Reply-To of the
    ``raw`` message Gmail sends, read back exactly by Python's strict parser and postal-mime."""
    sent = named_messages(SENDER)
    for message, _ in sent:
        mailer.send(message)
    raws = [base64.urlsafe_b64decode(call.json()["raw"]) for call in fake.calls(SEND)]
    assert_read_back(raws, [expected for _, expected in sent], node_modules)


def test_send_posts_base64url_rfc5322_with_text_html_and_attachment(
    mailer: GmailMailer, fake: FakeGoogle
) -> None:
    ics = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"
    result = mailer.send(
        mail(
            7,
            cc=("ada.head@oakfield.example",),
            reply_to="dsl@oakfield.example",
            from_name="Oakfield Primary",
            attachments=(Attachment("review.ics", "text/calendar", ics),),
        )
    )
    [call] = fake.calls(SEND)
    assert (call.method, call.path) == ("POST", "/gmail/v1/users/me/messages/send")
    assert call.principal == SENDER  # the token was delegated to the sender mailbox
    message = _decoded(call.json())
    assert message["From"] == f"Oakfield Primary <{SENDER}>"
    assert message["To"] == "person7@oakfield.example"
    assert message["Cc"] == "ada.head@oakfield.example"
    assert message["Reply-To"] == "dsl@oakfield.example"
    assert message["Subject"] == "Please acknowledge 7"
    assert message["X-Compliance-Bot-Key"] == "ack:policy-1:person-7:2026:stage-0"
    assert message.get_content_type() == "multipart/mixed"
    [alternative] = [p for p in message.walk() if p.get_content_type() == "multipart/alternative"]
    assert isinstance(alternative, email.message.EmailMessage)
    parts = list(alternative.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert isinstance(parts[0], email.message.EmailMessage)
    assert isinstance(parts[1], email.message.EmailMessage)
    assert parts[0].get_content().strip() == "Plain words 7"
    assert parts[1].get_content().strip() == "<p>Rich words 7</p>"
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "review.ics"
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_payload(decode=True) == ics
    assert result == SendResult(provider_id=fake.sent[0].id)


def test_send_without_attachments_is_multipart_alternative(
    mailer: GmailMailer, fake: FakeGoogle
) -> None:
    mailer.send(mail(1))
    message = _decoded(fake.calls(SEND)[0].json())
    assert message.get_content_type() == "multipart/alternative"
    assert list(message.iter_attachments()) == []


def test_send_batch_of_5_goes_as_2_2_1_in_order(mailer: GmailMailer, fake: FakeGoogle) -> None:
    results = mailer.send_batch([mail(i) for i in range(5)])

    assert [len(b) for b in fake.batches] == [2, 2, 1]
    outer = fake.calls("batch")
    assert len(outer) == 3
    for request, size in zip(outer, (2, 2, 1), strict=True):
        assert request.method == "POST"
        assert request.path == "/batch/gmail/v1"
        content_type = request.headers["content-type"]
        assert content_type.startswith("multipart/mixed; boundary=")
        parsed = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + request.body
        )
        parts = parsed.get_payload()
        assert isinstance(parts, list) and len(parts) == size
        for part in parts:
            assert isinstance(part, email.message.EmailMessage)
            assert part.get_content_type() == "application/http"
            assert part["Content-ID"].startswith("<")
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            inner = payload.decode()
            assert inner.startswith("POST /gmail/v1/users/me/messages/send")
            assert "authorization: bearer ya29." in inner.lower()
    assert all(r.principal == SENDER for r in fake.calls(SEND))
    assert [m.message["Subject"] for m in fake.sent] == [
        f"Please acknowledge {i}" for i in range(5)
    ]
    assert all(isinstance(r, SendResult) for r in results)
    assert [r.provider_id for r in results if isinstance(r, SendResult)] == [
        m.id for m in fake.sent
    ]
    # what the mailer is handed goes at once: how many a minute is the outbox's count
    # (test_sends_are_paced_to_messages_per_minute_by_the_outbox)


def test_rate_limit_403_is_retryable(mailer: GmailMailer, fake: FakeGoogle) -> None:
    fake.fail_next(SEND, 403, reason="rateLimitExceeded", message="Rate Limit Exceeded")
    with pytest.raises(RetryableError) as caught:
        mailer.send(mail())
    assert "rateLimitExceeded" in str(caught.value)
    assert fake.sent == []


def test_user_rate_limit_403_is_retryable(mailer: GmailMailer, fake: FakeGoogle) -> None:
    fake.fail_next(SEND, 403, reason="userRateLimitExceeded", message="User Rate Limit Exceeded")
    with pytest.raises(RetryableError):
        mailer.send(mail())


def test_429_carries_retry_after_from_header(mailer: GmailMailer, fake: FakeGoogle) -> None:
    fake.fail_next(
        SEND,
        429,
        reason="rateLimitExceeded",
        message="Too many requests",
        headers={"Retry-After": "30"},
    )
    with pytest.raises(RetryableError) as caught:
        mailer.send(mail())
    assert caught.value.retry_after == 30.0


def test_429_carries_retry_after_from_gmail_message(mailer: GmailMailer, fake: FakeGoogle) -> None:
    fake.fail_next(
        SEND,
        429,
        reason="rateLimitExceeded",
        message="User-rate limit exceeded.  Retry after 2999-01-01T00:00:00.000Z (Mail sending)",
    )
    with pytest.raises(RetryableError) as caught:
        mailer.send(mail())
    assert caught.value.retry_after is not None and caught.value.retry_after > 86_400


def test_500_on_send_is_delivery_unknown_after_exactly_one_request(
    mailer: GmailMailer, fake: FakeGoogle
) -> None:
    fake.fail_next(SEND, 500, reason="backendError", message="Backend Error")
    with pytest.raises(DeliveryUnknownError):
        mailer.send(mail())
    assert len(fake.calls(SEND)) == 1


def test_timeout_after_google_processed_is_delivery_unknown(
    mailer: GmailMailer, fake: FakeGoogle
) -> None:
    fake.fail_next(SEND, raise_after=TimeoutError("timed out"))
    with pytest.raises(DeliveryUnknownError):
        mailer.send(mail())
    assert len(fake.sent) == 1  # it did go: exactly why the outbox must not resend blindly
    assert len(fake.calls(SEND)) == 1


def test_connection_refused_is_retryable(mailer: GmailMailer, fake: FakeGoogle) -> None:
    fake.fail_next(SEND, raise_before=ConnectionRefusedError(111, "Connection refused"))
    with pytest.raises(RetryableError):
        mailer.send(mail())
    assert fake.sent == []


def test_other_4xx_is_permanent_with_googles_reason(mailer: GmailMailer, fake: FakeGoogle) -> None:
    fake.fail_next(SEND, 400, reason="invalidArgument", message="Invalid To header")
    with pytest.raises(PermanentError) as caught:
        mailer.send(mail(3))
    text = str(caught.value)
    assert "invalidArgument" in text and "Invalid To header" in text
    assert "Plain words" not in text and "ya29." not in text  # no content, no token


def test_missing_delegation_is_a_setup_problem_and_nothing_is_sent(
    mailer: GmailMailer, fake: FakeGoogle
) -> None:
    """Every message would meet it: the queue waits for the fix, no message fails for it."""
    fake.delegation.clear()  # the admin has not authorised the client id
    with pytest.raises(SetupError) as caught:
        mailer.send(mail())
    assert "unauthorized_client" in str(caught.value)
    assert "domain-wide delegation" in str(caught.value)
    assert fake.calls(SEND) == []


def test_no_recipient_is_refused_before_any_request(mailer: GmailMailer, fake: FakeGoogle) -> None:
    with pytest.raises(PermanentError):
        mailer.send(mail(to=()))
    assert fake.requests == []


def test_batch_item_throttled_halts_the_rest(mailer: GmailMailer, fake: FakeGoogle) -> None:
    fake.fail_next(
        SEND,
        429,
        reason="userRateLimitExceeded",
        message="User-rate limit exceeded",
        headers={"Retry-After": "90"},
        after=2,
    )
    results = mailer.send_batch([mail(i) for i in range(6)])
    assert [len(b) for b in fake.batches] == [2, 2]  # the third batch was never sent
    assert isinstance(results[0], SendResult) and isinstance(results[1], SendResult)
    assert isinstance(results[2], RetryableError) and results[2].retry_after == 90.0
    assert isinstance(results[3], SendResult)  # already in flight
    assert all(isinstance(r, RetryableError) for r in results[4:])
    assert len(fake.sent) == 3


def test_whole_batch_500_is_unknown_for_its_messages_only(
    mailer: GmailMailer, fake: FakeGoogle
) -> None:
    fake.fail_next("batch", 500, message="Backend Error", reason="backendError")
    results = mailer.send_batch([mail(i) for i in range(5)])
    assert len(fake.calls("batch")) == 1
    assert all(isinstance(r, DeliveryUnknownError) for r in results[:2])
    assert all(isinstance(r, RetryableError) for r in results[2:])


def test_batch_connection_lost_after_sending_is_unknown(
    mailer: GmailMailer, fake: FakeGoogle
) -> None:
    fake.fail_next("batch", raise_after=ConnectionResetError(104, "Connection reset by peer"))
    results = mailer.send_batch([mail(i) for i in range(3)])
    assert len(fake.sent) == 2  # the first batch went; the answer was lost
    assert all(isinstance(r, DeliveryUnknownError) for r in results[:2])
    assert isinstance(results[2], RetryableError)  # never attempted


@pytest.fixture
def outbox(sqlite_url: str) -> Iterator[Store]:
    store = Store(sqlite_url, keys=TEST_KEYS)
    store.upgrade()
    with store.transaction() as session:
        session.add(School(id="s", name="Oakfield Primary School"))
    yield store
    store.dispose()


def _queue(store: Store, count: int, at: datetime) -> None:
    """``count`` alerts (urgent: the account's whole allowance, no reserve kept from them)."""
    with store.transaction() as session:
        enqueue_emails(
            session,
            school_id="s",
            purpose="test",
            urgency=Urgency.SAFEGUARDING,
            not_before=at,
            items=[
                (
                    f"k{i}",
                    EmailDraft(
                        to=(f"person{i}@oakfield.example",),
                        subject=f"Alert {i}",
                        text="Plain words",
                        html="<p>Rich words</p>",
                    ),
                )
                for i in range(count)
            ],
        )


def _drain(store: Store, mailer: GmailMailer, clock: ManualClock, start: datetime) -> list[float]:
    """Dispatch until the queue is empty, letting time pass while the outbox holds mail back;
    returns when (seconds from ``start``) each message was sent."""
    sent_at: list[float] = []

    def now() -> datetime:
        return start + timedelta(seconds=clock.now)

    for _ in range(100):
        stats = dispatch(
            store,
            mailer,
            None,
            now=now,
            wait=clock.sleep,
            on_sent=lambda _key: sent_at.append(clock.now),
        )
        if stats.paced_until is None:
            return sent_at
        clock.sleep(max((stats.paced_until - now()).total_seconds(), 1.0))
    raise AssertionError("the queue never drained")


@pytest.mark.parametrize(
    ("per_minute", "count", "batches", "minutes"),
    [
        (None, 120, [2] * 60, [0] * 60 + [1] * 60),  # 60 now, 60 once the minute passed
        (20, 45, [2] * 20 + [2, 2, 1], [0] * 20 + [1] * 20 + [2] * 5),
    ],  # 20, 20 in a minute, 5
)
def test_sends_are_paced_to_messages_per_minute_by_the_outbox(
    tmp_path: Path,
    fake: FakeGoogle,
    outbox: Store,
    per_minute: int | None,
    count: int,
    batches: list[int],
    minutes: list[int],
) -> None:
    """The mailer sends whatever it is handed at once; the outbox hands it only what the
    account's declared messages a minute allow (urgent mail: the whole allowance)."""
    settings = {} if per_minute is None else {"messages_per_minute": per_minute}
    clock, start = ManualClock(), utcnow()
    mailer = build_google(tmp_path, fake, clock=clock, sleep=clock.sleep, **settings).mailer
    assert isinstance(mailer, GmailMailer)
    assert mailer.pacing is not None and mailer.pacing.per_minute == (per_minute or 60)
    _queue(outbox, count, start)
    sent_at = _drain(outbox, mailer, clock, start)
    assert [len(b) for b in fake.batches] == batches
    assert [int(at // 60) for at in sent_at] == minutes
    assert len({m.message["Subject"] for m in fake.sent}) == count  # none twice


def test_the_days_messages_are_counted_by_the_outbox_not_the_mailer(
    tmp_path: Path, fake: FakeGoogle, outbox: Store
) -> None:
    """The account declares 2,000 messages a day (5 here); what does not fit waits in the
    outbox, without Google being asked, until the 24 hours have passed, then goes."""
    mailer = build_google(tmp_path, fake).mailer
    assert isinstance(mailer, GmailMailer)
    assert mailer.pacing == MailPacing(
        SENDER, per_minute=60, daily_messages=2_000, reserve=UrgentReserve(1, 100)
    )
    mailer.daily_messages = 5
    start = utcnow()
    day_later = start + timedelta(hours=24)
    _queue(outbox, 8, start)
    first = dispatch(outbox, mailer, None, now=lambda: start)
    assert first.sent == 5 and [len(b) for b in fake.batches] == [2, 2, 1]  # what fits
    assert first.paced_until is not None
    assert abs((first.paced_until - day_later).total_seconds()) <= 1  # says when
    held = dispatch(outbox, mailer, None, now=lambda: start + timedelta(hours=1))
    assert held.sent == 0 and len(fake.calls("batch")) == 3  # Google was not asked
    assert abs((held.paused["email"] - day_later).total_seconds()) <= 1
    later = day_later + timedelta(seconds=1)
    assert dispatch(outbox, mailer, None, now=lambda: later).sent == 3
    assert len({m.message["Subject"] for m in fake.sent}) == len(fake.sent) == 8  # none twice


def test_mailer_is_a_mailer_that_sends_two_a_call(mailer: GmailMailer) -> None:
    """Two sends (200 quota units) are what Gmail's per-user rate allows a second, and at most
    two messages are in doubt when a dispatcher dies mid-call."""
    from bot.core.ports import Mailer

    assert isinstance(mailer, Mailer)
    assert mailer.max_batch == 2


def test_request_body_is_plain_json(mailer: GmailMailer, fake: FakeGoogle) -> None:
    mailer.send(mail())
    [call] = fake.calls(SEND)
    assert call.headers["content-type"] == "application/json"
    assert json.loads(call.body) == call.json()


# --------------------------------------------------------------------------- bounces

LIST = "gmail.users.messages.list"
GET = "gmail.users.messages.get"


def _states(store: Store) -> dict[str, str]:
    from sqlalchemy import select

    from bot.core.models import OutboxMessage

    with store.session() as session:
        return {row.idempotency_key: row.status for row in session.scalars(select(OutboxMessage))}


def test_a_gmail_bounce_after_the_send_is_marked_bounced_and_shown(
    tmp_path: Path, fake: FakeGoogle, outbox: Store
) -> None:
    """Gmail accepted both; its mailer-daemon's report about one (In-Reply-To/References
    naming its Message-ID) turns that row from sent to bounced, audited, once; the report is
    read once, with a metadata-only read whose fields mask and query Google's documents allow."""
    from sqlalchemy import select

    from bot.core.models import AuditEvent, OutboxMessage
    from bot.core.outbox.delivery import trouble
    from bot.core.outbox.lookup import record_bounces

    mailer = build_google(tmp_path, fake).mailer
    start = utcnow()
    _queue(outbox, 2, start)
    assert dispatch(outbox, mailer, None, now=lambda: start).sent == 2
    first = next(m for m in fake.sent if m.message["Subject"] == "Alert 0")
    fake.bounce(first)
    assert record_bounces(outbox, mailer, start) == 1
    assert _states(outbox) == {"k0": "bounced", "k1": "sent"}
    assert record_bounces(outbox, mailer, start) == 0  # marked once
    assert len(fake.calls(GET)) == 1  # the report was read once
    listed = fake.calls(LIST)[-1].query
    assert listed["q"] == f"from:mailer-daemon after:{int((start - timedelta(days=2)).timestamp())}"
    assert listed["fields"] == "messages/id,nextPageToken"
    [read] = fake.calls(GET)
    assert read.query["format"] == "metadata" and read.query["fields"] == "payload/headers"
    assert fake.conformance.problems == []
    with outbox.session() as session:
        assert trouble(session, start).failed == 1  # shown as not delivered
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "outbox.bounced")
        ).one()
        row = session.scalars(
            select(OutboxMessage).where(OutboxMessage.idempotency_key == "k0")
        ).one()
    assert event.object_id == str(row.id)
    assert row.last_error is not None and "person0@oakfield.example" in row.last_error
    fake.bounce(next(m for m in fake.sent if m.message["Subject"] == "Alert 1"))
    dispatch(outbox, mailer, None, now=lambda: start)  # the dispatcher's passes read them too
    assert _states(outbox) == {"k0": "bounced", "k1": "bounced"}


def test_a_send_gmail_delivered_stays_sent(tmp_path: Path, fake: FakeGoogle, outbox: Store) -> None:
    from bot.core.outbox.lookup import record_bounces

    mailer = build_google(tmp_path, fake).mailer
    start = utcnow()
    _queue(outbox, 2, start)
    dispatch(outbox, mailer, None, now=lambda: start)
    assert record_bounces(outbox, mailer, start) == 0
    assert _states(outbox) == {"k0": "sent", "k1": "sent"}
    assert fake.calls(LIST) and not fake.calls(GET)  # asked; nothing to read


def test_a_mailer_daemon_message_about_someone_elses_mail_is_ignored(
    tmp_path: Path, fake: FakeGoogle, outbox: Store
) -> None:
    """A bounce naming another message, and replies naming the bot's own message from
    people (one whose name has "Mailer-Daemon" in it, which Gmail's ``from:`` search finds),
    leave the row sent: only a report from a mailer-daemon address counts."""
    from bot.core.outbox.lookup import record_bounces

    mailer = build_google(tmp_path, fake).mailer
    start = utcnow()
    _queue(outbox, 1, start)
    dispatch(outbox, mailer, None, now=lambda: start)
    ours = str(fake.sent[0].message["Message-ID"])
    fake.receive(
        SENDER,
        {
            "From": "Mail Delivery Subsystem <mailer-daemon@googlemail.com>",
            "Subject": "Delivery Status Notification (Failure)",
            "In-Reply-To": "<CAother@mail.gmail.com>",
            "References": "<CAother@mail.gmail.com>",
            "X-Failed-Recipients": "someone@elsewhere.example",
        },
    )
    fake.receive(
        SENDER,
        {
            "From": "Person Zero <person0@oakfield.example>",
            "Subject": "Re: Alert 0",
            "In-Reply-To": ours,
            "References": ours,
        },
    )
    fake.receive(
        SENDER,
        {
            "From": "Mailer-Daemon Watch <alerts@oakfield.example>",
            "Subject": "Re: Alert 0",
            "In-Reply-To": ours,
            "References": ours,
        },
    )
    assert record_bounces(outbox, mailer, start) == 0
    assert _states(outbox) == {"k0": "sent"}
    assert len(fake.calls(GET)) == 2  # the two Gmail's from:mailer-daemon finds; no reply


def test_bounces_need_the_gmail_readonly_scope(
    tmp_path: Path, fake: FakeGoogle, outbox: Store
) -> None:
    """Gmail refuses ``q`` to gmail.metadata, so reading bounces needs gmail.readonly (the
    sent-mail lookup's scope); without it nothing is marked and sending goes on."""
    from bot.core.outbox.lookup import record_bounces
    from bot.core.ports import LookupNotPermittedError
    from tests.support.fakes.google import SA_CLIENT_ID

    fake.delegation[SA_CLIENT_ID].discard("https://www.googleapis.com/auth/gmail.readonly")
    mailer = build_google(tmp_path, fake).mailer
    assert isinstance(mailer, GmailMailer)
    start = utcnow()
    _queue(outbox, 1, start)
    assert dispatch(outbox, mailer, None, now=lambda: start).sent == 1
    fake.bounce(fake.sent[0])
    assert record_bounces(outbox, mailer, start) == 0
    assert _states(outbox) == {"k0": "sent"}
    with pytest.raises(LookupNotPermittedError, match=r"gmail\.readonly"):
        mailer.bounced(["k0"], start - timedelta(days=2))
