"""Who may call ``/api/messages``: the Bot Framework Connector on behalf of this school's own
Azure Bot, and nobody else.

Every incoming activity carries ``Authorization: Bearer <JWT>``. The token is checked as
Microsoft's Bot Connector authentication describes (the archived Bot Framework SDK and the Teams
SDK's ``TokenValidator`` check the same things): RS256 signature against the keys published by
the Bot Framework OpenID metadata (its ``jwks_uri``), the signing key endorsed for the
activity's channel (``msteams``), issuer ``https://api.botframework.com``, audience the bot's
Microsoft App ID, expiry and not-before (five minutes' leeway, as the SDKs allow), the
``serviceurl`` claim equal to the activity's ``serviceUrl``; and, the bot being single-tenant,
the activity's tenant (``conversation.tenantId`` / ``channelData.tenant.id``, and ``tid`` when
the token has one) must be the school's.

We verify with joserfc (already what the Teams tab's sign-in uses, :mod:`bot.engine.web.teams_sso`)
rather than the Teams SDK (``microsoft-teams-apps``): the SDK's app runs its own HTTP server
and dependency container, and its validator fetches keys with ``PyJWKClient`` (no injectable
transport, so no way to test it against a fake issuer without patching), checks neither the
key's endorsements nor the tenant, and would add msal, pyjwt, dependency-injector and
opentelemetry for what is one page of checks here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from joserfc import jws, jwt
from joserfc.errors import JoseError

from bot.core.settings import Settings
from bot.engine.web.teams_sso import TeamsTokenError, TokenKeys

__all__ = [
    "BOT_ISSUER",
    "BOT_KEYS",
    "BotAuthError",
    "BotSetup",
    "activity_tenant",
    "bot_setup",
    "verify_activity",
]

log = logging.getLogger(__name__)
BOT_ISSUER = "https://api.botframework.com"
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
    """What an incoming activity must match: the bot's app id, the metadata, the tenant."""

    app_id: str
    metadata_url: str
    tenant: str


def bot_setup(settings: Settings) -> BotSetup | None:
    """The school's bot, or None when no bot is set up (``/api/messages`` then answers 404)."""
    m365 = settings.m365
    if not m365.bot_app_id or not m365.tenant_id:
        return None
    return BotSetup(m365.bot_app_id, m365.bot_openid_metadata, m365.tenant_id.lower())


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


def _signed_claims(token: str, keys: TokenKeys, metadata_url: str, channel: str) -> dict[str, Any]:
    """The claims once the signature checks out with a key endorsed for ``channel``."""
    try:
        kid = jws.extract_compact(token.encode()).headers().get("kid")
    except (JoseError, ValueError, TypeError):
        raise BotAuthError("not a token") from None
    for refresh in (False, True):  # an unknown key id: the keys may have rolled over
        try:
            issuer, key_set = keys.get(metadata_url, refresh=refresh)
        except TeamsTokenError:
            raise BotAuthError("the signing keys could not be read") from None
        if issuer != BOT_ISSUER:
            raise BotAuthError("the OpenID metadata is not the Bot Framework's")
        try:
            key = key_set.get_by_kid(str(kid))
        except (ValueError, KeyError):
            continue
        endorsements = key.as_dict(private=False).get("endorsements")
        if not isinstance(endorsements, list) or channel not in endorsements:
            raise BotAuthError(f"the signing key is not endorsed for {channel!r}")
        try:
            return dict(jwt.decode(token, key, algorithms=["RS256"]).claims)
        except (JoseError, ValueError, KeyError, TypeError) as exc:
            raise BotAuthError(
                f"the signature does not check out ({type(exc).__name__})"
            ) from None
    raise BotAuthError("the token's signing key is not published")


def verify_activity(
    authorization: str | None,
    activity: dict[str, Any],
    setup: BotSetup,
    keys: TokenKeys,
    *,
    now: int | None = None,
) -> dict[str, Any]:
    """The token's claims when ``activity`` genuinely comes from the Bot Connector for this
    school's bot and tenant; else BotAuthError (nothing may be done with the activity).

    Args:
        authorization: the request's ``Authorization`` header.
        activity: the parsed request body.
        setup: the school's bot (``bot_setup``).
        keys: the OpenID metadata's signing keys, cached (``BOT_KEYS``).
        now: seconds since the epoch (tests); the clock otherwise.
    """
    scheme, _, token = (authorization or "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise BotAuthError("no bearer token")
    if len(token) > MAX_TOKEN_CHARS or token.count(".") != 2:
        raise BotAuthError("not a token")
    channel = activity.get("channelId")
    if channel != "msteams":
        raise BotAuthError("not a Microsoft Teams activity")
    claims = _signed_claims(token, keys, setup.metadata_url, channel)
    try:
        jwt.JWTClaimsRegistry(
            now=now,
            leeway=LEEWAY,
            iss={"essential": True, "value": BOT_ISSUER},
            aud={"essential": True, "value": setup.app_id},
            exp={"essential": True},
        ).validate(claims)
    except JoseError as exc:
        raise BotAuthError(f"claim refused ({type(exc).__name__}: {exc.description})") from None
    service_url = activity.get("serviceUrl")
    claimed = claims.get("serviceurl")
    if (
        not isinstance(service_url, str)
        or not isinstance(claimed, str)
        or claimed.rstrip("/") != service_url.rstrip("/")
    ):
        raise BotAuthError("the service URL is not the one the token was issued for")
    tenant = activity_tenant(activity)
    token_tenant = claims.get("tid")
    if tenant != setup.tenant or (
        token_tenant is not None and str(token_tenant).lower() != setup.tenant
    ):
        raise BotAuthError("the activity is from another tenant", status=403)
    return claims
