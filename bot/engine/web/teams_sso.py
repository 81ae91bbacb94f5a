"""Teams tab single sign-on: the tab's script gets a token from Teams (``getAuthToken()`` in
the Teams JavaScript library) and posts it here; the token is checked with joserfc — signature
against the tenant's published keys (JWKS, fetched and cached), issuer, audience
``api://<host>/<client id>``, expiry and tenant — and the person it names is signed in with the
ordinary session (``auth.start_session``). The popup/redirect sign-in stays as the fallback.

Entra issues v1.0 or v2.0 access tokens depending on the app registration
(``accessTokenAcceptedVersion``): v1.0 tokens carry ``iss https://sts.windows.net/<tenant>/``
and the Application ID URI as ``aud``; v2.0 tokens the OpenID issuer and the client id. Both
are accepted, for the configured tenant and client only.

A trust across tenants (#54): each connection with a tenant of its own has its own setup (its
tenant, its app's client id as the audience); a token is accepted by the setup of its tenant
only, and signs in only a person of that tenant's schools (the install's tenant: the schools
without a connection). A tenant B token is never accepted for a tenant A school.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlsplit

import httpx
from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import Response
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from bot.core.deployment.settings import Settings, connection_key
from bot.core.language.i18n import N_
from bot.engine.web.auth import refuse, start_session
from bot.engine.web.deps import check_csrf, ctx
from bot.engine.web.identity import TENANT_SLOT, school_tenant

__all__ = [
    "SsoSetup",
    "TeamsTokenError",
    "TokenKeys",
    "router",
    "sso_setup",
    "sso_setups",
    "teams_email",
    "verify_teams_token",
]

router = APIRouter()
log = logging.getLogger(__name__)
MAX_TOKEN_CHARS = 16_000
KEYS_MAX_AGE = 24 * 3600.0  # seconds; Microsoft rolls keys over with weeks of notice
KEYS_REFRESH_AFTER = 60.0  # an unknown key id refetches at most this often (Microsoft: 30 s)
REFUSED = (
    "Microsoft Teams could not sign you in here. Use the Sign in button on the dashboard, or "
    "open the dashboard in your browser; if it keeps happening, tell whoever looks after this "
    "system at your school."
)


class TeamsTokenError(ValueError):
    """The token is not one this school accepts; ``str()`` says which check failed (no token)."""


@dataclass(frozen=True)
class SsoSetup:
    """What a Teams token must match: issuers, audiences and the school's tenant."""

    discovery_url: str
    client_id: str
    audiences: tuple[str, ...]
    tenant: str
    connection: str | None = None  # the connection whose tenant it is (None: the install's)


def sso_setup(settings: Settings) -> SsoSetup | None:
    """The deployment's Teams SSO expectations, or None when SSO is not set up.

    Needs ``oidc_issuer`` (the tenant's OpenID issuer), the school's tenant (in that issuer, or
    ``m365.tenant_id``: a token from any other tenant is refused) and a client id
    (``teams_sso_client_id``, else ``oidc_client_id``).
    """
    client_id = settings.teams_sso_client_id or settings.oidc_client_id
    tenant = school_tenant(settings)
    if not settings.oidc_issuer or not client_id or not tenant:
        return None
    issuer = settings.oidc_issuer.rstrip("/")
    host = urlsplit(settings.base_url).hostname or ""
    return SsoSetup(
        discovery_url=f"{issuer}/.well-known/openid-configuration",
        client_id=client_id,
        audiences=(f"api://{host}/{client_id}", client_id),
        tenant=tenant,
    )


def sso_setups(settings: Settings) -> tuple[SsoSetup, ...]:
    """The install's setup (``sso_setup``) and one per connection with a tenant and an app of
    its own: its tenant's issuer (a single tenant's Entra issuer with the connection's tenant
    in its place; a tenant-independent one, ``organizations``, serves every tenant), its app's
    client id as the audience."""
    own = sso_setup(settings)
    if own is None:
        return ()
    host = urlsplit(settings.base_url).hostname or ""
    found = [own]
    for name, connection in sorted(settings.connections.items()):
        if not connection.tenant_id or not connection.client_id:
            continue
        tenant, client = connection.tenant_id.lower(), connection.client_id
        found.append(
            SsoSetup(
                discovery_url=re.sub(
                    f"/{own.tenant}/",
                    f"/{tenant}/",
                    own.discovery_url,
                    count=1,
                    flags=re.IGNORECASE,
                ),
                client_id=client,
                audiences=(f"api://{host}/{client}", client),
                tenant=tenant,
                connection=connection_key(name),
            )
        )
    return tuple(found)


def _unverified_tid(token: str) -> str:
    """The tenant a token says it is from (unverified: it only picks whose keys check it)."""
    try:
        payload = token.split(".")[1]
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return str(data.get("tid") or "").lower() if isinstance(data, dict) else ""
    except (ValueError, IndexError, TypeError):
        return ""


def verify_for_tenant(
    token: str, setups: tuple[SsoSetup, ...], keys: TokenKeys, *, now: int | None = None
) -> tuple[dict[str, Any], SsoSetup]:
    """The claims and the setup of the tenant the token names, when the token is genuine and
    meant for that tenant's app; TeamsTokenError otherwise (no setup for its tenant either)."""
    tid = _unverified_tid(token) if token.count(".") == 2 else ""
    setup = next((s for s in setups if s.tenant == tid), None)
    if setup is None:
        setup = setups[0]  # checked against the install's: refused there, saying why
    return verify_teams_token(token, setup, keys, now=now), setup


@dataclass
class _Fetched:
    issuer: str
    keys: KeySet
    at: float


