"""Names a school and its people really have, sent in every address header and read back by
two parsers that share no code: Python's own (strict) and postal-mime (node, tests/node).

Issue #40: on CPython 3.11 the standard library's folder wrote "Ysgol Gynradd Gymraeg Tŷ Coch,
Caerdydd" as two mailboxes; each mailer's test sends ``NAMES`` and calls ``assert_read_back``.
"""

from __future__ import annotations

import base64
import email.message
import email.policy
import json
import subprocess
from collections.abc import Sequence
from email.parser import BytesParser
from email.utils import formataddr
from pathlib import Path
from typing import Any

from bot.core.ports import OutgoingEmail

__all__ = ["HEADERS", "NAMES", "assert_read_back", "named_messages", "postal_mime"]

# Welsh (ŵ ŷ â), Irish (á é í ó ú) and Scottish Gaelic (à è ì ò ù) letters, commas, brackets,
# apostrophes, quotes, full stops, a dash, and names too long for one line
NAMES = (
    "Ysgol Gynradd Gymraeg Tŷ Coch, Caerdydd",
    "Bun-sgoil Ghàidhlig Inbhir Nis, Inverness",
    "Ysgol Siân (Llanelli)",
    "Siobhán Ní Bhriain",
    "Mary O'Neill",
    "Dafydd ap Gruffydd (Cyfarwyddwr)",
    'Mair "Mags" Ellis',
    "O'Neill, Ciarán",
    "Gaelscoil Uí Riada, Baile Átha Cliath",
    "Éamonn Ó Dálaigh (Príomhoide), Scoil Naomh Pádraig",
    "Eilidh NicDhòmhnaill (Ceannard), Sgoil Ùige",
    "Sgoil Ghàidhlig Ghlaschu, Àrd-sgoil — Oifis a' Phrìomh-thidseir (Glasgow Gaelic School)",
    "Ysgol Gynradd Bro Ŵyr a'r Gŵyr, Abertawe — Cyfrifon Swyddogol yr Ysgol (Pennaeth)",
    "St. Mary's R.C. Primary School (Newry), Co. Down — Safeguarding Office",
    "Ffion Ŵyn Prŷs-Jones",
    "Ysgol Pen-y-Bryn, Bae Colwyn",
)
HEADERS = ("From", "To", "Cc", "Reply-To")
NODE_PARSER = Path(__file__).resolve().parents[1] / "node" / "parse_mail.mjs"

Mailboxes = list[tuple[str, str]]  # (display name, address); "" for no name


def named_messages(sender: str) -> list[tuple[OutgoingEmail, dict[str, Mailboxes]]]:
    """One message for each name, the name in From and three others (To, Cc, Reply-To) given
    as a caller gives them (``formataddr``), and the mailboxes each header must read back as."""
    made = []
    for number, name in enumerate(NAMES):
        to, cc, reply = (NAMES[(number + step) % len(NAMES)] for step in (1, 2, 3))
        expected = {
            "From": [(name, sender)],
            "To": [(to, f"to{number}@oakfield.example")],
            "Cc": [(cc, f"cc{number}@oakfield.example"), ("", "office@oakfield.example")],
            "Reply-To": [(reply, f"reply{number}@oakfield.example")],
        }
        message = OutgoingEmail(
            idempotency_key=f"names:{number}",
            to=tuple(formataddr(pair) for pair in expected["To"]),
            cc=(formataddr(expected["Cc"][0]), "office@oakfield.example"),
            reply_to=formataddr(expected["Reply-To"][0]),
            subject=f"Policy review {number}: {name}",
            text="Plain words",
            html="<p>Rich words</p>",
            from_name=name,
        )
        made.append((message, expected))
    return made


def postal_mime(node_modules: Path, messages: Sequence[bytes]) -> list[dict[str, Any]]:
    """Each message's address headers as postal-mime reads them (one node run for all)."""
    assert node_modules.is_dir()
    done = subprocess.run(
        ["node", str(NODE_PARSER)],
        input=json.dumps([base64.b64encode(raw).decode("ascii") for raw in messages]),
        capture_output=True,
        text=True,
        check=True,
    )
    parsed: list[dict[str, Any]] = json.loads(done.stdout)
    return parsed


def _python(raw: bytes, policy: email.policy.EmailPolicy) -> dict[str, Mailboxes]:
    """The address headers as Python's parser reads them; any defect fails the test."""
    message = BytesParser(policy=policy).parsebytes(raw)
    assert isinstance(message, email.message.EmailMessage)
    assert message.defects == []
    read: dict[str, Mailboxes] = {}
    for name in HEADERS:
        header = message[name]
        if header is None:
            continue
        assert header.defects == (), (name, str(header), header.defects)
        read[name] = [(a.display_name, a.addr_spec) for a in header.addresses]
    return read


def assert_read_back(
    raws: Sequence[bytes], expected: Sequence[dict[str, Mailboxes]], node_modules: Path
) -> None:
    """Every message's address headers read back as ``expected`` by Python's strict and
    default parsers and by postal-mime; lines at most 78 characters, CRLF only."""
    assert len(raws) == len(expected)
    for raw, wanted in zip(raws, expected, strict=True):
        head = raw.split(b"\r\n\r\n", 1)[0]
        assert b"\n" not in head.replace(b"\r\n", b"") and head.isascii()
        assert all(len(line) <= 78 for line in head.split(b"\r\n")), head.decode()
        for policy in (email.policy.strict, email.policy.default):
            assert _python(raw, policy) == wanted, head.decode()
    for raw, parsed, wanted in zip(raws, postal_mime(node_modules, raws), expected, strict=True):
        read = {
            name: [(m["name"], m["address"]) for m in parsed[name.lower()]]
            for name in HEADERS
            if parsed[name.lower()]
        }
        assert read == wanted, raw.split(b"\r\n\r\n", 1)[0].decode()
