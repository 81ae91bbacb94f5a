"""ChatWebhookNotifier against the fake Chat space webhook: threads, size, errors, secrecy."""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx
import pytest

from bot.core.ports import (
    CardMessage,
    DeliveryUnknownError,
    Notifier,
    PermanentError,
    RetryableError,
    SetupError,
)
from connectors.google.chat import ChatWebhookNotifier

pytest.importorskip("httplib2", reason="the fake Google needs httplib2")

from tests.support.fakes.google import WEBHOOK_URL, FakeGoogle

DIGEST: dict[str, Any] = {
    "text": "Weekly compliance digest",
    "cardsV2": [
        {
            "cardId": "digest-2026-W48",
            "card": {
                "header": {"title": "Compliance: week 48"},
                "sections": [{"widgets": [{"textParagraph": {"text": "12 overdue"}}]}],
            },
        }
    ],
    "thread": {"threadKey": "digest-2026-W48"},
}


def card(payload: dict[str, Any] | None = None, key: str = "digest:2026-W48") -> CardMessage:
    return CardMessage(
        key, "Weekly digest", "12 overdue", {}, DIGEST if payload is None else payload
    )


@pytest.fixture
def fake() -> FakeGoogle:
    return FakeGoogle()


@pytest.fixture
def notifier(fake: FakeGoogle) -> ChatWebhookNotifier:
    return ChatWebhookNotifier(WEBHOOK_URL, transport=fake.chat_transport())


def test_posts_the_chat_payload_into_the_weeks_thread(
    notifier: ChatWebhookNotifier, fake: FakeGoogle
) -> None:
    result = notifier.post(card())
    assert fake.chat_posts == [DIGEST]
    [request] = fake.chat_requests
    params = dict(request.url.params)
    assert params["messageReplyOption"] == "REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD"
    assert "threadKey" not in params  # deprecated query form: the key travels in the body
    assert params["key"] == "fake-key" and params["token"] == "fake-token"
    assert request.headers["content-type"].startswith("application/json")
    assert json.loads(request.content)["thread"] == {"threadKey": "digest-2026-W48"}
    assert result.provider_id is not None and result.provider_id.startswith("spaces/AAAAfake/")
    assert isinstance(notifier, Notifier)


def test_no_thread_key_means_no_reply_option(
    notifier: ChatWebhookNotifier, fake: FakeGoogle
) -> None:
    notifier.post(card({"text": "One-off"}))
    assert "messageReplyOption" not in dict(fake.chat_requests[0].url.params)


def test_same_card_twice_is_one_message(notifier: ChatWebhookNotifier, fake: FakeGoogle) -> None:
    first = notifier.post(card())
    second = notifier.post(card())
    assert len(fake.chat_posts) == 1
    assert first == second
    ids = {dict(r.url.params)["requestId"] for r in fake.chat_requests}
    assert len(ids) == 1


def test_empty_chat_payload_falls_back_to_text(
    notifier: ChatWebhookNotifier, fake: FakeGoogle
) -> None:
    notifier.post(card({}))
    assert fake.chat_posts == [{"text": "*Weekly digest*\n12 overdue"}]


def test_payload_over_32000_bytes_is_refused_without_a_request(
    notifier: ChatWebhookNotifier, fake: FakeGoogle
) -> None:
    big = {"text": "é" * 16_001}  # 32,002 bytes of UTF-8 before the JSON around it
    with pytest.raises(PermanentError) as caught:
        notifier.post(card(big))
    assert "32000" in str(caught.value)
    assert fake.chat_requests == []


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (429, RetryableError),
        (500, DeliveryUnknownError),
        (503, DeliveryUnknownError),
        (400, PermanentError),
        (403, SetupError),
        (404, SetupError),
    ],
)
def test_status_mapping(
    notifier: ChatWebhookNotifier, fake: FakeGoogle, status: int, error: type[Exception]
) -> None:
    fake.fail_next("chat", status, message="nope", headers={"Retry-After": "7"})
    with pytest.raises(error) as caught:
        notifier.post(card())
    if status in (429, 500, 503):
        assert isinstance(caught.value, RetryableError | DeliveryUnknownError)
        assert caught.value.retry_after == 7.0
    assert "fake-token" not in str(caught.value)


def test_unreachable_is_retryable_and_lost_answer_unknown(fake: FakeGoogle) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    def lose(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    with pytest.raises(RetryableError) as refused:
        ChatWebhookNotifier(WEBHOOK_URL, transport=httpx.MockTransport(refuse)).post(card())
    with pytest.raises(DeliveryUnknownError) as lost:
        ChatWebhookNotifier(WEBHOOK_URL, transport=httpx.MockTransport(lose)).post(card())
    for caught in (refused, lost):
        assert "fake-token" not in str(caught.value)
        assert caught.value.__cause__ is None  # httpx errors carry the secret URL


def test_webhook_url_never_shows(notifier: ChatWebhookNotifier) -> None:
    assert "fake-token" not in repr(notifier) and "fake-key" not in repr(notifier)


def test_the_webhook_url_is_never_logged(
    notifier: ChatWebhookNotifier, caplog: pytest.LogCaptureFixture
) -> None:
    """httpx's client logs each request's URL at INFO; the webhook's key and token are secret,
    so the card is posted on the transport itself (it went through the client before)."""
    with caplog.at_level(logging.DEBUG):
        notifier.post(card())
    assert "fake-token" not in caplog.text and "fake-key" not in caplog.text
