"""A fake OpenID Connect provider (an Entra ID / Google stand-in) speaking the real wire
format: discovery document, JWKS, and a token endpoint issuing RS256-signed ID tokens.

Served for real with ``live_server(FakeOidc().app)``. The authorization step is left to the
test: it reads ``state`` and ``nonce`` from our redirect and calls ``/auth/callback`` with a
code from ``code_for(email, nonce, **claims)`` (``claims`` added to, or replacing, the ID
token's; ``key`` signs it). The code ``"refused"`` gets the provider's ``invalid_grant``
error, as an expired or replayed code does; a code for ``""`` gets an ID token with no email,
and the UserInfo endpoint answers ``userinfo``. ``sign(claims)`` makes any other token the
tenant would issue (e.g. the Teams tab's single sign-on access token).

Two shapes: one issuer at the root (as Google's: ``issuer``), and Entra's, where each tenant is
its own issuer (``tenant_issuer(tid)``, ``/<tid>/v2.0``) and a multi-tenant app reads the
tenant-independent document (``organizations``) whose issuer is the template
``.../{tenantid}/v2.0``; a code naming a ``tid`` gets an ID token with that tenant's issuer,
as Entra never issues one tenant's token under another's (or a shared) issuer.
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


def code_for(email: str, nonce: str, **claims: Any) -> str:
    """An authorization code the fake token endpoint redeems for ``email`` (and ``claims``)."""
    return base64.urlsafe_b64encode(json.dumps([email, nonce, claims]).encode()).decode()


class FakeOidc:
    """The provider; ``issuer`` must be set to its URL once it is served."""

    def __init__(self) -> None:
        self.issuer = ""
        self.key = _KEY  # what signs its ID tokens: a stranger's key forges them
        self.tokens_issued = 0
        self.userinfo: dict[str, Any] = {}
        self.app = Starlette(
            routes=[
                Route("/.well-known/openid-configuration", self.discovery),
                Route("/{tenant}/v2.0/.well-known/openid-configuration", self.discovery),
                Route("/jwks", self.jwks),
                Route("/token", self.token, methods=["POST"]),
                Route("/userinfo", self.user_info),
            ]
        )

    def sign(self, claims: dict[str, Any], key: RSAKey | None = None) -> str:
        """An RS256 token over ``claims`` with this provider's key id (signed by ``key`` if
        given: a stranger's key under our key id is a forged signature)."""
        return jwt.encode({"alg": "RS256", "kid": "fake-1", "typ": "JWT"}, claims, key or _KEY)

    def tenant_issuer(self, tid: str) -> str:
        """Entra's issuer for tenant ``tid`` (its ``iss`` in every token of that tenant)."""
        return f"{self.issuer}/{tid}/v2.0"

    @property
    def organizations(self) -> str:
        """The tenant-independent authority a multi-tenant app is configured with."""
        return f"{self.issuer}/organizations/v2.0"

    async def discovery(self, request: Request) -> JSONResponse:
        """The provider's metadata document: the root's, a tenant's, or the tenant-independent
        one (its issuer the template Entra documents)."""
        tenant = request.path_params.get("tenant")
        issuer = (
            self.issuer
            if tenant is None
            else self.tenant_issuer("{tenantid}" if tenant == "organizations" else tenant)
        )
        return JSONResponse(
            {
                "issuer": issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "jwks_uri": f"{self.issuer}/jwks",
                "userinfo_endpoint": f"{self.issuer}/userinfo",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
            }
        )

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
            return JSONResponse(
                {
                    "error": "invalid_grant",
                    "error_description": "AADSTS70008: the code has expired",
                },
                status_code=400,
            )
        email, nonce, extra = json.loads(base64.urlsafe_b64decode(code))
        now = int(time.time())  # the ID token is checked against the real clock by authlib
        issuer = self.tenant_issuer(extra["tid"]) if "tid" in extra else self.issuer
        claims: dict[str, Any] = {
            "iss": issuer,
            "aud": CLIENT_ID,
            "sub": f"sub-{email}",
            "nonce": nonce,
            "iat": now,
            "exp": now + 600,
        }
        if email:
            claims |= {"email": email, "email_verified": True}
        claims |= extra
        id_token = jwt.encode({"alg": "RS256", "kid": "fake-1"}, claims, self.key)
        self.tokens_issued += 1
        return JSONResponse(
            {
                "access_token": "at-" + email,
                "token_type": "Bearer",
                "expires_in": 600,
                "id_token": id_token,
            }
        )
