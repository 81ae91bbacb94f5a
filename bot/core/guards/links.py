"""Signed links: purpose-bound (person, duty, version), expiring and tamper-evident.

A token is ``person.duty.version`` signed with itsdangerous' TimestampSigner under a salt per
purpose, so an acknowledgement link cannot be replayed as an AUP signature link. Signers are
cached, one per secret and purpose in a process, and each derives its key once: a
100,000-person reminder run signs a million links.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from functools import lru_cache

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner
from itsdangerous.signer import HMACAlgorithm

__all__ = ["LinkClaims", "LinkExpiredError", "LinkInvalidError", "make_token", "read_token"]

PURPOSES = ("ack", "aup", "renew", "task", "training")


@dataclass(frozen=True)
class LinkClaims:
    """What a link is for: one person, one duty, one version."""

    purpose: str
    person_id: int
    duty_id: int | None
    version_id: int | None


class LinkInvalidError(Exception):
    """The link was altered, is for another purpose, or is not ours."""


class LinkExpiredError(Exception):
    """The link was genuine but is too old; ``claims`` says whose it was (to offer a fresh one)."""

    def __init__(self, claims: LinkClaims) -> None:
        super().__init__("link expired")
        self.claims = claims


class _KeyedSigner(TimestampSigner):
    """A TimestampSigner that derives each secret's key once (itsdangerous does it per call)."""

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        """The derived key for ``secret_key`` (default: the newest), computed once."""
        cache: dict[str | bytes | None, bytes] = self.__dict__.setdefault("_derived", {})
        if secret_key not in cache:
            cache[secret_key] = super().derive_key(secret_key)
        return cache[secret_key]


class _KeyedHMAC(HMACAlgorithm):
    """HMAC keyed once per key: each signature copies the keyed state (a third less work)."""

    def __init__(self) -> None:
        super().__init__()
        self._keyed: dict[bytes, hmac.HMAC] = {}

    def get_signature(self, key: bytes, value: bytes) -> bytes:
        """The same signature as ``HMACAlgorithm``'s."""
        keyed = self._keyed.get(key)
        if keyed is None:
            keyed = self._keyed[key] = hmac.new(key, digestmod=self.digest_method)
        mac = keyed.copy()
        mac.update(value)
        return mac.digest()


@lru_cache(maxsize=16)
def _signer(secret: str, purpose: str) -> TimestampSigner:
    if purpose not in PURPOSES:
        raise ValueError(f"unknown link purpose {purpose!r}")
    return _KeyedSigner(secret, salt=f"compliance-bot/{purpose}", algorithm=_KeyedHMAC())


def make_token(
    secret: str, purpose: str, person_id: int, duty_id: int | None, version_id: int | None
) -> str:
    """A URL-safe token binding the purpose, person, duty and version."""
    duty = "" if duty_id is None else str(duty_id)
    version = "" if version_id is None else str(version_id)
    value = f"{person_id}.{duty}.{version}"
    return _signer(secret, purpose).sign(value).decode()


def _claims(purpose: str, value: bytes) -> LinkClaims:
    parts = value.decode(errors="replace").split(".")
    if len(parts) != 3 or not parts[0].isdigit():
        raise LinkInvalidError("malformed link payload")
    try:
        duty = int(parts[1]) if parts[1] else None
        version = int(parts[2]) if parts[2] else None
    except ValueError as exc:
        raise LinkInvalidError("malformed link payload") from exc
    return LinkClaims(purpose, int(parts[0]), duty, version)


def read_token(secret: str, purpose: str, token: str, max_age_seconds: int) -> LinkClaims:
    """Check a token; raise LinkExpiredError (with claims) or LinkInvalidError."""
    signer = _signer(secret, purpose)
    try:
        return _claims(purpose, signer.unsign(token, max_age=max_age_seconds))
    except SignatureExpired as exc:
        if exc.payload is None:  # pragma: no cover - expired implies a good signature
            raise LinkInvalidError("bad signature") from exc
        raise LinkExpiredError(_claims(purpose, exc.payload)) from None
    except BadSignature as exc:
        raise LinkInvalidError("bad signature") from exc
