"""The Google Chat app outward (``GoogleChatApp``) against the fake Chat API: a person's direct
message found, or set up once as them; a card posted once under its key; Chat's limits kept
(the fake answers 429 past them, and never does here); a 429 handed to the outbox."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

pytest.importorskip("googleapiclient", reason="needs google-api-python-client")

from bot.core.ports import GOOGLE_CHAT_SERVICE, CardMessage, ChatBot, PermanentError, RetryableError
from connectors.google.chat_app import SETUPS_PER_MINUTE, GoogleChatApp, message_id
from connectors.google.client import GoogleClient
from tests.connectors.contract.kit_google import build_google, google_settings, seeded_fake
from tests.support.conformance import PROBLEMS
from tests.support.fakes.google import SA_EMAIL, FakeGoogle, ManualClock, no_real_http  # noqa: F401

pytestmark = pytest.mark.usefixtures("no_real_http")
PROJECT = "123456789012"
CARD: dict[str, Any] = {
    "fallbackText": "What Oakfield needs from you",
    "cardsV2": [
        {
            "cardId": "needs",
            "card": {
                "header": {"title": "What Oakfield needs from you"},
                "sections": [{"widgets": [{"textParagraph": {"text": "Hello Ada."}}]}],
            },
        }
    ],
}


def app_over(tmp_path: Path, fake: FakeGoogle, clock: ManualClock) -> GoogleChatApp:
    client = GoogleClient.from_settings(
        google_settings(tmp_path, chat_project_number=PROJECT).google, http=fake
    )
    return GoogleChatApp(client.chat(), client.chat_as, clock=clock, sleep=clock.sleep)


@pytest.fixture
def fake() -> FakeGoogle:
    return seeded_fake()


@pytest.fixture
def clock(fake: FakeGoogle) -> ManualClock:
    clock = ManualClock()
    fake.chat_clock = clock
    return clock


@pytest.fixture
def app(tmp_path: Path, fake: FakeGoogle, clock: ManualClock) -> GoogleChatApp:
    return app_over(tmp_path, fake, clock)


def staff(fake: FakeGoogle) -> list[dict[str, Any]]:
    return [u for u in fake.users if not u.get("suspended")][2:]  # not the admin, the sender


def card(space: str, key: str = "reminder:p1:2026-11-30") -> CardMessage:
    return CardMessage(
        key,
        "What Oakfield needs from you",
        "",
        {"conversation": space, "service_url": GOOGLE_CHAT_SERVICE, "card": CARD},
    )


def test_the_google_connector_has_a_chat_app_once_its_project_is_set(
    tmp_path: Path, fake: FakeGoogle
) -> None:
    assert build_google(tmp_path, fake).chat is None
    bot = build_google(tmp_path, fake, chat_project_number=PROJECT).chat
    assert isinstance(bot, GoogleChatApp) and isinstance(bot, ChatBot)
    assert bot.platform == "chat"


def test_an_app_installed_for_everyone_finds_each_dm_and_sets_none_up(
    app: GoogleChatApp, fake: FakeGoogle
) -> None:
    fake.chat_installed_for_all = True
    person = staff(fake)[0]
    space = app.install(person["id"], person["primaryEmail"])
    assert space == fake.chat_dms[person["id"]]
    assert [r.method_id for r in fake.requests] == ["chat.spaces.findDirectMessage"]
    assert fake.requests[0].query == {"name": f"users/{person['id']}", "alt": "json"}


def test_a_missing_dm_is_set_up_as_the_person_once(app: GoogleChatApp, fake: FakeGoogle) -> None:
    person = staff(fake)[0]
    space = app.install(person["id"], person["primaryEmail"])
    setup = fake.calls("chat.spaces.setup")
    assert len(setup) == 1 and setup[0].principal == person["primaryEmail"]
    assert setup[0].json() == {"space": {"spaceType": "DIRECT_MESSAGE", "singleUserBotDm": True}}
    assert app.install(person["id"], person["primaryEmail"]) == space  # found now
    assert len(fake.calls("chat.spaces.setup")) == 1
    assert {r.principal for r in fake.calls("chat.spaces.findDirectMessage")} == {SA_EMAIL}


def test_no_dm_and_no_address_is_no_chat(app: GoogleChatApp, fake: FakeGoogle) -> None:
    with pytest.raises(PermanentError, match="no address"):
        app.install(staff(fake)[0]["id"])
    assert not fake.calls("chat.spaces.setup")


def test_set_ups_stop_short_of_chats_sixty_a_minute_and_go_on_a_minute_later(
    app: GoogleChatApp, fake: FakeGoogle, clock: ManualClock
) -> None:
    for n in range(70):
        fake.add_user(f"new{n}@oakfield.example", f"New {n}")
    people = [u for u in fake.users if u["primaryEmail"].startswith("new")]
    reached = 0
    with pytest.raises(RetryableError, match="set-ups") as paused:
        for person in people:
            app.install(person["id"], person["primaryEmail"])
            reached += 1
    assert reached == SETUPS_PER_MINUTE and not fake.chat_throttled
    assert paused.value.retry_after is not None and 0 < paused.value.retry_after <= 60
    clock.sleep(paused.value.retry_after)
    app.install(people[reached]["id"], people[reached]["primaryEmail"])
    assert len(fake.calls("chat.spaces.setup")) == SETUPS_PER_MINUTE + 1


def test_a_card_goes_once_under_its_key(app: GoogleChatApp, fake: FakeGoogle) -> None:
    person = staff(fake)[0]
    space = app.install(person["id"], person["primaryEmail"])
    first = app.post(card(space))
    again = app.post(card(space))  # a retry after a lost answer: Chat returns the same
    ours = message_id(card(space).idempotency_key)
    assert first.provider_id == again.provider_id == f"{space}/messages/{ours}"
    assert len(fake.chat_messages) == 1
    (made,) = fake.chat_messages.values()
    assert made.body == CARD
    created = fake.calls("chat.spaces.messages.create")
    assert created[0].query["messageId"].startswith("client-")
    assert created[0].query["requestId"] == created[1].query["requestId"]


def test_a_taken_message_id_means_it_went_before(app: GoogleChatApp, fake: FakeGoogle) -> None:
    person = staff(fake)[0]
    space = app.install(person["id"], person["primaryEmail"])
    app.post(card(space))
    fake.chat_by_request.clear()  # Chat forgot the request id: the message id still holds
    assert app.post(card(space)).provider_id is not None
    assert len(fake.chat_messages) == 1


def test_two_writes_in_one_space_are_a_second_apart(
    app: GoogleChatApp, fake: FakeGoogle, clock: ManualClock
) -> None:
    person = staff(fake)[0]
    space = app.install(person["id"], person["primaryEmail"])
    app.post(card(space, "a"))
    app.post(card(space, "b"))
    times = sorted(m.at for m in fake.chat_messages.values())
    assert times[1] - times[0] >= 1.0


def test_chats_429_is_handed_to_the_outbox_with_its_retry_after(
    app: GoogleChatApp, fake: FakeGoogle
) -> None:
    person = staff(fake)[0]
    space = app.install(person["id"], person["primaryEmail"])
    fake.fail_next(
        "chat.spaces.messages.create",
        429,
        reason="rateLimitExceeded",
        headers={"Retry-After": "30"},
    )
    with pytest.raises(RetryableError) as throttled:
        app.post(card(space))
    assert throttled.value.retry_after == 30
    assert not fake.chat_messages


def test_a_card_chat_would_refuse_is_refused_here(app: GoogleChatApp, fake: FakeGoogle) -> None:
    person = staff(fake)[0]
    space = app.install(person["id"], person["primaryEmail"])
    bad = {
        "cardsV2": [
            {
                "cardId": "x",
                "card": {"sections": [{"widgets": [{"textParagraf": {"text": "misspelt"}}]}]},
            }
        ]
    }
    with pytest.raises(PermanentError):
        app.post(CardMessage("k", "t", "", {"conversation": space, "card": bad}))
    assert any("textParagraf" in p for p in PROBLEMS)
    PROBLEMS.clear()  # the refusal was the point


def test_the_fake_refuses_past_chats_limits(
    app: GoogleChatApp, fake: FakeGoogle, clock: ManualClock
) -> None:
    """The fake's own limit (60 writes a minute in one space), met by ignoring the app's pace."""
    person = staff(fake)[0]
    space = app.install(person["id"], person["primaryEmail"])
    app.pacer = SimpleNamespace(take=lambda limits: 0.0)  # counts nothing
    for n in range(60):
        app.post(card(space, f"k{n}"))
    with pytest.raises(RetryableError):
        app.post(card(space, "one too many"))
    assert fake.chat_throttled == {"writes per space": 1}
