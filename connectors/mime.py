"""RFC 5322 rendering of an ``OutgoingEmail``: shared by the .eml writer, SMTP and Gmail."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid

from connectors.base import OutgoingEmail

__all__ = ["KEY_HEADER", "to_mime"]

KEY_HEADER = "X-Compliance-Bot-Key"


def to_mime(message: OutgoingEmail, sender: str) -> EmailMessage:
    """Build a multipart/alternative (text + HTML) message, with attachments when present."""
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
    mime[KEY_HEADER] = message.idempotency_key
    mime.set_content(message.text)
    mime.add_alternative(message.html, subtype="html")
    for attachment in message.attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        mime.add_attachment(
            attachment.data,
            maintype=maintype,
            subtype=subtype or "octet-stream",
            filename=attachment.filename,
        )
    return mime
