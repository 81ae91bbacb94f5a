"""Signed links are purpose-bound, expiring and tamper-evident."""

from __future__ import annotations

import pytest
import time_machine
from itsdangerous import TimestampSigner

from bot.core.guards.links import LinkExpiredError, LinkInvalidError, make_token, read_token

KEY = "k" * 40


def test_round_trip() -> None:
    token = make_token(KEY, "ack", 7, 42, 3)
    claims = read_token(KEY, "ack", token, 3600)
    assert (claims.person_id, claims.duty_id, claims.version_id) == (7, 42, 3)


def test_other_purpose_or_key_or_tamper_is_invalid() -> None:
    token = make_token(KEY, "ack", 7, 42, 3)
    with pytest.raises(LinkInvalidError):
        read_token(KEY, "aup", token, 3600)
    with pytest.raises(LinkInvalidError):
        read_token("x" * 40, "ack", token, 3600)
    with pytest.raises(LinkInvalidError):
        read_token(KEY, "ack", token[:-2] + ("AA" if not token.endswith("AA") else "BB"), 3600)


def test_expired_link_still_says_whose_it_was() -> None:
    with time_machine.travel("2026-11-01 09:00Z", tick=False):
        token = make_token(KEY, "ack", 7, 42, 3)
    with (
        time_machine.travel("2026-12-15 09:00Z", tick=False),
        pytest.raises(LinkExpiredError) as info,
    ):
        read_token(KEY, "ack", token, 30 * 86400)
    assert info.value.claims.duty_id == 42


def test_tokens_are_itsdangerous_own_signatures() -> None:
    # links sent before the signer kept its HMAC keyed still open, and the other way round
    plain = TimestampSigner(KEY, salt="compliance-bot/ack")
    with time_machine.travel("2026-11-23 09:00Z", tick=False):
        for person in range(3):
            token = make_token(KEY, "ack", person, 42, 3)
            assert token == plain.sign(f"{person}.42.3").decode()
            assert read_token(KEY, "ack", plain.sign(f"{person}..").decode(), 60).person_id == (
                person
            )
