"""A bot people can talk to, through ``/api/messages``: a message or an installation gets the
person's needs card in their chat (a stranger one plain line saying what the bot does), sent
through the outbox to the Bot Connector at the ``serviceUrl`` the activity's token vouched
for; that ``serviceUrl`` is remembered for the chat, so a card press from a new one moves the
next proactive card there; the static global address is only the fallback."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import select

from bot.core.models import Attestation, Person, TeamsChat
from bot.features.teamsbot.cards import ACK_VERB, REFRESH_VERB
from bot.features.teamsbot.deliver import reach
from bot.web.app import create_app
from tests.features.teamsbot.support import AMY_ID, BOT_APP_ID, MONDAY, TENANT, BotEnv
from tests.features.teamsbot.test_delivery import Teams
from tests.support.fakes.botframework import (
    FakeBotFramework,
    install_activities,
    invoke_activity,
    message_activity,
)
from tests.support.fakes.graph import CONNECTOR_URL
from tests.support.helpers import SchoolBuilder

STRANGER_ID = "0c2b9a1e-0000-4000-8000-0000000000ff"
UK_URL = "https://smba.trafficmanager.net/uk/"  # another region's Connector
GLOBAL_URL = "https://smba.trafficmanager.net/teams/"


class Talk(Teams):
    """The school's bot live behind /api/messages, posting to the fake Connector."""

    def __init__(
        self, school: SchoolBuilder, sqlite_url: str, bf: FakeBotFramework, frozen_clock: Any
    ) -> None:
        super().__init__(school, sqlite_url, bf)
        self.ctx.connectors.chat = self.bot  # the request hands its reply to the bot
        frozen_clock.at(MONDAY, 10, 0)
        self.env = BotEnv(self.ctx, create_app(self.ctx.settings, self.ctx), bf, int(time.time()))

    def says(self, activity: dict[str, Any]) -> None:
        response = self.env.post(activity)
        assert response.status_code == 200, response.text
        assert response.content == b""  # a message's answer goes to the chat, not here

    def chat(self, user_id: str = AMY_ID) -> TeamsChat | None:
        with self.ctx.store.session() as session:
            person = session.scalar(select(Person).where(Person.external_id == user_id))
            chat = session.get(TeamsChat, person.id) if person else None
            if chat is not None:
                session.expunge(chat)
            return chat


@pytest.fixture(name="talk")
def talk_fixture(
    school: SchoolBuilder, sqlite_url: str, bf: FakeBotFramework, frozen_clock: Any
) -> Talk:
    """Amy's school with its bot answering in Teams."""
    return Talk(school, sqlite_url, bf, frozen_clock)


def _card(posted: dict[str, Any]) -> dict[str, Any]:
    [attachment] = posted["activity"]["attachments"]
    return dict(attachment["content"])


def _texts(card: dict[str, Any]) -> str:
    from tests.features.teamsbot.test_messages import _texts as texts

    return texts(card)


def test_hi_gets_the_persons_needs_card_once(talk: Talk) -> None:
    talk.graph.user_installs(AMY_ID, f"a:1{AMY_ID}")
    hi = message_activity(user_id=AMY_ID, tenant_id=TENANT, bot_app_id=BOT_APP_ID)
    talk.says(hi)
    [posted] = talk.graph.chat_cards
    assert posted["chat"] == f"a:1{AMY_ID}" and posted["service_url"] == CONNECTOR_URL
    card = _card(posted)
    text = _texts(card)
    assert "What Oak Test School needs from you" in text
    assert "Online Safety Policy (version 2026.1)" in text
    assert card["refresh"]["userIds"] == [AMY_ID]
    chat = talk.chat()
    assert chat is not None and (chat.chat_id, chat.service_url) == (f"a:1{AMY_ID}", CONNECTOR_URL)
    talk.says(hi)  # the Connector sending the same activity again: one reply
    assert len(talk.graph.chat_cards) == 1
    talk.says(
        message_activity(
            user_id=AMY_ID, tenant_id=TENANT, bot_app_id=BOT_APP_ID, text="what do I need to do?"
        )
    )
    assert len(talk.graph.chat_cards) == 2
    assert talk.graph.rejected == []
    assert {r.status for r in talk.rows("teams")} == {"sent"}
    assert {r.urgency for r in talk.rows("teams")} == {1}  # someone is waiting on the bot


def test_installing_the_app_gets_one_card(talk: Talk) -> None:
    talk.graph.user_installs(AMY_ID, f"a:1{AMY_ID}")
    for activity in install_activities(user_id=AMY_ID, tenant_id=TENANT, bot_app_id=BOT_APP_ID):
        talk.says(activity)  # Teams sends both: one welcome
    [posted] = talk.graph.chat_cards
    assert "What Oak Test School needs from you" in _texts(_card(posted))
    assert talk.chat() is not None


