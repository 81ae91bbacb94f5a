"""The pure rules of emailed sign-in: codes easy to type, kept only as keyed hashes, and a
link's refusal reason decided from its state and ``now``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.features.signin.rules import (
    CODE_ALPHABET,
    CODE_LENGTH,
    MAX_CODE_ATTEMPTS,
    format_code,
    hashed,
    new_secrets,
    normalise_code,
    refusal,
)

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def test_codes_avoid_characters_read_two_ways_and_type_back_however_written() -> None:
    made = {new_secrets().code for _ in range(200)}
    assert len(made) == 200  # random, not a sequence
    for code in made:
        assert len(code) == CODE_LENGTH and set(code) <= set(CODE_ALPHABET)
        assert normalise_code(format_code(code).lower()) == code
        assert normalise_code(" " + format_code(code).replace("-", " ")) == code
    assert not set("0O1IL5S8B") & set(CODE_ALPHABET)


def test_hashes_are_keyed_and_kept_apart_by_purpose() -> None:
    assert hashed("k1", "code", "ABCD") != hashed("k2", "code", "ABCD")
    assert hashed("k1", "code", "ABCD") != hashed("k1", "token", "ABCD")
    assert "ABCD" not in hashed("k1", "code", "ABCD")


def test_a_link_is_refused_once_used_replaced_guessed_at_or_expired() -> None:
    ends = NOW + timedelta(minutes=15)
    assert refusal(closed_reason=None, expires_at=ends, attempts=0, now=NOW) is None
    assert refusal(closed_reason="used", expires_at=ends, attempts=0, now=NOW) == "used"
    assert refusal(closed_reason="replaced", expires_at=ends, attempts=0, now=NOW) == "replaced"
    assert (
        refusal(closed_reason=None, expires_at=ends, attempts=MAX_CODE_ATTEMPTS, now=NOW)
        == "too_many_codes"
    )
    assert refusal(closed_reason=None, expires_at=ends, attempts=0, now=ends) == "expired"
    assert (
        refusal(closed_reason=None, expires_at=ends, attempts=0, now=ends - timedelta(seconds=1))
        is None
    )
