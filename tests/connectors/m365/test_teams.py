"""WorkflowsNotifier against the fake Teams Workflows webhook: the payload, the run id, errors,
and the secret URL; and the weekly digest card delivered by the outbox to Teams."""

from __future__ import annotations

import json
import logging
import re
import socket
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import select

pytest.importorskip("msgraph", reason="msgraph-sdk is not installed (uv sync --extra m365)")

from bot.core.days.clock import LONDON
from bot.core.models import OutboxMessage
from bot.core.outbox import dispatch
from bot.core.ports import (
    CardMessage,
    DeliveryUnknownError,
    Notifier,
    PermanentError,
    RetryableError,
    SetupError,
)
from bot.core.rendering.cards import teams_workflow_payload
from bot.features.dashboard.cards import adaptive_card
from bot.features.dashboard.digest import queue_digest
from connectors.m365.connector import build
from connectors.m365.teams import WorkflowsNotifier
from tests.connectors.contract.kit_m365 import m365_settings
from tests.features.dashboard.test_cards import card_errors, figures
from tests.features.dashboard.test_support import SECRET, Env
from tests.support.fakes.graph import (
    WEBHOOK_HOST,
    WEBHOOK_PATH,
    WEBHOOK_SIG,
    WEBHOOK_URL,
    FakeClock,
    FakeGraph,
)

pytest_plugins = ("tests.features.dashboard.test_support",)  # the env and frozen fixtures

VARIABLE = "COMPLIANCE_BOT_M365__TEAMS_WEBHOOK_URL"
WEBHOOK = re.escape(WEBHOOK_PATH)
RUN_ID = re.compile(r"08585\d{15}")
PAYLOAD = teams_workflow_payload(adaptive_card(figures()))


class Recorder:
    """The fake webhook as a transport handler that also keeps each response it gave."""

    def __init__(self, fake: FakeGraph) -> None:
        self.fake = fake
        self.responses: list[httpx.Response] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        response = self.fake.handler(request)
        self.responses.append(response)
        return response


def card(payload: dict[str, Any] | None = None, key: str = "digest:oak:2026-W48") -> CardMessage:
    return CardMessage(
        key, "Weekly digest", "12 overdue", PAYLOAD if payload is None else payload, {}
    )


@pytest.fixture
def fake() -> FakeGraph:
    return FakeGraph(clock=FakeClock())


@pytest.fixture
def recorder(fake: FakeGraph) -> Recorder:
    return Recorder(fake)


@pytest.fixture
def notifier(recorder: Recorder) -> WorkflowsNotifier:
    return WorkflowsNotifier(SecretStr(WEBHOOK_URL), transport=httpx.MockTransport(recorder))


def errors_chain(exc: BaseException | None) -> list[BaseException]:
    found: list[BaseException] = []
    while exc is not None and exc not in found:
        found.append(exc)
        exc = exc.__cause__ or exc.__context__
    return found


def canonical(payload: Any) -> str:
    return json.dumps(payload, sort_keys=True)


def assert_no_secret(text: str, *secrets: str) -> None:
    for secret in (WEBHOOK_URL, WEBHOOK_SIG, *secrets):
        assert secret not in text


# --------------------------------------------------------------------------- delivery