def test_someone_the_school_does_not_know_gets_one_plain_line(talk: Talk) -> None:
    talk.graph.user_installs(STRANGER_ID, f"a:1{STRANGER_ID}")
    talk.says(message_activity(user_id=STRANGER_ID, tenant_id=TENANT, bot_app_id=BOT_APP_ID))
    [posted] = talk.graph.chat_cards
    assert "attachments" not in posted["activity"]
    line = posted["activity"]["text"]
    assert line.startswith(
        "This is Oak Test School's compliance bot: it shows staff the policies to acknowledge"
    )
    assert "ask the school office" in line
    assert "DSL team" in line  # England's words for this school
    assert talk.chat(STRANGER_ID) is None  # nobody to remember


def test_nothing_is_said_in_a_group_chat_on_removal_or_to_an_odd_chat(talk: Talk) -> None:
    group = message_activity(
        user_id=AMY_ID,
        tenant_id=TENANT,
        bot_app_id=BOT_APP_ID,
        conversation={
            "conversationType": "groupChat",
            "tenantId": TENANT,
            "id": "19:group@thread.v2",
        },
    )
    talk.says(group)
    removed = install_activities(user_id=AMY_ID, tenant_id=TENANT, bot_app_id=BOT_APP_ID)[0]
    talk.says({**removed, "action": "remove"})
    odd = message_activity(
        user_id=AMY_ID,
        tenant_id=TENANT,
        bot_app_id=BOT_APP_ID,
        conversation={
            "conversationType": "personal",
            "tenantId": TENANT,
            "id": "a:1/../../v3/conversations/other",
        },
    )
    talk.says(odd)  # an id that would change the Connector's URL path: not a chat
    assert talk.graph.chat_cards == [] and talk.rows("teams") == []
    assert talk.chat() is None


def test_a_press_from_a_new_service_url_moves_the_next_proactive_card(talk: Talk) -> None:
    with talk.ctx.store.transaction() as session:  # the bot reached Amy itself: the fallback
        amy = session.scalar(select(Person).where(Person.external_id == AMY_ID))
        assert amy is not None
        talk.ctx.settings.m365.bot_service_url = GLOBAL_URL
        chat, installed = reach(session, talk.ctx.settings, talk.bot, amy, talk.now)
        assert installed and chat is not None and chat.service_url == GLOBAL_URL
    talk.ctx.settings.m365.bot_service_url = CONNECTOR_URL
    duty, sha, _ = talk.env.duty("amy@oak.example", "acknowledge_policy")
    press = invoke_activity(
        user_id=AMY_ID,
        tenant_id=TENANT,
        bot_app_id=BOT_APP_ID,
        verb=ACK_VERB,
        data={"duty": duty, "sha256": sha},
        service_url=UK_URL,
    )
    answer = talk.env.post(press).json()
    assert answer["statusCode"] == 200
    assert "is recorded" in _texts(answer["value"])
    assert talk.env.count(Attestation) == 1
    chat = talk.chat()
    assert chat is not None and chat.service_url == UK_URL  # learnt from the vouched activity
    talk.graph.user_installs(AMY_ID, f"a:1{AMY_ID}")
    talk.card()  # her next reminder: a proactive card
    talk.dispatch(talk.now)
    [posted] = [c for c in talk.graph.chat_cards if "attachments" in c["activity"]]
    assert posted["service_url"] == UK_URL and posted["chat"] == f"a:1{AMY_ID}"


def test_a_service_url_the_token_does_not_vouch_for_is_never_learnt(talk: Talk) -> None:
    press = invoke_activity(
        user_id=AMY_ID,
        tenant_id=TENANT,
        bot_app_id=BOT_APP_ID,
        verb=REFRESH_VERB,
        data={},
        service_url=UK_URL,
    )
    token = talk.env.bf.token(press, app_id=BOT_APP_ID, now=talk.env.now, serviceurl=CONNECTOR_URL)
    assert talk.env.post(press, token=token).status_code == 401
    hi = message_activity(
        user_id=AMY_ID,
        tenant_id=TENANT,
        bot_app_id=BOT_APP_ID,
        service_url="https://smba.evil.example/teams/",
    )
    token = talk.env.bf.token(
        {**hi, "serviceUrl": CONNECTOR_URL}, app_id=BOT_APP_ID, now=talk.env.now
    )
    assert talk.env.post(hi, token=token).status_code == 401
    assert talk.chat() is None
    assert talk.rows("teams") == [] and talk.graph.chat_cards == []
