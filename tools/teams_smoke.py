"""``uv run python -m tools.teams_smoke``: the Teams bot's ``/api/messages`` driven end to end
on this computer, before going live (deploy/teams/smoke-test.md).

It builds the fictional demo school in a temporary folder, serves the product's web app and a
local stand-in for the Bot Framework's token issuer, both on 127.0.0.1 only, and sends the
activities Teams sends, in Teams' shape, each with a token the local issuer signed:

1. the app installed in a member of staff's chat (``installationUpdate``) and "hi" (a
   ``message``): each queues their needs card as the reply, for the Bot Connector;
2. the card opened (an ``adaptiveCard/action`` refresh): the needs card comes back;
3. **Acknowledge** pressed: one acknowledgement is recorded and the card says so; pressed
   again, nothing more is recorded;
4. "hi" from someone the school does not know: one plain line;
5. a token signed by a key the issuer never published: refused (401), nothing recorded.

The product checks every token exactly as in production (signature, key endorsed for Teams,
issuer, audience, expiry, ``serviceurl``, tenant); only the issuer's address differs, and the
setting that names it accepts a local issuer only on a loopback address. Nothing leaves this
computer and nothing of the school's own data is touched.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
from joserfc import jwt
from joserfc.jwk import RSAKey
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot.core.deployment.context import AppContext
from bot.core.deployment.platform_settings import M365Settings
from bot.core.language.i18n import N_
from bot.core.models import Duty, OutboxMessage, Person
from bot.demo.builder import build_demo
from bot.features.teamsbot.cards import ACK_VERB, REFRESH_VERB
from bot.web.app import create_app
from tools.smoke import SmokeResult, attestations, command, free_port, served

__all__ = ["SmokeResult", "app", "run_smoke"]

BOT_ISSUER = "https://api.botframework.com"  # what the Bot Framework's tokens say
TENANT = "00000000-0000-4000-8000-00000000a001"  # fictional, as in the guides
BOT_APP_ID = "00000000-0000-4000-8000-00000000b0b1"
KEY_ID = "smoke-key"
METADATA_PATH = "/v1/.well-known/openidconfiguration"


class LocalIssuer:
    """The Bot Framework's OpenID metadata and signing key, as published, on 127.0.0.1."""

    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": KEY_ID, "use": "sig"})
        self.base = ""
        self.app = Starlette(
            routes=[Route(METADATA_PATH, self._metadata), Route("/v1/.well-known/keys", self._keys)]
        )

    async def _metadata(self, request: Request) -> JSONResponse:
        return JSONResponse(
            {
                "issuer": BOT_ISSUER,
                "jwks_uri": f"{self.base}/v1/.well-known/keys",
                "id_token_signing_alg_values_supported": ["RS256"],
            }
        )

    async def _keys(self, request: Request) -> JSONResponse:
        return JSONResponse(
            {"keys": [{**self.key.as_dict(private=False), "endorsements": ["msteams"]}]}
        )

    def token(self, activity: dict[str, Any], key: RSAKey | None = None) -> str:
        """The token the Bot Connector would put on ``activity``."""
        now = int(time.time())
        claims = {
            "iss": BOT_ISSUER,
            "aud": BOT_APP_ID,
            "nbf": now - 5,
            "exp": now + 600,
            "serviceurl": activity["serviceUrl"],
        }
        return jwt.encode({"alg": "RS256", "kid": KEY_ID, "typ": "JWT"}, claims, key or self.key)


def activity(kind: str, user_id: str, service_url: str, **fields: Any) -> dict[str, Any]:
    """An activity from a person's one-to-one chat with the bot, in the shape Teams sends."""
    return {
        "type": kind,
        "id": f"f:{uuid.uuid4()}",
        "channelId": "msteams",
        "serviceUrl": service_url,
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "from": {"id": f"29:1{user_id}", "name": "", "aadObjectId": user_id},
        "conversation": {"conversationType": "personal", "tenantId": TENANT, "id": f"a:1{user_id}"},
        "recipient": {"id": f"28:{BOT_APP_ID}", "name": "Compliance Bot"},
        "channelData": {"tenant": {"id": TENANT}},
        "locale": "en-GB",
        **fields,
    }


def press(user_id: str, service_url: str, verb: str, data: dict[str, Any]) -> dict[str, Any]:
    """A card button pressed (Universal Actions: ``adaptiveCard/action``)."""
    return activity(
        "invoke",
        user_id,
        service_url,
        name="adaptiveCard/action",
        value={
            "action": {"type": "Action.Execute", "verb": verb, "data": data},
            "trigger": "manual",
        },
    )


def _nodes(node: Any) -> Iterator[dict[str, Any]]:
    """Every object in a card, depth first, in order."""
    if isinstance(node, dict):
        yield node
        node = list(node.values())
    if isinstance(node, list):
        for value in node:
            yield from _nodes(value)


def card_lines(card: dict[str, Any]) -> list[str]:
    """A card's text blocks, in order (what a person reads on it)."""
    return [str(node.get("text", "")) for node in _nodes(card) if node.get("type") == "TextBlock"]


