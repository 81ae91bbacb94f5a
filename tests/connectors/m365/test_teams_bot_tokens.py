"""The Teams bot's tokens come from the connector's own credential through azure-identity:
a certificate-only school gets its bot; a bot with an app registration of its own uses its
secret; the bulk feed call gets a token with 45 minutes left and a 412 is a retry with a
fresh one; and the fake Graph enforces Microsoft's rules for it (45 minutes, 100 recipients)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

pytest.importorskip("azure.identity", reason="azure-identity is not installed (the m365 extra)")

from bot.core.ports import CardMessage, RetryableError, SetupError
from connectors.m365.connector import build
from connectors.m365.teams_bot import TeamsBot
from tests.connectors.contract.kit_m365 import m365_settings
from tests.support.conformance import PROBLEMS
from tests.support.fakes.graph import (
    BOT_SCOPE,
    CATALOG_APP_ID,
    CLIENT_ID,
    GRAPH,
    FakeClock,
    FakeGraph,
)

BULK = "/teamwork/sendActivityNotificationToRecipients"
AMY = "0c2b9a1e-0000-4000-8000-00000000a0a1"
OWN_BOT = "2f4e6a8c-1b3d-4e5f-8a9b-0c1d2e3f4a5b"  # fictional: a bot registration of its own
OWN_SECRET = "fake-bot-secret-for-tests"  # fictional

pytestmark = pytest.mark.usefixtures("no_network")


@pytest.fixture
def fake() -> FakeGraph:
    fake = FakeGraph(clock=FakeClock())
    fake.add_user(AMY, "Amy Able", "amy@oakfield.example")
    return fake


def bot_of(fake: FakeGraph, tmp_path: Path, **m365: Any) -> TeamsBot:
    settings = m365_settings(
        tmp_path, **{"bot_app_id": CLIENT_ID, "teams_catalog_app_id": CATALOG_APP_ID, **m365}
    )
    chat = build(settings, transport=fake.transport, clock=fake.clock, sleep=fake.clock.sleep).chat
    assert isinstance(chat, TeamsBot)
    return chat


def card_to(chat: str) -> CardMessage:
    return CardMessage(
        "needs:amy",
        "What Oakfield needs from you",
        "",
        {
            "conversation": chat,
            "service_url": "https://smba.trafficmanager.net/emea/",
            "card": {"type": "AdaptiveCard", "version": "1.5", "body": []},
        },
    )


def form(request: httpx.Request) -> dict[str, str]:
    from urllib.parse import parse_qs

    return {k: v[0] for k, v in parse_qs(request.content.decode()).items()}


def test_a_certificate_only_school_gets_its_bot(
    fake: FakeGraph, tmp_path: Path, certificate: tuple[Path, str]
) -> None:
    """deploy/m365.md section 4's preferred credential: no client secret at all. The bot
    installs itself (Graph) and posts its card (Bot Connector), both with certificate tokens."""
    path, x5t = certificate
    fake.certificate_thumbprints.add(x5t)
    bot = bot_of(fake, tmp_path, client_secret=None, certificate_path=path)
    chat = bot.install(AMY)
    assert bot.post(card_to(chat)).provider_id
    assert [c["user"] for c in fake.chat_cards] == [AMY]
    scopes = sorted(form(r)["scope"] for r in fake.token_requests())
    assert scopes == [BOT_SCOPE, "https://graph.microsoft.com/.default"]
    assert all(
        "client_assertion" in form(r) and "client_secret" not in form(r)
        for r in fake.token_requests()
    )


def test_a_certificate_and_a_bot_secret_the_bot_of_its_own_uses_its_secret(
    fake: FakeGraph, tmp_path: Path, certificate: tuple[Path, str]
) -> None:
    path, x5t = certificate
    fake.certificate_thumbprints.add(x5t)
    fake.apps[OWN_BOT] = OWN_SECRET
    bot = bot_of(
        fake,
        tmp_path,
        client_secret=None,
        certificate_path=path,
        bot_app_id=OWN_BOT,
        bot_app_secret=SecretStr(OWN_SECRET),
    )
    bot.post(card_to(bot.install(AMY)))
    by_scope = {form(r)["scope"]: form(r) for r in fake.token_requests()}
    assert by_scope[BOT_SCOPE]["client_id"] == OWN_BOT
    assert by_scope[BOT_SCOPE]["client_secret"] == OWN_SECRET
    assert "client_assertion" in by_scope["https://graph.microsoft.com/.default"]


def test_a_bot_of_its_own_without_its_secret_is_off_and_says_why(
    fake: FakeGraph, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = m365_settings(tmp_path, bot_app_id=OWN_BOT, teams_catalog_app_id=CATALOG_APP_ID)
    assert build(settings, transport=fake.transport).chat is None
    assert any("COMPLIANCE_BOT_M365__BOT_APP_SECRET" in r.getMessage() for r in caplog.records)


def test_a_wrong_secret_is_a_setup_error_naming_the_code(fake: FakeGraph, tmp_path: Path) -> None:
    fake.apps[OWN_BOT] = OWN_SECRET
    bot = bot_of(fake, tmp_path, bot_app_id=OWN_BOT, bot_app_secret=SecretStr("wrong"))
    with pytest.raises(SetupError, match="AADSTS7000215") as caught:
        bot.connector_token()
    assert "wrong" not in str(caught.value) and OWN_SECRET not in str(caught.value)


def test_the_bulk_call_gets_a_token_with_45_minutes_left(
    fake: FakeGraph, tmp_path: Path, time_machine: Any
) -> None:
    """A token cached 20 minutes (40 left) is fine for every other call but not the bulk
    call: that one gets a new token, and Graph accepts it."""
    time_machine.move_to("2026-10-19T09:00:00Z", tick=False)
    fake.installed[AMY] = "inst-amy"
    bot = bot_of(fake, tmp_path)
    bot.notify(AMY, activity_type="needsReminder", preview="p", web_url="https://o.example/")
    time_machine.move_to("2026-10-19T09:20:00Z", tick=False)
    bot.notify(AMY, activity_type="needsReminder", preview="p", web_url="https://o.example/")
    assert len(fake.token_requests()) == 1  # the cached token still serves a single nudge
    bot.notify_many([AMY], activity_type="needsReminder", preview="p", web_url="https://o.example/")
    assert len(fake.token_requests()) == 2 and fake.bulk_refused == 0
    assert fake.bulk_calls == [1]


def test_a_412_is_a_retry_with_a_fresh_token_never_an_unknown_outcome(
    fake: FakeGraph, tmp_path: Path
) -> None:
    fake.installed[AMY] = "inst-amy"
    bot = bot_of(fake, tmp_path)
    fake.fail("POST", BULK, status=412)
    bot.notify_many([AMY], activity_type="needsReminder", preview="p", web_url="https://o.example/")
    assert fake.bulk_calls == [1] and len(fake.token_requests()) == 2
    fake.fail("POST", BULK, status=412, times=2)  # refused twice: "not now", never "unknown"
    with pytest.raises(RetryableError, match="412"):
        bot.notify_many(
            [AMY], activity_type="needsReminder", preview="p", web_url="https://o.example/"
        )


def test_the_fake_enforces_the_45_minutes_and_the_100_recipients(
    fake: FakeGraph, time_machine: Any
) -> None:
    """Guards the tests above: Graph's own rules for the bulk call, with Graph's error body."""
    time_machine.move_to("2026-10-19T09:00:00Z", tick=False)
    token = fake.access_token
    body = {
        "topic": {"source": "text", "value": "Compliance", "webUrl": "https://o.example/"},
        "activityType": "needsReminder",
        "previewText": {"content": "p"},
        "recipients": [
            {"@odata.type": "#microsoft.graph.aadUserNotificationRecipient", "userId": f"u-{n}"}
            for n in range(101)
        ],
    }
    with httpx.Client(transport=fake.transport) as http:

        def call(json: dict[str, Any]) -> httpx.Response:
            return http.post(GRAPH + BULK, json=json, headers={"Authorization": f"Bearer {token}"})

        assert call(body).status_code == 400
        assert call({**body, "recipients": body["recipients"][:100]}).status_code == 202
        time_machine.move_to("2026-10-19T09:15:00Z", tick=False)  # 44m59s left
        refused = call({**body, "recipients": body["recipients"][:1]})
        assert refused.status_code == 412
        assert refused.json()["error"]["code"] == "PreconditionFailed"
        assert "45 minutes" in refused.json()["error"]["message"]
        time_machine.move_to("2026-10-19T10:00:00Z", tick=False)
        assert call(body).status_code == 401  # expired
    over = "request.recipients: 101 items, over Graph's documented limit of 100 a request"
    assert [p for p in PROBLEMS if over not in p] == []  # the checker names the over-limit calls
    PROBLEMS.clear()


def test_the_bulk_call_takes_100_recipients_and_refuses_the_101st_before_calling_graph(
    fake: FakeGraph, tmp_path: Path
) -> None:
    """Graph's documented limit: 100 recipients a sendActivityNotificationToRecipients call."""
    bot = bot_of(fake, tmp_path)
    people = [f"0c2b9a1e-0000-4000-8000-{n:012d}" for n in range(101)]
    bot.notify_many(
        people[:100], activity_type="needsReminder", preview="p", web_url="https://o.example/"
    )
    assert fake.bulk_calls == [100]
    with pytest.raises(ValueError, match="1 to 100 recipients a call, not 101"):
        bot.notify_many(
            people, activity_type="needsReminder", preview="p", web_url="https://o.example/"
        )
    assert fake.bulk_calls == [100]  # nothing sent: Graph would refuse the whole call


