"""A fake Bot Framework: the Connector's OpenID metadata and signing keys (served for real with
``live_server(FakeBotFramework().app)``), tokens the Connector would put on an activity, and
activities in Teams' wire format.

The metadata has the shape of ``https://login.botframework.com/v1/.well-known/openidconfiguration``
(issuer ``https://api.botframework.com``, ``jwks_uri``) and each published key lists the channels
it is ``endorsements`` for, as the real key set does. Under ``/entra`` it also serves Entra ID as
an authority (``{base}/entra/{tenant}/v2.0/.well-known/openid-configuration`` and
``/discovery/v2.0/keys``, any tenant, Entra's keys carry no endorsements), for tokens an
Entra-registered bot receives. :meth:`FakeBotFramework.rotate` rolls both key sets over, as
Microsoft does. The test keys are generated here: nothing is fetched from the web.

Example::

    fake = FakeBotFramework()
    with live_server(fake.app) as server:
        fake.base = server.url
        token = fake.token(activity, app_id=BOT_APP_ID, now=now)
"""

from __future__ import annotations

import uuid
from typing import Any

from joserfc import jwt
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

__all__ = [
    "BOT_ISSUER",
    "SERVICE_URL",
    "FakeBotFramework",
    "install_activities",
    "invoke_activity",
    "message_activity",
]

BOT_ISSUER = "https://api.botframework.com"
SERVICE_URL = "https://smba.trafficmanager.net/emea/"
METADATA_PATH = "/v1/.well-known/openidconfiguration"
_KEY = RSAKey.generate_key(2048, parameters={"kid": "bf-key-1", "use": "sig"})
_OTHER_CHANNEL_KEY = RSAKey.generate_key(2048, parameters={"kid": "bf-key-webchat", "use": "sig"})
_ENTRA_KEY = RSAKey.generate_key(2048, parameters={"kid": "entra-key-1", "use": "sig"})


class FakeBotFramework:
    """The Connector's metadata and keys; ``base`` must be set to its URL once served."""

    def __init__(self) -> None:
        self.base = ""
        self.metadata_reads = 0
        self.key_reads = 0
        # kid -> (private key, channels it is endorsed for); Entra's: kid -> private key
        self.published: dict[str, tuple[RSAKey, list[str]]] = {
            "bf-key-1": (_KEY, ["msteams", "webchat"]),
            "bf-key-webchat": (_OTHER_CHANNEL_KEY, ["webchat"]),
        }
        self.entra: dict[str, RSAKey] = {"entra-key-1": _ENTRA_KEY}
        self.app = Starlette(
            routes=[
                Route(METADATA_PATH, self.metadata),
                Route("/v1/.well-known/keys", self.keys),
                Route("/entra/{tenant}/v2.0/.well-known/openid-configuration", self.entra_metadata),
                Route("/entra/{tenant}/discovery/v2.0/keys", self.entra_keys),
            ]
        )

    @property
    def authority(self) -> str:
        """The Entra authority this fake serves (``COMPLIANCE_BOT_M365__AUTHORITY_HOST``)."""
        return self.base + "/entra"

    def rotate(self) -> tuple[RSAKey, RSAKey]:
        """Roll both key sets over: new keys published, the old Teams and Entra keys retired.
        Returns the new (Bot Framework, Entra) keys, kids ``bf-key-2`` and ``entra-key-2``."""
        bf = RSAKey.generate_key(2048, parameters={"kid": "bf-key-2", "use": "sig"})
        entra = RSAKey.generate_key(2048, parameters={"kid": "entra-key-2", "use": "sig"})
        self.published.pop("bf-key-1")
        self.published["bf-key-2"] = (bf, ["msteams", "webchat"])
        self.entra = {"entra-key-2": entra}
        return bf, entra

    async def entra_metadata(self, request: Request) -> JSONResponse:
        """A tenant's OpenID configuration, as Entra publishes it (v2.0)."""
        tenant = request.path_params["tenant"]
        return JSONResponse(
            {
                "issuer": f"{self.authority}/{tenant}/v2.0",
                "jwks_uri": f"{self.authority}/{tenant}/discovery/v2.0/keys",
                "id_token_signing_alg_values_supported": ["RS256"],
            }
        )

    async def entra_keys(self, request: Request) -> JSONResponse:
        """Entra's signing keys (the same for every tenant; no endorsements)."""
        self.key_reads += 1
        return JSONResponse({"keys": [k.as_dict(private=False) for k in self.entra.values()]})

    @property
    def metadata_url(self) -> str:
        """What ``COMPLIANCE_BOT_M365__BOT_OPENID_METADATA`` points at."""
        return self.base + METADATA_PATH

    async def metadata(self, request: Request) -> JSONResponse:
        """The OpenID metadata document, as the Bot Framework publishes it."""
        self.metadata_reads += 1
        return JSONResponse(
            {
                "issuer": BOT_ISSUER,
                "authorization_endpoint": "https://invalid.botframework.com",
                "jwks_uri": f"{self.base}/v1/.well-known/keys",
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            }
        )

    async def keys(self, request: Request) -> JSONResponse:
        """The signing keys, each with the channels it may sign for."""
        self.key_reads += 1
        return JSONResponse(
            {
                "keys": [
                    {**key.as_dict(private=False), "endorsements": channels}
                    for key, channels in self.published.values()
                ]
            }
        )

    def sign(
        self, claims: dict[str, Any], *, key: RSAKey | None = None, kid: str = "bf-key-1"
    ) -> str:
        """An RS256 token over ``claims`` (a stranger's ``key`` under our kid is a forgery)."""
        signer = key or (_OTHER_CHANNEL_KEY if kid == "bf-key-webchat" else _KEY)
        return jwt.encode({"alg": "RS256", "kid": kid, "typ": "JWT"}, claims, signer)

    def token(
        self,
        activity: dict[str, Any],
        *,
        app_id: str,
        now: int,
        key: RSAKey | None = None,
        kid: str = "bf-key-1",
        **changes: Any,
    ) -> str:
        """The token the Connector puts on ``activity`` for the bot ``app_id``."""
        claims: dict[str, Any] = {
            "serviceurl": activity.get("serviceUrl"),
            "nbf": now - 10,
            "exp": now + 3600,
            "iss": BOT_ISSUER,
            "aud": app_id,
        }
        claims.update(changes)
        return self.sign({k: v for k, v in claims.items() if v is not None}, key=key, kid=kid)