def _buttons(card: dict[str, Any], verb: str) -> list[dict[str, Any]]:
    return [
        node
        for node in _nodes(card.get("body"))
        if node.get("type") == "Action.Execute" and node.get("verb") == verb
    ]


def run_smoke(home: Path, say: Callable[[str, bool, str], None] | None = None) -> SmokeResult:
    """The whole smoke test in ``home`` (a folder of its own); every step is recorded (and
    said in the active language)."""
    result = SmokeResult(tell=say)
    check = result.check

    issuer = LocalIssuer()
    web_port, issuer_port = free_port(), free_port()
    base_url = f"http://127.0.0.1:{web_port}"
    plan = build_demo(home, base_url=base_url)
    with served(issuer.app, issuer_port) as issuer_url:
        issuer.base = issuer_url
        settings = plan.settings.model_copy(
            update={
                "m365": M365Settings(
                    tenant_id=TENANT,
                    bot_app_id=BOT_APP_ID,
                    bot_openid_metadata=issuer_url + METADATA_PATH,
                )
            }
        )
        context = AppContext(settings)
        # the reply waits in the outbox: nothing is posted anywhere from here
        context.connectors.chat = None
        with (
            served(create_app(settings, context), web_port) as web,
            httpx.Client(base_url=web, timeout=30) as client,
        ):
            service_url = f"{issuer_url}/teams/"  # where a reply would go: this computer

            def send(body: dict[str, Any], key: RSAKey | None = None) -> httpx.Response:
                return client.post(
                    "/api/messages",
                    json=body,
                    headers={"Authorization": f"Bearer {issuer.token(body, key)}"},
                )

            with context.store.session() as session:
                person = session.scalar(
                    select(Person)
                    .join(Duty, Duty.person_id == Person.id)
                    .where(
                        Person.active.is_(True),
                        Duty.status == "open",
                        Duty.kind == "acknowledge_policy",
                        Person.external_id.is_not(None),
                    )
                    .order_by(Person.id)
                    .limit(1)
                )
                if person is None:
                    check(N_("a member of staff with a policy to acknowledge"), False)
                    return result
                user_id, name = str(person.external_id), person.display_name

            def replies() -> list[OutboxMessage]:
                with context.store.session() as session:
                    rows = list(
                        session.scalars(
                            select(OutboxMessage)
                            .where(OutboxMessage.purpose == "teams_reply")
                            .order_by(OutboxMessage.id)
                        )
                    )
                    session.expunge_all()
                    return rows

            installed = send(activity("installationUpdate", user_id, service_url, action="add"))
            said = send(activity("message", user_id, service_url, text="hi"))
            rows = replies()
            cards = [r.payload["teams"]["card"] for r in rows]
            check(
                N_("%(name)s installs the app and says hi: their needs card is the reply"),
                installed.status_code == said.status_code == 200
                and len(rows) == 2
                and all("needs from you" in " ".join(card_lines(c)) for c in cards),
                f"HTTP {installed.status_code}, {said.status_code}; {len(rows)} replies queued "
                "for the Bot Connector",
                name=name,
            )
            opened = send(press(user_id, service_url, REFRESH_VERB, {}))
            card = opened.json().get("value", {}) if opened.status_code == 200 else {}
            acks = _buttons(card, ACK_VERB)
            check(
                N_("the card opened in Teams shows what the school needs"),
                bool(acks),
                " / ".join(card_lines(card)[:3]),
            )
            if not acks:
                return result
            before = attestations(context)
            pressed = send(press(user_id, service_url, ACK_VERB, acks[0]["data"]))
            answer = pressed.json().get("value", {}) if pressed.status_code == 200 else {}
            thanks = next((line for line in card_lines(answer) if "is recorded" in line), "")
            check(
                N_("Acknowledge records one acknowledgement and the card says so"),
                bool(thanks) and attestations(context) == before + 1,
                thanks,
            )
            again = send(press(user_id, service_url, ACK_VERB, acks[0]["data"]))
            check(
                N_("pressed again, nothing more is recorded"),
                again.status_code == 200 and attestations(context) == before + 1,
            )
            stranger = str(uuid.uuid4())
            send(activity("message", stranger, service_url, text="hi"))
            line = next(
                (r.payload["text"] for r in replies() if not r.payload["teams"]["card"]), ""
            )
            check(
                N_("someone the school does not know gets one plain line"),
                line.startswith("This is "),
                line,
            )
            forged = send(
                activity("message", user_id, service_url, text="hi"),
                key=RSAKey.generate_key(2048, parameters={"kid": KEY_ID}),
            )
            check(
                N_("a token the issuer never signed is refused"),
                forged.status_code == 401 and attestations(context) == before + 1,
                f"HTTP {forged.status_code}",
            )
    return result


app = command(
    run_smoke,
    prefix="compliance-bot-smoke-",
    failed="Teams",
    serving=N_("Building the demo school and serving the bot on 127.0.0.1 …"),
    about="Drive the Teams bot's /api/messages end to end on this computer: a fictional school, "
    "a local token issuer on 127.0.0.1, the activities Teams sends (deploy/teams/smoke-test.md).",
)

if __name__ == "__main__":
    app()
