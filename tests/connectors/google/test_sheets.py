"""SheetsListMirror over the fake Sheets API: header management, update vs append, RAW."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("googleapiclient", reason="needs google-api-python-client")

from bot.core.ports import ListMirror, PermanentError, RetryableError
from tests.connectors.contract.kit_google import SPREADSHEET_ID, build_google, seeded_fake
from tests.support.fakes.google import SA_EMAIL, FakeGoogle, no_real_http  # noqa: F401

pytestmark = pytest.mark.usefixtures("no_real_http")

GET = "sheets.spreadsheets.values.get"
UPDATE = "sheets.spreadsheets.values.update"
APPEND = "sheets.spreadsheets.values.append"


@pytest.fixture
def fake() -> FakeGoogle:
    return seeded_fake()


def mirror_for(tmp_path: Path, fake: FakeGoogle, sheet_name: str = "Reports") -> ListMirror:
    mirror = build_google(tmp_path, fake, sheet_name=sheet_name).mirror
    assert mirror is not None
    return mirror


def test_first_upsert_writes_header_then_appends(fake: FakeGoogle, tmp_path: Path) -> None:
    mirror_for(tmp_path, fake).upsert("CR-2026-0001", {"Category": "Other", "Status": "new"})

    assert [r.method_id for r in fake.requests if r.method_id] == [GET, UPDATE, GET, APPEND]
    header_get, header_put, column_get, append = [r for r in fake.requests if r.method_id]
    assert header_get.path.endswith("/values/%27Reports%27%211%3A1")
    assert header_put.path.endswith("/values/%27Reports%27%21A1%3AC1")
    assert header_put.query["valueInputOption"] == "RAW"
    assert header_put.json()["values"] == [["Reference", "Category", "Status"]]
    assert column_get.path.endswith("/values/%27Reports%27%21A%3AA")
    assert append.path.endswith("/values/%27Reports%27%21A1:append")
    assert append.query["valueInputOption"] == "RAW"
    assert append.query["insertDataOption"] == "INSERT_ROWS"
    assert append.json()["values"] == [["CR-2026-0001", "Other", "new"]]
    assert append.principal == SA_EMAIL  # Sheets runs as the service account (shared sheet)
    assert fake.tab(SPREADSHEET_ID, "Reports") == [
        ["Reference", "Category", "Status"],
        ["CR-2026-0001", "Other", "new"],
    ]


def test_known_reference_updates_its_row_only(fake: FakeGoogle, tmp_path: Path) -> None:
    mirror = mirror_for(tmp_path, fake)
    mirror.upsert("CR-2026-0001", {"Category": "Other", "Status": "new"})
    mirror.upsert("CR-2026-0002", {"Category": "Cyberbullying", "Status": "new"})
    fake.requests.clear()

    mirror.upsert("CR-2026-0001", {"Category": "Other", "Status": "closed"})

    assert [r.method_id for r in fake.requests if r.method_id] == [GET, GET, UPDATE]
    update = fake.calls(UPDATE)[0]
    assert update.path.endswith("/values/%27Reports%27%21A2%3AC2")
    assert update.json() == {
        "range": "'Reports'!A2:C2",
        "majorDimension": "ROWS",
        "values": [["CR-2026-0001", "Other", "closed"]],
    }
    assert fake.tab(SPREADSHEET_ID, "Reports")[1:] == [
        ["CR-2026-0001", "Other", "closed"],
        ["CR-2026-0002", "Cyberbullying", "new"],
    ]


def test_new_field_adds_a_column_and_keeps_other_peoples_cells(
    fake: FakeGoogle, tmp_path: Path
) -> None:
    fake.spreadsheets[SPREADSHEET_ID].tabs["Reports"] = [
        ["Reference", "Status", "DSL notes"],
        ["CR-2026-0007", "new", "called parent"],
        [],
        ["CR-2026-0009", "new", ""],
    ]
    mirror_for(tmp_path, fake).upsert("CR-2026-0009", {"Status": "triaged", "Owner": "DSL"})

    header_put, row_put = fake.calls(UPDATE)
    assert header_put.json()["values"] == [["Reference", "Status", "DSL notes", "Owner"]]
    assert row_put.path.endswith("/values/%27Reports%27%21A4%3AD4")
    assert row_put.json()["values"] == [["CR-2026-0009", "triaged", None, "DSL"]]  # null = skip
    assert fake.tab(SPREADSHEET_ID, "Reports") == [
        ["Reference", "Status", "DSL notes", "Owner"],
        ["CR-2026-0007", "new", "called parent"],
        [],
        ["CR-2026-0009", "triaged", "", "DSL"],
    ]


def test_values_are_raw_so_formulas_stay_text(fake: FakeGoogle, tmp_path: Path) -> None:
    mirror_for(tmp_path, fake).upsert("CR-2026-0003", {"Summary": '=IMPORTXML("http://x","//a")'})
    assert fake.calls(APPEND)[0].query["valueInputOption"] == "RAW"
    assert fake.tab(SPREADSHEET_ID, "Reports")[1][1] == '=IMPORTXML("http://x","//a")'


def test_sheet_names_are_quoted_in_a1_notation(fake: FakeGoogle, tmp_path: Path) -> None:
    fake.spreadsheets[SPREADSHEET_ID].tabs["Head's list"] = []
    mirror_for(tmp_path, fake, sheet_name="Head's list").upsert("CR-1", {"Status": "new"})
    assert fake.calls(GET)[0].path.endswith("/values/%27Head%27%27s%20list%27%211%3A1")
    assert fake.tab(SPREADSHEET_ID, "Head's list") == [["Reference", "Status"], ["CR-1", "new"]]


def test_missing_tab_is_permanent_and_names_the_variable(fake: FakeGoogle, tmp_path: Path) -> None:
    with pytest.raises(PermanentError) as caught:
        mirror_for(tmp_path, fake, sheet_name="Concerns").upsert("CR-1", {"Status": "new"})
    assert "COMPLIANCE_BOT_GOOGLE__SHEET_NAME" in str(caught.value)


def test_unshared_sheet_is_permanent_and_says_share(fake: FakeGoogle, tmp_path: Path) -> None:
    fake.spreadsheets[SPREADSHEET_ID].shared_with.clear()
    with pytest.raises(PermanentError) as caught:
        mirror_for(tmp_path, fake).upsert("CR-1", {"Status": "new"})
    assert "share the sheet" in str(caught.value)


def test_server_error_is_retryable_because_upsert_rereads(fake: FakeGoogle, tmp_path: Path) -> None:
    mirror = mirror_for(tmp_path, fake)
    fake.fail_next(APPEND, raise_after=TimeoutError("timed out"))
    with pytest.raises(RetryableError):
        mirror.upsert("CR-1", {"Status": "new"})
    mirror.upsert("CR-1", {"Status": "new"})  # the retry finds the row: no duplicate
    assert fake.tab(SPREADSHEET_ID, "Reports") == [["Reference", "Status"], ["CR-1", "new"]]
