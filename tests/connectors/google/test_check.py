"""run_checks against the fake Workspace: what works, and the fix it prints when not."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("googleapiclient", reason="needs google-api-python-client")

from connectors.google.check import CheckRow, run_checks
from tests.connectors.contract.kit_google import (
    FORM_ID,
    SPREADSHEET_ID,
    google_settings,
    seeded_fake,
)
from tests.support.fakes.google import SA_CLIENT_ID, SA_EMAIL, FakeGoogle, no_real_http  # noqa: F401

pytestmark = pytest.mark.usefixtures("no_real_http")

GMAIL_SEND = "https://www.googleapis.com/auth/gmail.send"


@pytest.fixture
def fake() -> FakeGoogle:
    return seeded_fake()


def rows_by_name(rows: list[CheckRow]) -> dict[str, CheckRow]:
    return {r.name: r for r in rows}


def test_everything_ok_and_nothing_written(fake: FakeGoogle, tmp_path: Path) -> None:
    rows = run_checks(google_settings(tmp_path), http=fake)
    assert all(r.ok for r in rows), [r for r in rows if not r.ok]
    names = [r.name for r in rows]
    assert names[:2] == ["Service account key", "Directory users"]
    assert "Directory group governors@oakfield.example" in names
    assert names[-6:] == [
        "Gmail send",
        "Gmail sent-mail lookup (optional)",
        "Sheets mirror",
        "Google Forms",
        "Chat webhook",
        "Mail pacing",
    ]
    lookup = rows_by_name(rows)["Gmail sent-mail lookup (optional)"].detail
    assert "looked up by its Message-ID" in lookup and "marked bounced" in lookup
    by_name = rows_by_name(rows)
    assert SA_CLIENT_ID in by_name["Service account key"].detail
    assert "no mail sent" in by_name["Gmail send"].detail
    assert "not called" in by_name["Chat webhook"].detail
    written = {r.method for r in fake.requests} - {"GET"}
    assert written == set()  # read calls only
    assert fake.sent == [] and fake.chat_requests == []


def test_missing_gmail_delegation_names_client_id_and_scope(
    fake: FakeGoogle, tmp_path: Path
) -> None:
    fake.delegation[SA_CLIENT_ID].discard(GMAIL_SEND)
    by_name = rows_by_name(run_checks(google_settings(tmp_path), http=fake))
    gmail = by_name["Gmail send"]
    assert not gmail.ok
    assert gmail.fix is not None
    assert SA_CLIENT_ID in gmail.fix and GMAIL_SEND in gmail.fix
    assert "Domain-wide delegation" in gmail.fix
    assert by_name["Directory users"].ok


def test_subject_who_is_not_an_admin(fake: FakeGoogle, tmp_path: Path) -> None:
    settings = google_settings(tmp_path, admin_subject="ben.teacher@oakfield.example")
    rows = run_checks(settings, http=fake)
    users = rows_by_name(rows)["Directory users"]
    assert not users.ok and users.fix is not None and "admin role" in users.fix
    assert not any(r.name.startswith("Directory group") for r in rows)


def test_unknown_subject(fake: FakeGoogle, tmp_path: Path) -> None:
    settings = google_settings(tmp_path, admin_subject="nobody@oakfield.example")
    users = rows_by_name(run_checks(settings, http=fake))["Directory users"]
    assert not users.ok and users.fix is not None
    assert "COMPLIANCE_BOT_GOOGLE__ADMIN_SUBJECT" in users.fix


def test_missing_group(fake: FakeGoogle, tmp_path: Path) -> None:
    settings = google_settings(tmp_path, role_groups={"typo@oakfield.example": "governor"})
    row = rows_by_name(run_checks(settings, http=fake))["Directory group typo@oakfield.example"]
    assert not row.ok and row.fix is not None and "ROLE_GROUPS" in row.fix


def test_unshared_sheet_and_form_say_share_with_the_service_account(
    fake: FakeGoogle, tmp_path: Path
) -> None:
    fake.spreadsheets[SPREADSHEET_ID].shared_with.clear()
    fake.forms[FORM_ID].shared_with.clear()
    by_name = rows_by_name(run_checks(google_settings(tmp_path), http=fake))
    for name in ("Sheets mirror", "Google Forms"):
        row = by_name[name]
        assert not row.ok and row.fix is not None and SA_EMAIL in row.fix


def test_missing_tab(fake: FakeGoogle, tmp_path: Path) -> None:
    row = rows_by_name(run_checks(google_settings(tmp_path, sheet_name="Concerns"), http=fake))[
        "Sheets mirror"
    ]
    assert not row.ok and row.fix is not None and "SHEET_NAME" in row.fix


def test_optional_parts_not_configured_are_ok(fake: FakeGoogle, tmp_path: Path) -> None:
    settings = google_settings(
        tmp_path, spreadsheet_id=None, form_id=None, chat_webhook_url=None, role_groups={}
    )
    rows = run_checks(settings, http=fake)
    assert all(r.ok for r in rows)
    assert sum("not configured" in r.detail or "none configured" in r.detail for r in rows) == 4


def test_bad_webhook_url(fake: FakeGoogle, tmp_path: Path) -> None:
    settings = google_settings(tmp_path, chat_webhook_url="https://example.org/hook")
    row = rows_by_name(run_checks(settings, http=fake))["Chat webhook"]
    assert not row.ok and row.fix is not None and "CHAT_WEBHOOK_URL" in row.fix


def test_key_file_problems_stop_early(tmp_path: Path) -> None:
    missing = run_checks(google_settings(tmp_path, service_account_file=None))
    assert [(r.name, r.ok) for r in missing] == [("Service account key", False)]
    assert missing[0].fix is not None
    assert "COMPLIANCE_BOT_GOOGLE__SERVICE_ACCOUNT_FILE" in missing[0].fix
    broken = run_checks(google_settings(tmp_path, service_account_file=tmp_path / "nope.json"))
    assert [(r.name, r.ok) for r in broken] == [("Service account key", False)]
    assert "file not found" in broken[0].detail


def test_the_directory_row_says_which_users_are_read(fake: FakeGoogle, tmp_path: Path) -> None:
    users = rows_by_name(run_checks(google_settings(tmp_path), http=fake))["Directory users"]
    assert (
        users.ok
        and "only members of the COMPLIANCE_BOT_GOOGLE__ROLE_GROUPS groups are read" in users.detail
    )
    settings = google_settings(tmp_path, all_users=True)
    users = rows_by_name(run_checks(settings, http=fake))["Directory users"]
    assert users.ok and "every user of the domain is read, pupils too" in users.detail
    assert "COMPLIANCE_BOT_GOOGLE__USER_QUERY" in users.detail
    assert "COMPLIANCE_BOT_GOOGLE__ALL_USERS=false" in users.detail
    settings = google_settings(tmp_path, user_query="orgUnitPath='/Staff'", all_users=True)
    users = rows_by_name(run_checks(settings, http=fake))["Directory users"]
    assert users.ok and "only users matching orgUnitPath='/Staff' are read" in users.detail
    assert fake.calls("directory.users.list")[-1].query["query"] == "orgUnitPath='/Staff'"


def test_a_user_query_google_cannot_read_names_the_setting(
    fake: FakeGoogle, tmp_path: Path
) -> None:
    settings = google_settings(tmp_path, user_query="department=Staff")
    users = rows_by_name(run_checks(settings, http=fake))["Directory users"]
    assert not users.ok and users.fix is not None
    assert "COMPLIANCE_BOT_GOOGLE__USER_QUERY=department=Staff" in users.detail
    assert "orgUnitPath='/Staff'" in users.fix


def test_a_school_s_own_gmail_account_is_checked_as_the_install_s_is(
    fake: FakeGoogle, tmp_path: Path
) -> None:
    settings = google_settings(tmp_path)
    rows = rows_by_name(
        run_checks(settings, http=fake, schools={"Elm Primary": "ben.teacher@oakfield.example"})
    )
    own = rows["Gmail send (Elm Primary)"]
    assert own.ok and "ben.teacher@oakfield.example" in own.detail
    assert "Gmail sent-mail lookup (optional) (Elm Primary)" in rows
    rows = rows_by_name(
        run_checks(settings, http=fake, schools={"Elm Primary": "nobody@oakfield.example"})
    )
    assert not rows["Gmail send (Elm Primary)"].ok and rows["Gmail send"].ok
    assert fake.sent == []


def test_the_chat_app_rows_say_what_its_cards_can_do(fake: FakeGoogle, tmp_path: Path) -> None:
    """With a Chat app: a chat.bot token as the app, and whether missing direct messages can be
    set up as staff (chat.spaces.create delegated); nothing posted, nothing set up."""
    settings = google_settings(tmp_path, chat_project_number="123456789012")
    by_name = rows_by_name(run_checks(settings, http=fake))
    assert by_name["Chat app cards"].ok and "nothing posted" in by_name["Chat app cards"].detail
    setup = by_name["Chat direct messages set up as staff (optional)"]
    assert setup.ok and "chat.spaces.create token issued" in setup.detail
    fake.delegation[SA_CLIENT_ID].discard("https://www.googleapis.com/auth/chat.spaces.create")
    setup = rows_by_name(run_checks(settings, http=fake))[
        "Chat direct messages set up as staff (optional)"
    ]
    assert setup.ok and "not granted" in setup.detail and "chat.spaces.create" in setup.detail
    assert not fake.calls("chat.spaces.setup") and not fake.chat_messages
