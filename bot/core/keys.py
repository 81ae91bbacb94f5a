"""Keys for separate purposes, each derived from the school's one secret key (HKDF-SHA256).

The secret key (``Settings.signing_key()``) signs links, sessions and CSRF tokens. Evidence
needs keys of its own so that no key is used for two things: ``derive(secret, "audit")`` keys
the audit chain and the seals, ``derive(secret, "evidence")`` signs an inspector's pack. A key
is never stored in the database; whoever cannot read the secret key cannot make a valid one.
"""

from __future__ import annotations

import hashlib
import hmac

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["PURPOSES", "derive", "key_id"]

PURPOSES = frozenset({"audit", "evidence"})
_SALT = b"compliance-bot key derivation v1"


def derive(secret: str, purpose: str) -> bytes:
    """A 32-byte key for ``purpose`` (one of ``PURPOSES``), the same for the same secret."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown key purpose {purpose!r}")
    kdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=purpose.encode())
    return kdf.derive(secret.encode())


def key_id(key: bytes) -> str:
    """A short, public name for a key (12 hex digits), safe to record and to show: it tells
    which key made something without revealing the key."""
    return hmac.new(key, b"compliance-bot key id", hashlib.sha256).hexdigest()[:12]