def _installs(fake: FakeGraph) -> list[Any]:
    import json

    return [
        json.loads(r.content)
        for r in fake.requests
        if r.method == "POST" and r.url.path.endswith("/teamwork/installedApps")
    ]


def test_the_bots_install_consents_to_what_the_manifest_declares(
    fake: FakeGraph, tmp_path: Path
) -> None:
    """The manifest declares the application RSC permission TeamsActivity.Send.User, so the
    bot's own install carries consentedPermissionSet with exactly what the package declares
    (Learn, "Install app for user", example 2), and the fake, like Graph, accepts it."""
    from bot.features.dashboard.teams_package import build_manifest

    manifest = build_manifest("bot.oakfield.example", CATALOG_APP_ID, bot_app_id=CLIENT_ID)
    declared = [
        {"permissionValue": p["name"], "permissionType": p["type"]}
        for p in manifest["authorization"]["permissions"]["resourceSpecific"]
    ]
    bot = bot_of(fake, tmp_path)
    assert bot.install(AMY)
    [body] = _installs(fake)
    assert body == {
        "teamsApp@odata.bind": f"{GRAPH}/appCatalogs/teamsApps/{CATALOG_APP_ID}",
        "consentedPermissionSet": {"resourceSpecificPermissions": declared},
    }
    assert declared == [
        {"permissionValue": "TeamsActivity.Send.User", "permissionType": "Application"}
    ]


