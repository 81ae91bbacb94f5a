"""RFC 5322 rendering of an ``OutgoingEmail``: shared by the .eml writer, SMTP, Graph and Gmail.

Every message says it is automatic (``Auto-Submitted: auto-generated``, RFC 3834, and
``X-Auto-Response-Suppress: All`` for Exchange), so out-of-office replies are not sent back,
and ``mime_bytes`` gives the CRLF line endings RFC 5322 asks for.

Address headers (From, To, Cc, Reply-To) and the Subject are written here, already folded
(``subject_header``: CPython 3.11 folds a Welsh subject wrongly too), and never refolded
by the standard library: CPython 3.11's folder splits a display name that mixes non-ASCII
letters with a comma or brackets into separate encoded-words and loses its quoting, so
"Ysgol Gynradd Gymraeg Tŷ Coch, Caerdydd" <office@...> became two mailboxes (gh-121284, fixed
only in later releases). ``address_header`` writes a name that is not plain ASCII as whole
RFC 2047 encoded-words, which every parser reads back exactly, on any Python.
"""

from __future__ import annotations

import email.policy
import functools
import hashlib
import io
import itertools
import random
import re
import sys
from collections.abc import Iterable, Mapping
from email.charset import Charset
from email.generator import BytesGenerator
from email.headerregistry import AddressHeader, BaseHeader, HeaderRegistry
from email.message import EmailMessage, Message
from email.utils import formatdate

from bot.core.ports import OutgoingEmail

__all__ = [
    "AUTOMATIC_HEADERS",
    "KEY_HEADER",
    "address_header",
    "envelope_recipients",
    "mailboxes",
    "message_id",
    "mime_bytes",
    "replied_to",
    "subject_header",
    "to_mime",
]

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
        self._class = functools.cache(super().__getitem__)

    def __getitem__(self, name: str) -> type[BaseHeader]:
        """The header class for ``name`` (built on first use)."""
        return self._class(name.lower())

    # the parsed header ``name: value`` (a recent identical one when there is one)
    __call__ = functools.lru_cache(maxsize=512)(HeaderRegistry.__call__)


# the default policy (what ``EmailMessage()`` uses) with the cheaper registry; headers given
# as text (the address headers, folded by ``address_header``) are written as they are
_POLICY = email.policy.default.clone(header_factory=_Headers(), refold_source="none")
# RFC 5322 on the wire: CRLF; UTF-8 headers (RFC 6532) only when an address is not ASCII
_WIRE = email.policy.SMTP.clone(refold_source="none")
_WIRE_UTF8 = _WIRE.clone(utf8=True)

_ADDRESS_HEADERS = ("From", "To", "Cc", "Reply-To")
_LINE = 78  # RFC 5322's recommended line length
_LONGEST_NAME = len("Reply-To: ")  # the longest address header's name and colon
_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+")  # RFC 5322 atext
_UTF8 = Charset("utf-8")


def _encoded(text: str) -> list[str]:
    """``text`` as RFC 2047 encoded-words, each of whole characters and short enough to
    follow the longest address header's name on a line."""
    lines = _UTF8.header_encode_lines(text, itertools.repeat(_LINE - _LONGEST_NAME))
    return [line for line in lines if line]


def _plain(word: str) -> bool:
    """Whether ``word`` may stand in a phrase as it is (an atom no parser decodes)."""
    return _ATOM.fullmatch(word) is not None and "=?" not in word


def _name_words(name: str) -> list[str]:
    """A display name as the words of an RFC 5322 phrase that every parser reads back as
    ``name``: plain atoms; else one quoted-string (printable ASCII); else one encoded-word.

    A name too long for one encoded-word keeps its plain words as they are and encodes the
    rest, so two encoded-words meet only inside a long run of non-ASCII words: RFC 2047 says
    the space between adjacent encoded-words is ignored, and CPython 3.11 keeps it (gh-128110).
    """
    words = name.split(" ")
    if all(_plain(word) for word in words):
        return words
    quoted = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    printable = "=?" not in name and all(" " <= char <= "~" for char in name)
    if printable and len(quoted) <= _LINE - _LONGEST_NAME:
        return [quoted]
    whole = _encoded(name)
    if len(whole) == 1:
        return whole
    phrase: list[str] = []
    run: list[str] = []
    for word in words:
        if not _plain(word):
            run.append(word)
            continue
        if run:
            phrase += _encoded(" ".join(run))
            run = []
        phrase.append(word)
    return phrase + (_encoded(" ".join(run)) if run else [])


def address_header(name: str, mailboxes: Iterable[tuple[str | None, str]]) -> str:
    """The folded value of address header ``name`` listing ``(display name, address)`` pairs.

    Lines are at most 78 characters (an address longer than a line gets one of its own);
    whitespace runs in a display name count as one space, and an empty name writes the bare
    address.

    Example:
        >>> address_header("From", [("Ysgol Siân (Llanelli)", "office@sian.example")])
        '=?utf-8?q?Ysgol_Si=C3=A2n_=28Llanelli=29?= <office@sian.example>'
    """
    chunks: list[str] = []
    for display, address in mailboxes:
        if chunks:
            chunks[-1] += ","
        words = " ".join((display or "").split())
        chunks += [*_name_words(words), f"<{address}>"] if words else [address]
    lines = [f"{name}:"]
    for chunk in chunks:
        if len(lines[-1]) + 1 + len(chunk) > _LINE and lines[-1] != f"{name}:":
            lines.append("")  # fold: the line break goes before the space
        lines[-1] += " " + chunk
    return "\n".join(lines)[len(name) + 2 :]


