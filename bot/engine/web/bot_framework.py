"""Who may call ``/api/messages``: Microsoft, on behalf of this school's own bot, and nobody else.

Every incoming activity carries ``Authorization: Bearer <JWT>``. We accept what Microsoft's own
validator accepts for this bot and tenant (the Teams SDK for Python's
``InboundActivityTokenValidator``, 2.1), and refuse the rest, with checks of our own on top:

* **Bot Framework tokens** (issuer ``https://api.botframework.com``): RS256 signature against
  the keys the Bot Framework's OpenID metadata publishes (its ``jwks_uri``); audience the bot's
  app id, ``api://{app id}`` or ``api://botid-{app id}``; expiry, not-before and issued-at with
  five minutes' leeway; the ``serviceurl`` claim equal to the activity's ``serviceUrl``. Ours on
  top: the key must be endorsed for the activity's channel (``msteams``), the token must expire
  (``exp``), and the activity's tenant (and ``tid``, when the token has one) be the school's.
* **Entra tokens** (issuer ``{authority}/{tenant}/v2.0`` or ``https://sts.windows.net/{tenant}/``,
  as Entra-registered bots receive): the same audiences and times, requested by Microsoft's
  Agent 365 platform (``azp``, or ``appid`` in v1.0 tokens), as Microsoft checks. Ours on top:
  only the school's tenant, verified against that tenant's keys (Microsoft's validator takes the
  tenant from the token, any tenant); and, the token carrying no ``serviceurl``, the activity's
  ``serviceUrl`` must be an https address of the Bot Connector (the bot sends its own token
  there).
* Every activity: channel ``msteams`` only.

An unknown key id refetches the key set once (:class:`~bot.engine.web.teams_sso.TokenKeys`,
at most once per ``KEYS_REFRESH_AFTER`` for each issuer): Microsoft rotates its keys. Whatever is
wrong with a token, the answer is 401 (403 for another tenant), never an error page.
``tests/features/teamsbot/test_token_differential.py`` judges a generated corpus of tokens with
Microsoft's validator and ours and names every check on which they differ.

We verify with joserfc (what the Teams tab's sign-in uses, :mod:`bot.engine.web.teams_sso`)
rather than host the bot on Microsoft's SDKs: their validators fetch keys with ``PyJWKClient``
(no transport to inject, no rate limit on refetches), check neither endorsements nor the
tenant (the Agents SDK's does not check the issuer unless asked), and would bring msal, pyjwt,
aiohttp or dependency-injector for what is one page of checks here.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from joserfc import jws, jwt
from joserfc.errors import JoseError

from bot.core.deployment.settings import Settings, SettingsError
from bot.engine.web.teams_sso import TeamsTokenError, TokenKeys

__all__ = [
    "AGENT_365_PLATFORM",
    "BOT_ISSUER",
    "BOT_KEYS",
    "BotAuthError",
    "BotSetup",
    "activity_tenant",
    "bot_setup",
    "bot_setups",
    "verify_activity",
]

log = logging.getLogger(__name__)
BOT_ISSUER = "https://api.botframework.com"
ENTRA_V1 = "https://sts.windows.net/{tenant}/"
# Microsoft's Agent 365 platform: the only caller whose Entra tokens Microsoft's Teams SDK takes
AGENT_365_PLATFORM = "5a807f24-c9de-44ee-a3a7-329e88a00ffc"
# where the Bot Connector lives: an activity under an Entra token (no serviceurl claim) must
# name one of these, as the bot posts there with its own token
CONNECTOR_HOSTS = ("smba.trafficmanager.net", ".botframework.com", ".teams.microsoft.com")
LEEWAY = 300  # seconds of clock skew the Bot Framework SDKs allow
MAX_TOKEN_CHARS = 16_000
BOT_KEYS = TokenKeys()


class BotAuthError(ValueError):
    """An activity this bot must not act on; ``str()`` names the check that failed (no token).

    ``status`` is 401 when the caller did not prove who it is, 403 when it did but is not
    allowed here (another tenant).
    """

    def __init__(self, message: str, status: int = 401) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class BotSetup:
    """What an incoming activity must match: the bot's app id, the metadata, the tenant, and
    the Entra authority the school's tenant signs in at."""

    app_id: str
    metadata_url: str
    tenant: str
    authority: str = "https://login.microsoftonline.com"

    @property
    def audiences(self) -> list[str]:
        """The audiences Microsoft sends the bot's tokens for (Teams SDK ``_default_audiences``)."""
        return [self.app_id, f"api://{self.app_id}", f"api://botid-{self.app_id}"]

    @property
    def entra_issuers(self) -> list[str]:
        """Entra's v2.0 and v1.0 issuers for the school's tenant."""
        return [
            f"{self.authority.rstrip('/')}/{self.tenant}/v2.0",
            ENTRA_V1.format(tenant=self.tenant),
        ]

    @property
    def entra_metadata(self) -> str:
        """The school's tenant's OpenID configuration (its ``jwks_uri``: Entra's keys)."""
        return f"{self.authority.rstrip('/')}/{self.tenant}/v2.0/.well-known/openid-configuration"


