"""The Teams bot of a trust across two tenants (#54): Oak's bot in the install's tenant, Elm's
own single-tenant bot in tenant B (``connection: tenant-b``). Each bot's activities, signed as
the Bot Connector signs them, act for its own tenant's schools only: a person of tenant A is
nobody to tenant B's bot, and a token for one bot never carries an activity of the other."""

from __future__ import annotations

import time
from typing import Any

import pytest
import time_machine

from bot.core.deployment.settings import Connection
from bot.features.teamsbot.cards import ACK_VERB
from bot.web.app import create_app
from tests.features.teamsbot.support import AMY_ID, BOT_APP_ID, MONDAY, TENANT, BotEnv, bot_school
from tests.support.fakes.botframework import FakeBotFramework, invoke_activity
from tests.support.helpers import Row, SchoolBuilder, at

TENANT_B = "0b9e6a1c-7d2f-4e3a-8b5c-6d7e8f9a0b1c"  # fictional
BOT_B = "7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"  # fictional
EVE_ID = "0c2b9a1e-0000-4000-8000-00000000c0c1"
EVE = "eve@elm.example"


@pytest.fixture(name="trust")
def trust_fixture(
    school: SchoolBuilder,
    sqlite_url: str,
    bf: FakeBotFramework,
    frozen_clock: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> BotEnv:
    """Oak (tenant A, the install's bot) and Elm (tenant B, its own bot), one install."""
    school.others = [
        {
            "id": "elm",
            "name": "Elm Academy",
            "headteacher": EVE,
            "dsl": [EVE],
            "connection": "tenant-b",
        }
    ]
    real_write = school.write

    def write() -> Any:  # Elm's people and its own copy of Oak's policies and requirements
        if not any(r.email == EVE for r in school.people):
            school.people = [
                *school.people,
                Row(EVE, "Eve Elm", "staff", "All Staff", id=EVE_ID, school="elm"),
            ]
            school.people = [
                r if r.school else Row(**{**r.__dict__, "school": "oak"}) for r in school.people
            ]
            school.others[0].update(
                policies=school.school["policies"], requirements=school.school["requirements"]
            )
        return real_write()

    monkeypatch.setattr(school, "write", write)
    monkeypatch.setenv("COMPLIANCE_BOT_CONNECTIONS__TENANT_B__TENANT_ID", TENANT_B)
    monkeypatch.setenv("COMPLIANCE_BOT_CONNECTIONS__TENANT_B__BOT_APP_ID", BOT_B)
    ctx = bot_school(school, sqlite_url, bf)
    assert ctx.settings.connections == {
        "tenant_b": Connection(tenant_id=TENANT_B, bot_app_id=BOT_B)
    }
    frozen_clock.at(MONDAY, 10, 0)
    return BotEnv(ctx, create_app(ctx.settings, ctx), bf, int(time.time()))


def press(
    env: BotEnv, user_id: str, data: dict[str, Any], *, tenant: str, bot: str, **token: Any
) -> Any:
    """A card button pressed in ``tenant``'s Teams, the activity signed for ``bot``."""
    activity = invoke_activity(
        user_id=user_id, tenant_id=tenant, bot_app_id=bot, verb=ACK_VERB, data=data
    )
    return env.post(activity, env.bf.token(activity, app_id=bot, now=env.now, **token))


def ack_data(env: BotEnv, email: str) -> dict[str, Any]:
    """The acknowledge button's data on ``email``'s card."""
    duty_id, sha, _ = env.duty(email, "acknowledge_policy")
    return {"duty": duty_id, "sha256": sha}


def acknowledged(env: BotEnv) -> list[str]:
    """Who acknowledged, by the audit."""
    return sorted(str(e.actor) for e in env.audit("policy.acknowledged"))


def test_each_bot_acts_for_its_own_tenants_people(trust: BotEnv) -> None:
    with time_machine.travel(at(MONDAY, 10), tick=False):
        answer = press(trust, EVE_ID, ack_data(trust, EVE), tenant=TENANT_B, bot=BOT_B)
        assert answer.status_code == 200 and answer.json()["statusCode"] == 200, answer.text
        answer = press(
            trust, AMY_ID, ack_data(trust, "amy@oak.example"), tenant=TENANT, bot=BOT_APP_ID
        )
        assert answer.json()["statusCode"] == 200, answer.text
    assert acknowledged(trust) == ["amy@oak.example", EVE]


def test_a_person_of_tenant_a_can_never_act_through_tenant_bs_bot(trust: BotEnv) -> None:
    with time_machine.travel(at(MONDAY, 10), tick=False):
        amy = ack_data(trust, "amy@oak.example")
        # Amy's id in an activity of tenant B's bot: nobody Elm knows
        answer = press(trust, AMY_ID, amy, tenant=TENANT_B, bot=BOT_B).json()
        assert answer["statusCode"] == 403 and "no record of you" in answer["value"]["message"]
        # Eve's id through tenant A's bot: nobody Oak knows
        answer = press(trust, EVE_ID, ack_data(trust, EVE), tenant=TENANT, bot=BOT_APP_ID)
        assert answer.json()["statusCode"] == 403  # an invoke's error rides in an HTTP 200
        # tenant B's activity on a token for tenant A's bot, and the reverse: refused outright
        assert (
            press(
                trust, EVE_ID, ack_data(trust, EVE), tenant=TENANT_B, bot=BOT_B, aud=BOT_APP_ID
            ).status_code
            == 401
        )
        assert (
            press(trust, AMY_ID, amy, tenant=TENANT, bot=BOT_APP_ID, aud=BOT_B).status_code == 401
        )
    assert acknowledged(trust) == []
