"""Keys for separate purposes, each derived from the school's one secret key (HKDF-SHA256).

The secret key (``Settings.signing_key()``) signs links, sessions and CSRF tokens. Evidence
needs keys of its own so that no key is used for two things: ``derive(secret, "audit")`` keys
the audit chain and the seals, ``derive(secret, "evidence")`` signs an inspector's pack. A key
is never stored in the database; whoever cannot read the secret key cannot make a valid one.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["PURPOSES", "Keyring", "derive", "key_id"]

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


@dataclass(frozen=True)
class Keyring:
    """The audit key in use now and the ones used before it (by ``key_id``), for checking
    older parts of the audit log. Kept in memory only, never in the database."""

    current: bytes
    previous: Mapping[str, bytes] = field(default_factory=dict)

    @property
    def current_id(self) -> str:
        """The public name of the key in use."""
        return key_id(self.current)

    def find(self, wanted: str) -> bytes | None:
        """The key named ``wanted`` (current or previous), or None when not held."""
        return self.current if wanted == self.current_id else self.previous.get(wanted)

    @classmethod
    def from_secrets(cls, current: str, previous: Iterable[str] = ()) -> Keyring:
        """The audit keyring derived from the secret in use and the secrets used before."""
        keys = [derive(secret, "audit") for secret in previous]
        return cls(derive(current, "audit"), {key_id(k): k for k in keys})
