"""A fake OpenID Connect provider (an Entra ID / Google stand-in) speaking the real wire
format: discovery document, JWKS, and a token endpoint issuing RS256-signed ID tokens.

Served for real with ``live_server(FakeOidc().app)``. The authorization step is left to the
test: it reads ``state`` and ``nonce`` from our redirect and calls ``/auth/callback`` with a
code from ``code_for(email, nonce)``. The code ``"refused"`` gets the provider's
``invalid_grant`` error, as an expired or replayed code does; a code for ``""`` gets an ID
token with no email, and the UserInfo endpoint answers ``userinfo``. ``sign(claims)`` makes
any other token the tenant would issue (e.g. the Teams tab's single sign-on access token).
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

from joserfc import jwt
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

CLIENT_ID = "compliance-bot-test"
CLIENT_SECRET = "fake-oidc-client-secret"
_KEY = RSAKey.generate_key(2048, parameters={"kid": "fake-1", "use": "sig", "alg": "RS256"})


def code_for(email: str, nonce: str) -> str:
    """An authorization code the fake token endpoint redeems for ``email``."""
    return base64.urlsafe_b64encode(json.dumps([email, nonce]).encode()).decode()


class FakeOidc:
    """One issuer; ``issuer`` must be set to its URL once it is served."""

    def __init__(self) -> None:
        self.issuer = ""
        self.tokens_issued = 0
        self.userinfo: dict[str, Any] = {}
        self.app = Starlette(routes=[
            Route("/.well-known/openid-configuration", self.discovery),
            Route("/jwks", self.jwks),
            Route("/token", self.token, methods=["POST"]),
            Route("/userinfo", self.user_info),
        ])

    def sign(self, claims: dict[str, Any], key: RSAKey | None = None) -> str:
        """An RS256 token over ``claims`` with this provider's key id (signed by ``key`` if
        given: a stranger's key under our key id is a forged signature)."""
        return jwt.encode({"alg": "RS256", "kid": "fake-1", "typ": "JWT"}, claims, key or _KEY)

    async def discovery(self, request: Request) -> JSONResponse:
        """The provider's metadata document."""
        return JSONResponse({
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
        })

    async def jwks(self, request: Request) -> JSONResponse:
        """The public signing key."""
        return JSONResponse({"keys": [_KEY.as_dict(private=False)]})

    async def user_info(self, request: Request) -> JSONResponse:
        """What the test put in ``userinfo``."""
        return JSONResponse(self.userinfo)

    async def token(self, request: Request) -> JSONResponse:
        """Redeem a code (client_secret_basic or _post), or answer the OAuth error."""
        form = await request.form()
        code = str(form.get("code") or "")
        if form.get("grant_type") != "authorization_code" or code == "refused":
            return JSONResponse({"error": "invalid_grant",
                                 "error_description": "AADSTS70008: the code has expired"},
                                status_code=400)
        email, nonce = json.loads(base64.urlsafe_b64decode(code))
        now = int(time.time())  # the ID token is checked against the real clock by authlib
        claims: dict[str, Any] = {
            "iss": self.issuer, "aud": CLIENT_ID, "sub": f"sub-{email}", "nonce": nonce,
            "iat": now, "exp": now + 600,
        }
        if email:
            claims |= {"email": email, "email_verified": True}
        id_token = jwt.encode({"alg": "RS256", "kid": "fake-1"}, claims, _KEY)
        self.tokens_issued += 1
        return JSONResponse({"access_token": "at-" + email, "token_type": "Bearer",
                             "expires_in": 600, "id_token": id_token})