def test_posts_exactly_the_cards_teams_payload(
    notifier: WorkflowsNotifier, fake: FakeGraph, recorder: Recorder
) -> None:
    result = notifier.post(card())

    assert fake.posted == [PAYLOAD]
    [request] = fake.requests
    assert (request.method, request.url.host, request.url.path) == (
        "POST",
        WEBHOOK_HOST,
        WEBHOOK_PATH,
    )
    assert request.url.params["sig"] == WEBHOOK_SIG
    assert request.headers["content-type"] == "application/json"
    sent = json.loads(request.content)
    assert sent == PAYLOAD
    assert sent["type"] == "message"
    [attachment] = sent["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert attachment["content"]["type"] == "AdaptiveCard"
    assert card_errors(attachment["content"]) == []
    [response] = recorder.responses
    assert response.status_code == 202
    assert result.provider_id == response.headers["x-ms-workflow-run-id"]
    assert RUN_ID.fullmatch(result.provider_id or "")
    assert isinstance(notifier, Notifier)
    assert fake.rejected == []


def test_each_post_is_its_own_run(notifier: WorkflowsNotifier, fake: FakeGraph) -> None:
    first = notifier.post(card(key="digest:oak:2026-W48"))
    second = notifier.post(card(key="digest:oak:2026-W49"))
    assert len(fake.posted) == 2
    assert first.provider_id != second.provider_id


def test_a_card_without_a_teams_payload_is_refused_before_any_request(
    notifier: WorkflowsNotifier, fake: FakeGraph
) -> None:
    with pytest.raises(PermanentError) as caught:
        notifier.post(card({}))
    assert "digest:oak:2026-W48" in str(caught.value) and "Teams payload" in str(caught.value)
    assert fake.requests == []


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(("header", "expected"), [("7", 7.0), ("120", 120.0), (None, None)])
def test_throttled_is_retryable_with_retry_after(
    notifier: WorkflowsNotifier, fake: FakeGraph, header: str | None, expected: float | None
) -> None:
    fake.fail("POST", WEBHOOK, status=429, headers={"Retry-After": header} if header else {})
    with pytest.raises(RetryableError) as caught:
        notifier.post(card())
    assert caught.value.retry_after == expected
    assert "429" in str(caught.value)
    assert fake.posted == [] and len(fake.requests) == 1


def test_throttled_with_an_http_date_retry_after(
    notifier: WorkflowsNotifier, fake: FakeGraph
) -> None:
    from email.utils import format_datetime

    when = format_datetime(datetime.now(UTC) + timedelta(seconds=90), usegmt=True)
    fake.fail("POST", WEBHOOK, status=429, headers={"Retry-After": when})
    with pytest.raises(RetryableError) as caught:
        notifier.post(card())
    assert caught.value.retry_after is not None and 80 <= caught.value.retry_after <= 90


@pytest.mark.parametrize("status", [500, 502, 503, 504])
@pytest.mark.parametrize("processed", [False, True])
def test_server_errors_are_delivery_unknown_and_not_resent(
    notifier: WorkflowsNotifier, fake: FakeGraph, status: int, processed: bool
) -> None:
    fake.fail("POST", WEBHOOK, status=status, deliver=processed)
    with pytest.raises(DeliveryUnknownError) as caught:
        notifier.post(card())
    assert str(status) in str(caught.value)
    assert len(fake.requests) == 1  # one attempt, whatever happened behind it
    assert len(fake.posted) == (1 if processed else 0)


@pytest.mark.parametrize(
    "lost",
    [
        lambda r: httpx.ReadError("[Errno 104] Connection reset by peer", request=r),
        lambda r: httpx.RemoteProtocolError(
            "Server disconnected without sending a response.", request=r
        ),
        lambda r: httpx.ReadTimeout("The read operation timed out", request=r),
    ],
    ids=["reset", "disconnected", "read-timeout"],
)
def test_an_answer_lost_after_sending_is_delivery_unknown(
    notifier: WorkflowsNotifier, fake: FakeGraph, lost: Any
) -> None:
    fake.fail("POST", WEBHOOK, exception=lost, deliver=True)  # the flow ran; the reply was lost
    with pytest.raises(DeliveryUnknownError) as caught:
        notifier.post(card())
    assert "not resent" in str(caught.value)
    assert len(fake.posted) == 1 and len(fake.requests) == 1


@pytest.mark.parametrize(
    "refused",
    [
        lambda r: httpx.ConnectError("[Errno 111] Connection refused", request=r),
        lambda r: httpx.ConnectTimeout("timed out", request=r),
        lambda r: httpx.PoolTimeout("no connection available", request=r),
    ],
    ids=["refused", "connect-timeout", "pool-timeout"],
)
def test_a_connection_never_made_is_retryable(
    notifier: WorkflowsNotifier, fake: FakeGraph, refused: Any
) -> None:
    fake.fail("POST", WEBHOOK, exception=refused)
    with pytest.raises(RetryableError) as caught:
        notifier.post(card())
    assert "unreachable" in str(caught.value)
    assert fake.posted == []
    notifier.post(card())  # safe to try again: it arrives once
    assert fake.posted == [PAYLOAD]


def test_a_bad_signature_is_a_setup_problem_and_names_the_variable(
    fake: FakeGraph, recorder: Recorder
) -> None:
    """Every card would meet a wrong signature: cards wait for the fix, none fails for it."""
    wrong = WEBHOOK_URL.replace(f"sig={WEBHOOK_SIG}", "sig=not-the-right-signature")
    notifier = WorkflowsNotifier(SecretStr(wrong), transport=httpx.MockTransport(recorder))
    with pytest.raises(SetupError) as caught:
        notifier.post(card())
    message = str(caught.value)
    assert VARIABLE in message
    assert "401" in message and "DirectApiInvalidAuthorizationSignature" in message
    assert "not-the-right-signature" not in message
    assert recorder.responses[0].status_code == 401 and fake.posted == []


@pytest.mark.parametrize(("status", "kind"), [(400, PermanentError), (404, SetupError)])
def test_other_refusals_name_the_variable(
    notifier: WorkflowsNotifier, fake: FakeGraph, status: int, kind: type[Exception]
) -> None:
    """A 404 (the flow was deleted) is a setup problem; a 400 refuses this card only."""
    body = {"error": {"code": "WorkflowNotFound", "message": "The workflow could not be found."}}
    fake.fail("POST", WEBHOOK, status=status, json_body=body)
    with pytest.raises(kind) as caught:
        notifier.post(card())
    assert VARIABLE in str(caught.value) and str(status) in str(caught.value)


def test_a_5xx_is_unknown_and_carries_retry_after(
    notifier: WorkflowsNotifier, fake: FakeGraph
) -> None:
    fake.fail("POST", WEBHOOK, status=503, headers={"Retry-After": "45"})
    with pytest.raises(DeliveryUnknownError) as caught:
        notifier.post(card())
    assert caught.value.retry_after == 45.0


# --------------------------------------------------------------------------- the secret URL


SCENARIOS = {
    "ok": {},
    "429": {"status": 429, "headers": {"Retry-After": "5"}},
    "500": {"status": 500},
    "401": {"status": 401},
    "refused": {"exception": lambda r: httpx.ConnectError("Connection refused", request=r)},
    "reset": {
        "exception": lambda r: httpx.ReadError("Connection reset by peer", request=r),
        "deliver": True,
    },
}


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_the_webhook_url_never_shows_in_errors_or_logs(
    notifier: WorkflowsNotifier, fake: FakeGraph, scenario: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "connectors", "bot"):
        caplog.set_level(logging.DEBUG, logger=name)
    if SCENARIOS[scenario]:
        fake.fail("POST", WEBHOOK, **SCENARIOS[scenario])
    try:
        notifier.post(card())
        raised: BaseException | None = None
    except Exception as exc:  # every failure mode is checked below
        raised = exc
    assert (raised is None) == (scenario == "ok")
    for exc in errors_chain(raised):
        assert_no_secret(str(exc))
        assert_no_secret(repr(exc.args))
    assert_no_secret(caplog.text)
    for record in caplog.records:
        assert_no_secret(record.getMessage())
    assert_no_secret(repr(notifier))
    assert len(fake.requests) == 1  # it really was sent to the secret URL


@pytest.mark.parametrize("url", ["http", "no scheme"])
def test_a_webhook_url_that_is_not_https_is_refused_before_sending(
    fake: FakeGraph, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if url == "http":
        notifier = WorkflowsNotifier(
            SecretStr(WEBHOOK_URL.replace("https://", "http://").replace(":443", "")),
            transport=fake.transport,
        )
    else:

        def no_network(*args: Any, **kwargs: Any) -> None:
            raise AssertionError("the test tried to open a network connection")

        monkeypatch.setattr(socket, "create_connection", no_network)
        monkeypatch.setattr(socket.socket, "connect", no_network)
        # A pasted URL that lost its scheme; the real transport (never reaching the network:
        # httpcore refuses a URL without a scheme before connecting).
        notifier = WorkflowsNotifier(SecretStr(WEBHOOK_URL.removeprefix("https://")))
    with pytest.raises(SetupError) as caught:
        notifier.post(card())
    assert VARIABLE in str(caught.value)
    assert_no_secret(str(caught.value))
    assert fake.requests == []


# --------------------------------------------------------------------------- through the bot


MONDAY = date(2026, 11, 23)


def london(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=LONDON)


def test_the_weekly_digest_reaches_teams_through_the_outbox(
    env: Env, fake: FakeGraph, recorder: Recorder, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    ctx = env.context
    school = ctx.config.school("oak")
    with ctx.store.transaction() as session:
        queued = queue_digest(
            session,
            school,
            MONDAY,
            london(MONDAY, 9),
            base_url="https://bot.oak.example",
            channel=True,
        )
    assert queued.card
    clock = fake.clock
    assert isinstance(clock, FakeClock)
    connectors = build(
        m365_settings(tmp_path),
        transport=httpx.MockTransport(recorder),
        clock=clock,
        sleep=clock.sleep,
    )
    assert isinstance(connectors.notifier, WorkflowsNotifier)

    def cards() -> dict[str, OutboxMessage]:
        with ctx.store.session() as session:
            rows = session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "card"))
            return {r.idempotency_key: r for r in rows}

    # The fixture left last week's card waiting too: Teams throttles the first post.
    fake.fail("POST", WEBHOOK, status=429, headers={"Retry-After": "120"})
    first_pass = london(MONDAY, 9, 1)
    stats = dispatch(ctx.store, ctx.connectors.mailer, connectors.notifier, now=lambda: first_pass)

    assert stats.retry_later == 1 and "digest:oak:2026-W48:email" in stats.sent_keys
    throttled = cards()["digest:oak:2026-W47"]  # the oldest card went first
    assert (throttled.status, throttled.last_error) == ("pending", "Teams webhook throttled (429)")
    assert throttled.attempts == 0  # a throttle spends no attempt
    assert stats.paused == {"card": first_pass + timedelta(seconds=120)}  # Teams' Retry-After

    later = first_pass + timedelta(minutes=3)
    dispatch(ctx.store, ctx.connectors.mailer, connectors.notifier, now=lambda: later)
    dispatch(ctx.store, ctx.connectors.mailer, connectors.notifier, now=lambda: later)  # no-op

    rows = cards()
    assert {k: r.status for k, r in rows.items()} == {
        "digest:oak:2026-W47": "sent",
        "digest:oak:2026-W48": "sent",
    }
    assert all(r.last_error is None for r in rows.values())
    # each card posted once, exactly as queued, and each row keeps its run's id
    assert sorted(map(canonical, fake.posted)) == sorted(
        canonical(r.payload["teams"]) for r in rows.values()
    )
    run_ids = [r.headers["x-ms-workflow-run-id"] for r in recorder.responses if r.is_success]
    assert sorted(run_ids) == sorted(str(r.provider_id) for r in rows.values())
    assert len(recorder.responses) == 3  # 429, then one post per card
    w48 = next(p for p in fake.posted if p == rows["digest:oak:2026-W48"].payload["teams"])
    assert "week 2026-W48" in json.dumps(w48)
    for payload in fake.posted:
        [attachment] = payload["attachments"]
        assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
        assert card_errors(attachment["content"]) == []  # the official Adaptive Card 1.5 schema
        text = json.dumps(payload)
        assert SECRET not in text and "CR-2026" not in text
    assert_no_secret(caplog.text)
    assert fake.rejected == []
