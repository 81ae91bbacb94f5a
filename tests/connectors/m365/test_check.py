"""``compliance-bot check m365`` against the fake Graph: what works, and the exact fix when not.

The check runs msgraph-sdk's real pipeline and azure-identity's real token flow against
tests/fakes/graph.py. It must only read: the Mail.Send probe has no recipients (nothing can be
delivered) and the Teams webhook is never called.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

pytest.importorskip("msgraph", reason="msgraph-sdk is not installed (uv sync --extra m365)")

import connectors.m365.check as check_module
from bot.cli.main import app
from connectors.m365.check import CheckRow, run_checks
from tests.connectors.contract.kit_m365 import m365_settings
from tests.support.fakes.graph import (
    CLIENT_ID,
    CLIENT_SECRET,
    FORMS_LIST,
    SENDER,
    SITE_ID,
    TENANT_ID,
    WEBHOOK_URL,
    FakeGraph,
)

ENV = "COMPLIANCE_BOT_M365__"
WEBHOOK_SIG = "fake-sas-signature"  # the sig= of tests.support.fakes.graph.WEBHOOK_URL
CONSENT_PATH = "API permissions > Add a permission > Microsoft Graph > Application permissions"
ALL_ROWS = [
    "settings",
    "token",
    "User.Read.All",
    "GroupMember.Read.All",
    "role groups",
    "directory",
    "external recipients",
    "Mail.Send",
    "Mail.Send scope",
    "Mail.ReadBasic.All (optional)",
    "Sites.Selected",
    "Form list",
    "Teams bot",
    "mail pacing",
    "Teams webhook",
]


pytestmark = pytest.mark.usefixtures("no_network")


@pytest.fixture
def fake() -> FakeGraph:
    fake = FakeGraph()
    fake.seed_population()
    return fake


def check(fake: FakeGraph, tmp_path: Path, **overrides: Any) -> list[CheckRow]:
    return run_checks(m365_settings(tmp_path, **overrides), transport=fake.transport)


Run = Callable[[], tuple[FakeGraph, list[CheckRow]]]


@pytest.fixture(scope="module")
def granted(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """One run of the check with everything granted, shared by the tests that read its rows
    (they only read). It runs inside the first test that asks, under that test's guards (no
    network, no developer settings, the conformance check of what it exchanged)."""

    @functools.cache
    def run() -> tuple[FakeGraph, list[CheckRow]]:
        fake = FakeGraph()
        fake.seed_population()
        return fake, check(fake, tmp_path_factory.mktemp("granted"))

    return run


def by_name(rows: list[CheckRow]) -> dict[str, CheckRow]:
    return {row.name: row for row in rows}


def failed(rows: list[CheckRow]) -> set[str]:
    return {row.name for row in rows if not row.ok}


def send_mail_requests(fake: FakeGraph) -> list[httpx.Request]:
    return fake.graph_requests("POST", r"/sendMail$")


# --------------------------------------------------------------------------- everything granted


def test_everything_granted_is_all_ok_and_nothing_is_sent_or_posted(granted: Run) -> None:
    fake, rows = granted()
    assert [row.name for row in rows] == ALL_ROWS
    assert failed(rows) == set(), [row for row in rows if not row.ok]
    assert all(row.fix is None for row in rows)
    rows_ = by_name(rows)
    assert "ErrorInvalidRecipients" in rows_["Mail.Send"].detail
    assert "nothing was sent" in rows_["Mail.Send"].detail
    assert rows_["Mail.Send scope"].detail.startswith("scoped")
    assert "not called" in rows_["Teams webhook"].detail
    assert fake.rejected == []  # the fake understood every request the check made
    # Reads only, apart from the two sendMail probes, which carry no recipient at all.
    writes = [r for r in fake.graph_requests() if r.method != "GET"]
    assert writes == send_mail_requests(fake) and len(writes) == 2
    for request in writes:
        body = {k.casefold(): v for k, v in json.loads(request.content).items()}
        message = {k.casefold(): v for k, v in body["message"].items()}
        assert message.get("torecipients") == []
        assert not message.get("ccrecipients") and not message.get("bccrecipients")
        assert body["savetosentitems"] is False
    assert fake.sent == []
    assert fake.posted == []
    assert not [r for r in fake.requests if r.url.host == httpx.URL(WEBHOOK_URL).host]


def test_optional_parts_not_configured_are_ok(fake: FakeGraph, tmp_path: Path) -> None:
    rows = check(
        fake, tmp_path, site_id=None, forms_list=None, teams_webhook_url=None, role_groups={}
    )
    assert failed(rows) == set()
    assert "role groups" not in by_name(rows)
    assert sum("not configured" in row.detail for row in rows) == 4  # with the Teams bot


# --------------------------------------------------------------------------- permissions


@pytest.mark.parametrize(
    ("permission", "also_failing"),
    [
        ("User.Read.All", set()),
        ("GroupMember.Read.All", set()),
        ("Mail.Send", set()),
        # The form list lives in the granted site: it needs Sites.Selected too.
        ("Sites.Selected", {"Form list"}),
    ],
)
def test_each_missing_permission_fails_its_row_with_the_consent_path(
    fake: FakeGraph, tmp_path: Path, permission: str, also_failing: set[str]
) -> None:
    fake.granted.discard(permission)
    rows = check(fake, tmp_path)
    assert failed(rows) == {permission} | also_failing
    row = by_name(rows)[permission]
    assert permission in row.detail
    assert row.fix is not None
    assert CONSENT_PATH in row.fix and f"> {permission}, then 'Grant admin consent'" in row.fix
    assert CLIENT_ID in row.fix
    assert by_name(rows)["token"].ok
    assert fake.sent == [] and fake.posted == []


def test_missing_mail_send_recommends_the_scoped_grant(fake: FakeGraph, tmp_path: Path) -> None:
    fake.granted.discard("Mail.Send")
    rows = check(fake, tmp_path)
    row = by_name(rows)["Mail.Send"]
    assert row.fix is not None
    lines = row.fix.splitlines()
    scope = next(line for line in lines if "New-ManagementScope" in line)
    assert f"PrimarySmtpAddress -eq '{SENDER}'" in scope  # the grant is scoped to the sender
    assign = next(line for line in lines if "New-ManagementRoleAssignment" in line)
    assert f"-App {CLIENT_ID}" in assign
    assert '-CustomResourceScope "compliance-bot sender"' in assign
    assert "every mailbox" in row.fix
    assert "Mail.Send scope" not in by_name(rows)  # nothing to compare until it works


def test_tenant_wide_mail_send_fails_the_scope_row_with_rbac_powershell(
    fake: FakeGraph, tmp_path: Path
) -> None:
    fake.send_scope = None  # Mail.Send reaches every mailbox
    rows = check(fake, tmp_path)
    assert failed(rows) == {"Mail.Send scope"}
    row = by_name(rows)["Mail.Send scope"]
    assert "tenant-wide" in row.detail
    assert row.fix is not None
    lines = row.fix.splitlines()
    scope = next(line for line in lines if "New-ManagementScope" in line)
    assert f"PrimarySmtpAddress -eq '{SENDER}'" in scope
    assign = next(line for line in lines if "New-ManagementRoleAssignment" in line)
    assert f"-App {CLIENT_ID}" in assign and '-Role "Application Mail.Send"' in assign
    assert "-CustomResourceScope" in assign
    assert any("Test-ServicePrincipalAuthorization" in line and SENDER in line for line in lines)
    assert "Remove permission" in row.fix  # the tenant-wide grant must go, or the scope adds up
    # Both probes reached mailboxes the app may send as, and still nothing was delivered.
    assert len(send_mail_requests(fake)) == 2
    assert fake.sent == []


def test_the_probe_is_never_retried(fake: FakeGraph, tmp_path: Path) -> None:
    # sendMail has no idempotency key: a 503 may have sent, so the SDK must not repeat it.
    fake.fail("POST", r"/sendMail$", status=503, headers={"Retry-After": "0"})
    rows = check(fake, tmp_path)
    row = by_name(rows)["Mail.Send"]
    assert not row.ok and "could not tell" in row.detail and "503" in row.detail
    assert len(send_mail_requests(fake)) == 1
    assert fake.sent == []


def test_a_probe_refused_for_its_form_proves_nothing(tmp_path: Path) -> None:
    fake = FakeGraph()
    fake.seed_population()
    fake.fail(
        "POST",
        r"/sendMail$",
        status=400,
        json_body={"error": {"code": "RequestBodyRead", "message": "Cannot read the body."}},
    )
    row = by_name(check(fake, tmp_path))["Mail.Send"]
    assert not row.ok and "RequestBodyRead" in row.detail


# --------------------------------------------------------------------------- sender and groups


def test_sender_mailbox_that_does_not_exist(fake: FakeGraph, tmp_path: Path) -> None:
    rows = check(fake, tmp_path, sender="nobody@oakfield.example")
    row = by_name(rows)["sender mailbox"]
    assert not row.ok
    assert "nobody@oakfield.example does not exist" in row.detail
    assert row.fix is not None and f"{ENV}SENDER" in row.fix
    assert "Mail.Send" not in by_name(rows)
    assert send_mail_requests(fake) == []


def test_no_sender_configured(fake: FakeGraph, tmp_path: Path) -> None:
    row = by_name(check(fake, tmp_path, sender=None))["sender mailbox"]
    assert not row.ok and row.fix is not None and f"{ENV}SENDER" in row.fix
    assert send_mail_requests(fake) == []


def test_role_group_not_found_is_named(fake: FakeGraph, tmp_path: Path) -> None:
    rows = check(fake, tmp_path, role_groups={"Governers": "governor", "Leadership": "headteacher"})
    assert failed(rows) == {"role groups"}
    row = by_name(rows)["role groups"]
    assert "'Governers'" in row.detail and "Leadership" not in row.detail
    assert row.fix is not None and f"{ENV}ROLE_GROUPS" in row.fix


# --------------------------------------------------------------------------- settings and token


def test_missing_settings_are_one_row_naming_the_variables(fake: FakeGraph, tmp_path: Path) -> None:
    rows = check(fake, tmp_path, tenant_id=None, client_id=None, client_secret=None)
    assert [(row.name, row.ok) for row in rows] == [("settings", False)]
    for name in ("TENANT_ID", "CLIENT_ID", "CLIENT_SECRET", "CERTIFICATE_PATH"):
        assert f"{ENV}{name}" in rows[0].detail
    assert rows[0].fix is not None
    assert fake.requests == []


@pytest.mark.parametrize(
    ("overrides", "variable"),
    [
        ({"graph_endpoint": "http://graph.microsoft.com/v1.0"}, "GRAPH_ENDPOINT"),
        ({"certificate_path": Path("no-such-cert.pem")}, "CERTIFICATE_PATH"),
    ],
)
def test_unusable_settings_stop_at_the_settings_row(
    fake: FakeGraph, tmp_path: Path, overrides: dict[str, Any], variable: str
) -> None:
    rows = check(fake, tmp_path, **overrides)
    assert [(row.name, row.ok) for row in rows] == [("settings", False)]
    assert rows[0].fix is not None and f"{ENV}{variable}" in rows[0].fix
    assert fake.requests == []


@pytest.mark.parametrize(
    ("overrides", "code", "variable"),
    [
        ({"client_secret": SecretStr("not-the-secret")}, "AADSTS7000215", "CLIENT_SECRET"),
        ({"tenant_id": "00000000-0000-4000-8000-0000000000ff"}, "AADSTS90002", "TENANT_ID"),
        ({"client_id": "00000000-0000-4000-8000-0000000000ff"}, "AADSTS700016", "CLIENT_ID"),
    ],
)
def test_a_refused_token_names_the_aadsts_code_and_stops(
    fake: FakeGraph, tmp_path: Path, overrides: dict[str, Any], code: str, variable: str
) -> None:
    rows = check(fake, tmp_path, **overrides)
    assert [(row.name, row.ok) for row in rows] == [("settings", True), ("token", False)]
    token = rows[1]
    assert f"Entra ID refused the token request: {code}" in token.detail
    assert token.fix is not None and f"{ENV}{variable}" in token.fix
    assert fake.graph_requests() == []  # nothing else is tried without a token


def test_wrong_secret_fix_says_value_not_id(fake: FakeGraph, tmp_path: Path) -> None:
    token = by_name(check(fake, tmp_path, client_secret=SecretStr("secret-id-by-mistake")))["token"]
    assert token.fix is not None and "Value (not its ID)" in token.fix


def _unreachable(request: httpx.Request) -> Exception:
    return httpx.ConnectError("[Errno -3] Temporary failure in name resolution", request=request)


def test_unreachable_entra_is_not_called_a_refusal(
    fake: FakeGraph, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fake.fail("GET", r"openid-configuration", exception=_unreachable, times=5)
    fake.fail("POST", r"/token$", exception=_unreachable, times=5)
    caplog.set_level(logging.DEBUG, logger="azure")
    rows = check(fake, tmp_path)
    assert [(row.name, row.ok) for row in rows] == [("settings", True), ("token", False)]
    token = rows[1]
    assert token.detail.startswith("could not reach https://login.microsoftonline.com")
    assert "refused" not in token.detail
    assert token.fix is not None and "HTTPS_PROXY" in token.fix
    assert [r for r in caplog.records if r.name.startswith(("azure.identity", "msal"))] == []


def test_a_machine_without_network_gets_a_network_row_and_no_log_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # No injected transport: azure-identity uses requests, which fails as it does offline.
    import requests

    def offline(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        raise requests.ConnectionError("Failed to resolve 'login.microsoftonline.com'")

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", offline)
    from azure.core.pipeline.transport import RequestsTransport

    backoff: list[float] = []  # azure-core retries a refused connection; don't wait for it
    monkeypatch.setattr(RequestsTransport, "sleep", lambda self, seconds: backoff.append(seconds))
    identity = logging.getLogger("azure.identity")
    level = identity.level
    rows = run_checks(m365_settings(tmp_path))
    assert [(row.name, row.ok) for row in rows] == [("settings", True), ("token", False)]
    assert rows[1].detail.startswith("could not reach https://login.microsoftonline.com: ")
    assert "ServiceRequestError" in rows[1].detail
    assert [r for r in caplog.records if r.name.startswith("azure.identity")] == []
    assert identity.level == level  # the check only silenced it while it ran


# --------------------------------------------------------------------------- site, forms, webhook


def test_site_not_granted_gives_the_site_permission_call(fake: FakeGraph, tmp_path: Path) -> None:
    fake.granted_sites.clear()
    rows = check(fake, tmp_path)
    assert "Sites.Selected" in failed(rows)
    row = by_name(rows)["Sites.Selected"]
    assert row.fix is not None
    post = next(line for line in row.fix.splitlines() if "POST" in line)
    assert post.strip() == f"POST https://graph.microsoft.com/v1.0/sites/{SITE_ID}/permissions"
    assert f'"id": "{CLIENT_ID}"' in row.fix and '"roles": ["write"]' in row.fix


def test_unknown_site_names_the_setting(fake: FakeGraph, tmp_path: Path) -> None:
    row = by_name(check(fake, tmp_path, site_id="oakfield.sharepoint.com,nope,nope"))[
        "Sites.Selected"
    ]
    assert not row.ok and "site not found" in row.detail
    assert row.fix is not None and f"{ENV}SITE_ID" in row.fix


def test_form_list_that_does_not_exist_names_the_command(fake: FakeGraph, tmp_path: Path) -> None:
    rows = check(fake, tmp_path, forms_list="Another list")
    assert failed(rows) == {"Form list"}
    row = by_name(rows)["Form list"]
    assert row.detail == "the site has no list 'Another list'"
    assert row.fix is not None and "compliance-bot reports microsoft-form" in row.fix


def test_form_list_is_proved_readable(granted: Run) -> None:
    fake, rows = granted()
    row = by_name(rows)["Form list"]
    assert row.ok
    assert row.detail == (
        "list 'Form responses' readable, with its columns; responses in it now: 2"
    )
    items = [r for r in fake.requests if r.url.path.endswith("/items")]
    assert items and all(r.method == "GET" for r in items)


def test_form_list_missing_a_column_says_which(fake: FakeGraph, tmp_path: Path) -> None:
    forms = next(x for x in fake.sites[SITE_ID].values() if x["displayName"] == FORMS_LIST)
    forms["columns"] = [c for c in forms["columns"] if c["name"] != "WhatHappened"]
    row = by_name(check(fake, tmp_path))["Form list"]
    assert not row.ok and row.detail == (
        "list 'Form responses': no column with the internal name 'WhatHappened' ('What happened')"
    )
    assert row.fix is not None and "microsoft-form" in row.fix


def test_a_hand_made_form_list_with_other_internal_names_fails_naming_them(
    fake: FakeGraph, tmp_path: Path
) -> None:
    from connectors.m365.forms import FORM_LIST_COLUMNS

    def ui_name(title: str) -> str:  # SharePoint's UI: other characters as _xHHHH_, 32 at most
        return "".join(c if c.isalnum() else f"_x{ord(c):04x}_" for c in title)[:32]

    made_in_the_ui = [(ui_name(c.title), c.title, c.multiline) for c in FORM_LIST_COLUMNS]
    fake.add_form_list([], name="Hand made", columns=made_in_the_ui)
    row = by_name(check(fake, tmp_path, forms_list="Hand made"))["Form list"]
    assert not row.ok
    assert (
        "the column shown as 'What happened' has the internal name 'What_x0020_happened', but "
        "the bot reads 'WhatHappened'" in row.detail
    )
    assert "'AboutHeadteacher'" in row.detail and "OK" not in row.detail
    assert row.fix is not None and "internal name in deploy/m365.md section 10" in row.fix


def test_a_form_list_item_that_cannot_be_read_fails_the_check_until_corrected(
    fake: FakeGraph, tmp_path: Path
) -> None:
    forms = next(x for x in fake.sites[SITE_ID].values() if x["displayName"] == FORMS_LIST)
    forms["items"]["1"]["SubmittedAt"] = "23/11/2026 09:05"
    row = by_name(check(fake, tmp_path))["Form list"]
    assert not row.ok and row.detail == (
        "1 of the list's 2 responses cannot be read: list 'Form responses', item 1 (response "
        "r-1): its 'Submission time' (SubmittedAt) is not a time in the form ISO 8601 with an "
        "offset, e.g. 2026-11-23T09:05:00Z"
    )
    forms["items"]["1"]["SubmittedAt"] = "2026-11-23T09:05:00.0000000Z"
    assert by_name(check(fake, tmp_path))["Form list"].ok


def test_form_list_on_a_site_not_granted_names_sites_selected(
    fake: FakeGraph, tmp_path: Path
) -> None:
    fake.granted_sites.clear()
    row = by_name(check(fake, tmp_path))["Form list"]
    assert not row.ok and "403" in row.detail
    assert row.fix is not None and "Sites.Selected" in row.fix


@pytest.mark.parametrize(
    "url",
    [
        "https://oakfield.webhook.office.com/webhookb2/retired-connector",
        "http://prod-00.uksouth.logic.azure.com/workflows/x/triggers/manual/paths/invoke?sig=s",
    ],
)
def test_webhook_that_is_not_a_workflows_url(fake: FakeGraph, tmp_path: Path, url: str) -> None:
    rows = check(fake, tmp_path, teams_webhook_url=SecretStr(url))
    assert failed(rows) == {"Teams webhook"}
    row = by_name(rows)["Teams webhook"]
    assert "Workflows" in row.detail
    assert row.fix is not None and "When a Teams webhook request is received" in row.fix
    assert fake.posted == []
    assert not [r for r in fake.requests if r.url.host == httpx.URL(url).host]


# --------------------------------------------------------------------------- secrets


SCENARIOS: dict[str, tuple[Callable[[FakeGraph], None], dict[str, Any]]] = {
    "all granted": (lambda fake: None, {}),
    "tenant-wide": (lambda fake: setattr(fake, "send_scope", None), {}),
    "nothing granted": (lambda fake: fake.granted.clear(), {}),
    "wrong secret": (lambda fake: setattr(fake, "client_secret", "the-new-secret"), {}),
    "unreachable": (
        lambda fake: fake.fail("GET", r"openid-configuration", exception=_unreachable),
        {},
    ),
    "bad webhook": (
        lambda fake: None,
        {"teams_webhook_url": SecretStr(f"https://example.org/hook?sag={WEBHOOK_SIG}")},
    ),
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_no_row_carries_a_secret(tmp_path: Path, scenario: str) -> None:
    fake = FakeGraph()
    fake.seed_population()
    prepare, overrides = SCENARIOS[scenario]
    prepare(fake)
    rows = check(fake, tmp_path, **overrides)
    text = "\n".join(f"{row.name} {row.detail} {row.fix or ''}" for row in rows)
    for secret in (CLIENT_SECRET, fake.client_secret, fake.access_token, WEBHOOK_SIG, "sig="):
        assert secret not in text, scenario


# --------------------------------------------------------------------------- national cloud


def test_national_cloud_checks_against_its_own_hosts(tmp_path: Path) -> None:
    fake = FakeGraph(graph_host="graph.microsoft.us", login_host="login.microsoftonline.us")
    fake.seed_population()
    fake.granted_sites.clear()
    rows = check(
        fake,
        tmp_path,
        graph_endpoint="https://graph.microsoft.us/v1.0",
        authority_host="https://login.microsoftonline.us",
    )
    assert failed(rows) == {"Sites.Selected", "Form list"}  # the form list is in that site
    assert "https://graph.microsoft.us/v1.0" in by_name(rows)["settings"].detail
    fix = by_name(rows)["Sites.Selected"].fix
    assert fix is not None and "POST https://graph.microsoft.us/v1.0/sites/" in fix
    assert {r.url.host for r in fake.requests} == {"graph.microsoft.us", "login.microsoftonline.us"}


# --------------------------------------------------------------------------- the command line


@pytest.fixture
def cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeGraph
) -> Iterator[Callable[..., Any]]:
    """``compliance-bot check m365`` over the fake, configured through the environment.

    The command imports ``run_checks`` when it runs, so pointing the module attribute at a
    wrapper that adds the fake's transport is enough: the CLI needs no test seam.
    """
    real = check_module.run_checks
    monkeypatch.setattr(
        check_module,
        "run_checks",
        lambda settings, **kw: real(settings, transport=fake.transport, **kw),
    )
    env = {
        "COMPLIANCE_BOT_HOME": str(tmp_path),
        "COMPLIANCE_BOT_CONNECTOR": "m365",
        f"{ENV}TENANT_ID": TENANT_ID,
        f"{ENV}CLIENT_ID": CLIENT_ID,
        f"{ENV}CLIENT_SECRET": CLIENT_SECRET,
        f"{ENV}SENDER": SENDER,
        f"{ENV}SITE_ID": SITE_ID,
        f"{ENV}TEAMS_WEBHOOK_URL": WEBHOOK_URL,
        f"{ENV}ROLE_GROUPS": json.dumps({"Governors": "governor"}),
        "COLUMNS": "80",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    def invoke(*args: str) -> Any:
        return CliRunner().invoke(app, ["check", "m365", *args])

    yield invoke


def test_cli_all_ok_exits_0(cli: Callable[..., Any]) -> None:
    result = cli()
    assert result.exit_code == 0, result.output
    for name in ("token", "User.Read.All", "GroupMember.Read.All", "Mail.Send", "Sites.Selected"):
        assert name in result.output
    assert "missing" not in result.output and "How to fix" not in result.output
    assert "All 15 checks passed." in result.output
    assert "left out: none" in result.output


def test_cli_missing_permissions_exit_1_with_fixes_below_the_table(
    cli: Callable[..., Any], fake: FakeGraph
) -> None:
    fake.granted.discard("GroupMember.Read.All")
    fake.send_scope = None
    result = cli()
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert any("GroupMember.Read.All" in line and "missing (1)" in line for line in lines)
    assert any("Mail.Send scope" in line and "missing (2)" in line for line in lines)
    assert "2 of 12 checks failed." in result.output  # no role-group row without groups
    fixes = lines[lines.index("How to fix") :]
    assert "(1) GroupMember.Read.All" in fixes and "(2) Mail.Send scope" in fixes
    # Each PowerShell command stays on one line however narrow the terminal, for copy and paste.
    assign = f'  New-ManagementRoleAssignment -App {CLIENT_ID} -Role "Application Mail.Send"'
    assert any(line.startswith("    " + assign) for line in fixes)
    table = lines[: lines.index("How to fix")]
    assert max(len(line) for line in table) <= 80
    assert CLIENT_SECRET not in result.output and WEBHOOK_SIG not in result.output


def test_cli_keeps_long_fix_lines_whole(cli: Callable[..., Any], fake: FakeGraph) -> None:
    fake.granted_sites.clear()
    result = cli()
    assert result.exit_code == 1
    post = f"POST https://graph.microsoft.com/v1.0/sites/{SITE_ID}/permissions"
    assert any(line.strip() == post for line in result.output.splitlines())
    consent = next(line for line in result.output.splitlines() if "Entra admin centre" in line)
    assert len(consent) <= 80  # prose is wrapped to the terminal, between words


def test_cli_unreachable_entra_says_so_without_a_log_line(
    cli: Callable[..., Any], fake: FakeGraph, caplog: pytest.LogCaptureFixture
) -> None:
    fake.fail("GET", r"openid-configuration", exception=_unreachable, times=5)
    result = cli()
    assert result.exit_code == 1
    assert "could not reach" in result.output and "refused" not in result.output
    assert "WARNING" not in result.output
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_cli_missing_settings_names_the_variables(
    cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch, fake: FakeGraph
) -> None:
    monkeypatch.delenv(f"{ENV}TENANT_ID")
    monkeypatch.delenv(f"{ENV}CLIENT_SECRET")
    result = cli()
    assert result.exit_code == 1
    assert f"{ENV}TENANT_ID" in result.output and f"{ENV}CLIENT_SECRET" in result.output
    assert fake.requests == []


def test_the_sent_items_lookup_is_an_optional_row(
    fake: FakeGraph, tmp_path: Path, granted: Run
) -> None:
    """Granted: the row says unknown outcomes are looked up; not granted, it still passes and
    says what a person then does, and how to let the bot do it."""
    row = by_name(granted()[1])["Mail.ReadBasic.All (optional)"]
    assert row.ok and "looked up by its Message-ID" in row.detail
    fake.granted.discard("Mail.ReadBasic.All")
    row = by_name(check(fake, tmp_path))["Mail.ReadBasic.All (optional)"]
    assert row.ok and "waits for a person" in row.detail and "deploy/m365.md" in row.detail


# --------------------------------------------------------------------------- the Teams bot


def test_the_teams_bot_consent_is_probed_by_a_read(fake: FakeGraph, tmp_path: Path) -> None:
    from tests.support.fakes.graph import CATALOG_APP_ID

    rows = by_name(check(fake, tmp_path, bot_app_id=CLIENT_ID, teams_catalog_app_id=CATALOG_APP_ID))
    assert rows["Teams bot"].ok, rows["Teams bot"]
    assert "may install its app for staff" in rows["Teams bot"].detail
    assert fake.installed == {} and fake.rejected == []  # read only: nothing installed
    fake.granted.discard("TeamsAppInstallation.ReadWriteSelfForUser.All")
    rows = by_name(check(fake, tmp_path, bot_app_id=CLIENT_ID, teams_catalog_app_id=CATALOG_APP_ID))
    assert not rows["Teams bot"].ok
    assert "TeamsAppInstallation.ReadWriteSelfForUser.All missing" in rows["Teams bot"].detail
    assert CONSENT_PATH in (rows["Teams bot"].fix or "")
    assert "TeamsActivity.Send" in (rows["Teams bot"].fix or "")


def test_without_a_bot_the_row_says_webhook_mode(granted: Run) -> None:
    row = by_name(granted()[1])["Teams bot"]
    assert row.ok and "webhook mode" in row.detail


def test_the_directory_row_says_who_is_left_out_and_the_settings_that_bring_them_in(
    fake: FakeGraph, tmp_path: Path
) -> None:
    fake.add_user("u-g", "Gus Guest", "gus@partner.example", user_type="Guest")
    fake.add_user("u-s", "Scanner Service", "scanner@oakfield.example", licensed=False)
    fake.add_user("u-r", "Hall Booking", "hall@oakfield.example", licensed=False)
    fake.add_user("u-9", "Office Scanner", None, user_principal_name="scan@oakfield.example")
    for uid in ("u-g", "u-s", "u-r", "u-9"):
        fake.add_member("All Staff", uid)
    row = by_name(check(fake, tmp_path))["directory"]
    assert row.ok
    assert "left out: 1 account with no mailbox, 1 guest, 2 unlicensed accounts" in row.detail
    assert (
        "not chased, because mail cannot reach them (no mailbox): Office Scanner "
        "(scan@oakfield.example)" in row.detail
    )
    assert "COMPLIANCE_BOT_M365__INCLUDE_GUESTS=true" in row.detail
    row = by_name(check(fake, tmp_path, include_guests=True))["directory"]
    assert "left out: 1 account with no mailbox, 2 unlicensed accounts" in row.detail
    assert "brought in: COMPLIANCE_BOT_M365__INCLUDE_GUESTS=true" in row.detail


OWN_BOT = "2f4e6a8c-1b3d-4e5f-8a9b-0c1d2e3f4a5b"  # fictional: a bot registration of its own


@pytest.mark.parametrize(
    ("case", "ok", "says"),
    [
        ("certificate", True, "with the connector's certificate, and may install"),
        ("secret", True, "with the connector's client secret, and may install"),
        (
            "certificate and BOT_APP_SECRET",
            True,
            f"the connector's certificate; {ENV}BOT_APP_SECRET is not used (the bot is app "
            f"{CLIENT_ID})",
        ),
        ("own app with its secret", True, f"its own app registration's secret ({ENV}BOT_APP_"),
        ("own app, no secret", False, f"{ENV}BOT_APP_SECRET is not set"),
        ("own app, wrong secret", False, "AADSTS7000215"),
    ],
)
def test_the_teams_bot_row_says_which_credential_and_whether_it_works(
    fake: FakeGraph, tmp_path: Path, certificate: tuple[Path, str], case: str, ok: bool, says: str
) -> None:
    """Certificate, secret, both, neither, wrong: the row names the credential the bot uses,
    proven by a Bot Connector token, and the fix names the setting to change."""
    from tests.support.fakes.graph import CATALOG_APP_ID

    path, x5t = certificate
    fake.certificate_thumbprints.add(x5t)
    fake.apps[OWN_BOT] = "the-bots-own-secret"
    settings: dict[str, Any] = {
        "certificate": {"client_secret": None, "certificate_path": path},
        "secret": {},
        "certificate and BOT_APP_SECRET": {
            "certificate_path": path,
            "client_secret": None,
            "bot_app_secret": SecretStr("unused"),
        },
        "own app with its secret": {
            "bot_app_id": OWN_BOT,
            "bot_app_secret": SecretStr("the-bots-own-secret"),
        },
        "own app, no secret": {"bot_app_id": OWN_BOT},
        "own app, wrong secret": {"bot_app_id": OWN_BOT, "bot_app_secret": SecretStr("wrong")},
    }[case]
    rows = by_name(
        check(
            fake,
            tmp_path,
            **{"bot_app_id": CLIENT_ID, "teams_catalog_app_id": CATALOG_APP_ID, **settings},
        )
    )
    row = rows["Teams bot"]
    assert row.ok is ok, row
    assert says in row.detail, row.detail
    assert "needs a client secret" not in row.detail
    if not ok:
        assert f"{ENV}BOT_APP_SECRET" in (row.fix or "")
        assert f"{ENV}CLIENT_SECRET" not in (row.fix or "")
    assert "the-bots-own-secret" not in repr(rows) and "wrong" not in row.detail


def test_a_school_s_own_mailbox_is_checked_as_the_install_s_is(
    fake: FakeGraph, tmp_path: Path
) -> None:
    own = "office@elm.oakfield.example"
    fake.add_user("elm-office", "Elm office", own, account_enabled=False, licensed=False)
    fake.send_scope = {SENDER, own}  # the grant reaches the bot's mailboxes only
    rows = run_checks(
        m365_settings(tmp_path), transport=fake.transport, schools={"Elm Primary": own}
    )
    named = by_name(rows)
    assert named["Mail.Send (Elm Primary)"].ok and own in named["Mail.Send (Elm Primary)"].detail
    # the other school's mailbox is the bot's own, not "another mailbox" the grant reaches
    assert named["Mail.Send scope"].detail.startswith("scoped")
    assert named["Mail.Send scope (Elm Primary)"].detail.startswith("scoped")
    assert failed(rows) == set()
    fake.send_scope = {SENDER}  # the school's mailbox is left out of the grant
    named = by_name(
        run_checks(m365_settings(tmp_path), transport=fake.transport, schools={"Elm Primary": own})
    )
    row = named["Mail.Send (Elm Primary)"]
    assert not row.ok and row.fix is not None and own in row.fix
    assert named["Mail.Send"].ok
    assert fake.sent == []


def test_terrl_is_the_tenants_external_allowance_for_its_licences() -> None:
    from connectors.m365.check_mail import terrl

    assert terrl(0) == 9_500
    assert terrl(100) == 22_059  # 500 × 100^0.7 + 9,500
    assert terrl(1_000) == 72_446


def test_the_external_recipients_row_weighs_the_bots_outside_people_against_terrl(
    fake: FakeGraph, tmp_path: Path
) -> None:
    from connectors.m365.check_mail import external_row

    fake.add_user("u-g", "Gill Governor", "gill@home.example", user_type="Guest")
    fake.add_member("Governors", "u-g")
    row = by_name(check(fake, tmp_path, include_guests=True))["external recipients"]
    licensed = sum(1 for u in fake.users.values() if u["assignedLicenses"])
    assert row.ok and f"for {licensed} licensed accounts" in row.detail
    assert "people outside @oakfield.example: 1" in row.detail
    row = external_row(40, 9_000, "oakfield.example")  # a trust's governors and supply staff
    assert not row.ok and "about 16,113 recipients" in row.detail
    assert row.fix is not None and "5.7.233" in row.fix