def subject_header(subject: str) -> str:
    """The folded value of a ``Subject`` that every parser decodes back exactly as ``subject``.

    Printable ASCII with single spaces is written as it is, folded at its spaces; anything else
    as whole RFC 2047 encoded-words, one a line (the space between two is not part of the text,
    RFC 2047 §6.2). CPython 3.11's own folder changed 7 of 72 Welsh subjects: a word split
    between two encoded-words ("Gymrae g"), a space lost between an encoded-word and a plain one
    ("YsgolGymraeg"), an empty first line read back as a leading space.

    Example:
        >>> subject_header("Hwyr iawn: Tŷ Coch")
        '=?utf-8?q?Hwyr_iawn=3A_T=C5=B7_Coch?='
    """
    words = subject.split(" ")
    if subject.isascii() and subject.isprintable() and "=?" not in subject and all(words):
        lines = [words[0]]
        for word in words[1:]:
            if len(lines[-1]) + 1 + len(word) > _LINE - len("Subject: "):
                lines.append("")  # fold: the line break goes before the space
            lines[-1] += " " + word
        if all(len(line) <= _LINE - len("Subject: ") for line in lines):
            return "\n".join(lines)
    return "\n ".join(_encoded(subject))


def mailboxes(entries: Iterable[str]) -> list[tuple[str | None, str]]:
    """Each entry as (display name or None, address): a bare address as it is, and
    ``Name <address>`` (a name with a comma in quotes) read by the standard library's parser,
    which reads every name right; only its writing is at fault."""
    found: list[tuple[str | None, str]] = []
    for entry in entries:
        if "<" not in entry:
            found.append((None, entry))
            continue
        header = _POLICY.header_factory("To", entry)
        assert isinstance(header, AddressHeader)  # the registry's class for To
        found += [(address.display_name or None, address.addr_spec) for address in header.addresses]
    return found


def envelope_recipients(message: OutgoingEmail) -> list[str]:
    """The addresses ``message`` is delivered to (To and Cc, names left out): the envelope."""
    return [address for _, address in mailboxes((*message.to, *message.cc))]


def _content_type(value: str) -> tuple[str, str, dict[str, str]]:
    """``text/calendar; method=PUBLISH`` -> ("text", "calendar", {"method": "PUBLISH"})."""
    kind, *raw_params = (part.strip() for part in value.split(";"))
    maintype, _, subtype = kind.partition("/")
    pairs = (raw.partition("=")[::2] for raw in raw_params)
    params = {n.strip().lower(): v.strip().strip('"') for n, v in pairs if n.strip() and v.strip()}
    return maintype or "application", subtype or "octet-stream", params


def message_id(idempotency_key: str, sender: str) -> str:
    """The Message-ID of the outbox row ``idempotency_key`` sent from ``sender``: made from the
    key, so a message whose send outcome is unknown can be looked up in the mailbox's sent
    items by it (the key itself is already in the message's own header)."""
    digest = hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()[:32]
    domain = sender.rpartition("@")[2] or "localhost"
    return f"<{digest}@{domain}>"


def replied_to(headers: Mapping[str, str]) -> list[str]:
    """The Message-IDs a report names as its original (``in-reply-to`` and ``references``,
    header names lower-cased): how a bounce says which message did not arrive."""
    return re.findall(
        r"<[^<>\s]+>", f"{headers.get('in-reply-to', '')} {headers.get('references', '')}"
    )


def to_mime(message: OutgoingEmail, sender: str) -> EmailMessage:
    """Build a multipart/alternative (text + HTML) message, with attachments when present.

    An attachment's content type may carry parameters (``text/calendar; method=PUBLISH``);
    they are kept on the part's Content-Type.
    """
    mime = EmailMessage(policy=_POLICY)
    mime.set_raw("From", address_header("From", [(message.from_name, sender)]))
    reply_to = (message.reply_to,) if message.reply_to else ()
    for name, entries in (("To", message.to), ("Cc", message.cc), ("Reply-To", reply_to)):
        if entries:
            mime.set_raw(name, address_header(name, mailboxes(entries)))
    mime.set_raw("Subject", subject_header(message.subject))
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


class _Generator(BytesGenerator):
    """The standard library's writer, choosing a multipart boundary without a regular
    expression: it compiles a new one for every message (each boundary is random, so its
    cache never helps), more than the rest of writing a short message costs."""

    @classmethod
    def _make_boundary(cls, text: bytes | None = None) -> str:
        """A random boundary, as the standard library writes one, whose delimiter (``--`` and
        it) is nowhere in ``text``: stricter than its look at the start of each line."""
        boundary = b = f"{'=' * 15}{random.randrange(sys.maxsize):019d}=="
        counter = 0
        while text is not None and f"--{b}".encode("ascii") in text:
            b = f"{boundary}.{counter}"
            counter += 1
        return b


def mime_bytes(mime: Message) -> bytes:
    """The message as RFC 5322 bytes: CRLF line endings throughout (headers and body), and
    UTF-8 headers (RFC 6532) when an address is not ASCII, the only way to write one."""
    plain = all(str(value).isascii() for key, value in mime.raw_items() if key in _ADDRESS_HEADERS)
    out = io.BytesIO()  # ``mime.as_bytes(policy=...)``, with the cheaper boundary
    _Generator(out, mangle_from_=False, policy=_WIRE if plain else _WIRE_UTF8).flatten(mime)
    return out.getvalue()
