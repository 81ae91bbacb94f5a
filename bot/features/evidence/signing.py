"""The school's evidence key: an ECDSA P-256 key pair derived from the secret key.

The private key is worked out from ``derive(secret, "evidence")``, so it is never stored and is
the same on every server of the school. P-256 with SHA-256, the signature in DER, is what the
tools an inspector already has can check: ``openssl dgst -sha256 -verify`` on Linux and on a
Mac (whose LibreSSL cannot check an Ed25519 signature of a file), and .NET's ``ECDsa`` from the
PowerShell that comes with Windows. The signature is deterministic (RFC 6979): the same
manifest gets the same signature.

The public key goes into every pack as ``public-key.pem``: a PEM block (what OpenSSL reads)
after one line stating its fingerprint, the SHA-256 of the key's DER encoding — ``openssl
pkey -pubin -in public-key.pem -outform DER | sha256sum`` prints the same digits.

Packs made before this key (signed with an Ed25519 key derived from the same secret) still
verify: their key file and signature are read as they were written.
"""

from __future__ import annotations

import hashlib
import hmac

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_pem_public_key

from bot.core.guards.keys import derive
from bot.features.evidence.rules import format_fingerprint

__all__ = [
    "KeyFileError",
    "PublicKey",
    "earlier_key",
    "fingerprint",
    "private_key",
    "public_key_file",
    "read_public_key_file",
    "sign",
    "signature_holds",
]

PublicKey = ec.EllipticCurvePublicKey | Ed25519PublicKey
_PREFIX = "Key fingerprint (SHA-256): "
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_SIGNING = ec.ECDSA(hashes.SHA256(), deterministic_signing=True)


class KeyFileError(ValueError):
    """``public-key.pem`` is not exactly a key file the pack writes; ``str()`` says why."""


def private_key(secret: str) -> ec.EllipticCurvePrivateKey:
    """The school's evidence signing key, derived from its secret key."""
    seed = hmac.new(derive(secret, "evidence"), b"ECDSA P-256", hashlib.sha512).digest()
    scalar = int.from_bytes(seed, "big") % (_P256_ORDER - 1) + 1  # 512 bits: no bias to speak of
    return ec.derive_private_key(scalar, ec.SECP256R1())


def earlier_key(secret: str) -> Ed25519PublicKey:
    """The Ed25519 key that signed the packs made before the P-256 key (to check those)."""
    return Ed25519PrivateKey.from_private_bytes(derive(secret, "evidence")).public_key()


def fingerprint(public: PublicKey) -> str:
    """The key's fingerprint: SHA-256 of its DER encoding, as 64 hex digits."""
    der = public.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()


def public_key_file(public: PublicKey) -> bytes:
    """``public-key.pem``: its fingerprint in words, then the PEM block."""
    pem = public.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    return f"{_PREFIX}{format_fingerprint(fingerprint(public))}\n".encode("ascii") + pem


def read_public_key_file(data: bytes) -> PublicKey:
    """The key in ``public-key.pem``, refused unless the file is exactly as the pack wrote it.

    Being exact means any changed byte is noticed here and named as this file's, rather than
    showing up later as a signature that does not hold.
    """
    start = data.find(b"-----BEGIN PUBLIC KEY-----")
    if start < 0:
        raise KeyFileError("it holds no public key")
    try:
        key = load_pem_public_key(data[start:])
    except (ValueError, UnsupportedAlgorithm):
        raise KeyFileError("its key cannot be read") from None
    if isinstance(key, ec.EllipticCurvePublicKey):
        if not isinstance(key.curve, ec.SECP256R1):
            raise KeyFileError("its key is not a P-256 key")
    elif not isinstance(key, Ed25519PublicKey):
        raise KeyFileError("its key is not a P-256 (or, in older packs, Ed25519) key")
    if public_key_file(key) != data:
        raise KeyFileError(
            "it is not exactly as written (its stated fingerprint or layout differs from its key)"
        )
    return key


def sign(secret: str, message: bytes) -> bytes:
    """The ECDSA P-256 / SHA-256 signature of ``message`` with the school's evidence key
    (DER, as ``openssl dgst -sign`` writes it)."""
    return private_key(secret).sign(message, _SIGNING)


def signature_holds(public: PublicKey, signature: bytes, message: bytes) -> bool:
    """Whether ``signature`` is this key's signature of ``message``."""
    try:
        if isinstance(public, Ed25519PublicKey):
            public.verify(signature, message)
        else:
            public.verify(signature, message, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True
