"""Who pressed, bound (#77 item 10): Chat's bearer proves that a request came from Chat for
this app, not who pressed. A Workspace add-on set up with its OAuth client id
(``chat_addon_client_id``) must carry Google's ID token for the person
(``authorizationEventObject.userIdToken``, audience that client id), verified with google-auth
against Google's keys (the local issuer's here). The press is recorded for the person it names
when that is the event's; an event whose token names someone else, a token for another client,
and an event with none record nothing, each a plain 401 audited without the token."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.core.deployment.context import AppContext
from bot.core.deployment.platform_settings import GoogleSettings
from bot.core.models import Attestation, AuditEvent
from bot.features.teamsbot.cards import ACK_VERB
from bot.web.app import create_app
from tests.features.chatbot.test_chat_app import (
    AMY,
    BEN,
    PROJECT,
    ChatEnv,
    addon_event,
    chat_env,
    user,
)

CLIENT = "112233445566778899001"  # the add-on's OAuth client id (fictional)


@pytest.fixture(name="env", scope="module")
def env_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChatEnv]:
    """The school, the local Google issuer and the app at 10:00 (``test_chat_app``)."""
    yield from chat_env(tmp_path_factory)


@pytest.fixture(name="bound", scope="module")
def bound_fixture(env: ChatEnv) -> Iterator[TestClient]:
    """The same school's app, as an add-on set up with its OAuth client id."""
    google = GoogleSettings(
        chat_project_number=PROJECT,
        chat_audience="endpoint",
        chat_addon=True,
        chat_addon_client_id=CLIENT,
    )
    context = AppContext(env.context.settings.model_copy(update={"google": google}))
    yield TestClient(create_app(context.settings, context))
    context.store.dispose()


def user_token(env: ChatEnv, sub: str, email: str, **changes: Any) -> str:
    """Google's ID token for the person ``sub``, for the add-on's client (``changes`` made)."""
    now = int(time.time())
    claims = {
        "iss": "https://accounts.google.com",
        "aud": CLIENT,
        "azp": CLIENT,
        "sub": sub,
        "email": email,
        "email_verified": True,
        "iat": now,
        "exp": now + 3600,
    }
    return env.google.google.sign({**claims, **changes})


def press(env: ChatEnv, bound: TestClient, who: dict[str, Any], token: str | None) -> Any:
    """Press Acknowledge on Ben's card as the event ``who`` says, with the user token given."""
    duty_id, sha256 = env.duty("ben@oak.example")
    params = {"verb": ACK_VERB, "duty": str(duty_id), "sha256": sha256}
    event = addon_event("buttonClickedPayload", who, params=params)
    if token is not None:
        event["authorizationEventObject"] = {"userIdToken": token}
    bearer = env.google.id_token()  # a good system token: Chat did send this request
    return bound.post("/api/chat", json=event, headers={"Authorization": f"Bearer {bearer}"})


def refusals(env: ChatEnv) -> list[str]:
    with env.context.store.session() as session:
        return [
            str((e.details or {}).get("check"))
            for e in session.scalars(
                select(AuditEvent).where(AuditEvent.action == "chat.request_refused")
            )
        ]


@pytest.mark.parametrize(
    ("case", "check"),
    [
        ("Amy's token on an event naming Ben", "names someone other than the event"),
        ("Ben's id with another address", "names someone other than the event"),
        ("Ben's token for another client", "refused by google-auth"),
        ("no user token", "carries no user ID token"),
    ],
)
def test_a_press_whose_user_token_is_not_the_events_records_nothing(
    env: ChatEnv, bound: TestClient, case: str, check: str
) -> None:
    ben = user(BEN, "ben@oak.example")
    token = {
        "Amy's token on an event naming Ben": user_token(env, AMY, "amy@oak.example"),
        "Ben's id with another address": user_token(env, BEN, "amy@oak.example"),
        "Ben's token for another client": user_token(env, BEN, "ben@oak.example", aud="other"),
        "no user token": None,
    }[case]
    before, refused = env.count(Attestation), len(refusals(env))
    answer = press(env, bound, ben, token)
    assert answer.status_code == 401, answer.text
    assert env.count(Attestation) == before
    found = refusals(env)
    assert len(found) == refused + 1 and check in found[-1]
    assert "eyJ" not in " ".join(found)


def test_the_press_is_recorded_for_the_person_googles_token_names(
    env: ChatEnv, bound: TestClient
) -> None:
    before = env.count(Attestation)
    token = user_token(env, BEN, "ben@oak.example")
    answer = press(env, bound, user(BEN, "BEN@oak.example"), token)
    assert answer.status_code == 200, answer.text
    assert "is recorded" in str(answer.json())
    assert env.count(Attestation) == before + 1