def _activity(
    kind: str,
    *,
    user_id: str,
    tenant_id: str,
    bot_app_id: str,
    service_url: str,
    conversation_type: str = "personal",
    **fields: Any,
) -> dict[str, Any]:
    """An activity of ``kind`` from a person's one-to-one chat with the bot, in Teams' shape."""
    return {
        "type": kind,
        "id": f"f:{uuid.uuid4()}",
        "timestamp": "2026-10-19T09:00:00.000Z",
        "localTimestamp": "2026-10-19T10:00:00.000+01:00",
        "serviceUrl": service_url,
        "channelId": "msteams",
        "from": {"id": f"29:1{user_id}", "name": "", "aadObjectId": user_id},
        "conversation": {
            "conversationType": conversation_type,
            "tenantId": tenant_id,
            "id": f"a:1{user_id}",
        },
        "recipient": {"id": f"28:{bot_app_id}", "name": "Compliance"},
        "entities": [{"locale": "en-GB", "country": "GB", "platform": "Web", "type": "clientInfo"}],
        "channelData": {"tenant": {"id": tenant_id}},
        "locale": "en-GB",
        "localTimezone": "Europe/London",
        **fields,
    }


def invoke_activity(
    *,
    user_id: str,
    tenant_id: str,
    bot_app_id: str,
    verb: str,
    data: dict[str, Any],
    service_url: str = SERVICE_URL,
) -> dict[str, Any]:
    """An ``adaptiveCard/action`` invoke from a person's one-to-one chat with the bot, in the
    shape Teams sends (Universal Actions for Adaptive Cards)."""
    activity = _activity(
        "invoke",
        user_id=user_id,
        tenant_id=tenant_id,
        bot_app_id=bot_app_id,
        service_url=service_url,
        name="adaptiveCard/action",
        replyToId="1696000000000",
        value={
            "action": {"type": "Action.Execute", "verb": verb, "data": data},
            "trigger": "manual",
        },
    )
    activity["channelData"].update(
        {"source": {"name": "message"}, "legacy": {"replyToId": "1:1abc"}}
    )
    return activity


def message_activity(
    *,
    user_id: str,
    tenant_id: str,
    bot_app_id: str,
    text: str = "hi",
    service_url: str = SERVICE_URL,
    **changes: Any,
) -> dict[str, Any]:
    """A message a person writes to the bot in their chat with it."""
    return _activity(
        "message",
        user_id=user_id,
        tenant_id=tenant_id,
        bot_app_id=bot_app_id,
        service_url=service_url,
        text=text,
        textFormat="plain",
        **changes,
    )


def install_activities(
    *, user_id: str, tenant_id: str, bot_app_id: str, service_url: str = SERVICE_URL
) -> list[dict[str, Any]]:
    """What Teams sends when a person installs the app in their personal scope: an
    ``installationUpdate`` (action ``add``) and a ``conversationUpdate`` adding the bot."""
    common = {
        "user_id": user_id,
        "tenant_id": tenant_id,
        "bot_app_id": bot_app_id,
        "service_url": service_url,
    }
    return [
        _activity("installationUpdate", action="add", **common),
        _activity("conversationUpdate", membersAdded=[{"id": f"28:{bot_app_id}"}], **common),
    ]
