"""The school's evidence key: an Ed25519 key pair derived from the secret key.

The private key is ``derive(secret, "evidence")`` used as an Ed25519 seed, so it is never
stored and is the same on every server of the school. The public key goes into every pack as
``public-key.pem``: a PEM block (what OpenSSL reads) after one line stating its fingerprint,
the SHA-256 of the key's DER encoding — ``openssl pkey -pubin -in public-key.pem -outform DER |
sha256sum`` prints the same digits.
"""

from __future__ import annotations

import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_public_key,
)

from bot.core.keys import derive
from bot.features.evidence.rules import format_fingerprint

__all__ = [
    "KeyFileError",
    "fingerprint",
    "private_key",
    "public_key_file",
    "read_public_key_file",
    "sign",
    "signature_holds",
]

_PREFIX = "Key fingerprint (SHA-256): "


class KeyFileError(ValueError):
    """``public-key.pem`` is not exactly a key file the pack writes; ``str()`` says why."""


def private_key(secret: str) -> Ed25519PrivateKey:
    """The school's evidence signing key, derived from its secret key."""
    return Ed25519PrivateKey.from_private_bytes(derive(secret, "evidence"))


def fingerprint(public: Ed25519PublicKey) -> str:
    """The key's fingerprint: SHA-256 of its DER encoding, as 64 hex digits."""
    der = public.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()


def public_key_file(public: Ed25519PublicKey) -> bytes:
    """``public-key.pem``: its fingerprint in words, then the PEM block."""
    pem = public.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    return f"{_PREFIX}{format_fingerprint(fingerprint(public))}\n".encode("ascii") + pem


def read_public_key_file(data: bytes) -> Ed25519PublicKey:
    """The key in ``public-key.pem``, refused unless the file is exactly as the pack wrote it.

    Being exact means any changed byte is noticed here and named as this file's, rather than
    showing up later as a signature that does not hold.
    """
    start = data.find(b"-----BEGIN PUBLIC KEY-----")
    if start < 0:
        raise KeyFileError("it holds no public key")
    try:
        key = load_pem_public_key(data[start:])
    except ValueError:
        raise KeyFileError("its key cannot be read") from None
    if not isinstance(key, Ed25519PublicKey):
        raise KeyFileError("its key is not an Ed25519 key")
    if public_key_file(key) != data:
        raise KeyFileError(
            "it is not exactly as written (its stated fingerprint or layout differs from its key)"
        )
    return key


def sign(secret: str, message: bytes) -> bytes:
    """The 64-byte Ed25519 signature of ``message`` with the school's evidence key."""
    return private_key(secret).sign(message)


def signature_holds(public: Ed25519PublicKey, signature: bytes, message: bytes) -> bool:
    """Whether ``signature`` is this key's signature of ``message``."""
    try:
        public.verify(signature, message)
    except InvalidSignature:
        return False
    return True
