"""RFC 5322 rendering of an ``OutgoingEmail``: shared by the .eml writer, SMTP, Graph and Gmail.

Every message says it is automatic (``Auto-Submitted: auto-generated``, RFC 3834, and
``X-Auto-Response-Suppress: All`` for Exchange), so out-of-office replies are not sent back,
and ``mime_bytes`` gives the CRLF line endings RFC 5322 asks for.
"""

from __future__ import annotations

import email.policy
import functools
import hashlib
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import EmailMessage, Message
from email.utils import formataddr, formatdate

from connectors.base import OutgoingEmail

__all__ = ["AUTOMATIC_HEADERS", "KEY_HEADER", "message_id", "mime_bytes", "to_mime"]

KEY_HEADER = "X-Compliance-Bot-Key"
AUTOMATIC_HEADERS = (
    ("Auto-Submitted", "auto-generated"),  # RFC 3834: no auto-replies to this
    ("X-Auto-Response-Suppress", "All"),  # Exchange/Outlook: no OOF, read or delivery receipts
)


class _Headers(HeaderRegistry):
    """The standard header registry, cheap to call thousands of times in a dispatch pass.

    The standard library builds a new class for every header it parses and parses the same
    ``From``, ``Auto-Submitted`` or ``Content-Type`` again for every message: here each name's
    class is built once and recent parsed values are reused (header objects are immutable
    strings; a message holds them, it never changes them).
    """

    def __init__(self) -> None:
        super().__init__()
        self._classes: dict[str, type[BaseHeader]] = {}
        self._parse = functools.lru_cache(maxsize=512)(super().__call__)

    def __getitem__(self, name: str) -> type[BaseHeader]:
        """The header class for ``name`` (built on first use)."""
        key = name.lower()
        found = self._classes.get(key)
        if found is None:
            found = self._classes[key] = super().__getitem__(name)
        return found

    def __call__(self, name: str, value: str) -> BaseHeader:
        """The parsed header ``name: value`` (a recent identical one when there is one)."""
        return self._parse(name, value)


# the default policy (what ``EmailMessage()`` uses) with the cheaper registry
_POLICY = email.policy.default.clone(header_factory=_Headers())


def _content_type(value: str) -> tuple[str, str, dict[str, str]]:
    """``text/calendar; method=PUBLISH`` -> ("text", "calendar", {"method": "PUBLISH"})."""
    kind, *raw_params = (part.strip() for part in value.split(";"))
    maintype, _, subtype = kind.partition("/")
    params = {}
    for raw in raw_params:
        name, _, param = raw.partition("=")
        if name.strip() and param.strip():
            params[name.strip().lower()] = param.strip().strip('"')
    return maintype or "application", subtype or "octet-stream", params


def message_id(idempotency_key: str, sender: str) -> str:
    """The Message-ID of the outbox row ``idempotency_key`` sent from ``sender``: made from the
    key, so a message whose send outcome is unknown can be looked up in the mailbox's sent
    items by it (the key itself is already in the message's own header)."""
    digest = hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()[:32]
    domain = sender.rpartition("@")[2] or "localhost"
    return f"<{digest}@{domain}>"


def to_mime(message: OutgoingEmail, sender: str) -> EmailMessage:
    """Build a multipart/alternative (text + HTML) message, with attachments when present.

    An attachment's content type may carry parameters (``text/calendar; method=PUBLISH``);
    they are kept on the part's Content-Type.
    """
    mime = EmailMessage(policy=_POLICY)
    mime["From"] = formataddr((message.from_name, sender)) if message.from_name else sender
    mime["To"] = ", ".join(message.to)
    if message.cc:
        mime["Cc"] = ", ".join(message.cc)
    if message.reply_to:
        mime["Reply-To"] = message.reply_to
    mime["Subject"] = message.subject
    mime["Date"] = formatdate(localtime=False, usegmt=True)
    mime["Message-ID"] = message_id(message.idempotency_key, sender)
    for name, value in AUTOMATIC_HEADERS:
        mime[name] = value
    mime[KEY_HEADER] = message.idempotency_key
    mime.set_content(message.text)
    mime.add_alternative(message.html, subtype="html")
    for attachment in message.attachments:
        maintype, subtype, params = _content_type(attachment.content_type)
        mime.add_attachment(
            attachment.data,
            maintype=maintype,
            subtype=subtype,
            filename=attachment.filename,
            params=params,
        )
    return mime


def mime_bytes(mime: Message) -> bytes:
    """The message as RFC 5322 bytes: CRLF line endings throughout (headers and body)."""
    return mime.as_bytes(policy=email.policy.SMTP)
