"""``uv run python -m tools.chat_smoke``: the Google Chat app's ``/api/chat`` driven end to end
on this computer, before going live (deploy/google.md, "Chat app").

It builds the fictional demo school in a temporary folder, serves the product's web app on
127.0.0.1 only, set up as a Workspace add-on whose tokens come from a local stand-in for
Google's issuer (``tools.chat_issuer``: its own keys and certificates, handed to the token
checker's key cache in place of Google's certificate endpoints), and sends the events Google
Chat sends, in the add-on's shape, each with an ID token the local issuer signed:

1. the app added in a member of staff's direct message, and "hi": their needs card comes back;
2. **Acknowledge** pressed: one acknowledgement is recorded and the card, updated in place,
   says so; pressed again, nothing more is recorded;
3. "hi" from someone the school does not know: one plain line;
4. a token signed by a key the issuer never published: refused (401), nothing recorded.

The product checks every token exactly as in production (google-auth's signature, expiry and
audience checks, then issuer and signer); only where the certificates come from differs.
Nothing leaves this computer and nothing of the school's own data is touched.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from bot import wiring
from bot.core.config import store as config_store
from bot.core.deployment.context import AppContext
from bot.core.deployment.platform_settings import GoogleSettings
from bot.core.language.i18n import N_
from bot.core.models import Duty, Person, utcnow
from bot.demo.builder import build_demo
from bot.web.app import create_app
from connectors.google.chat_tokens import ChatKeys
from tools.chat_issuer import LocalGoogle, LocalKey
from tools.smoke import SmokeResult, attestations, command, free_port, served

__all__ = ["app", "run_smoke"]

PROJECT = "123456789012"  # fictional, as in the guide
DM = {"name": "spaces/smoke-dm", "spaceType": "DIRECT_MESSAGE", "singleUserBotDm": True}


def event(kind: str, who: dict[str, Any], params: dict[str, str] | None = None) -> dict[str, Any]:
    """A Workspace add-on's Chat event: ``kind`` names its payload."""
    payload: dict[str, Any] = {"space": DM}
    if kind != "addedToSpacePayload":
        payload["message"] = {"name": "spaces/smoke-dm/messages/1", "text": "hi", "space": DM}
    common: dict[str, Any] = {"hostApp": "CHAT", "platform": "WEB", "userLocale": "en-GB"}
    if params is not None:
        common["parameters"] = params
    return {"commonEventObject": common, "chat": {"user": who, kind: payload}}


def _message(answer: Any) -> dict[str, Any]:
    """The message an add-on's answer creates or updates ({} when none)."""
    action = answer.get("hostAppDataAction", {}).get("chatDataAction", {})
    found = action.get("createMessageAction") or action.get("updateMessageAction") or {}
    return dict(found.get("message") or {})


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        node = list(node.values())
    if isinstance(node, list):
        for value in node:
            yield from _walk(value)


def lines(message: dict[str, Any]) -> list[str]:
    """What a person reads on a message: its text and its card's texts, in order."""
    found = [str(message["text"])] if message.get("text") else []
    for node in _walk(message.get("cardsV2")):
        found += [str(node[k]) for k in ("title", "topLabel") if isinstance(node.get(k), str)]
        if "textParagraph" not in node and isinstance(node.get("text"), str):
            found.append(str(node["text"]))
    return found


def _acknowledge(message: dict[str, Any]) -> dict[str, str] | None:
    """The parameters of the card's first Acknowledge button."""
    for node in _walk(message.get("cardsV2")):
        if node.get("text") == "Acknowledge" and isinstance(node.get("onClick"), dict):
            action = node["onClick"].get("action") or {}
            return {p["key"]: p["value"] for p in action.get("parameters", [])}
    return None


def run_smoke(home: Path, say: Callable[[str, bool, str], None] | None = None) -> SmokeResult:
    """The whole smoke test in ``home`` (a folder of its own); every step is recorded (and
    said in the active language)."""
    result = SmokeResult(tell=say)
    check = result.check

    web_port = free_port()
    base_url = f"http://127.0.0.1:{web_port}"
    google = LocalGoogle(PROJECT, f"{base_url}/api/chat")
    plan = build_demo(home, base_url=base_url)
    settings = plan.settings.model_copy(
        update={
            "google": GoogleSettings(
                chat_project_number=PROJECT, chat_audience="endpoint", chat_addon=True
            )
        }
    )
    keys = ChatKeys(fetch=google.fetch)  # the local issuer's certificates, not Google's
    saved = wiring.ADAPTERS
    wiring.ADAPTERS = dataclasses.replace(saved, chat_tokens=lambda s: wiring.chat_tokens(s, keys))
    try:
        context = AppContext(settings)
        _asks_in_chat(context)
        with (
            served(create_app(settings, context), web_port) as web,
            httpx.Client(base_url=web, timeout=30) as client,
        ):
            _steps(context, client, google, check)
    finally:
        wiring.ADAPTERS = saved
        wiring.install()
    return result


