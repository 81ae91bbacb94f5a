"""A set of files signed as every pack of the product is (the inspector's evidence pack, the
trustees' termly pack): ``MANIFEST.sha256`` lists each file's SHA-256 in ``sha256sum``'s own
format, ``MANIFEST.sig`` is the manifest's signature with the school's evidence key, and
``public-key.pem`` the key that checks it (``signed``).

The evidence key: an ECDSA P-256 key pair derived from the secret key.

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
import re
from collections.abc import Mapping

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_pem_public_key

from bot.core.guards.keys import derive

__all__ = [
    "MANIFEST",
    "PUBLIC_KEY",
    "SIGNATURE",
    "KeyFileError",
    "ManifestError",
    "PublicKey",
    "earlier_key",
    "fingerprint",
    "format_fingerprint",
    "manifest_bytes",
    "normalise_fingerprint",
    "parse_manifest",
    "private_key",
    "public_key_file",
    "read_public_key_file",
    "sign",
    "signature_holds",
    "signed",
]

MANIFEST = "MANIFEST.sha256"  # the list of every other file's SHA-256 (``sha256sum -c``)
SIGNATURE = "MANIFEST.sig"  # the ECDSA P-256 / SHA-256 signature of the manifest (DER)
PUBLIC_KEY = "public-key.pem"  # the key that checks the signature, with its fingerprint
_LINE = re.compile(r"([0-9a-f]{64})  ([A-Za-z0-9][A-Za-z0-9._-]{0,99})")

PublicKey = ec.EllipticCurvePublicKey | Ed25519PublicKey
_PREFIX = "Key fingerprint (SHA-256): "
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_SIGNING = ec.ECDSA(hashes.SHA256(), deterministic_signing=True)


class KeyFileError(ValueError):
    """``public-key.pem`` is not exactly a key file the pack writes; ``str()`` says why."""


class ManifestError(ValueError):
    """The manifest is not in the exact form the pack writes; ``str()`` says where."""


def manifest_bytes(files: Mapping[str, bytes]) -> bytes:
    """``sha256sum``'s format: one ``<hash>  <name>`` line per file, sorted by name."""
    for name in files:
        if not _LINE.fullmatch(f"{'0' * 64}  {name}"):
            raise ValueError(f"{name!r} is not a plain file name")
    lines = [f"{hashlib.sha256(files[n]).hexdigest()}  {n}\n" for n in sorted(files)]
    return "".join(lines).encode("ascii")


def parse_manifest(data: bytes) -> dict[str, str]:
    """The manifest's file names and hashes; anything not exactly as written is refused."""
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        raise ManifestError("it holds characters the pack never writes") from None
    if not text.endswith("\n"):
        raise ManifestError("its last line is cut short")
    listed: dict[str, str] = {}
    previous = ""
    for number, line in enumerate(text[:-1].split("\n"), start=1):
        match = _LINE.fullmatch(line)
        if match is None:
            raise ManifestError(f"line {number} is not '<SHA-256>  <file name>'")
        digest, name = match.groups()
        if name <= previous:
            raise ManifestError(f"line {number} ({name}) is out of order or repeated")
        listed[name], previous = digest, name
    return listed


def format_fingerprint(hex_digest: str) -> str:
    """A fingerprint as people read it aloud: groups of four (``3f2a 9c1b …``)."""
    return " ".join(hex_digest[i : i + 4] for i in range(0, len(hex_digest), 4))


def normalise_fingerprint(text: str) -> str | None:
    """A fingerprint typed any usual way (spaces, colons, capitals) as 64 hex digits."""
    squashed = re.sub(r"[\s:-]", "", text).lower()
    return squashed if re.fullmatch(r"[0-9a-f]{64}", squashed) else None


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


def signed(files: Mapping[str, bytes], secret: str) -> dict[str, bytes]:
    """``files`` with the evidence key's ``public-key.pem``, the manifest of them all and its
    signature: what ``openssl dgst -sha256 -verify`` and ``sha256sum -c`` check."""
    done = {**files, PUBLIC_KEY: public_key_file(private_key(secret).public_key())}
    done[MANIFEST] = manifest_bytes(done)
    done[SIGNATURE] = sign(secret, done[MANIFEST])
    return done