def test_graph_refuses_a_bare_install_of_an_app_with_application_rsc(
    fake: FakeGraph, tmp_path: Path
) -> None:
    """A bare ``teamsApp@odata.bind`` install (or one consenting to something else) of an app
    whose definition declares application RSC permissions is refused with Graph's error body;
    ``…ReadWriteSelfForUser.All`` alone cannot install it."""
    bot = bot_of(fake, tmp_path)
    path = f"/users/{AMY}/teamwork/installedApps"
    bind = f"{GRAPH}/appCatalogs/teamsApps/{CATALOG_APP_ID}"
    bare = bot._graph("POST", path, json={"teamsApp@odata.bind": bind})
    assert bare.status_code == 400
    assert bare.json()["error"]["code"] == "BadRequest"
    assert "consentedPermissionSet" in bare.json()["error"]["message"]
    other = bot._graph(
        "POST",
        path,
        json={
            "teamsApp@odata.bind": bind,
            "consentedPermissionSet": {
                "resourceSpecificPermissions": [
                    {"permissionValue": "ChatMessage.Read.Chat", "permissionType": "Application"}
                ]
            },
        },
    )
    assert other.status_code == 400
    assert AMY not in fake.installed
    fake.granted.discard("TeamsAppInstallation.ReadWriteAndConsentSelfForUser.All")
    with pytest.raises(Exception, match="403"):
        bot.install(AMY)
    assert AMY not in fake.installed
    fake.catalog_rsc = {("TeamsActivity.Send.User", "Delegated")}  # delegated RSC only
    bare = bot._graph("POST", path, json={"teamsApp@odata.bind": bind})
    assert bare.status_code == 201  # Learn: delegated-only permissions may be omitted
