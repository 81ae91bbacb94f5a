"""MIME building: the header registry that parses each repeated header once renders exactly
what the standard library's default policy renders, however often a header is reused."""

from __future__ import annotations

import email.policy
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors import mime
from connectors.base import Attachment, OutgoingEmail
from connectors.mime import mime_bytes, to_mime

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
