"""The school's Teams bot, outward: install the app for a person (Graph), find their chat with
it, post a card there (Bot Connector REST) and raise an activity-feed notification (Graph).

Plain REST over httpx with an injected transport, as Microsoft documents the calls:

* ``POST /users/{id}/teamwork/installedApps`` ``{"teamsApp@odata.bind": ".../appCatalogs/
  teamsApps/{app}", "consentedPermissionSet": {"resourceSpecificPermissions": [...]}}``: the
  app declares the application RSC permission ``TeamsActivity.Send.User``, so its install
  consents to it (``bot.core.ports.TEAMS_APP_RSC``) and needs
  ``TeamsAppInstallation.ReadWriteAndConsentSelfForUser.All`` (Learn, "Install app for user",
  example 2; 409 when already installed), then ``GET /users/{id}/teamwork/installedApps?
  $expand=teamsApp&$filter=teamsApp/id eq '{app}'`` and
  ``GET .../installedApps/{installation}/chat`` for the chat id;
* ``POST {serviceUrl}/v3/conversations/{chat id}/activities`` with a message activity carrying
  the Adaptive Card, authorised by a token for ``https://api.botframework.com/.default`` from
  the school's own tenant (single-tenant bot);
* ``POST /users/{id}/teamwork/sendActivityNotification`` (``TeamsActivity.Send``), and for the
  same notification to many people ``POST /teamwork/sendActivityNotificationToRecipients``
  (up to ``BULK_RECIPIENTS`` ``aadUserNotificationRecipient`` a call; 202 Accepted).

Tokens come from azure-identity, with the connector's own credential (certificate or secret,
:func:`connectors.m365.client.build_credential`); the Bot Connector's from the same credential
when the bot is the connector's app registration, else from the bot's own registration's
secret (``BOT_APP_SECRET``): :func:`bot_credential`. The bulk feed call needs a token with at
least 45 minutes left ("412 Precondition Failed" otherwise); azure-identity hands back its
cached token until 5 minutes before expiry, and neither it nor MSAL can be told to skip the
cache for app-only tokens (MSAL refuses ``force_refresh`` there), so a fresh token comes from a
fresh credential (its own, empty cache): :meth:`TeamsBot._graph_token`.

Pacing: Teams allows a bot 50 requests a second per app per tenant (Microsoft's "Optimize your
bot with rate limiting"); we keep to ``CARDS_PER_SECOND`` and activity-feed calls to
``FEED_PER_SECOND`` (about 5 a second per app per tenant), bulk calls to ``BULK_CALLS``
per ``BULK_WINDOW`` seconds (about 2 a second), counted by the bot's ``pacer`` (the
database's in the app: every dispatch worker and web process together). A 429's
``Retry-After`` is handed to the outbox as a ``RetryableError``, which pauses the channel until
then: nothing is lost and nothing is sent twice.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

from bot.core.ports import (
    TEAMS_APP_RSC,
    CardMessage,
    DeliveryUnknownError,
    Limit,
    Pacer,
    PermanentError,
    RetryableError,
    SendResult,
    SetupError,
)
from connectors.base import LocalPacer, paced, parse_retry_after
from connectors.m365.client import azure_transport, build_credential, translate_error
from connectors.m365.errors import ENV

if TYPE_CHECKING:
    from bot.core.deployment.platform_settings import M365Settings

__all__ = [
    "BOT_SCOPE",
    "BULK_RECIPIENTS",
    "CARDS_PER_SECOND",
    "FEED_PER_SECOND",
    "TeamsBot",
    "TeamsBotError",
    "bot_credential",
]

BOT_SCOPE = "https://api.botframework.com/.default"
CARDS_PER_SECOND = 25  # half Teams' 50 a second per app per tenant: room for card refreshes
FEED_PER_SECOND = 4  # activity feed: about 5 a second per app per tenant
BULK_CALLS, BULK_WINDOW = 3, 2.0  # the bulk feed call: about 2 a second; we keep to 1.5
BULK_RECIPIENTS = 100  # recipients of one bulk feed call, at most
# the bulk feed call refuses a token with less than 45 minutes left (412); one more minute for
# the time the call itself takes
BULK_TOKEN_LEFT = 46 * 60.0
CARD_TYPE = "application/vnd.microsoft.card.adaptive"


class TeamsBotError(PermanentError):
    """A Graph or Connector call the bot cannot get past; ``str()`` names the call and status."""


def bot_credential(m365: M365Settings, *, transport: httpx.BaseTransport | None = None) -> Any:
    """The credential the bot's Bot Connector calls use: None when the bot is the connector's
    app registration (its certificate or secret serves both), else a ``ClientSecretCredential``
    for the bot's own registration.

    Raises:
        SetupError: the bot is an app registration of its own and ``BOT_APP_SECRET`` is unset.
    """
    from azure.identity import ClientSecretCredential  # lazy: the m365 extra

    if not m365.bot_app_id or (m365.bot_app_id.lower() == (m365.client_id or "").lower()):
        return None
    if m365.bot_app_secret is None:
        raise SetupError(
            f"the bot {m365.bot_app_id} is an app registration of its own: set "
            f"{ENV}BOT_APP_SECRET to its client secret, or make {ENV}BOT_APP_ID the "
            f"connector's app ({m365.client_id})"
        )
    options: dict[str, Any] = {"authority": m365.authority_host}
    if transport is not None:
        options["transport"] = azure_transport(transport)
    return ClientSecretCredential(
        str(m365.tenant_id), m365.bot_app_id, m365.bot_app_secret.get_secret_value(), **options
    )


def install_body(bind: str) -> dict[str, Any]:
    """The body installing the catalog app ``bind`` for a person, consenting to the
    resource-specific permissions the app declares (``TEAMS_APP_RSC``)."""
    return {
        "teamsApp@odata.bind": bind,
        "consentedPermissionSet": {
            "resourceSpecificPermissions": [
                {"permissionValue": name, "permissionType": kind} for name, kind in TEAMS_APP_RSC
            ]
        },
    }


@dataclass
class TeamsBot:
    """The school's bot. ``post`` delivers outbox ``teams`` rows (a ``Notifier`` for them).

    Args:
        credential: makes the connector's azure-identity credential (each one made has an
            empty token cache): Graph's tokens, and the Connector's when ``bot`` is None.
        bot: the bot's own app registration's credential (:func:`bot_credential`), or None.
        counted_as: the app in its tenant (``client id@tenant``): what Teams counts by.
    """

    platform = "teams"  # not a field: what ``ChatBot.platform`` asks
    credential: Callable[[], Any]
    bot: Any
    catalog_app_id: str | None
    graph_endpoint: str = "https://graph.microsoft.com/v1.0"
    transport: httpx.BaseTransport | None = None
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    timeout: float = 15.0
    counted_as: str = ""
    _own: Any = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _http: httpx.Client | None = field(default=None, init=False, repr=False)
    pacer: Pacer = field(init=False, repr=False)  # the database's once the app shares it

    @classmethod
    def from_settings(
        cls,
        m365: M365Settings,
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> TeamsBot:
        """The bot with the connector's credential (certificate or secret), and the bot's own
        registration's secret when it has one (SetupError when it needs one and has none)."""
        return cls(
            credential=lambda: build_credential(m365, transport=transport),
            bot=bot_credential(m365, transport=transport),
            catalog_app_id=m365.teams_catalog_app_id,
            graph_endpoint=m365.graph_endpoint,
            transport=transport,
            clock=clock,
            sleep=sleep,
            counted_as=f"{m365.client_id}@{m365.tenant_id}",
        )

    def __post_init__(self) -> None:
        self.pacer = LocalPacer(self.clock)

    def _paced(self, kind: str, calls: int, window: float) -> None:
        """Wait for room for one more call of ``kind`` (Teams' limits per app per tenant)."""
        paced(self.pacer, [Limit(f"teams-{kind}:{self.counted_as}", calls, window)], self.sleep)

    # ---- plumbing ---------------------------------------------------------------------------
    def _client(self) -> httpx.Client:
        """The bot's one HTTP client, made on first use and kept: one made per call built a TLS
        context (~40 ms CPU) and opened a new connection for every card and notification."""
        with self._lock:
            if self._http is None:
                self._http = httpx.Client(transport=self.transport, timeout=self.timeout)
            return self._http

    @staticmethod
    def _token_from(credential: Any, scope: str) -> Any:
        """azure-identity's ``AccessToken`` for ``scope``; its failures as the outbox's errors."""
        try:
            return credential.get_token(scope)
        except Exception as exc:
            error = translate_error(exc, f"getting a token for {scope}")
            if error is None:
                raise
            if error.code:  # Entra answered: a setting is wrong, not a passing failure
                raise SetupError(f"the bot could not get a token: {error}") from exc
            raise RetryableError(str(error)) from exc

    def _graph_token(self, *, left: float = 0.0, fresh: bool = False) -> str:
        """A Graph token with at least ``left`` seconds to go (a new one when ``fresh``).

        azure-identity keeps its token until 5 minutes before expiry and cannot be told to
        skip its cache, so a token too near expiry (or refused as such) is replaced by making
        a new credential, whose cache is empty.
        """
        scope = self.graph_endpoint.split("/v1.0")[0] + "/.default"
        with self._lock:
            if self._own is None or fresh:
                self._renew()
            token = self._token_from(self._own, scope)
            if token.expires_on - time.time() < left:  # azure-identity counts in epoch seconds
                self._renew()
                token = self._token_from(self._own, scope)
            return str(token.token)

    def _renew(self) -> None:
        """Replace the connector's credential with a new one (an empty token cache)."""
        old, self._own = self._own, self.credential()
        close = getattr(old, "close", None)
        if callable(close):
            close()

    def connector_token(self) -> str:
        """A token for the Bot Connector: the bot's own registration's, or the connector's
        (``check m365`` asks for one to prove the credential)."""
        with self._lock:
            if self.bot is None and self._own is None:
                self._renew()
            return str(self._token_from(self.bot or self._own, BOT_SCOPE).token)

    def _graph(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
        token: str | None = None,
    ) -> httpx.Response:
        token = token or self._graph_token()
        try:
            return self._client().request(
                method,
                self.graph_endpoint + path,
                json=json,
                params=params,
                headers={"Authorization": f"Bearer {token}"},
            )
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise RetryableError(f"Graph unreachable: {type(exc).__name__}") from exc

    @staticmethod
    def _refused(what: str, response: httpx.Response) -> None:
        """Raise the outbox's error for a failed answer (nothing for a 2xx)."""
        status = response.status_code
        if status < 300:
            return
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if status in (412, 429):  # 412: a precondition (the token's life) refused it: not done
            why = "throttled" if status == 429 else "refused before processing"
            raise RetryableError(f"{what}: {why} ({status})", retry_after=retry_after)
        if status >= 500:
            raise DeliveryUnknownError(
                f"{what}: HTTP {status}; not resent", retry_after=retry_after
            )
        if status == 401:
            raise SetupError(
                f"{what}: HTTP 401 (check {ENV}BOT_APP_ID and the bot's "
                "certificate or secret with compliance-bot check m365)"
            )
        raise TeamsBotError(f"{what}: HTTP {status}")

    # ---- Graph: installation and the chat ---------------------------------------------------
    def install(self, user_id: str, email: str = "") -> str:
        """Install the app for the person if needed; the id of their chat with the bot
        (``email``: unused, Graph installs by the Entra id).

        Raises ``TeamsBotError`` (403) when the permission is missing, ``SetupError`` when no
        catalog app id is set.
        """
        if not self.catalog_app_id:
            raise SetupError(
                f"{ENV}TEAMS_CATALOG_APP_ID is not set: the bot cannot install itself for staff"
            )
        bind = f"{self.graph_endpoint}/appCatalogs/teamsApps/{self.catalog_app_id}"
        base = f"/users/{user_id}/teamwork/installedApps"
        response = self._graph("POST", base, json=install_body(bind))
        if response.status_code != 409:  # 409: installed already
            self._refused("installing the app", response)
        values = self._installations(user_id, "finding the installation")
        if not values:
            raise TeamsBotError("finding the installation: the app is not installed")
        chat = self._graph("GET", f"{base}/{values[0]['id']}/chat")
        self._refused("finding the chat", chat)
        return str(chat.json()["id"])

    def installed_for(self, user_id: str) -> bool:
        """Whether the app is installed for the person (a read: ``check m365``'s probe of
        ``TeamsAppInstallation.ReadWriteSelfForUser.All``)."""
        return bool(self._installations(user_id, "reading the installed apps"))

    def _installations(self, user_id: str, what: str) -> list[Any]:
        """The person's installations of the app (``GET .../installedApps``, filtered)."""
        found = self._graph(
            "GET",
            f"/users/{user_id}/teamwork/installedApps",
            params={"$expand": "teamsApp", "$filter": f"teamsApp/id eq '{self.catalog_app_id}'"},
        )
        self._refused(what, found)
        return list(found.json().get("value") or [])

    def notify(
        self,
        user_id: str,
        *,
        activity_type: str,
        preview: str,
        web_url: str,
        template: dict[str, str] | None = None,
    ) -> None:
        """An activity-feed notification for one person (``TeamsActivity.Send``)."""
        self._paced("feed", FEED_PER_SECOND, 1.0)
        body = _feed_body(activity_type, preview, web_url, template)
        response = self._graph(
            "POST", f"/users/{user_id}/teamwork/sendActivityNotification", json=body
        )
        self._refused("the activity-feed notification", response)

    def notify_many(
        self,
        user_ids: list[str],
        *,
        activity_type: str,
        preview: str,
        web_url: str,
        template: dict[str, str] | None = None,
    ) -> None:
        """The same activity-feed notification for up to ``BULK_RECIPIENTS`` people in one
        call (``sendActivityNotificationToRecipients``). Graph accepts it as a whole (202) and
        does not answer per recipient: one without the app is skipped there."""
        if not 1 <= len(user_ids) <= BULK_RECIPIENTS:
            raise ValueError(f"1 to {BULK_RECIPIENTS} recipients a call, not {len(user_ids)}")
        self._paced("bulk", BULK_CALLS, BULK_WINDOW)
        body = {
            **_feed_body(activity_type, preview, web_url, template),
            "recipients": [
                {"@odata.type": "#microsoft.graph.aadUserNotificationRecipient", "userId": user_id}
                for user_id in user_ids
            ],
        }
        path = "/teamwork/sendActivityNotificationToRecipients"
        response = self._graph(
            "POST", path, json=body, token=self._graph_token(left=BULK_TOKEN_LEFT)
        )
        if response.status_code == 412:  # the token was too near expiry after all: a new one
            response = self._graph(
                "POST", path, json=body, token=self._graph_token(left=BULK_TOKEN_LEFT, fresh=True)
            )
        self._refused("the activity-feed notifications", response)

    # ---- the Bot Connector: a card in the chat ----------------------------------------------
    def post(self, card: CardMessage) -> SendResult:
        """Post an outbox ``teams`` row's card (or, with no card, its text) in the person's
        chat with the bot, once."""
        payload = dict(card.teams_payload)
        feed = payload.get("feed")
        if isinstance(feed, dict):  # an activity-feed notification row
            self.notify(
                str(feed["user_id"]),
                activity_type=str(feed["activity_type"]),
                preview=str(feed["preview"]),
                web_url=str(feed["web_url"]),
                template=dict(feed.get("template") or {}),
            )
            return SendResult(provider_id=None)
        conversation, content = payload.get("conversation"), payload.get("card")
        service_url = str(payload.get("service_url") or "")
        if not conversation or not isinstance(content, dict) or not service_url:
            raise PermanentError(f"card {card.idempotency_key} has no chat to go to")
        self._paced("cards", CARDS_PER_SECOND, 1.0)
        token = self.connector_token()
        url = f"{service_url.rstrip('/')}/v3/conversations/{conversation}/activities"
        activity: dict[str, Any] = {"type": "message", "summary": card.title}
        if content:
            activity["attachments"] = [{"contentType": CARD_TYPE, "content": content}]
        else:  # a plain line (the bot telling someone it does not know what it does)
            activity["text"] = card.text
        try:
            response = self._client().post(
                url, json=activity, headers={"Authorization": f"Bearer {token}"}
            )
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise RetryableError(f"Teams unreachable: {type(exc).__name__}") from exc
        except httpx.HTTPError as exc:
            raise DeliveryUnknownError(
                f"Teams answer lost: {type(exc).__name__}; not resent"
            ) from exc
        self._refused("posting the card", response)
        answer = response.json() if response.content else {}
        return SendResult(provider_id=str(answer.get("id") or "") or None)


def _feed_body(
    activity_type: str, preview: str, web_url: str, template: dict[str, str] | None
) -> dict[str, Any]:
    """An activity-feed notification's body, as the single and the bulk call share it."""
    return {
        "topic": {"source": "text", "value": "Compliance", "webUrl": web_url},
        "activityType": activity_type,
        "previewText": {"content": preview},
        "templateParameters": [{"name": k, "value": v} for k, v in (template or {}).items()],
    }
