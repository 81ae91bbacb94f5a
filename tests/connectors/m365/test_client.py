"""client.py: app-only tokens (secret or certificate), national clouds, the loop thread, errors,
retries, and the lazy import that keeps msgraph out of the local and Google modes."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from pydantic import SecretStr

pytest.importorskip("msgraph", reason="msgraph-sdk is not installed (uv sync --extra m365)")

from connectors.base import parse_retry_after
from connectors.m365.client import GraphClient
from connectors.m365.errors import GraphCallError
from tests.connectors.contract.kit_m365 import m365_settings
from tests.support.fakes.graph import CLIENT_ID, CLIENT_SECRET, SENDER, TENANT_ID, FakeGraph
from tests.support.paths import REPO

ROOT = REPO
USERS = r"^/users$"


pytestmark = pytest.mark.usefixtures("no_network")


@pytest.fixture
def fake() -> FakeGraph:
    fake = FakeGraph()
    fake.seed_population()
    return fake


@pytest.fixture
def client(fake: FakeGraph, tmp_path: Path) -> Iterator[GraphClient]:
    with GraphClient.from_settings(m365_settings(tmp_path).m365, transport=fake.transport) as c:
        yield c


def first_user(client: GraphClient) -> list[Any]:
    return client.users(select=("id",), top=1, all_pages=False)


def token_form(request: httpx.Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.content.decode()).items()}


def jwt_header(assertion: str) -> dict[str, Any]:
    head = assertion.split(".")[0]
    return dict(json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4))))


# --------------------------------------------------------------------------- lazy import


def test_local_and_google_modes_never_load_msgraph() -> None:
    code = (
        "import sys, tempfile\nfrom pathlib import Path\nimport bot.cli.main\nfrom "
        "bot.core.deployment.settings import Settings\nfrom bot.wiring import "
        "build_connectors\nhome = "
        "Path(tempfile.mkdtemp())\nassert build_connectors(Settings(home=home)).name == "
        "'local'\nfrom tests.connectors.contract.kit_google import google_settings\nassert "
        "build_connectors(google_settings(home)).name == 'google'\nimport "
        "connectors.m365.connector, connectors.m365.check\nheavy = ('msgraph', 'msgraph_core', "
        "'kiota_http', 'azure.identity', 'msal')\nbad = [m for m in heavy if m in "
        "sys.modules]\nassert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=120)


def test_building_a_client_does_not_load_msgraph_until_the_first_call() -> None:
    code = (
        "import sys\nfrom connectors.m365.client import GraphClient\nGraphClient(object(), "
        "graph_endpoint='https://graph.microsoft.com/v1.0').close()\nassert 'msgraph' not in "
        "sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=60)


# --------------------------------------------------------------------------- tokens


def test_client_secret_token_goes_to_the_tenant_and_is_cached(
    client: GraphClient, fake: FakeGraph
) -> None:
    first_user(client)
    first_user(client)
    [token] = fake.token_requests()
    assert str(token.url) == f"https://login.microsoftonline.com/{TENANT_ID}/oauth2/v2.0/token"
    form = token_form(token)
    assert form["grant_type"] == "client_credentials"
    assert form["client_id"] == CLIENT_ID and form["client_secret"] == CLIENT_SECRET
    assert form["scope"] == "https://graph.microsoft.com/.default"
    calls = fake.graph_requests("GET", USERS)
    assert len(calls) == 2
    assert all(r.headers["Authorization"] == f"Bearer {fake.access_token}" for r in calls)


def test_certificate_credential_gets_a_token_and_graph_works(
    fake: FakeGraph, tmp_path: Path, certificate: tuple[Path, str]
) -> None:
    path, x5t = certificate
    fake.certificate_thumbprints.add(x5t)
    m365 = m365_settings(tmp_path, client_secret=None, certificate_path=path).m365
    with GraphClient.from_settings(m365, transport=fake.transport) as client:
        assert len(first_user(client)) == 1
    [token] = fake.token_requests()
    form = token_form(token)
    assert "client_secret" not in form
    assert form["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    header = jwt_header(form["client_assertion"])
    assert header["x5t"] == x5t and header["alg"] == "RS256"


def test_unregistered_certificate_is_a_token_error(
    fake: FakeGraph, tmp_path: Path, certificate: tuple[Path, str]
) -> None:
    path, _ = certificate
    m365 = m365_settings(tmp_path, client_secret=None, certificate_path=path).m365
    client = GraphClient.from_settings(m365, transport=fake.transport)
    with client, pytest.raises(GraphCallError) as caught:
        first_user(client)
    assert caught.value.token and not caught.value.sent
    assert caught.value.code == "AADSTS700027"
    assert fake.graph_requests() == []


def test_certificate_is_preferred_over_a_secret(
    fake: FakeGraph, tmp_path: Path, certificate: tuple[Path, str]
) -> None:
    path, x5t = certificate
    fake.certificate_thumbprints.add(x5t)
    fake.client_secret = "rotated-secret"  # the configured secret would be refused
    m365 = m365_settings(tmp_path, certificate_path=path).m365
    assert m365.client_secret is not None
    with GraphClient.from_settings(m365, transport=fake.transport) as client:
        first_user(client)
    [token] = fake.token_requests()
    assert "client_assertion" in token_form(token)
    assert "client_secret" not in token_form(token)


def test_a_refused_secret_is_a_token_error_with_the_aadsts_code(
    fake: FakeGraph, tmp_path: Path
) -> None:
    m365 = m365_settings(tmp_path, client_secret=SecretStr("wrong")).m365
    client = GraphClient.from_settings(m365, transport=fake.transport)
    with client, pytest.raises(GraphCallError) as caught:
        client.token()
    assert caught.value.token and caught.value.code == "AADSTS7000215"
    assert "wrong" not in str(caught.value)


# --------------------------------------------------------------------------- national clouds


def test_national_cloud_uses_only_its_hosts_and_scope(tmp_path: Path) -> None:
    fake = FakeGraph(graph_host="graph.microsoft.us", login_host="login.microsoftonline.us")
    fake.seed_population()
    m365 = m365_settings(
        tmp_path,
        graph_endpoint="https://graph.microsoft.us/v1.0",
        authority_host="https://login.microsoftonline.us",
    ).m365
    with GraphClient.from_settings(m365, transport=fake.transport) as client:
        assert client.endpoint == "https://graph.microsoft.us/v1.0"
        assert len(first_user(client)) == 1
        client.send_mime(SENDER, _mime())
    assert {r.url.host for r in fake.requests} == {"graph.microsoft.us", "login.microsoftonline.us"}
    [token] = fake.token_requests()
    assert str(token.url).startswith(f"https://login.microsoftonline.us/{TENANT_ID}/")
    assert token_form(token)["scope"] == "https://graph.microsoft.us/.default"
    assert len(fake.sent) == 1


@pytest.mark.parametrize(
    "endpoint", ["http://graph.microsoft.com/v1.0", "graph.microsoft.com/v1.0", "https:///v1.0"]
)
def test_graph_endpoint_must_be_https(endpoint: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="graph_endpoint must be an https URL"):
        GraphClient(object(), graph_endpoint=endpoint)
    with pytest.raises(ValueError, match="https"):
        GraphClient.from_settings(m365_settings(tmp_path, graph_endpoint=endpoint).m365)


# --------------------------------------------------------------------------- links are data


@pytest.mark.parametrize(
    "link",
    [
        "https://evil.example/v1.0/users?$skiptoken=x",
        "https://graph.microsoft.com.evil.example/v1.0/users?$skiptoken=x",
        "https://graph.microsoft.com/beta/users?$skiptoken=x",
        "http://graph.microsoft.com/v1.0/users?$skiptoken=x",
    ],
)
def test_a_next_link_to_elsewhere_is_never_followed(
    client: GraphClient, fake: FakeGraph, link: str
) -> None:
    page = {"value": [{"id": "u-1"}], "@odata.nextLink": link}
    json_type = {"Content-Type": "application/json"}
    fake.fail("GET", USERS, status=200, json_body=page, headers=json_type)
    with pytest.raises(GraphCallError, match="refusing to follow a link") as caught:
        client.users(select=("id",))
    assert not caught.value.sent
    assert {r.url.host for r in fake.requests} <= {fake.graph_host, fake.login_host}
    assert len(fake.graph_requests("GET", USERS)) == 1


def test_a_next_link_on_the_endpoint_is_followed(client: GraphClient, fake: FakeGraph) -> None:
    people = client.users(select=("id",), top=2)
    assert sorted(u.id for u in people) == sorted(fake.users)
    assert len(fake.graph_requests("GET", USERS)) == (len(fake.users) + 1) // 2


# --------------------------------------------------------------------------- the loop thread


def test_many_threads_share_one_loop_thread(client: GraphClient, fake: FakeGraph) -> None:
    before = {t.ident for t in threading.enumerate()}
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: [u.id for u in first_user(client)], range(24)))
    assert all(r == results[0] for r in results)
    assert len(fake.graph_requests("GET", USERS)) == 24
    assert len(fake.token_requests()) == 1
    loops = [t for t in threading.enumerate() if t.ident not in before]
    assert [t.name for t in loops] == ["graph-client-loop"]


def test_close_is_idempotent_and_stops_the_thread(fake: FakeGraph, tmp_path: Path) -> None:
    client = GraphClient.from_settings(m365_settings(tmp_path).m365, transport=fake.transport)
    client.close()  # before first use: nothing to stop
    before = {t.ident for t in threading.enumerate()}
    first_user(client)
    # this client's loop, not one another test in this worker left running
    (loop,) = [t for t in threading.enumerate() if t.ident not in before]
    client.close()
    client.close()
    assert not loop.is_alive()


# --------------------------------------------------------------------------- errors and retries


def test_a_401_read_becomes_graph_call_error_with_status_and_code(
    client: GraphClient, fake: FakeGraph
) -> None:
    fake.fail("GET", USERS, status=401)
    with pytest.raises(GraphCallError) as caught:
        first_user(client)
    assert caught.value.status == 401
    assert caught.value.code == "InvalidAuthenticationToken"
    assert not caught.value.token
    assert "Access token validation failure" in str(caught.value)
    assert fake.access_token not in str(caught.value)


def test_retry_after_as_an_http_date_is_parsed(client: GraphClient, fake: FakeGraph) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)
    fake.fail("POST", r"/sendMail$", status=429, headers={"Retry-After": when})
    with pytest.raises(GraphCallError) as caught:
        client.send_mime(SENDER, _mime())
    assert caught.value.status == 429
    assert caught.value.retry_after is not None and 100 < caught.value.retry_after <= 120
    assert len(fake.graph_requests("POST", r"/sendMail$")) == 1  # sendMail is never retried
    assert fake.sent == []


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("7", 7.0), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0), ("soon", None), (None, None)],
)
def test_retry_after_values(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value) == seconds


def test_reads_keep_the_sdk_retry_and_honour_retry_after(
    client: GraphClient, fake: FakeGraph, retry_sleeps: list[float]
) -> None:
    fake.fail("GET", USERS, status=503, headers={"Retry-After": "1"}, times=1)
    assert len(first_user(client)) == 1
    assert len(fake.graph_requests("GET", USERS)) == 2
    assert retry_sleeps == [1]


def test_send_mail_is_not_retried(
    client: GraphClient, fake: FakeGraph, retry_sleeps: list[float]
) -> None:
    fake.fail("POST", r"/sendMail$", status=503, headers={"Retry-After": "1"}, times=1)
    with pytest.raises(GraphCallError) as caught:
        client.send_mime(SENDER, _mime())
    assert caught.value.status == 503 and caught.value.sent
    assert len(fake.graph_requests("POST", r"/sendMail$")) == 1
    assert retry_sleeps == []


def _mime() -> bytes:
    return (
        f"From: {SENDER}\r\nTo: ada.head@oakfield.example\r\nSubject: test\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nhello\r\n"
    ).encode()


# --------------------------------------------------------------------------- known defects


def test_the_token_the_check_proves_is_the_one_graph_calls_use(
    client: GraphClient, fake: FakeGraph
) -> None:
    client.token()
    first_user(client)
    assert len(fake.token_requests()) == 1
