"""Signed links: purpose-bound (person, duty, version), expiring and tamper-evident."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

__all__ = ["LinkClaims", "LinkExpiredError", "LinkInvalidError", "make_token", "read_token"]

PURPOSES = ("ack", "aup", "renew", "task")


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


def _serializer(secret: str, purpose: str) -> URLSafeTimedSerializer:
    if purpose not in PURPOSES:
        raise ValueError(f"unknown link purpose {purpose!r}")
    return URLSafeTimedSerializer(secret, salt=f"compliance-bot/{purpose}")


def make_token(
    secret: str, purpose: str, person_id: int, duty_id: int | None, version_id: int | None
) -> str:
    """A URL-safe token binding the purpose, person, duty and version."""
    payload = {"p": person_id, "d": duty_id, "v": version_id}
    return str(_serializer(secret, purpose).dumps(payload))


def _claims(purpose: str, payload: Any) -> LinkClaims:
    if not isinstance(payload, dict) or not isinstance(payload.get("p"), int):
        raise LinkInvalidError("malformed link payload")
    return LinkClaims(purpose, payload["p"], payload.get("d"), payload.get("v"))


def read_token(secret: str, purpose: str, token: str, max_age_seconds: int) -> LinkClaims:
    """Check a token; raise LinkExpiredError (with claims) or LinkInvalidError."""
    serializer = _serializer(secret, purpose)
    try:
        return _claims(purpose, serializer.loads(token, max_age=max_age_seconds))
    except SignatureExpired as exc:
        valid, payload = serializer.loads_unsafe(token)
        if not valid:  # pragma: no cover - expired implies the signature itself was good
            raise LinkInvalidError("bad signature") from exc
        raise LinkExpiredError(_claims(purpose, payload)) from None
    except BadSignature as exc:
        raise LinkInvalidError("bad signature") from exc
