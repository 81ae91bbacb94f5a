"""WorkbookFormSource over the fake Graph: Microsoft Forms responses read from the form's synced
Excel table (header, rows, paging, Excel dates in Europe/London), its errors; and the bot's
idempotent ingestion of the workbook through the report sweep."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

pytest.importorskip("msgraph", reason="msgraph-sdk is not installed (uv sync --extra m365)")

from bot.core.models import ConnectorState, Report
from bot.features.reports.step import report_sweep
from connectors.base import FormSource, PermanentError, RetryableError
from tests.connectors.contract.kit_m365 import LIST_NAME
from tests.features.reports.test_support import Env, env_fixture  # noqa: F401
from tests.support.fakes.graph import DRIVE_ID, ITEM_ID, TABLE, FakeClock, FakeGraph
from tests.support.helpers import step_context

HEADER = [
    "ID",
    "Start time",
    "Completion time",
    "Email",
    "Name",
    "Category",
    "What happened",
    "Who was involved",
]
# Excel serials written independently of the connector: 46328 is 2 November 2026 (GMT, so
# London = UTC) and 46204 is 1 July 2026 (BST, London = UTC+1); 0.39583333 of a day is 09:30.
GMT_0930 = 46328.39583333
BST_0930 = 46204.39583333
TABLE_PATH = f"/drives/{DRIVE_ID}/items/{ITEM_ID}/workbook/tables/{TABLE}"
LONG_WAIT = "200"  # beyond the SDK's 180 s retry cap: the answer comes straight back


def row(
    rid: Any,
    completed: Any,
    category: str = "Other",
    what: str = "Fictional text",
    email: str = "anonymous",
    started: Any = None,
) -> list[Any]:
    """One workbook row as Forms writes it (the start a few minutes before completion)."""
    if started is None:
        started = completed - 0.002 if isinstance(completed, float) else completed
    return [rid, started, completed, email, "", category, what, "Two pupils"]


@pytest.fixture
def fake() -> FakeGraph:
    return FakeGraph(clock=FakeClock())


@pytest.fixture
def forms(connect: Any) -> FormSource:
    made = connect().forms
    assert made is not None
    return made


def workbook_calls(fake: FakeGraph) -> list[tuple[str, dict[str, str]]]:
    """Workbook requests as (what, query parameters)."""
    out = []
    for request in fake.graph_requests("GET", r"/workbook/"):
        path = request.url.path.removeprefix("/v1.0")
        assert path.startswith(TABLE_PATH), path
        out.append((path.removeprefix(TABLE_PATH), dict(request.url.params)))
    return out


# --------------------------------------------------------------------------- reading


def test_responses_come_from_the_header_and_rows(forms: FormSource, fake: FakeGraph) -> None:
    fake.add_workbook(
        HEADER,
        [
            row(1, GMT_0930, "Cyberbullying", "Messages in a group chat", "parent@home.example"),
            row(2, BST_0930, "Mobile device misuse", "Phone out in class"),
        ],
    )

    found = forms.responses(None)

    assert workbook_calls(fake) == [("/headerRowRange()", {}), ("/rows", {})]
    assert [r.response_id for r in found] == ["2", "1"]  # oldest first: July before November
    july, november = found
    assert july.submitted_at == datetime(2026, 7, 1, 8, 30, tzinfo=UTC)  # BST: an hour back
    assert november.submitted_at == datetime(2026, 11, 2, 9, 30, tzinfo=UTC)  # GMT: as written
    assert november.answers == {  # the Forms system columns are not answers
        "Category": "Cyberbullying",
        "What happened": "Messages in a group chat",
        "Who was involved": "Two pupils",
    }
    assert november.respondent_email == "parent@home.example"
    assert july.respondent_email is None  # Forms writes "anonymous"
    assert fake.rejected == []


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (GMT_0930, datetime(2026, 11, 2, 9, 30, tzinfo=UTC)),
        (BST_0930, datetime(2026, 7, 1, 8, 30, tzinfo=UTC)),
        (46328, datetime(2026, 11, 2, 0, 0, tzinfo=UTC)),  # a whole day: midnight
        (46204.59375, datetime(2026, 7, 1, 13, 15, tzinfo=UTC)),  # 14:15 BST
        ("2026-11-02T09:30:00Z", datetime(2026, 11, 2, 9, 30, tzinfo=UTC)),
        ("2026-07-01T09:30:00+01:00", datetime(2026, 7, 1, 8, 30, tzinfo=UTC)),
        ("2026-07-01 09:30:00", datetime(2026, 7, 1, 8, 30, tzinfo=UTC)),  # London wall clock
        ("02/11/2026 09:30:00", datetime(2026, 11, 2, 9, 30, tzinfo=UTC)),  # UK day first
        ("01/07/2026 09:30", datetime(2026, 7, 1, 8, 30, tzinfo=UTC)),
        ("1/7/2026 9:30", datetime(2026, 7, 1, 8, 30, tzinfo=UTC)),
        ("02/11/2026", datetime(2026, 11, 2, 0, 0, tzinfo=UTC)),
        ("46204.39583333", datetime(2026, 7, 1, 8, 30, tzinfo=UTC)),  # a serial stored as text
    ],
)
def test_excel_and_text_dates_become_utc(
    forms: FormSource, fake: FakeGraph, cell: Any, expected: datetime
) -> None:
    fake.add_workbook(HEADER, [row(7, cell, started="")])
    [response] = forms.responses(None)
    assert response.submitted_at == expected
    assert response.submitted_at.tzinfo is not None


def test_since_keeps_only_later_responses(forms: FormSource, fake: FakeGraph) -> None:
    fake.add_workbook(
        HEADER,
        [row(1, GMT_0930), row(2, GMT_0930 + 1), row(3, GMT_0930 + 2)],  # 2, 3, 4 November
    )
    second = datetime(2026, 11, 3, 9, 30, tzinfo=UTC)

    assert [r.response_id for r in forms.responses(second)] == ["3"]  # strictly after
    assert [r.response_id for r in forms.responses(datetime(2026, 11, 3, tzinfo=UTC))] == [
        "2",
        "3",
    ]
    assert forms.responses(datetime(2026, 11, 5, tzinfo=UTC)) == []
    assert len(fake.graph_requests("GET", r"/headerRowRange")) == 3  # read afresh every time


def test_duplicate_ids_count_once_and_empty_rows_are_skipped(
    forms: FormSource, fake: FakeGraph
) -> None:
    blank = [""] * len(HEADER)  # what the workbook API returns for an empty table row
    fake.add_workbook(
        HEADER,
        [
            row(1, GMT_0930, what="first copy"),
            blank,
            row(2, GMT_0930 + 1),
            row(1.0, GMT_0930, what="pasted again"),  # Excel numbers can come back as floats
            [None] * len(HEADER),
            ["", GMT_0930, GMT_0930, "anonymous", "", "Other", "no id", ""],
        ],
    )
    found = forms.responses(None)
    assert [r.response_id for r in found] == ["1", "2"]
    assert found[0].answers["What happened"] == "first copy"


def test_short_rows_read_as_blank_answers(forms: FormSource, fake: FakeGraph) -> None:
    fake.add_workbook(HEADER, [[5, GMT_0930, GMT_0930, "anonymous"]])
    [response] = forms.responses(None)
    assert response.answers == {"Category": "", "What happened": "", "Who was involved": ""}


def test_start_time_stands_in_for_a_missing_completion_time(
    forms: FormSource, fake: FakeGraph
) -> None:
    header = [h for h in HEADER if h != "Completion time"]
    fake.add_workbook(header, [[9, BST_0930, "anonymous", "", "Other", "x", "y"]])
    [response] = forms.responses(None)
    assert response.submitted_at == datetime(2026, 7, 1, 8, 30, tzinfo=UTC)


def test_rows_are_read_page_by_page(forms: FormSource, fake: FakeGraph) -> None:
    assert fake.page_size == 2
    fake.add_workbook(HEADER, [row(n, GMT_0930 + n) for n in range(1, 6)])

    found = forms.responses(None)

    assert [r.response_id for r in found] == ["1", "2", "3", "4", "5"]
    assert workbook_calls(fake) == [
        ("/headerRowRange()", {}),
        ("/rows", {}),
        ("/rows", {"$top": "2", "$skip": "2"}),  # followed @odata.nextLink as given
        ("/rows", {"$top": "2", "$skip": "4"}),
    ]


# --------------------------------------------------------------------------- bad workbooks


@pytest.mark.parametrize("missing", ["ID", "Completion time"])
def test_a_missing_system_column_names_the_table(
    forms: FormSource, fake: FakeGraph, missing: str
) -> None:
    header = [h for h in HEADER if h not in (missing, "Start time")]
    fake.add_workbook(header, [[1] * len(header)])
    with pytest.raises(PermanentError) as caught:
        forms.responses(None)
    assert f"'{TABLE}'" in str(caught.value) and f"'{missing}'" in str(caught.value)


def test_a_bad_date_names_the_workbook_row(forms: FormSource, fake: FakeGraph) -> None:
    fake.add_workbook(
        HEADER,
        [row(1, GMT_0930), [""] * len(HEADER), row(3, "next Tuesday-ish", started="")],
    )
    with pytest.raises(PermanentError) as caught:
        forms.responses(None)
    assert "workbook row 4" in str(caught.value)  # header is row 1; the blank row counts
    assert "next Tuesday-ish" in str(caught.value)


@pytest.mark.parametrize("where", ["item", "table"])
def test_not_found_names_the_forms_settings(connect: Any, fake: FakeGraph, where: str) -> None:
    fake.add_workbook(HEADER, [row(1, GMT_0930)])
    overrides = {"forms_item_id": "01WRONGITEM"} if where == "item" else {"forms_table": "Form2"}
    forms = connect(**overrides).forms
    with pytest.raises(PermanentError) as caught:
        forms.responses(None)
    message = str(caught.value)
    assert "404" in message
    for name in ("FORMS_DRIVE_ID", "FORMS_ITEM_ID", "FORMS_TABLE"):
        assert name in message
    assert "COMPLIANCE_BOT_M365__" in message


def test_no_file_permission_is_permanent_and_names_it(forms: FormSource, fake: FakeGraph) -> None:
    fake.add_workbook(HEADER, [row(1, GMT_0930)])
    fake.granted.discard("Sites.Selected")
    with pytest.raises(PermanentError) as caught:
        forms.responses(None)
    assert "403" in str(caught.value) and "Sites.Selected" in str(caught.value)


@pytest.mark.parametrize("status", [429, 503])
@pytest.mark.parametrize("part", ["headerRowRange", "rows"])
def test_throttled_or_unavailable_reads_are_retryable(
    forms: FormSource, fake: FakeGraph, status: int, part: str
) -> None:
    fake.add_workbook(HEADER, [row(1, GMT_0930)])
    fake.fail("GET", rf"/{part}", status=status, headers={"Retry-After": LONG_WAIT})
    with pytest.raises(RetryableError) as caught:
        forms.responses(None)
    assert caught.value.retry_after == float(LONG_WAIT)
    assert [r.response_id for r in forms.responses(None)] == ["1"]  # the next sweep reads it


# --------------------------------------------------------------------------- through the bot


SECRET = "UNIQUE-FORMS-TEXT-5120"
BOT_HEADER = [
    "ID",
    "Start time",
    "Completion time",
    "Email",
    "Name",
    "Category",
    "What happened",
    "When",
    "Where",
    "Who was involved",
    "Your name",
    "Your email",
]
NOW = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)


def bot_row(rid: int, completed: float, category: str, what: str) -> list[Any]:
    return [
        rid,
        completed - 0.002,
        completed,
        "anonymous",
        "",
        category,
        what,
        "Friday",
        "Snapchat",
        "Two pupils in Year 6",
        "",
        "",
    ]


def test_the_sweep_ingests_each_workbook_response_once(
    env: Env, connect: Any, fake: FakeGraph
) -> None:
    fake.add_workbook(
        BOT_HEADER,
        [
            bot_row(1, GMT_0930, "Cyberbullying", SECRET),
            bot_row(2, GMT_0930 + 0.0416667, "Something odd", "Unclear"),  # 10:30
        ],
    )
    ctx = env.context
    connectors = connect()

    def sweep() -> dict[str, int]:
        with ctx.store.transaction() as session:
            return report_sweep(
                step_context(ctx, session, env.school, NOW, connectors=connectors)
            )

    def stored() -> dict[str, Report]:
        with ctx.store.session() as session:
            return {r.source_ref: r for r in session.scalars(select(Report))}

    first = sweep()
    assert (first["reports_ingested"], first["reports_mirrored"]) == (2, 2)
    again = sweep()
    assert (again["reports_ingested"], again["reports_mirrored"]) == (0, 0)
    assert len(fake.graph_requests("GET", r"/headerRowRange")) == 2  # read twice, kept once
    assert set(stored()) == {"1", "2"}

    # a new response syncs into the workbook (and someone pastes row 1 again)
    fake.workbooks[(DRIVE_ID, ITEM_ID)][TABLE]["rows"] += [
        bot_row(3, GMT_0930 + 1, "Personal data breach", "Lost laptop"),
        bot_row(1, GMT_0930, "Cyberbullying", SECRET),
    ]
    assert sweep()["reports_ingested"] == 1
    assert sweep()["reports_ingested"] == 0
    # a response submitted earlier arrives late (the workbook synced it after row 3)
    fake.workbooks[(DRIVE_ID, ITEM_ID)][TABLE]["rows"].append(
        bot_row(4, GMT_0930 + 0.5, "Other", "Late arrival")
    )
    assert sweep()["reports_ingested"] == 1

    found = stored()
    assert set(found) == {"1", "2", "3", "4"}
    assert [(r.source, r.category) for r in (found["1"], found["2"], found["3"])] == [
        ("form", "cyberbullying"),
        ("form", "other"),
        ("form", "data_breach"),
    ]
    assert found["1"].what_happened == SECRET and found["1"].anonymous
    assert found["3"].created_at.replace(tzinfo=UTC) == datetime(2026, 11, 3, 9, 30, tzinfo=UTC)
    with ctx.store.session() as session:
        last_seen = session.scalar(
            select(ConnectorState.value).where(ConnectorState.key == "reports.forms.last_seen")
        )
    assert last_seen == "2026-11-03T09:30:00+00:00"
    # the tracked list's mirror got the three references, and no form text
    assert set(fake.rows_of(LIST_NAME)) == {r.reference for r in found.values()}  # all four
    for request in fake.graph_requests():
        assert SECRET.encode() not in request.content and "Snapchat" not in str(request.url)
