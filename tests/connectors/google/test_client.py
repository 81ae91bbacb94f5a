"""client.py and build(): identities and scopes, lazy SDK import, settings errors, SDK mocks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("googleapiclient", reason="needs google-api-python-client")

from googleapiclient.errors import UnexpectedMethodError
from googleapiclient.http import HttpMockSequence, RequestMockBuilder

from bot.core.deployment.settings import SettingsError, load_settings
from bot.core.ports import (
    DeliveryUnknownError,
    OutgoingEmail,
    PermanentError,
    RetryableError,
    SetupError,
)
from connectors.google.client import (
    DIRECTORY_SCOPES,
    FORMS_SCOPES,
    GMAIL_SCOPES,
    SHEETS_SCOPES,
    GoogleCallError,
    GoogleClient,
)
from connectors.google.directory import GoogleDirectory
from connectors.google.errors import connector_error as _connector_error
from connectors.google.forms import GoogleFormSource
from connectors.google.mail import GmailMailer
from tests.connectors.contract.kit_google import (
    ADMIN,
    SENDER,
    build_google,
    google_settings,
    seeded_fake,
)
from tests.support.fakes.google import SA_EMAIL, FakeGoogle, no_real_http  # noqa: F401
from tests.support.paths import REPO

pytestmark = pytest.mark.usefixtures("no_real_http")

ROOT = REPO


def test_importing_the_connector_does_not_import_the_sdk() -> None:
    code = (
        "import sys, connectors.google.connector, connectors.google.check\n"
        "bad = [m for m in ('googleapiclient', 'google.oauth2', 'httplib2') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=60)


def test_each_api_gets_its_own_identity_and_scopes(tmp_path: Path) -> None:
    fake = seeded_fake()
    connectors = build_google(tmp_path, fake)
    connectors.directory.fetch(None)
    connectors.mailer.send(
        OutgoingEmail("k", ("ben.teacher@oakfield.example",), "s", "t", "<p>h</p>")
    )
    assert connectors.mirror is not None and connectors.forms is not None
    connectors.mirror.upsert("CR-1", {"Status": "new"})
    connectors.forms.responses(None)

    grants = {(c.get("sub"), c["scope"]) for c in fake.token_requests}
    assert grants == {
        (ADMIN, " ".join(DIRECTORY_SCOPES)),
        (SENDER, " ".join(GMAIL_SCOPES)),
        (None, " ".join(SHEETS_SCOPES)),
        (None, " ".join(FORMS_SCOPES)),
    }
    assert all(c["iss"] == SA_EMAIL for c in fake.token_requests)


@pytest.mark.parametrize(
    ("missing", "variable"),
    [
        ("service_account_file", "COMPLIANCE_BOT_GOOGLE__SERVICE_ACCOUNT_FILE"),
        ("admin_subject", "COMPLIANCE_BOT_GOOGLE__ADMIN_SUBJECT"),
        ("sender", "COMPLIANCE_BOT_GOOGLE__SENDER"),
    ],
)
def test_build_names_the_missing_variable(tmp_path: Path, missing: str, variable: str) -> None:
    from connectors.google.connector import build

    with pytest.raises(SettingsError) as caught:
        build(google_settings(tmp_path, **{missing: None}))
    assert variable in str(caught.value)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "file not found"),
        ("not json", "not JSON"),
        (json.dumps({"type": "authorized_user"}), "not a service-account key"),
        (json.dumps({"type": "service_account", "private_key": "x"}), "not a usable"),
    ],
)
def test_bad_key_files_are_explained_without_key_material(
    tmp_path: Path, content: str | None, expected: str
) -> None:
    from connectors.google.connector import build

    key = tmp_path / "key.json"
    if content is not None:
        key.write_text(content, encoding="utf-8")
    with pytest.raises(SettingsError) as caught:
        build(google_settings(tmp_path, service_account_file=key))
    assert "COMPLIANCE_BOT_GOOGLE__SERVICE_ACCOUNT_FILE" in str(caught.value)
    assert expected in str(caught.value)
    assert "PRIVATE KEY" not in str(caught.value)


def test_registry_builds_google_from_the_environment_without_network(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.wiring import build_connectors

    settings = google_settings(tmp_path)  # writes the key file
    env = {
        "COMPLIANCE_BOT_HOME": str(tmp_path),
        "COMPLIANCE_BOT_CONNECTOR": "google",
        "COMPLIANCE_BOT_GOOGLE__SERVICE_ACCOUNT_FILE": str(settings.google.service_account_file),
        "COMPLIANCE_BOT_GOOGLE__ADMIN_SUBJECT": ADMIN,
        "COMPLIANCE_BOT_GOOGLE__SENDER": SENDER,
        "COMPLIANCE_BOT_GOOGLE__CHAT_WEBHOOK_URL": "https://chat.googleapis.com/v1/spaces/A/messages?key=k&token=t",
        "COMPLIANCE_BOT_GOOGLE__ROLE_GROUPS": '{"governors@oakfield.example": "governor"}',
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    connectors = build_connectors(load_settings(_env_file=None))
    assert connectors.name == "google"
    assert isinstance(connectors.directory, GoogleDirectory)
    assert isinstance(connectors.mailer, GmailMailer)
    assert connectors.notifier is not None
    assert connectors.mirror is None and connectors.forms is None  # optional, not configured
    assert "token=" not in repr(connectors.notifier)


def test_request_mock_builder_checks_method_ids() -> None:
    form = {
        "formId": "f1",
        "items": [{"title": "Category", "questionItem": {"question": {"questionId": "q1"}}}],
    }
    responses = {
        "responses": [
            {
                "responseId": "r1",
                "lastSubmittedTime": "2026-11-02T09:30:00Z",
                "answers": {
                    "q1": {"questionId": "q1", "textAnswers": {"answers": [{"value": "Other"}]}}
                },
            }
        ]
    }
    builder = RequestMockBuilder(
        {
            "forms.forms.get": (None, json.dumps(form)),
            "forms.forms.responses.list": (None, json.dumps(responses)),
        },
        check_unexpected=True,
    )
    client = GoogleClient(None, http=HttpMockSequence([]), request_builder=builder)
    [response] = GoogleFormSource(client.forms(), "f1").responses(None)
    assert response.answers == {"Category": "Other"}
    with pytest.raises(UnexpectedMethodError):
        GoogleDirectory(client.directory()).fetch(None)


def test_http_mock_sequence_500_on_send_is_one_request_and_unknown() -> None:
    error = {
        "error": {"code": 500, "message": "Backend Error", "errors": [{"reason": "backendError"}]}
    }
    http = HttpMockSequence([({"status": "500"}, json.dumps(error))])
    mailer = GmailMailer(GoogleClient(None, http=http).gmail(), SENDER)
    with pytest.raises(DeliveryUnknownError) as caught:
        mailer.send(OutgoingEmail("k", ("a@oakfield.example",), "s", "t", "<p>h</p>"))
    assert len(http.request_sequence) == 1  # a library retry would have popped an empty list
    uri, method, _body, _headers = http.request_sequence[0]
    assert method == "POST" and uri.startswith("https://gmail.googleapis.com/gmail/v1/users/me/")
    assert "backendError" in str(caught.value)


def test_aip_error_details_give_the_reason() -> None:
    error = {
        "error": {
            "code": 403,
            "message": "Request had insufficient authentication scopes.",
            "status": "PERMISSION_DENIED",
            "details": [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
                    "domain": "googleapis.com",
                }
            ],
        }
    }
    http = HttpMockSequence([({"status": "403"}, json.dumps(error))])
    mailer = GmailMailer(GoogleClient(None, http=http).gmail(), SENDER)
    with pytest.raises(SetupError) as caught:  # a missing scope is ours to fix, not the message's
        mailer.send(OutgoingEmail("k", ("a@oakfield.example",), "s", "t", "<p>h</p>"))
    assert "ACCESS_TOKEN_SCOPE_INSUFFICIENT" in str(caught.value)


@pytest.mark.parametrize(
    ("facts", "write", "expected", "retry_after"),
    [
        ({"status": 429, "retry_after": 5.0}, True, RetryableError, 5.0),
        ({"status": 403, "reason": "rateLimitExceeded"}, True, RetryableError, None),
        ({"status": 403, "reason": "userRateLimitExceeded"}, False, RetryableError, None),
        ({"status": 403, "reason": "dailyLimitExceeded"}, True, RetryableError, 3600.0),
        ({"status": 403, "reason": "forbidden"}, True, SetupError, 900.0),
        ({"status": 403, "reason": "forbidden"}, False, PermanentError, None),
        ({"status": 400, "reason": "failedPrecondition"}, True, SetupError, 900.0),
        ({"status": 400, "reason": "invalidArgument"}, True, PermanentError, None),
        ({"status": 404, "reason": "notFound"}, False, PermanentError, None),
        ({"status": 500}, True, DeliveryUnknownError, None),
        ({"status": 503, "retry_after": 40.0}, True, DeliveryUnknownError, 40.0),
        ({"status": 503}, False, RetryableError, None),
        ({"status": None, "maybe_processed": True}, True, DeliveryUnknownError, None),
        ({"status": None, "maybe_processed": True}, False, RetryableError, None),
        ({"status": None}, True, RetryableError, None),
        ({"auth": True, "reason": "unauthorized_client"}, True, SetupError, 900.0),
        ({"auth": True, "reason": "unauthorized_client"}, False, PermanentError, None),
        ({"auth": True, "transient": True}, True, RetryableError, None),
    ],
)
def test_failure_classification(
    facts: dict[str, Any], write: bool, expected: type[Exception], retry_after: float | None
) -> None:
    error = _connector_error(GoogleCallError("x", **facts), "what", write=write)
    assert type(error) is expected
    if isinstance(error, RetryableError | DeliveryUnknownError):
        assert error.retry_after == retry_after


def test_service_account_facts_for_delegation(tmp_path: Path) -> None:
    settings = google_settings(tmp_path)
    client = GoogleClient.from_settings(settings.google)
    assert client.service_account_email == SA_EMAIL
    assert client.client_id == "104857600000000000001"


def test_fake_rejects_unknown_parameters(tmp_path: Path) -> None:
    fake: FakeGoogle = seeded_fake()
    client = GoogleClient(None, http=fake)
    fake.require_auth = False
    api = client.directory()
    with pytest.raises(GoogleCallError) as caught:
        api.call(api.resource.members().list(groupKey="governors@oakfield.example", maxResults=500))
    assert caught.value.status == 400


def test_fake_takes_only_a_repeated_parameter_twice() -> None:
    """``metadataHeaders`` is declared repeated in Gmail's discovery document; ``format``
    is not, so giving it twice is Google's 400."""
    fake: FakeGoogle = seeded_fake()
    fake.require_auth = False
    fake.receive("bot@oakfield.example", {"From": "mailer-daemon@googlemail.com"})
    url = f"https://gmail.googleapis.com/gmail/v1/users/me/messages/{fake.inbox[0].id}"
    twice = fake.request(f"{url}?format=metadata&metadataHeaders=From&metadataHeaders=To")
    assert twice[0].status == 200
    assert [h["name"] for h in json.loads(twice[1])["payload"]["headers"]] == ["From"]
    assert fake.request(f"{url}?format=metadata&format=minimal")[0].status == 400
