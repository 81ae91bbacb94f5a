"""The school's Teams bot, outward: install the app for a person (Graph), find their chat with
it, post a card there (Bot Connector REST) and raise an activity-feed notification (Graph).

Plain REST over httpx with an injected transport, as Microsoft documents the calls:

* ``POST /users/{id}/teamwork/installedApps`` ``{"teamsApp@odata.bind": ".../appCatalogs/
  teamsApps/{app}"}`` (``TeamsAppInstallation.ReadWriteSelfForUser.All``; 409 when already
  installed), then ``GET /users/{id}/teamwork/installedApps?$expand=teamsApp&$filter=
  teamsApp/id eq '{app}'`` and ``GET .../installedApps/{installation}/chat`` for the chat id;
* ``POST {serviceUrl}/v3/conversations/{chat id}/activities`` with a message activity carrying
  the Adaptive Card, authorised by a token for ``https://api.botframework.com/.default`` from
  the school's own tenant (single-tenant bot);
* ``POST /users/{id}/teamwork/sendActivityNotification`` (``TeamsActivity.Send``), and for the
  same notification to many people ``POST /teamwork/sendActivityNotificationToRecipients``
  (up to ``BULK_RECIPIENTS`` ``aadUserNotificationRecipient`` a call; 202 Accepted).

Pacing: Teams allows a bot 50 requests a second per app per tenant (Microsoft's "Optimize your
bot with rate limiting"); we keep to ``CARDS_PER_SECOND`` and activity-feed calls to
``FEED_PER_SECOND`` (about 5 a second per app per tenant), bulk calls to ``BULK_CALLS``
per ``BULK_WINDOW`` seconds (about 2 a second). A 429's ``Retry-After`` is handed
to the outbox as a ``RetryableError``, which pauses the channel until then: nothing is lost
and nothing is sent twice.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from pydantic import SecretStr

from connectors.base import (
    CardMessage,
    DeliveryUnknownError,
    PermanentError,
    RateLimiter,
    RetryableError,
    SendResult,
    SetupError,
    parse_retry_after,
)
from connectors.m365.errors import ENV

__all__ = [
    "BOT_SCOPE",
    "BULK_RECIPIENTS",
    "CARDS_PER_SECOND",
    "FEED_PER_SECOND",
    "TeamsBot",
    "TeamsBotError",
]

BOT_SCOPE = "https://api.botframework.com/.default"
CARDS_PER_SECOND = 25  # half Teams' 50 a second per app per tenant: room for card refreshes
FEED_PER_SECOND = 4  # activity feed: about 5 a second per app per tenant
BULK_CALLS, BULK_WINDOW = 3, 2.0  # the bulk feed call: about 2 a second; we keep to 1.5
BULK_RECIPIENTS = 100  # recipients of one bulk feed call, at most
CARD_TYPE = "application/vnd.microsoft.card.adaptive"


class TeamsBotError(PermanentError):
    """A Graph or Connector call the bot cannot get past; ``str()`` names the call and status."""


@dataclass
class _Token:
    value: str
    until: float


@dataclass
class TeamsBot:
    """The school's bot. ``post`` delivers outbox ``teams`` rows (a ``Notifier`` for them)."""

    tenant_id: str
    client_id: str
    client_secret: SecretStr
    bot_app_id: str
    bot_secret: SecretStr
    catalog_app_id: str | None
    graph_endpoint: str = "https://graph.microsoft.com/v1.0"
    authority_host: str = "https://login.microsoftonline.com"
    transport: httpx.BaseTransport | None = None
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    timeout: float = 15.0
    _tokens: dict[str, _Token] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    cards: RateLimiter | None = None
    feed: RateLimiter | None = None
    bulk: RateLimiter | None = None

    def __post_init__(self) -> None:
        self.cards = self.cards or RateLimiter(CARDS_PER_SECOND, 1.0, clock=self.clock,
                                               sleep=self.sleep)
        self.feed = self.feed or RateLimiter(FEED_PER_SECOND, 1.0, clock=self.clock,
                                             sleep=self.sleep)
        self.bulk = self.bulk or RateLimiter(BULK_CALLS, BULK_WINDOW, clock=self.clock,
                                             sleep=self.sleep)

    # ---- plumbing ---------------------------------------------------------------------------
    def _client(self) -> httpx.Client:
        return httpx.Client(transport=self.transport, timeout=self.timeout)

    def _token(self, scope: str) -> str:
        """A client-credentials token for ``scope`` from the school's tenant (cached)."""
        with self._lock:
            held = self._tokens.get(scope)
            if held is not None and held.until > self.clock() + 60:
                return held.value
            graph = scope != BOT_SCOPE
            client_id = self.client_id if graph else self.bot_app_id
            secret = (self.client_secret if graph else self.bot_secret).get_secret_value()
            url = f"{self.authority_host.rstrip('/')}/{self.tenant_id}/oauth2/v2.0/token"
            try:
                with self._client() as client:
                    response = client.post(url, data={
                        "grant_type": "client_credentials", "client_id": client_id,
                        "client_secret": secret, "scope": scope,
                    })
            except httpx.HTTPError as exc:
                raise RetryableError(f"Entra ID unreachable: {type(exc).__name__}") from exc
            if response.status_code != 200:
                raise SetupError(
                    f"the bot could not get a token for {scope} (HTTP {response.status_code}); "
                    f"check {ENV}BOT_APP_ID and {ENV}BOT_APP_SECRET"
                )
            data = response.json()
            token = _Token(str(data["access_token"]), self.clock() + float(data["expires_in"]))
            self._tokens[scope] = token
            return token.value

    def _graph(self, method: str, path: str, *, json: Any = None,
               params: dict[str, str] | None = None) -> httpx.Response:
        token = self._token(self.graph_endpoint.split("/v1.0")[0] + "/.default")
        try:
            with self._client() as client:
                return client.request(method, self.graph_endpoint + path, json=json,
                                      params=params,
                                      headers={"Authorization": f"Bearer {token}"})
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise RetryableError(f"Graph unreachable: {type(exc).__name__}") from exc

    @staticmethod
    def _refused(what: str, response: httpx.Response) -> None:
        """Raise the outbox's error for a failed answer (nothing for a 2xx)."""
        status = response.status_code
        if status < 300:
            return
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if status == 429:
            raise RetryableError(f"{what}: throttled (429)", retry_after=retry_after)
        if status in (412, 502, 504) or status >= 500:
            raise DeliveryUnknownError(f"{what}: HTTP {status}; not resent",
                                       retry_after=retry_after)
        if status == 401:
            raise SetupError(f"{what}: HTTP 401 (check the bot's app id and secret)")
        raise TeamsBotError(f"{what}: HTTP {status}")

    # ---- Graph: installation and the chat ---------------------------------------------------
    def install(self, user_id: str) -> str:
        """Install the app for the person if needed; the id of their chat with the bot.

        Raises ``TeamsBotError`` (403) when the permission is missing, ``SetupError`` when no
        catalog app id is set.
        """
        if not self.catalog_app_id:
            raise SetupError(f"{ENV}TEAMS_CATALOG_APP_ID is not set: the bot cannot install "
                             "itself for staff")
        bind = f"{self.graph_endpoint}/appCatalogs/teamsApps/{self.catalog_app_id}"
        base = f"/users/{user_id}/teamwork/installedApps"
        response = self._graph("POST", base, json={"teamsApp@odata.bind": bind})
        if response.status_code != 409:  # 409: installed already
            self._refused("installing the app", response)
        found = self._graph("GET", base, params={
            "$expand": "teamsApp", "$filter": f"teamsApp/id eq '{self.catalog_app_id}'"})
        self._refused("finding the installation", found)
        values = found.json().get("value") or []
        if not values:
            raise TeamsBotError("finding the installation: the app is not installed")
        chat = self._graph("GET", f"{base}/{values[0]['id']}/chat")
        self._refused("finding the chat", chat)
        return str(chat.json()["id"])

    def installed_for(self, user_id: str) -> bool:
        """Whether the app is installed for the person (a read: ``check m365``'s probe of
        ``TeamsAppInstallation.ReadWriteSelfForUser.All``)."""
        found = self._graph("GET", f"/users/{user_id}/teamwork/installedApps", params={
            "$expand": "teamsApp", "$filter": f"teamsApp/id eq '{self.catalog_app_id}'"})
        self._refused("reading the installed apps", found)
        return bool(found.json().get("value"))

    def notify(self, user_id: str, *, activity_type: str, preview: str, web_url: str,
               template: dict[str, str] | None = None) -> None:
        """An activity-feed notification for one person (``TeamsActivity.Send``)."""
        assert self.feed is not None
        self.feed.acquire()
        body = _feed_body(activity_type, preview, web_url, template)
        response = self._graph("POST", f"/users/{user_id}/teamwork/sendActivityNotification",
                               json=body)
        self._refused("the activity-feed notification", response)

    def notify_many(self, user_ids: list[str], *, activity_type: str, preview: str,
                    web_url: str, template: dict[str, str] | None = None) -> None:
        """The same activity-feed notification for up to ``BULK_RECIPIENTS`` people in one
        call (``sendActivityNotificationToRecipients``). Graph accepts it as a whole (202) and
        does not answer per recipient: one without the app is skipped there."""
        if not 1 <= len(user_ids) <= BULK_RECIPIENTS:
            raise ValueError(f"1 to {BULK_RECIPIENTS} recipients a call, not {len(user_ids)}")
        assert self.bulk is not None
        self.bulk.acquire()
        body = {
            **_feed_body(activity_type, preview, web_url, template),
            "recipients": [{"@odata.type": "#microsoft.graph.aadUserNotificationRecipient",
                            "userId": user_id} for user_id in user_ids],
        }
        response = self._graph("POST", "/teamwork/sendActivityNotificationToRecipients",
                               json=body)
        self._refused("the activity-feed notifications", response)

    # ---- the Bot Connector: a card in the chat ----------------------------------------------
    def post(self, card: CardMessage) -> SendResult:
        """Post an outbox ``teams`` row's card (or, with no card, its text) in the person's
        chat with the bot, once."""
        payload = dict(card.teams_payload)
        feed = payload.get("feed")
        if isinstance(feed, dict):  # an activity-feed notification row
            self.notify(str(feed["user_id"]), activity_type=str(feed["activity_type"]),
                        preview=str(feed["preview"]), web_url=str(feed["web_url"]),
                        template=dict(feed.get("template") or {}))
            return SendResult(provider_id=None)
        conversation, content = payload.get("conversation"), payload.get("card")
        service_url = str(payload.get("service_url") or "")
        if not conversation or not isinstance(content, dict) or not service_url:
            raise PermanentError(f"card {card.idempotency_key} has no chat to go to")
        assert self.cards is not None
        self.cards.acquire()
        token = self._token(BOT_SCOPE)
        url = f"{service_url.rstrip('/')}/v3/conversations/{conversation}/activities"
        activity: dict[str, Any] = {"type": "message", "summary": card.title}
        if content:
            activity["attachments"] = [{"contentType": CARD_TYPE, "content": content}]
        else:  # a plain line (the bot telling someone it does not know what it does)
            activity["text"] = card.text
        try:
            with self._client() as client:
                response = client.post(url, json=activity,
                                       headers={"Authorization": f"Bearer {token}"})
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise RetryableError(f"Teams unreachable: {type(exc).__name__}") from exc
        except httpx.HTTPError as exc:
            raise DeliveryUnknownError(
                f"Teams answer lost: {type(exc).__name__}; not resent") from exc
        self._refused("posting the card", response)
        answer = response.json() if response.content else {}
        return SendResult(provider_id=str(answer.get("id") or "") or None)


def _feed_body(activity_type: str, preview: str, web_url: str,
               template: dict[str, str] | None) -> dict[str, Any]:
    """An activity-feed notification's body, as the single and the bulk call share it."""
    return {
        "topic": {"source": "text", "value": "Compliance", "webUrl": web_url},
        "activityType": activity_type,
        "previewText": {"content": preview},
        "templateParameters": [{"name": k, "value": v} for k, v in (template or {}).items()],
    }