def bot_setup(settings: Settings) -> BotSetup | None:
    """The school's bot, or None when no bot is set up (``/api/messages`` then answers 404)."""
    m365 = settings.m365
    if not m365.bot_app_id or not m365.tenant_id:
        return None
    return BotSetup(
        m365.bot_app_id, m365.bot_openid_metadata, m365.tenant_id.lower(), m365.authority_host
    )


def bot_setups(settings: Settings) -> dict[str | None, BotSetup]:
    """Every bot set up here, by connection: the install's (None) and each connection's own
    single-tenant bot (its name, as ``connection_key`` spells it). A connection whose settings
    cannot be read has none here (``compliance-bot check m365`` names why)."""
    found: dict[str | None, BotSetup] = {}
    own = bot_setup(settings)
    if own is not None:
        found[None] = own
    for name in sorted(settings.connections):
        try:
            setup = bot_setup(settings.for_connection(name))
        except SettingsError as exc:
            log.warning("the bot of connection %s is not set up: %s", name, exc)
            continue
        if setup is not None:
            found[name] = setup
    return found


def activity_tenant(activity: dict[str, Any]) -> str | None:
    """The tenant an activity comes from, as Teams states it (lower case), or None."""
    conversation = activity.get("conversation")
    channel_data = activity.get("channelData")
    found: list[Any] = []
    if isinstance(conversation, dict):
        found.append(conversation.get("tenantId"))
    if isinstance(channel_data, dict) and isinstance(channel_data.get("tenant"), dict):
        found.append(channel_data["tenant"].get("id"))
    named = {str(t).lower() for t in found if isinstance(t, str) and t}
    if len(named) != 1:
        return None  # none, or two that disagree
    return named.pop()


def _unverified(token: str) -> tuple[str, Any]:
    """(key id, issuer) as the token states them, before anything is verified: which keys and
    which checks apply."""
    try:
        compact = jws.extract_compact(token.encode())
        claims = json.loads(compact.payload)
        kid = compact.headers().get("kid")
    except (JoseError, ValueError, TypeError, UnicodeError):
        raise BotAuthError("not a token") from None
    if not isinstance(claims, dict):
        raise BotAuthError("not a token")
    return str(kid), claims.get("iss")


def _signed_claims(
    token: str, kid: str, keys: TokenKeys, metadata_url: str, issuer: str, channel: str | None
) -> dict[str, Any]:
    """The claims once the signature checks out with a key from ``metadata_url`` (endorsed for
    ``channel`` when given); an unknown key id refetches the keys once (rate limited)."""
    for refresh in (False, True):  # an unknown key id: the keys may have rolled over
        try:
            published, key_set = keys.get(metadata_url, refresh=refresh)
        except TeamsTokenError:
            raise BotAuthError("the signing keys could not be read") from None
        if published != issuer:
            raise BotAuthError(f"the OpenID metadata is not {issuer}'s")
        try:
            key = key_set.get_by_kid(kid)
        except (JoseError, ValueError, KeyError):  # not published (yet): fetch once more
            continue
        if channel is not None:
            endorsements = key.as_dict(private=False).get("endorsements")
            if not isinstance(endorsements, list) or channel not in endorsements:
                raise BotAuthError(f"the signing key is not endorsed for {channel!r}")
        try:
            claims = jwt.decode(token, key, algorithms=["RS256"]).claims
        except (JoseError, ValueError, KeyError, TypeError) as exc:
            raise BotAuthError(f"the signature does not check out ({type(exc).__name__})") from None
        return dict(claims)
    raise BotAuthError("the token's signing key is not published")


