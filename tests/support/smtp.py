"""A real SMTP server for tests (aiosmtpd on a free local port) that keeps what it receives."""

from __future__ import annotations

import email
import email.message
import email.policy
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aiosmtpd.controller import Controller

__all__ = ["Inbox", "running_smtp"]


class Inbox:
    """aiosmtpd handler that keeps every message it receives, parsed."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.raw: list[bytes] = []  # the DATA as it arrived (line endings included)
        self.envelopes: list[tuple[str, list[str]]] = []  # MAIL FROM and RCPT TO of each

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Keep the message; answer 250 as a mail server does."""
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, email.message.EmailMessage)
        self.messages.append(parsed)
        self.raw.append(bytes(envelope.original_content or envelope.content))
        self.envelopes.append((str(envelope.mail_from), [str(a) for a in envelope.rcpt_tos]))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_smtp(inbox: Inbox | None = None) -> Iterator[tuple[Inbox, int]]:
    """An SMTP server on 127.0.0.1 for the duration: (its inbox, its port); ``inbox`` is the
    handler to use (default: a plain ``Inbox``)."""
    inbox, port = inbox or Inbox(), _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()