def _asks_in_chat(context: AppContext) -> None:
    """The demo school's settings (kept on its web pages), saved asking its staff in Google
    Chat (``asks_in: chat``), as its admin would on the settings page."""
    org = context.config
    school = org.schools[0]
    admin = school.admins[0] if school.admins else school.headteacher
    changed = org.model_copy(
        update={"schools": [s.model_copy(update={"asks_in": "chat"}) for s in org.schools]}
    )
    with context.store.transaction() as session:
        config_store.save(
            session,
            changed,
            by=str(admin),
            now=utcnow(),
            note="the Chat smoke test: staff are asked in Google Chat",
        )
    context.forget_config()


def _steps(
    context: AppContext, client: httpx.Client, google: LocalGoogle, check: Callable[..., None]
) -> None:
    def send(body: dict[str, Any], token: str | None = None) -> httpx.Response:
        token = google.id_token() if token is None else token
        return client.post("/api/chat", json=body, headers={"Authorization": f"Bearer {token}"})

    with context.store.session() as session:
        person = session.scalar(
            select(Person)
            .join(Duty, Duty.person_id == Person.id)
            .where(
                Person.active.is_(True), Duty.status == "open", Duty.kind == "acknowledge_policy"
            )
            .order_by(Person.id)
            .limit(1)
        )
        if person is None:
            check(N_("a member of staff with a policy to acknowledge"), False, "")
            return
        who = {
            "name": f"users/{person.external_id or 100000000000000000000 + person.id}",
            "email": person.email,
            "displayName": person.display_name,
            "type": "HUMAN",
        }
        name = person.display_name
    added = send(event("addedToSpacePayload", who))
    said = send(event("messagePayload", who))
    cards = [_message(r.json()) for r in (added, said) if r.status_code == 200]
    check(
        N_("%(name)s adds the app and says hi: their needs card comes back"),
        len(cards) == 2 and all(" ".join(lines(c)).count("needs from you") for c in cards),
        f"HTTP {added.status_code}, {said.status_code}",
        name=name,
    )
    params = _acknowledge(cards[-1]) if cards else None
    if params is None:
        check(N_("the card has an Acknowledge button"), False, "")
        return
    before = attestations(context)
    pressed = send(event("buttonClickedPayload", who, params))
    answer = pressed.json() if pressed.status_code == 200 else {}
    updated = "updateMessageAction" in str(answer)
    thanks = next((line for line in lines(_message(answer)) if "is recorded" in line), "")
    check(
        N_("Acknowledge records one acknowledgement and the card, updated in place, says so"),
        updated and bool(thanks) and attestations(context) == before + 1,
        thanks,
    )
    again = send(event("buttonClickedPayload", who, params))
    check(
        N_("pressed again, nothing more is recorded"),
        again.status_code == 200 and attestations(context) == before + 1,
        "",
    )
    stranger = {
        "name": "users/999999999999999999999",
        "email": "visitor@elsewhere.example",
        "displayName": name,
        "type": "HUMAN",
    }  # their name is no pass
    line = _message(send(event("messagePayload", stranger)).json())
    check(
        N_("someone the school does not know gets one plain line"),
        set(line) == {"text"} and str(line["text"]).startswith("This is "),
        str(line.get("text", "")),
    )
    forged = LocalKey(google.google.kid).sign(google.id_claims())
    refused = send(event("messagePayload", who), forged)
    check(
        N_("a token the issuer never signed is refused"),
        refused.status_code == 401 and attestations(context) == before + 1,
        f"HTTP {refused.status_code}",
    )


app = command(
    run_smoke,
    prefix="compliance-bot-chat-smoke-",
    failed="Google Chat",
    serving=N_("Building the demo school and serving the Chat app on 127.0.0.1 …"),
    about="Drive the Google Chat app's /api/chat end to end on this computer: a fictional "
    "school, a local token issuer, the events Google Chat sends (deploy/google.md, 'Chat app').",
)

if __name__ == "__main__":
    app()
