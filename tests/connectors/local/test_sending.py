"""The local senders against real servers: SMTP answers (aiosmtpd) and webhook answers mapped to
"not now" (no attempt spent), "our setup" (paused), "unknown" and "refused"."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from bot.core.ports import (
    CardMessage,
    DeliveryUnknownError,
    OutgoingEmail,
    PermanentError,
    RetryableError,
    SetupError,
)
from connectors.local.connector import SmtpMailer, WebhookNotifier
from tests.conftest import free_port
from tests.support.mail_names import assert_read_back, named_messages
from tests.support.smtp import running_smtp

MESSAGE = OutgoingEmail("k1", ("amy@oak.example",), "Subject", "text", "<p>html</p>")


class Answers:
    """aiosmtpd handler answering MAIL, RCPT and DATA with scripted replies (None: accept)."""

    def __init__(
        self, mail: str | None = None, rcpt: str | None = None, data: str | None = None
    ) -> None:
        self.mail, self.rcpt, self.data = mail, rcpt, data
        self.delivered = 0

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if self.mail:
            return self.mail
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if self.rcpt:
            return self.rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data:
            return self.data
        self.delivered += 1
        return "250 OK"


@pytest.fixture
def server() -> Iterator[Callable[..., SmtpMailer]]:
    controllers: list[Controller] = []

    def start(answers: Answers, **options: Any) -> SmtpMailer:
        port = free_port()
        controller = Controller(answers, hostname="127.0.0.1", port=port, **options)
        controller.start()
        controllers.append(controller)
        return SmtpMailer("127.0.0.1", port, "bot@oak.example", security="none")

    yield start
    for controller in controllers:
        controller.stop()


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        (Answers(rcpt="452 4.5.3 Too many recipients"), RetryableError),
        (Answers(rcpt="450 4.2.1 Mailbox busy"), RetryableError),
        (Answers(data="451 4.3.0 Try again later"), RetryableError),
        (Answers(data="421 4.7.0 Too many messages, slow down"), RetryableError),
        (Answers(mail="451 4.7.1 Sender temporarily deferred"), RetryableError),
        (Answers(mail="553 5.7.1 Sender address not allowed"), SetupError),
        (Answers(rcpt="550 5.1.1 No such user"), PermanentError),
        (Answers(data="554 5.6.0 Message refused"), PermanentError),
    ],
)
def test_smtp_answers(
    server: Callable[..., SmtpMailer], answers: Answers, expected: type[Exception]
) -> None:
    mailer = server(answers)
    with pytest.raises(expected) as caught:
        mailer.send(MESSAGE)
    assert type(caught.value) is expected  # a SetupError is a RetryableError: be exact
    assert answers.delivered == 0
    assert "Subject" not in str(caught.value) and "amy@oak.example" not in str(caught.value)


def test_a_refused_smtp_login_is_our_setup_and_names_the_variables(
    server: Callable[..., SmtpMailer],
) -> None:
    def refuse(*args: Any) -> AuthResult:
        return AuthResult(success=False, handled=False)

    mailer = server(Answers(), authenticator=refuse, auth_require_tls=False)
    mailer.username, mailer.password = "bot", "wrong-password"
    with pytest.raises(SetupError) as caught:
        mailer.send(MESSAGE)
    text = str(caught.value)
    assert "COMPLIANCE_BOT_LOCAL__SMTP__USERNAME" in text and "wrong-password" not in text


def test_an_accepted_message_is_delivered(server: Callable[..., SmtpMailer]) -> None:
    answers = Answers()
    assert server(answers).send(MESSAGE).provider_id
    assert answers.delivered == 1


CARD = CardMessage("card1", "Digest", "text", {"type": "message", "attachments": []}, {})


@pytest.mark.parametrize(
    ("status", "headers", "expected", "retry_after"),
    [
        (429, {"Retry-After": "30"}, RetryableError, 30.0),
        (429, {"Retry-After": "Thu, 01 Jan 1970 00:00:00 GMT"}, RetryableError, 0.0),
        (503, {"Retry-After": "90"}, DeliveryUnknownError, 90.0),
        (500, {}, DeliveryUnknownError, None),
        (401, {}, SetupError, 900.0),
        (404, {}, SetupError, 900.0),
        (400, {}, PermanentError, None),
    ],
)
def test_webhook_answers(
    status: int, headers: dict[str, str], expected: type[Exception], retry_after: float | None
) -> None:
    notifier = WebhookNotifier(
        "https://hooks.oak.example/in",
        transport=httpx.MockTransport(lambda request: httpx.Response(status, headers=headers)),
    )
    with pytest.raises(expected) as caught:
        notifier.post(CARD)
    assert type(caught.value) is expected
    assert getattr(caught.value, "retry_after", None) == retry_after


def test_the_envelope_names_the_sender_and_every_recipient() -> None:
    """The message is flattened once and handed over with an explicit envelope: the bot's
    address as MAIL FROM (not the display name), every To and Cc address as RCPT TO. An
    address with a non-ASCII display name goes the standard library's way and arrives too."""
    plain = OutgoingEmail(
        "k1",
        ("amy@oak.example", "bo@oak.example"),
        "Subject",
        "text",
        "<p>html</p>",
        cc=("dsl@oak.example",),
        from_name="Oak Primary School",
    )
    named = OutgoingEmail("k2", ("Zoë Brontë <zoe@oak.example>",), "Sujet", "texte", "<p>h</p>")
    with running_smtp() as (inbox, port):
        mailer = SmtpMailer("127.0.0.1", port, "bot@oak.example", security="none")
        first, second = mailer.send(plain), mailer.send(named)
        mailer.end_pass()
    assert inbox.envelopes == [
        ("bot@oak.example", ["amy@oak.example", "bo@oak.example", "dsl@oak.example"]),
        ("bot@oak.example", ["zoe@oak.example"]),
    ]
    assert [m["Message-ID"] for m in inbox.messages] == [first.provider_id, second.provider_id]
    assert str(inbox.messages[0]["From"]) == "Oak Primary School <bot@oak.example>"
    assert inbox.messages[1]["To"].addresses[0].display_name == "Zoë Brontë"
    assert all(b"\n" not in raw.replace(b"\r\n", b"") for raw in inbox.raw)  # CRLF only


def test_every_name_reads_back_exactly_over_smtp(node_modules: Path) -> None:
    """Issue #40: school and people's names with Welsh, Irish and Gaelic letters, commas,
    brackets, apostrophes and quotes, in From, To, Cc and Reply-To, as the SMTP server
    received them, read back as one mailbox each with the exact name by two parsers."""
    sent = named_messages("bot@oak.example")
    with running_smtp() as (inbox, port):
        mailer = SmtpMailer("127.0.0.1", port, "bot@oak.example", security="none")
        for message, _ in sent:
            mailer.send(message)
        mailer.end_pass()
    assert [recipients for _, recipients in inbox.envelopes] == [
        [address for header in ("To", "Cc") for _, address in expected[header]]
        for _, expected in sent
    ]
    assert_read_back(inbox.raw, [expected for _, expected in sent], node_modules)
