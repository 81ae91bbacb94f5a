"""``/api/chat``, end to end through the web app with tokens a local Google issuer signed:
a message or the app added gets the person's needs card; Acknowledge records once, bound to the
version's hash, and updates the card in place; a second press records nothing; a stranger gets
one plain line; a bad token gets a plain 401, audited without the token. Both of Google's event
and answer shapes: a Workspace add-on's (ID token) and a classic Chat app's (project number).
Every answer's card is checked against the Chat API's discovery document."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bot import wiring
from bot.core.deployment.context import AppContext
from bot.core.deployment.platform_settings import GoogleSettings
from bot.core.models import Attestation, AuditEvent, Duty, Person, PolicyVersion
from bot.engine.sweep import run_sweep
from bot.features.chatbot.service import answer as service_answer
from bot.features.chatbot.service import read_event
from bot.features.teamsbot.cards import ACK_VERB
from bot.web.app import create_app
from bot.wiring import chat_tokens
from tests.features.chatbot.support import ask_online_safety
from tests.support.conformance.google_chat import chat_answer_problems
from tests.support.helpers import Row, SchoolBuilder, at
from tools.chat_issuer import LocalGoogle, LocalKey

pytest.importorskip("google.auth", reason="google-auth is the google extra (uv sync)")
from connectors.google.chat_tokens import ChatKeys

MONDAY = date(2026, 10, 19)
PROJECT = "123456789012"  # fictional
BASE = "https://oak.example"
ENDPOINT = f"{BASE}/api/chat"
AMY, BEN, CAL = "104857600000000000001", "104857600000000000002", "104857600000000000003"


@dataclasses.dataclass
class ChatEnv:
    google: LocalGoogle
    addon: TestClient  # the app as a Workspace add-on (ID token for the endpoint URL)
    classic: TestClient  # the app as a classic HTTP Chat app (JWT for the project number)
    context: AppContext

    def count(self, model: Any) -> int:
        with self.context.store.session() as session:
            return int(session.scalar(select(func.count()).select_from(model)) or 0)

    def duty(self, email: str) -> tuple[int, str]:
        with self.context.store.session() as session:
            duty, version = session.execute(
                select(Duty, PolicyVersion)
                .join(PolicyVersion, PolicyVersion.id == Duty.policy_version_id)
                .join(Person, Person.id == Duty.person_id)
                .where(Person.email == email, Duty.kind == "acknowledge_policy")
            ).one()
            return duty.id, version.sha256


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChatEnv]:
    """The school and its Chat app (``chat_env``), for this module."""
    yield from chat_env(tmp_path_factory)


def chat_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChatEnv]:
    """Oak school on Google Workspace: Amy, Ben and Cal in the directory by their Google user
    ids, an Online Safety Policy to acknowledge; the app at 10:00 on a Monday."""
    school = SchoolBuilder(tmp_path_factory.mktemp("chat") / "school")
    school.people = [
        Row(
            "head@oak.example",
            "Hana Head",
            "staff",
            "All Staff;Leadership",
            title="Headteacher",
            id="104857600000000000009",
        ),
        Row("amy@oak.example", "Amy Able", id=AMY),
        Row("ben@oak.example", "Ben Brook", id=BEN),
        Row("cal@oak.example", "Cal Crane", id=CAL),
    ]
    ask_online_safety(school)
    google = LocalGoogle(PROJECT, ENDPOINT)
    database = f"sqlite:///{tmp_path_factory.mktemp('db') / 'bot.db'}"
    addon = school.context(
        database,
        base_url=BASE,
        google=GoogleSettings(
            chat_project_number=PROJECT, chat_audience="endpoint", chat_addon=True
        ),
    )
    classic = AppContext(
        addon.settings.model_copy(
            update={
                "google": GoogleSettings(
                    chat_project_number=PROJECT, chat_audience="project", chat_addon=False
                )
            }
        )
    )
    keys = ChatKeys(fetch=google.fetch)
    # the app registers the wiring's adapters as it starts: these, with the local issuer's keys
    saved = wiring.ADAPTERS
    wiring.ADAPTERS = dataclasses.replace(
        saved, chat_tokens=lambda settings: chat_tokens(settings, keys)
    )
    wiring.install()
    with time_machine.travel(at(MONDAY, 10, 0), tick=False):
        run_sweep(addon.store, addon.settings, addon.config, addon.connectors, deliver=False)
        yield ChatEnv(
            google,
            TestClient(create_app(addon.settings, addon)),
            TestClient(create_app(classic.settings, classic)),
            addon,
        )
    wiring.ADAPTERS = saved
    wiring.install()


def user(user_id: str, email: str) -> dict[str, Any]:
    return {
        "name": f"users/{user_id}",
        "displayName": "Someone",
        "email": email,
        "type": "HUMAN",
        "domainId": "abc",
    }


DM = {"name": "spaces/AAAA1", "spaceType": "DIRECT_MESSAGE", "singleUserBotDm": True}
GROUP = {"name": "spaces/AAAA9", "spaceType": "SPACE", "displayName": "Staff room"}


def addon_event(
    kind: str,
    who: dict[str, Any],
    *,
    space: dict[str, Any] = DM,
    params: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An add-on's Chat event object."""
    payload: dict[str, Any] = {"space": space}
    if kind != "addedToSpacePayload":
        payload["message"] = {
            "name": f"{space['name']}/messages/m1",
            "text": "hi",
            "sender": who,
            "space": space,
        }
    event: dict[str, Any] = {
        "commonEventObject": {"hostApp": "CHAT", "platform": "WEB", "userLocale": "en-GB"},
        "chat": {"user": who, "eventTime": "2026-10-19T09:00:00Z", kind: payload},
    }
    if params is not None:
        event["commonEventObject"]["parameters"] = params
    return event