class TokenKeys:
    """The issuer's signing keys from its discovery document, cached and refreshed on rotation.

    Args:
        transport: an httpx transport (tests); the network otherwise.
        clock: epoch seconds (time-machine moves it in tests); a clock that went back
            counts the keys as stale.
    """

    def __init__(
        self, transport: httpx.BaseTransport | None = None, clock: Callable[[], float] = time.time
    ) -> None:
        self._transport = transport
        self._clock = clock
        self._lock = threading.Lock()
        self._cache: dict[str, _Fetched] = {}
        self.fetches = 0  # discovery documents read (a rotation costs one)

    def _fetch(self, discovery_url: str) -> _Fetched:
        """Discovery document, then its ``jwks_uri`` (TeamsTokenError when unreachable)."""
        try:
            with httpx.Client(transport=self._transport, timeout=10.0) as client:
                meta = client.get(discovery_url).raise_for_status().json()
                jwks = client.get(str(meta["jwks_uri"])).raise_for_status().json()
            keys = KeySet.import_key_set(jwks)
        except (httpx.HTTPError, ValueError, KeyError, TypeError, JoseError) as exc:
            log.warning(
                "teams sign-in: the signing keys could not be read (%s)", type(exc).__name__
            )
            raise TeamsTokenError("the signing keys could not be read") from None
        self.fetches += 1
        return _Fetched(str(meta.get("issuer") or ""), keys, self._clock())

    def get(self, discovery_url: str, *, refresh: bool = False) -> tuple[str, KeySet]:
        """(issuer, keys), fetched when missing, older than a day, or on ``refresh`` (an
        unknown key id) when the last fetch is more than ``KEYS_REFRESH_AFTER`` old."""
        with self._lock:
            held = self._cache.get(discovery_url)
            age = self._clock() - held.at if held else None
            stale = (
                age is None
                or age < 0
                or age > KEYS_MAX_AGE
                or (refresh and age > KEYS_REFRESH_AFTER)
            )
            if held is None or stale:
                held = self._fetch(discovery_url)
                self._cache[discovery_url] = held
            return held.issuer, held.keys


KEYS = TokenKeys()


def _decoded(token: str, keys: KeySet) -> dict[str, Any]:
    """The claims once the RS256 signature checks out against ``keys``."""
    try:
        return dict(jwt.decode(token, keys, algorithms=["RS256"]).claims)
    except (JoseError, ValueError, KeyError, TypeError) as exc:
        raise TeamsTokenError(f"the signature does not check out ({type(exc).__name__})") from None


def verify_teams_token(
    token: str, setup: SsoSetup, keys: TokenKeys, *, now: int | None = None
) -> dict[str, Any]:
    """The token's claims when it is genuine and meant for this school's app; else TeamsTokenError.

    Checks, in order: size, signature (the issuer's JWKS; an unknown key id refetches it once),
    issuer, audience, expiry (and not-before), tenant.
    """
    if not token or len(token) > MAX_TOKEN_CHARS or token.count(".") != 2:
        raise TeamsTokenError("not a token")
    issuer, key_set = keys.get(setup.discovery_url)
    try:
        claims = _decoded(token, key_set)
    except TeamsTokenError:
        issuer, key_set = keys.get(setup.discovery_url, refresh=True)  # keys may have rolled
        claims = _decoded(token, key_set)
    options: dict[str, Any] = {
        # the discovery document's issuer (a tenant-independent one with this tenant in its
        # {tenantid}), and Entra's v1.0 form for the same tenant
        "iss": {
            "essential": True,
            "values": [
                *([issuer.replace(TENANT_SLOT, setup.tenant)] if issuer else []),
                f"https://sts.windows.net/{setup.tenant}/",
            ],
        },
        "aud": {"essential": True, "values": list(setup.audiences)},
        "exp": {"essential": True},
        "tid": {"essential": True, "value": setup.tenant},
    }
    try:
        jwt.JWTClaimsRegistry(now=now, leeway=60, **options).validate(claims)
    except JoseError as exc:
        raise TeamsTokenError(f"claim refused ({type(exc).__name__}: {exc.description})") from None
    return claims


def teams_email(claims: dict[str, Any]) -> str:
    """The person's sign-in address: ``preferred_username`` (v2.0), ``upn`` (v1.0) or email.

    Unlike another provider's ``preferred_username`` (bot.engine.web.identity), these name the
    school's own directory: the token is checked to come from the school's tenant, where the
    user principal name is unique and set by the tenant's administrators, on one of its
    verified domains.
    """
    for name in ("preferred_username", "upn", "email"):
        value = claims.get(name)
        if isinstance(value, str) and "@" in value:
            return value.strip().lower()
    raise TeamsTokenError("the token names no sign-in address")


@router.post("/auth/teams", include_in_schema=False)
def teams_sign_in(
    request: Request,
    token: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    next_path: Annotated[str, Form(alias="next")] = "",
) -> Response:
    """Sign in with the token Teams gave the tab (401 and no session when it is refused)."""
    check_csrf(request, csrf_token)
    setups = sso_setups(ctx(request).settings)
    if not setups:
        raise HTTPException(404, N_("Signing in through Microsoft Teams is not set up here."))
    try:
        claims, setup = verify_for_tenant(token, setups, KEYS)
        email = teams_email(claims)
    except TeamsTokenError as exc:
        log.info("teams sign-in refused: %s", exc)  # which check failed; never the token
        raise refuse(request, "teams_token", REFUSED, via="teams_sso", status=401) from None
    # a person of the token's tenant's schools only (another tenant's school: refused)
    return start_session(request, email, next_path or None, via="teams_sso", org=setup.tenant)
