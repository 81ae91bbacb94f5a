"""A trust across two Google Workspace domains, each with its own Chat app (its own Cloud
project, ``connection``'s ``chat_project_number``): Oak on the install's domain and app, Elm on
``domain-b`` with its own. A request is for the app whose checks its token passes; each app
knows only its own domain's schools' people; each domain's connectors post with its own app."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
import time_machine
from fastapi.testclient import TestClient

from bot import wiring
from bot.core.deployment.platform_settings import GoogleSettings
from bot.core.guards.chat_tokens import ADDON_SIGNER
from bot.features.chatbot.web import chat_apps
from bot.web.app import create_app
from bot.wiring import chat_tokens
from tests.features.chatbot.support import ask_online_safety
from tests.support.conformance.google_chat import chat_answer_problems
from tests.support.helpers import Row, SchoolBuilder, at
from tools.chat_issuer import LocalGoogle

pytest.importorskip("google.auth", reason="google-auth is the google extra (uv sync)")
from connectors.google.chat_tokens import ChatKeys

MONDAY = date(2026, 10, 19)
PROJECT_A, PROJECT_B = "123456789012", "210987654321"  # fictional
ENDPOINT = "https://oak.example/api/chat"
AMY, EVE = "104857600000000000001", "204857600000000000001"


@dataclasses.dataclass
class Trust:
    google: LocalGoogle
    client: TestClient
    context: Any

    def said(self, who: tuple[str, str], project: str) -> dict[str, Any]:
        """What the app answers ``who`` (id, address) writing "hi", the token for ``project``."""
        user_id, email = who
        space = {"name": "spaces/AAAA1", "spaceType": "DIRECT_MESSAGE", "singleUserBotDm": True}
        sender = {"name": f"users/{user_id}", "email": email, "type": "HUMAN"}
        event = {
            "commonEventObject": {"hostApp": "CHAT"},
            "chat": {
                "user": sender,
                "messagePayload": {
                    "space": space,
                    "message": {
                        "name": "spaces/AAAA1/messages/m1",
                        "text": "hi",
                        "sender": sender,
                        "space": space,
                    },
                },
            },
        }
        token = self.google.id_token(email=ADDON_SIGNER.format(project=project))
        answer = self.client.post(
            "/api/chat", json=event, headers={"Authorization": f"Bearer {token}"}
        )
        assert answer.status_code == 200, answer.text
        found: dict[str, Any] = answer.json()
        assert chat_answer_problems(found, addon=True) == []
        return found["hostAppDataAction"]["chatDataAction"]["createMessageAction"]["message"]


@pytest.fixture(scope="module")
def trust(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Trust]:
    school = SchoolBuilder(tmp_path_factory.mktemp("trust") / "school")
    school.people = [
        Row(
            "head@oak.example",
            "Hana Head",
            "staff",
            "All Staff;Leadership",
            title="Headteacher",
            id="104857600000000000009",
            school="oak",
        ),
        Row("amy@oak.example", "Amy Able", id=AMY, school="oak"),
        Row("eve@elm.example", "Eve Elm", "staff", "All Staff", id=EVE, school="elm"),
    ]
    ask_online_safety(school)
    school.others = [
        {
            "id": "elm",
            "name": "Elm Academy",
            "headteacher": "eve@elm.example",
            "dsl": ["eve@elm.example"],
            "connection": "domain-b",
            "asks_in": "chat",
            "policies": school.school["policies"],
            "requirements": school.school["requirements"],
        }
    ]
    google = LocalGoogle(PROJECT_A, ENDPOINT)
    keys = ChatKeys(fetch=google.fetch)
    saved = wiring.ADAPTERS
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COMPLIANCE_BOT_CONNECTIONS__DOMAIN_B__DOMAIN", "elm.example")
        patch.setenv("COMPLIANCE_BOT_CONNECTIONS__DOMAIN_B__CHAT_PROJECT_NUMBER", PROJECT_B)
        context = school.context(
            f"sqlite:///{tmp_path_factory.mktemp('db') / 'bot.db'}",
            base_url="https://oak.example",
            google=GoogleSettings(chat_project_number=PROJECT_A),
        )
        wiring.ADAPTERS = dataclasses.replace(
            saved, chat_tokens=lambda settings: chat_tokens(settings, keys)
        )
        wiring.install()
        with time_machine.travel(at(MONDAY, 10, 0), tick=False):
            from bot.engine.sweep import run_sweep

            run_sweep(
                context.store, context.settings, context.config, context.connectors, deliver=False
            )
            yield Trust(google, TestClient(create_app(context.settings, context)), context)
    wiring.ADAPTERS = saved
    wiring.install()


def test_each_domain_has_its_own_chat_app(trust: Trust) -> None:
    apps = {a.settings.google.chat_project_number: a.schools for a in chat_apps(trust.context)}
    assert apps == {PROJECT_A: frozenset({"oak"}), PROJECT_B: frozenset({"elm"})}
    assert trust.context.settings.for_connection("domain-b").google.chat_project_number == (
        PROJECT_B
    )


def test_each_app_knows_its_own_domains_people_only(trust: Trust) -> None:
    amy, eve = (AMY, "amy@oak.example"), (EVE, "eve@elm.example")
    assert "cardsV2" in trust.said(amy, PROJECT_A)
    assert "cardsV2" in trust.said(eve, PROJECT_B)
    assert "has no record of you" in trust.said(eve, PROJECT_A)["text"]
    assert "has no record of you" in trust.said(amy, PROJECT_B)["text"]


def test_a_token_of_a_third_project_is_refused(trust: Trust) -> None:
    token = trust.google.id_token(email=ADDON_SIGNER.format(project="999999999999"))
    answer = trust.client.post(
        "/api/chat", json={"chat": {}}, headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 401
