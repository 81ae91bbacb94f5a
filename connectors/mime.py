"""RFC 5322 rendering of an ``OutgoingEmail``: shared by the .eml writer, SMTP, Graph and Gmail.

Every message says it is automatic (``Auto-Submitted: auto-generated``, RFC 3834, and
``X-Auto-Response-Suppress: All`` for Exchange), so out-of-office replies are not sent back,
and ``mime_bytes`` gives the CRLF line endings RFC 5322 asks for.
"""

from __future__ import annotations

import email.policy
from email.message import EmailMessage, Message
from email.utils import formataddr, formatdate, make_msgid

from connectors.base import OutgoingEmail

__all__ = ["AUTOMATIC_HEADERS", "KEY_HEADER", "mime_bytes", "to_mime"]

KEY_HEADER = "X-Compliance-Bot-Key"
AUTOMATIC_HEADERS = (
    ("Auto-Submitted", "auto-generated"),  # RFC 3834: no auto-replies to this
    ("X-Auto-Response-Suppress", "All"),  # Exchange/Outlook: no OOF, read or delivery receipts
)


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


def to_mime(message: OutgoingEmail, sender: str) -> EmailMessage:
    """Build a multipart/alternative (text + HTML) message, with attachments when present.

    An attachment's content type may carry parameters (``text/calendar; method=PUBLISH``);
    they are kept on the part's Content-Type.
    """
    mime = EmailMessage()
    mime["From"] = formataddr((message.from_name, sender)) if message.from_name else sender
    mime["To"] = ", ".join(message.to)
    if message.cc:
        mime["Cc"] = ", ".join(message.cc)
    if message.reply_to:
        mime["Reply-To"] = message.reply_to
    mime["Subject"] = message.subject
    mime["Date"] = formatdate(localtime=False, usegmt=True)
    domain = sender.rpartition("@")[2] or "localhost"
    mime["Message-ID"] = make_msgid(domain=domain)
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
