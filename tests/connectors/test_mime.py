"""MIME building: the header registry that parses each repeated header once renders exactly
what the standard library's default policy renders, however often a header is reused; and
address headers that every parser reads back as the names and addresses given (issue #40)."""

from __future__ import annotations

import email.policy
import random
import re
from email.parser import BytesParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.ports import Attachment, OutgoingEmail
from connectors import mime
from connectors.mime import address_header, mime_bytes, to_mime
from tests.support.mail_names import NAMES, assert_read_back, postal_mime

# letters (accented and not), digits, spaces and the punctuation names and subjects carry
WORDS = st.text(
    alphabet=st.characters(categories=("L", "N", "Zs", "Po", "Pd", "Sm")), max_size=120
)
ADDRESS = st.from_regex(r"\A[a-z]{1,12}@[a-z]{1,10}\.example\Z")


def _stable(raw: bytes) -> bytes:
    """The bytes without what differs on every build: date, message id, part boundary."""
    raw = re.sub(rb"Date: [^\r]*", b"Date: -", raw)
    raw = re.sub(rb"Message-ID: <[^>]*>", b"Message-ID: -", raw)
    return re.sub(rb"={15}\d+==", b"boundary", raw)


def _both(message: OutgoingEmail, monkeypatch: pytest.MonkeyPatch) -> tuple[bytes, bytes]:
    ours = [_stable(mime_bytes(to_mime(message, "bot@oak.example"))) for _ in range(2)]
    assert ours[0] == ours[1]  # the second build reuses parsed headers: nothing changes
    with monkeypatch.context() as patch:
        patch.setattr(mime, "_POLICY", email.policy.default)
        standard = _stable(mime_bytes(to_mime(message, "bot@oak.example")))
    return ours[0], standard


@settings(max_examples=40, deadline=None)
@given(subject=WORDS, name=WORDS, text=WORDS, to=st.lists(ADDRESS, min_size=1, max_size=3))
def test_headers_render_as_the_standard_policy_renders_them(
    subject: str, name: str, text: str, to: list[str]
) -> None:
    message = OutgoingEmail(
        idempotency_key="reminder:oak:1", to=tuple(to), cc=("dsl@oak.example",),
        subject=subject, text=text, html=f"<p>{text}</p>", from_name=name or None,
        reply_to="office@oak.example",
        attachments=(Attachment("review.ics", "text/calendar; method=PUBLISH", b"BEGIN:X\r\n"),),
    )
    with pytest.MonkeyPatch.context() as monkeypatch:
        ours, standard = _both(message, monkeypatch)
    assert ours == standard


def test_a_long_non_ascii_subject_is_encoded_and_folded_alike(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    message = OutgoingEmail(
        idempotency_key="k", to=("zoe@oak.example",),
        subject="Relecture de la politique « sécurité en ligne » — école Sainte-Thérèse " * 3,
        text="Bonjour,\n" * 3, html="<p>Bonjour</p>", from_name="École Sainte-Thérèse",
    )
    ours, standard = _both(message, monkeypatch)
    assert ours == standard
    assert b"=?utf-8?" in ours and b"\r\n " in ours  # encoded words, folded lines


def _headers(mailboxes: dict[str, list[tuple[str, str]]]) -> bytes:
    """A message of just these address headers, as ``address_header`` folds them."""
    lines = [f"{name}: {address_header(name, pairs)}" for name, pairs in mailboxes.items()]
    return ("\r\n".join(lines).replace("\n ", "\r\n ") + "\r\n\r\nbody\r\n").encode()


def test_a_list_of_every_name_folds_and_reads_back(node_modules: Path) -> None:
    """All sixteen names in one To and one Cc (a list folded over many lines), one in Reply-To."""
    people = [(name, f"person{n}@oakfield.example") for n, name in enumerate(NAMES)]
    wanted = {
        "From": [(NAMES[0], "office@oakfield.example")],
        "To": people,
        "Cc": people[::-1],
        "Reply-To": [(NAMES[11], "head@oakfield.example")],
    }
    raw = _headers(wanted)
    assert raw.count(b"\r\n ") > 20  # folded
    assert_read_back([raw], [wanted], node_modules)


def test_the_stdlib_refolding_bug_is_not_ours() -> None:
    """The header gh-121284 broke: one mailbox, as written, and not refolded by the policy."""
    message = OutgoingEmail(
        idempotency_key="k", to=("amy@oak.example",), subject="s", text="t", html="<p>t</p>",
        from_name="Ysgol Gynradd Gymraeg Tŷ Coch, Caerdydd",
    )
    raw = mime_bytes(to_mime(message, "office@oak.example"))
    assert raw.startswith(
        b"From: =?utf-8?q?Ysgol_Gynradd_Gymraeg_T=C5=B7_Coch=2C_Caerdydd?=\r\n"
        b" <office@oak.example>\r\n"
    )


def _random_names(count: int) -> list[str]:
    """Names of Welsh, Irish and Gaelic letters, ASCII ones, and every special of RFC 5322."""
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ŵŷâŴŶáéíóúÁÓàèìòùÀÙ"
    punctuation = " ,()'\".:;<>@[]\\-—‘’!?=_&"
    chosen = random.Random(40)
    names = []
    while len(names) < count:
        text = "".join(
            chosen.choice(letters if chosen.random() < 0.75 else punctuation)
            for _ in range(chosen.randint(1, 90))
        )
        if " ".join(text.split()):
            names.append(" ".join(text.split()))
    return names


def test_any_name_reads_back_as_one_mailbox(node_modules: Path) -> None:
    """300 seeded random names: postal-mime reads each exactly. Python's parser reads each as
    one mailbox with no defect and the exact name, except that CPython 3.11 keeps the space
    between two adjacent encoded-words (gh-128110), which only a name with a long run of
    non-plain words needs: there it reads the name with spaces added, never other letters."""
    names = _random_names(300)
    raws = [_headers({"From": [(name, f"p{n}@oak.example")]}) for n, name in enumerate(names)]
    for n, (name, raw) in enumerate(zip(names, raws, strict=True)):
        header = BytesParser(policy=email.policy.strict).parsebytes(raw)["From"]
        assert header.defects == ()
        [mailbox] = header.addresses
        assert mailbox.addr_spec == f"p{n}@oak.example"
        assert mailbox.display_name.replace(" ", "") == name.replace(" ", "")
        if b"?=\r\n =?" not in raw and b"?= =?" not in raw:
            assert mailbox.display_name == name
    for n, (name, parsed) in enumerate(zip(names, postal_mime(node_modules, raws), strict=True)):
        assert [(m["name"], m["address"]) for m in parsed["from"]] == [(name, f"p{n}@oak.example")]


def test_an_address_that_is_not_ascii_is_written_in_utf8(node_modules: Path) -> None:
    """RFC 6532: an internationalised address can only be UTF-8 (never an encoded-word)."""
    message = OutgoingEmail(
        idempotency_key="k", to=("Siân Jones <siân@oak.example>", "bo@exämple.example"),
        subject="s", text="t", html="<p>t</p>", from_name="Ysgol Siân (Llanelli)",
    )
    raw = mime_bytes(to_mime(message, "office@oak.example"))
    to = "To: =?utf-8?q?Si=C3=A2n_Jones?= <siân@oak.example>, bo@exämple.example\r\n"
    assert to.encode() in raw
    [parsed] = postal_mime(node_modules, [raw])
    assert [(m["name"], m["address"]) for m in parsed["to"]] == [
        ("Siân Jones", "siân@oak.example"), ("", "bo@exämple.example")
    ]