def classic_event(
    kind: str,
    who: dict[str, Any],
    *,
    space: dict[str, Any] = DM,
    params: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """A classic Chat app's interaction event (the Chat API's ``Event``)."""
    event: dict[str, Any] = {
        "type": kind,
        "eventTime": "2026-10-19T09:00:00Z",
        "user": who,
        "space": space,
        "common": {"userLocale": "en-GB"},
    }
    if kind in ("MESSAGE", "CARD_CLICKED"):
        event["message"] = {"name": f"{space['name']}/messages/m1", "text": "hi", "sender": who}
    if params is not None:
        event["action"] = {"actionMethodName": ACK_VERB, "parameters": params}
        event["common"]["invokedFunction"] = ACK_VERB
        event["common"]["parameters"] = {p["key"]: p["value"] for p in params}
    return event


def post_addon(env: ChatEnv, event: dict[str, Any], token: str | None = None) -> Any:
    token = env.google.id_token() if token is None else token
    return env.addon.post("/api/chat", json=event, headers={"Authorization": f"Bearer {token}"})


def post_classic(env: ChatEnv, event: dict[str, Any]) -> Any:
    token = env.google.chat_token()
    return env.classic.post("/api/chat", json=event, headers={"Authorization": f"Bearer {token}"})


def card_of(message: dict[str, Any]) -> dict[str, Any]:
    return dict(message["cardsV2"][0]["card"])


def texts(card: dict[str, Any]) -> str:
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            found.extend(str(node[k]) for k in ("text", "title", "topLabel") if k in node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    return " | ".join(found)


def acknowledge_button(card: dict[str, Any]) -> dict[str, Any]:
    buttons = [
        b
        for s in card["sections"]
        for w in s["widgets"]
        for b in w.get("buttonList", {}).get("buttons", [])
        if b["text"] == "Acknowledge"
    ]
    assert len(buttons) == 1, buttons
    return dict(buttons[0]["onClick"]["action"])


def test_an_addon_message_gets_the_needs_card_and_acknowledge_records_once(env: ChatEnv) -> None:
    said = post_addon(env, addon_event("messagePayload", user(AMY, "amy@oak.example")))
    assert said.status_code == 200
    answer = said.json()
    assert chat_answer_problems(answer, addon=True) == []
    message = answer["hostAppDataAction"]["chatDataAction"]["createMessageAction"]["message"]
    card = card_of(message)
    assert "What Oak" in card["header"]["title"] and "Online Safety Policy" in texts(card)
    action = acknowledge_button(card)
    assert action["function"] == ENDPOINT  # an HTTP add-on runs the URL its button names
    params = {p["key"]: p["value"] for p in action["parameters"]}
    duty_id, sha256 = env.duty("amy@oak.example")
    assert params == {"verb": ACK_VERB, "duty": str(duty_id), "sha256": sha256}

    before = env.count(Attestation)
    pressed = post_addon(
        env, addon_event("buttonClickedPayload", user(AMY, "amy@oak.example"), params=params)
    )
    answer = pressed.json()
    assert chat_answer_problems(answer, addon=True) == []
    updated = answer["hostAppDataAction"]["chatDataAction"]["updateMessageAction"]["message"]
    assert "is recorded" in texts(card_of(updated))
    assert "you are up to date" in texts(card_of(updated))
    assert env.count(Attestation) == before + 1
    with env.context.store.session() as session:
        row = session.scalars(select(Attestation).order_by(Attestation.id.desc())).first()
        assert row is not None and row.method == "chat" and row.document_sha256 == sha256

    again = post_addon(
        env, addon_event("buttonClickedPayload", user(AMY, "amy@oak.example"), params=params)
    )
    assert "already recorded" in texts(
        card_of(
            again.json()["hostAppDataAction"]["chatDataAction"]["updateMessageAction"]["message"]
        )
    )
    assert env.count(Attestation) == before + 1


def test_a_press_for_another_version_or_someone_elses_duty_records_nothing(env: ChatEnv) -> None:
    duty_id, sha256 = env.duty("cal@oak.example")
    before = env.count(Attestation)
    cal = user(CAL, "cal@oak.example")
    stale = {"verb": ACK_VERB, "duty": str(duty_id), "sha256": "0" * 64}
    answer = post_addon(env, addon_event("buttonClickedPayload", cal, params=stale)).json()
    assert "has changed since this card was made" in texts(answer)
    bens = {"verb": ACK_VERB, "duty": str(duty_id), "sha256": sha256}  # Cal's duty, Ben presses
    answer = post_addon(
        env, addon_event("buttonClickedPayload", user(BEN, "ben@oak.example"), params=bens)
    ).json()
    assert "not one of yours" in texts(answer)
    assert env.count(Attestation) == before


def test_a_classic_chat_app_answers_in_its_own_shape(env: ChatEnv) -> None:
    added = post_classic(env, classic_event("ADDED_TO_SPACE", user(BEN, "BEN@oak.example")))
    answer = added.json()
    assert chat_answer_problems(answer, addon=False) == []
    assert answer["actionResponse"] == {"type": "NEW_MESSAGE"}
    action = acknowledge_button(card_of(answer))
    assert action["function"] == ACK_VERB
    before = env.count(Attestation)
    pressed = post_classic(
        env,
        classic_event("CARD_CLICKED", user(BEN, "ben@oak.example"), params=action["parameters"]),
    )
    answer = pressed.json()
    assert chat_answer_problems(answer, addon=False) == []
    assert answer["actionResponse"] == {"type": "UPDATE_MESSAGE"}
    assert "is recorded" in texts(answer) and env.count(Attestation) == before + 1


def test_a_stranger_and_a_group_space_get_one_plain_line(env: ChatEnv) -> None:
    stranger = user("999999999999999999999", "visitor@elsewhere.example")
    answer = post_addon(env, addon_event("messagePayload", stranger)).json()
    message = answer["hostAppDataAction"]["chatDataAction"]["createMessageAction"]["message"]
    assert set(message) == {"text"} and message["text"].startswith("This is ")
    # a display name that matches someone the school knows is never taken for them
    impostor = {**stranger, "displayName": "Amy Able"}
    answer = post_addon(env, addon_event("messagePayload", impostor)).json()
    assert "cardsV2" not in str(answer)
    group = post_addon(
        env, addon_event("messagePayload", user(AMY, "amy@oak.example"), space=GROUP)
    ).json()
    line = group["hostAppDataAction"]["chatDataAction"]["createMessageAction"]["message"]
    assert set(line) == {"text"} and "direct message" in line["text"]


def test_bad_tokens_get_a_plain_401_audited_without_the_token(env: ChatEnv) -> None:
    event = addon_event("messagePayload", user(AMY, "amy@oak.example"))
    forged = LocalKey("google-oidc-1").sign(env.google.id_claims())
    for token in (
        forged,
        env.google.id_token(aud="https://other.example/api/chat"),
        env.google.chat_token(),
    ):  # the other form's token: not for this app
        refused = post_addon(env, event, token)
        assert refused.status_code == 401
        assert (
            refused.text == "This request did not come from Google Chat for this school's Chat app."
        )
    assert env.addon.post("/api/chat", json=event).status_code == 401
    with env.context.store.session() as session:
        events = list(
            session.scalars(select(AuditEvent).where(AuditEvent.action == "chat.request_refused"))
        )
        assert len(events) == 4
        assert all("eyJ" not in str(e.details) for e in events)


def test_the_token_in_an_addon_event_body_is_accepted_when_no_header_is_sent(env: ChatEnv) -> None:
    event = addon_event("messagePayload", user(BEN, "ben@oak.example"))
    event["authorizationEventObject"] = {"systemIdToken": env.google.id_token()}
    assert env.addon.post("/api/chat", json=event).status_code == 200


@pytest.mark.parametrize(
    ("asks_in", "where"), [("email", "by email"), ("teams", "in Microsoft Teams and by email")]
)
def test_a_school_that_asks_elsewhere_says_where(env: ChatEnv, asks_in: str, where: str) -> None:
    config = env.context.config
    elsewhere = config.model_copy(
        update={"schools": [s.model_copy(update={"asks_in": asks_in}) for s in config.schools]}
    )
    event = read_event(addon_event("messagePayload", user(CAL, "cal@oak.example")), addon=True)
    with env.context.store.transaction() as session:
        answer = service_answer(
            session,
            env.context.settings,
            elsewhere,
            event,
            at(MONDAY, 10, 0),
            addon=True,
            function=ENDPOINT,
        )
    message = answer["hostAppDataAction"]["chatDataAction"]["createMessageAction"]["message"]
    assert set(message) == {"text"} and message["text"].endswith(
        f"asks its staff for what it needs from them {where}, not here in Google Chat."
    )


def test_teams_first_still_reads_as_asks_in_teams(env: ChatEnv) -> None:
    school = env.context.config.schools[0]
    data = school.model_dump(exclude={"asks_in"})
    assert type(school).model_validate({**data, "teams_first": True}).asks_in == "teams"
    assert type(school).model_validate({**data, "teams_first": False}).asks_in == "email"
    with pytest.raises(ValueError, match="disagree"):
        type(school).model_validate({**data, "teams_first": True, "asks_in": "chat"})
