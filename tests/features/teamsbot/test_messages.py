"""``/api/messages`` acts only on activities the Bot Connector signed for this school's bot and
tenant (keys from the fake Connector's OpenID metadata, so the signature check is real); a
card's Acknowledge or Sign button records exactly one attestation bound to the version's
SHA-256, audited as via Teams, and answers with the refreshed card; a replay records nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from joserfc.jwk import RSAKey

from bot.core.models import Attestation, AuditEvent
from bot.features.teamsbot.cards import ACK_VERB, AUP_VERB, REFRESH_VERB
from bot.web.app import create_app
from tests.conftest import LiveServer, isolated
from tests.features.dashboard.test_cards import card_errors
from tests.features.teamsbot.support import (
    AMY_ID,
    BEN_ID,
    BOT_APP_ID,
    MONDAY,
    TENANT,
    BotEnv,
    bot_school,
)
from tests.support.fakes.botframework import FakeBotFramework, invoke_activity
from tests.support.helpers import SchoolBuilder, at
from tools.teams_smoke import card_lines

STRANGER = RSAKey.generate_key(2048, parameters={"kid": "bf-key-1", "use": "sig"})


def _ack(env: BotEnv, user: str = AMY_ID) -> dict[str, Any]:
    duty, sha, _ = env.duty(
        "amy@oak.example" if user == AMY_ID else "ben@oak.example", "acknowledge_policy"
    )
    return invoke_activity(
        user_id=user,
        tenant_id=TENANT,
        bot_app_id=BOT_APP_ID,
        verb=ACK_VERB,
        data={"duty": duty, "sha256": sha},
    )


def _texts(card: dict[str, Any]) -> str:
    return "\n".join(card_lines(card))


def _actions(card: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        a
        for c in card["body"]
        if c["type"] == "Container"
        for n in c["items"]
        if n["type"] == "ActionSet"
        for a in n["actions"]
    ]


def _changed(activity: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**activity, **changes}


REFUSED = {
    "no token": lambda env, a: (a, "", 401),
    "forged signature": lambda env, a: (
        a,
        env.bf.token(a, app_id=BOT_APP_ID, now=env.now, key=STRANGER),
        401,
    ),
    "key not endorsed for Teams": lambda env, a: (
        a,
        env.bf.token(a, app_id=BOT_APP_ID, now=env.now, kid="bf-key-webchat"),
        401,
    ),
    "expired": lambda env, a: (
        a,
        env.bf.token(a, app_id=BOT_APP_ID, now=env.now, nbf=env.now - 7200, exp=env.now - 3600),
        401,
    ),
    "wrong audience": lambda env, a: (a, env.bf.token(a, app_id="another-bot", now=env.now), 401),
    "wrong issuer": lambda env, a: (
        a,
        env.bf.token(a, app_id=BOT_APP_ID, now=env.now, iss="https://sts.windows.net/x/"),
        401,
    ),
    "wrong service URL": lambda env, a: (
        a,
        env.bf.token(
            a, app_id=BOT_APP_ID, now=env.now, serviceurl="https://smba.evil.example/teams/"
        ),
        401,
    ),
    "service URL changed after signing": lambda env, a: (
        _changed(a, serviceUrl="https://smba.evil.example/teams/"),
        env.bf.token(a, app_id=BOT_APP_ID, now=env.now),
        401,
    ),
    "wrong tenant": lambda env, a: (
        _changed(
            a,
            conversation={**a["conversation"], "tenantId": "another-tenant"},
            channelData={**a["channelData"], "tenant": {"id": "another-tenant"}},
        ),
        env.bf.token(a, app_id=BOT_APP_ID, now=env.now),
        403,
    ),
    "tenants disagree": lambda env, a: (
        _changed(a, channelData={**a["channelData"], "tenant": {"id": "another-tenant"}}),
        env.bf.token(a, app_id=BOT_APP_ID, now=env.now),
        403,
    ),
    "token from another tenant": lambda env, a: (
        a,
        env.bf.token(a, app_id=BOT_APP_ID, now=env.now, tid="another-tenant"),
        403,
    ),
    "not Teams": lambda env, a: (
        _changed(a, channelId="webchat"),
        env.bf.token(a, app_id=BOT_APP_ID, now=env.now),
        401,
    ),
}


@pytest.fixture(name="untouched", scope="module")
def untouched_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotEnv]:
    """The school with its bot (``env``), once for the refusals: a refused activity changes
    nothing, and each of them checks that it did not."""
    folder = tmp_path_factory.mktemp("bot")
    fake = FakeBotFramework()
    with LiveServer(fake.app) as server:
        fake.base = server.url
        with isolated(folder):
            ctx = bot_school(SchoolBuilder(folder / "school"), f"sqlite:///{folder / 't.db'}", fake)
        now = int(at(MONDAY, 10, 0).timestamp())
        yield BotEnv(ctx, create_app(ctx.settings, ctx), fake, now)
        ctx.store.dispose()


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_activities_not_signed_for_this_bot_and_tenant_are_refused(
    case: str, untouched: BotEnv, frozen_clock: Any
) -> None:
    env = untouched
    frozen_clock.at(MONDAY, 10, 0)
    activity, token, status = REFUSED[case](env, _ack(env))
    events = env.count(AuditEvent)
    response = env.client().post(
        "/api/messages",
        json=activity,
        headers={"Authorization": f"Bearer {token}"} if token else {},
    )
    assert response.status_code == status, response.text
    assert env.count(Attestation) == 0
    assert env.count(AuditEvent) == events


def test_acknowledge_records_once_bound_to_the_hash_and_refreshes_the_card(env: BotEnv) -> None:
    duty, sha, version_id = env.duty("amy@oak.example", "acknowledge_policy")
    activity = _ack(env)
    response = env.post(activity)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["statusCode"] == 200
    assert answer["type"] == "application/vnd.microsoft.card.adaptive"
    card = answer["value"]
    assert card_errors(card) == []
    text = _texts(card)
    assert "your acknowledgement of the Online Safety Policy (version 2026.1) is recorded" in text
    verbs = [a.get("verb") for a in _actions(card)]
    assert ACK_VERB not in verbs and AUP_VERB in verbs  # done for her; the AUP still waits
    assert card["refresh"]["userIds"] == [AMY_ID]
    assert card["refresh"]["action"]["verb"] == REFRESH_VERB
    with env.context.store.session() as session:
        [attestation] = session.query(Attestation).all()
        assert (attestation.duty_id, attestation.policy_version_id) == (duty, version_id)
        assert attestation.document_sha256 == sha
        assert attestation.method == "teams"
    [event] = env.audit("policy.acknowledged")
    assert event.actor == "amy@oak.example" and event.details["method"] == "teams"

    replay = env.post(activity)  # the same invoke again (a retry, or a replay)
    assert replay.status_code == 200
    assert "already recorded" in _texts(replay.json()["value"])
    assert env.count(Attestation) == 1
    assert len(env.audit("policy.acknowledged")) == 1


def test_a_button_for_another_version_or_person_records_nothing(env: BotEnv) -> None:
    duty, sha, _ = env.duty("amy@oak.example", "acknowledge_policy")
    stale = env.press(AMY_ID, ACK_VERB, {"duty": duty, "sha256": "0" * 64})
    assert "has changed since this card was made" in _texts(stale.json()["value"])
    theirs = env.press(BEN_ID, ACK_VERB, {"duty": duty, "sha256": sha})  # Amy's duty
    assert "not one of yours" in _texts(theirs.json()["value"])
    stranger = env.press(
        "0c2b9a1e-0000-4000-8000-0000000000ff", ACK_VERB, {"duty": duty, "sha256": sha}
    )
    assert stranger.json()["statusCode"] == 403
    assert env.count(Attestation) == 0


def test_aup_needs_the_typed_full_name_and_records_one_signature(env: BotEnv) -> None:
    duty, sha, version_id = env.duty("amy@oak.example", "sign_aup")
    card = env.press(AMY_ID, REFRESH_VERB, {}).json()["value"]
    assert card_errors(card) == []
    inputs = [n for n in card["body"][-1]["items"] if n["type"].startswith("Input.")]
    assert [i["id"] for i in inputs] == [f"name-{duty}", f"consent-{duty}"]
    wrong = env.press(
        AMY_ID,
        AUP_VERB,
        {"duty": duty, "sha256": sha, f"name-{duty}": "Someone Else", f"consent-{duty}": "yes"},
    )
    assert "does not match the name the school has for you" in _texts(wrong.json()["value"])
    assert env.count(Attestation) == 0
    signed = env.press(
        AMY_ID,
        AUP_VERB,
        {"duty": duty, "sha256": sha, f"name-{duty}": "amy  ABLE", f"consent-{duty}": "yes"},
    )
    assert "your signature of the Social Media AUP" in _texts(signed.json()["value"])
    with env.context.store.session() as session:
        [attestation] = session.query(Attestation).all()
        assert attestation.kind == "aup_signature" and attestation.typed_name == "amy  ABLE"
        assert (attestation.policy_version_id, attestation.document_sha256) == (version_id, sha)
        assert attestation.method == "teams"
    env.press(
        AMY_ID,
        AUP_VERB,
        {"duty": duty, "sha256": sha, f"name-{duty}": "Amy Able", f"consent-{duty}": "yes"},
    )
    assert env.count(Attestation) == 1


def test_refresh_shows_each_item_with_its_statement_and_buttons(env: BotEnv) -> None:
    card = env.press(AMY_ID, REFRESH_VERB, {}).json()["value"]
    text = _texts(card)
    assert "What Oak Test School needs from you" in text
    assert "Online Safety Policy (version 2026.1)" in text
    actions = _actions(card)
    duty, sha, _ = env.duty("amy@oak.example", "acknowledge_policy")
    assert {
        "type": "Action.Execute",
        "title": "Acknowledge",
        "verb": ACK_VERB,
        "data": {"duty": duty, "sha256": sha},
        "associatedInputs": "None",
        "style": "positive",
    } in actions
    reads = [a["url"] for a in actions if a["type"] == "Action.OpenUrl"]
    assert all(u.startswith("https://oak.example/a") for u in reads)
    assert env.count(Attestation) == 0  # showing the card records nothing


@pytest.mark.parametrize("audience", ["{app}", "api://{app}", "api://botid-{app}"])
def test_every_audience_microsoft_sends_the_bot_is_accepted(env: BotEnv, audience: str) -> None:
    """Entra-registered bots receive ``api://botid-{app id}`` (and ``api://{app id}``), as
    Microsoft's Teams SDK accepts: a press under each is recorded."""
    response = env.post(_ack(env), aud=audience.format(app=BOT_APP_ID))
    assert response.status_code == 200 and response.json()["statusCode"] == 200
    assert env.count(Attestation) == 1