def _connector_address(service_url: Any) -> bool:
    """Whether ``service_url`` is an https address of the Bot Connector."""
    if not isinstance(service_url, str):
        return False
    parts = urlsplit(service_url)
    host = (parts.hostname or "").lower()
    return parts.scheme == "https" and any(
        host == h or (h.startswith(".") and host.endswith(h)) for h in CONNECTOR_HOSTS
    )


def _bearer(authorization: str | None) -> str:
    """The token of an ``Authorization: Bearer`` header shaped as a JWT; else BotAuthError."""
    scheme, _, token = (authorization or "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise BotAuthError("no bearer token")
    if len(token) > MAX_TOKEN_CHARS or token.count(".") != 2:
        raise BotAuthError("not a token")
    return token


def _check_caller(claims: dict[str, Any], service_url: object, *, entra: bool) -> None:
    """The activity came through Microsoft's own service: an Entra token requested by
    Microsoft's platform for the Bot Connector's address, or a Bot Framework token issued for
    the activity's very service URL; else BotAuthError."""
    if entra:
        caller = claims.get("azp", claims.get("appid"))
        if not isinstance(caller, str) or caller.lower() != AGENT_365_PLATFORM:
            raise BotAuthError("the Entra token was not requested by Microsoft's platform")
        if not _connector_address(service_url):
            raise BotAuthError("the service URL is not the Bot Connector's")
        return
    claimed = claims.get("serviceurl")
    if (
        not isinstance(service_url, str)
        or not isinstance(claimed, str)
        or claimed.rstrip("/") != service_url.rstrip("/")
    ):
        raise BotAuthError("the service URL is not the one the token was issued for")


def verify_activity(
    authorization: str | None,
    activity: dict[str, Any],
    setup: BotSetup,
    keys: TokenKeys,
    *,
    now: int | None = None,
) -> dict[str, Any]:
    """The token's claims when ``activity`` genuinely comes from Microsoft for this school's
    bot and tenant; else BotAuthError (nothing may be done with the activity).

    Args:
        authorization: the request's ``Authorization`` header.
        activity: the parsed request body.
        setup: the school's bot (``bot_setup``).
        keys: the issuers' signing keys, cached (``BOT_KEYS``).
        now: seconds since the epoch (tests); the clock otherwise.
    """
    token = _bearer(authorization)
    channel = activity.get("channelId")
    if channel != "msteams":
        raise BotAuthError("not a Microsoft Teams activity")
    kid, issuer = _unverified(token)
    entra = issuer in setup.entra_issuers
    if issuer != BOT_ISSUER and not entra:
        raise BotAuthError("the issuer is neither the Bot Framework nor the school's Entra")
    claims = _signed_claims(
        token,
        kid,
        keys,
        *(
            (setup.entra_metadata, setup.entra_issuers[0], None)
            if entra
            else (setup.metadata_url, BOT_ISSUER, channel)
        ),
    )
    # Entra binds the issuer to tid, as it is
    tid: dict[str, Any] = {"tid": {"essential": True, "value": setup.tenant}} if entra else {}
    try:
        jwt.JWTClaimsRegistry(
            now=now,
            leeway=LEEWAY,
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "values": setup.audiences},
            exp={"essential": True},
            **tid,
        ).validate(claims)
    except JoseError as exc:
        raise BotAuthError(f"claim refused ({type(exc).__name__}: {exc.description})") from None
    _check_caller(claims, activity.get("serviceUrl"), entra=entra)
    token_tenant = claims.get("tid")
    if activity_tenant(activity) != setup.tenant or (
        token_tenant is not None and str(token_tenant).lower() != setup.tenant
    ):
        raise BotAuthError("the activity is from another tenant", status=403)
    return claims
