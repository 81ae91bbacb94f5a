"""Sign-in links and codes, pure: how they are made, kept (as keyed hashes) and judged."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = [
    "CODE_ALPHABET",
    "CODE_LENGTH",
    "LINK_LIFETIME",
    "MAX_CODE_ATTEMPTS",
    "Secrets",
    "format_code",
    "hashed",
    "new_secrets",
    "normalise_code",
    "refusal",
]

LINK_LIFETIME = timedelta(minutes=15)
MAX_CODE_ATTEMPTS = 5  # wrong codes typed against one link before it is closed
CODE_LENGTH = 8
# no 0/O, 1/I/L, 5/S or 8/B: a code read off a phone is typed without guessing
CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY234679"


@dataclass(frozen=True)
class Secrets:
    """A new link's token (for the URL) and code (for typing): emailed once, never stored."""

    token: str
    code: str


def new_secrets() -> Secrets:
    """A fresh token (256 bits) and code (8 characters, about 37 bits)."""
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return Secrets(token=secrets.token_urlsafe(32), code=code)


def format_code(code: str) -> str:
    """The code as the email shows it: two groups of four (``ACDE-FGHJ``)."""
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


def normalise_code(typed: str) -> str:
    """A typed code as stored: spaces and dashes dropped, upper case."""
    return "".join(c for c in typed.upper() if c not in " -\t")


def hashed(key: str, purpose: str, value: str) -> str:
    """The stored form of a token, a code or an address: an HMAC, never the value."""
    message = f"signin\0{purpose}\0{value}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def refusal(
    *, closed_reason: str | None, expires_at: datetime, attempts: int, now: datetime
) -> str | None:
    """Why a link can no longer sign anyone in (``used``, ``replaced``, ``too_many_codes``,
    ``expired``), or None while it still can."""
    if closed_reason:
        return closed_reason
    if attempts >= MAX_CODE_ATTEMPTS:
        return "too_many_codes"
    if now >= expires_at:
        return "expired"
    return None
