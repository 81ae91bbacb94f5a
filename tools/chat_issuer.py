"""A local stand-in for Google's token issuers, for ``tools.chat_smoke`` and the tests:
RSA keys with self-signed certificates published as Google publishes its own (a JSON object of
PEM certificates by key id, with ``Cache-Control: max-age``), and tokens in both of the forms
Chat sends, signed with google-auth's own signer. Nothing here is trusted by the product unless
a caller hands its ``fetch`` to the token verifier's key cache.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Mapping
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from bot.core.guards.chat_tokens import ADDON_SIGNER, CHAT_CERTS, CHAT_ISSUER, GOOGLE_CERTS

__all__ = ["LocalGoogle", "LocalKey"]


class LocalKey:
    """An RSA key and a self-signed certificate for it."""

    def __init__(self, kid: str) -> None:
        self.kid = kid
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, kid)])
        now = dt.datetime.now(dt.UTC)
        self.certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.private.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .sign(self.private, hashes.SHA256())
            .public_bytes(serialization.Encoding.PEM)
            .decode()
        )

    def sign(self, claims: Mapping[str, Any], kid: str | None = None) -> str:
        """``claims`` as an RS256 JWT signed with this key (google-auth's own encoder)."""
        from google.auth import crypt  # lazy: the google extra
        from google.auth import jwt as google_jwt

        # the key object itself: from_string would parse and check the PEM each time (~0.1 s)
        signer = crypt.RSASigner(self.private, key_id=kid or self.kid)  # type: ignore[no-untyped-call]
        token: bytes = google_jwt.encode(signer, dict(claims))  # type: ignore[no-untyped-call]
        return token.decode()


class LocalGoogle:
    """Google's two certificate endpoints and a key behind each, on this computer.

    ``fetch`` answers the verifier's key cache as Google's endpoints do; ``fetched`` counts
    the fetches by URL. ``rotate`` publishes a new key at the Chat endpoint.
    """

    def __init__(self, project_number: str, endpoint_url: str, *, max_age: int = 3600) -> None:
        self.project_number = project_number
        self.endpoint_url = endpoint_url
        self.max_age = max_age
        self.google = LocalKey("google-oidc-1")
        self.chat = LocalKey("chat-jwt-1")
        self.published: dict[str, list[LocalKey]] = {
            GOOGLE_CERTS: [self.google],
            CHAT_CERTS: [self.chat],
        }
        self.fetched: dict[str, int] = {}

    def fetch(self, url: str) -> tuple[int, Mapping[str, str], bytes]:
        """GET ``url``: the certificates by key id, or a 404."""
        self.fetched[url] = self.fetched.get(url, 0) + 1
        keys = self.published.get(url)
        if keys is None:
            return 404, {}, b"{}"
        body = json.dumps({k.kid: k.certificate for k in keys}).encode()
        return 200, {"Cache-Control": f"public, max-age={self.max_age}, must-revalidate"}, body

    def rotate(self, kid: str) -> LocalKey:
        """Publish a new key at the Chat endpoint (beside the old one) and sign with it."""
        self.chat = LocalKey(kid)
        self.published[CHAT_CERTS].append(self.chat)
        return self.chat

    def id_claims(self, *, addon: bool = True, now: int | None = None) -> dict[str, Any]:
        """The claims of the ID token Chat sends an endpoint-URL app."""
        at = int(time.time()) if now is None else now
        email = ADDON_SIGNER.format(project=self.project_number) if addon else CHAT_ISSUER
        return {
            "iss": "https://accounts.google.com",
            "aud": self.endpoint_url,
            "azp": "112233445566778899000",
            "sub": "112233445566778899000",
            "email": email,
            "email_verified": True,
            "iat": at,
            "exp": at + 3600,
        }

    def chat_claims(self, *, now: int | None = None) -> dict[str, Any]:
        """The claims of the JWT Chat sends a project-number app."""
        at = int(time.time()) if now is None else now
        return {"iss": CHAT_ISSUER, "aud": self.project_number, "iat": at, "exp": at + 3600}

    def id_token(self, **changes: Any) -> str:
        """A good ID token (endpoint-URL form), with ``changes`` to its claims."""
        return self.google.sign({**self.id_claims(), **changes})

    def chat_token(self, **changes: Any) -> str:
        """A good Chat JWT (project-number form), with ``changes`` to its claims."""
        return self.chat.sign({**self.chat_claims(), **changes})
