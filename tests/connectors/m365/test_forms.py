"""ListFormSource over the fake Graph: Microsoft Forms responses that a Power Automate flow writes
into a SharePoint list, read app-only (columns, items, paging, response ids, submission times),
its errors; creating the list (``compliance-bot reports microsoft-form``); and the bot's
idempotent ingestion of the list through the minute's poll (columns by internal name)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

pytest.importorskip("msgraph", reason="msgraph-sdk is not installed (uv sync --extra m365)")

from bot.core.models import ConnectorState, OutboxMessage, Report
from bot.core.ports import (
    FormResponse,
    FormSource,
    PermanentError,
    RetryableError,
    UnreadableResponse,
)
from bot.features.reports.forms import DEFAULT_FORM_QUESTIONS, poll_forms
from bot.features.reports.step import report_sweep
from connectors.m365.client import GraphClient
from connectors.m365.forms import FORM_LIST_COLUMNS, ensure_form_list, parse_submission_time
from tests.connectors.contract.kit_m365 import LIST_NAME, m365_settings
from tests.features.reports.test_support import Env, env_fixture  # noqa: F401
from tests.support.fakes.graph import (
    CLIENT_ID,
    CLIENT_SECRET,
    FORMS_LIST,
    SENDER,
    SITE_ID,
    SITE_URL,
    TENANT_ID,
    FakeClock,
    FakeGraph,
)
from tests.support.helpers import step_context

LONG_WAIT = "200"  # beyond the SDK's 180 s retry cap: the answer comes straight back


def item(
    rid: str,
    submitted: str,
    category: str = "Other",
    what: str = "Fictional text",
    email: str = "",
    **answers: str,
) -> dict[str, str]:
    """One list item as the flow's SharePoint 'Create item' writes it."""
    fields = {
        "Title": rid,
        "SubmittedAt": submitted,
        "ResponderEmail": email,
        "Category": category,
        "WhatHappened": what,
        "WhoWasInvolved": "Two pupils",
    }
    return fields | answers


@pytest.fixture
def fake() -> FakeGraph:
    made = FakeGraph(clock=FakeClock())
    made.seed_population()  # the form list holds responses r-1 and r-2
    return made


@pytest.fixture
def connect(fake: FakeGraph, tmp_path: Path) -> Any:
    from connectors.m365.connector import build

    made: list[Any] = []

    def factory(**overrides: Any) -> Any:
        connectors = build(m365_settings(tmp_path, **overrides), transport=fake.transport)
        made.append(connectors)
        return connectors

    yield factory
    for connectors in made:
        connectors.mailer.client.close()


@pytest.fixture
def forms(connect: Any) -> FormSource:
    made = connect().forms
    assert made is not None
    return made


def form_list(fake: FakeGraph) -> dict[str, Any]:
    return next(x for x in fake.sites[SITE_ID].values() if x["displayName"] == FORMS_LIST)


# --------------------------------------------------------------------------- the list


def test_the_list_columns_carry_the_question_titles_the_bot_matches() -> None:
    titles = {c.title for c in FORM_LIST_COLUMNS}
    assert set(DEFAULT_FORM_QUESTIONS.values()) <= titles
    assert {c.title for c in FORM_LIST_COLUMNS if c.multiline} == {
        "What happened",
        "Who was involved",
    }


def test_ensure_form_list_creates_it_once_then_adds_only_missing_columns(
    fake: FakeGraph, tmp_path: Path
) -> None:
    settings = m365_settings(tmp_path)
    with GraphClient.from_settings(settings.m365, transport=fake.transport) as client:
        made, added = ensure_form_list(client, SITE_ID, "Concern form")
        assert added == [f"the list 'Concern form' with {len(FORM_LIST_COLUMNS)} columns"]
        created = [r for r in fake.graph_requests("POST") if r.url.path.endswith("/lists")]
        assert len(created) == 1
        again, added = ensure_form_list(client, SITE_ID, "concern FORM")
        assert (again.id, added) == (made.id, [])
        data = fake.sites[SITE_ID][made.id]
        data["columns"] = [c for c in data["columns"] if c["name"] != "School"]
        _, added = ensure_form_list(client, SITE_ID, "Concern form")
        assert added == ["the column 'School'"]
        assert client.site_url(SITE_ID) == SITE_URL
    columns = {c["name"]: c for c in fake.sites[SITE_ID][made.id]["columns"]}
    assert columns["WhatHappened"]["text"]["allowMultipleLines"] is True
    assert columns["Category"]["text"] == {"allowMultipleLines": False, "maxLength": 255}
    assert columns["SubmittedAt"]["displayName"] == "Submission time"
    assert not fake.rejected


# --------------------------------------------------------------------------- reading


def test_responses_come_from_the_list_items(forms: FormSource, fake: FakeGraph) -> None:
    fake.add_form_list(
        [
            item(
                "7",
                "2026-11-02T09:30:00Z",
                "Cyberbullying",
                "Line one\nLine two",
                email="ann@oakfield.example",
            ),
            item("8", "2026-07-01T08:30:00.1234567Z", When="Friday"),
        ],
        name="Concern form",
    )
    source = type(forms)(forms.client, SITE_ID, "Concern form")  # type: ignore[attr-defined]
    got = source.responses(None)
    assert [(r.response_id, r.submitted_at) for r in got] == [
        ("8", datetime(2026, 7, 1, 8, 30, 0, 123456, tzinfo=UTC)),
        ("7", datetime(2026, 11, 2, 9, 30, tzinfo=UTC)),
    ]
    assert got[1].answers["What happened"] == "Line one\nLine two"
    assert got[1].answers["Category"] == "Cyberbullying"
    assert got[1].respondent_email == "ann@oakfield.example"
    assert got[0].respondent_email is None and got[0].answers["When"] == "Friday"
    assert "Submission time" not in got[0].answers and "Title" not in got[0].answers
    reads = fake.graph_requests("GET", r"/items")
    assert reads and all(r.url.params["$select"] == "id" for r in reads)


def test_since_keeps_only_later_responses_and_duplicates_count_once(
    forms: FormSource, fake: FakeGraph
) -> None:
    data = form_list(fake)
    data["items"].clear()
    for number, fields in enumerate(
        [
            item("1", "2026-11-02T09:30:00Z"),
            item("2", "2026-11-03T09:30:00Z"),
            item("2", "2026-11-03T09:31:00Z", what="Power Automate ran the flow twice"),
            item("", "2026-11-03T10:00:00Z"),
        ],
        start=1,
    ):
        data["items"][str(number)] = fields
    *read, blank = forms.responses(None)
    assert [r.response_id for r in read] == ["1", "2"]  # type: ignore[union-attr]
    assert blank == UnreadableResponse(
        "list item 4",
        "list 'Form responses', item 4",
        "its Title (the form's Response Id) is empty",
    )
    since = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
    assert [getattr(r, "response_id", "?") for r in forms.responses(since)] == ["2", "?"]
    assert read[1].answers["What happened"] == "Fictional text"  # type: ignore[union-attr]


def test_items_are_read_page_by_page(forms: FormSource, fake: FakeGraph) -> None:
    data = form_list(fake)
    data["items"] = {
        str(n): item(f"r{n}", f"2026-11-02T{9 + n // 60:02d}:{n % 60:02d}:00Z")
        for n in range(1, 251)
    }
    data["next"] = 251
    assert len(forms.responses(None)) == 250
    pages = fake.graph_requests("GET", r"/items")
    assert len(pages) == 3 and "$skiptoken" in str(pages[-1].url)


def test_a_bad_submission_time_is_skipped_and_named_never_shown(
    forms: FormSource, fake: FakeGraph
) -> None:
    form_list(fake)["items"]["1"]["SubmittedAt"] = "Fictional text typed in the wrong column"
    read = forms.responses(None)
    assert [getattr(r, "response_id", None) for r in read] == ["r-2", None]  # never blocks
    assert read[1] == UnreadableResponse(
        "r-1",
        "list 'Form responses', item 1 (response r-1)",
        "its 'Submission time' (SubmittedAt) is not a time in the form ISO 8601 with an "
        "offset, e.g. 2026-11-23T09:05:00Z",
    )


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("2026-11-23T09:05:00.0000000Z", datetime(2026, 11, 23, 9, 5, tzinfo=UTC)),  # utcNow()
        ("2026-07-01T08:30:00.1234567Z", datetime(2026, 7, 1, 8, 30, 0, 123456, tzinfo=UTC)),
        ("2026-07-01T09:30:00+01:00", datetime(2026, 7, 1, 8, 30, tzinfo=UTC)),
        ("2026-07-01T09:30+0100", datetime(2026, 7, 1, 8, 30, tzinfo=UTC)),
        ("2026-11-23T09:05:00Z", datetime(2026, 11, 23, 9, 5, tzinfo=UTC)),
    ],
)
def test_submission_times_as_the_flow_writes_them(written: str, expected: datetime) -> None:
    assert parse_submission_time(written) == expected


@pytest.mark.parametrize(
    "written",
    ["2026-10-01T09:05:00", "11/23/2026 9:05:00 AM", "2026-02-30T09:05:00Z", "", "last Tuesday"],
)
def test_submission_times_without_an_offset_or_not_iso_are_refused(written: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_submission_time(written)
    assert written not in str(caught.value) or not written


def test_display_names_are_free_to_change(forms: FormSource, fake: FakeGraph) -> None:
    data = form_list(fake)
    for column in data["columns"]:  # someone renames every column SharePoint shows
        if column["name"] in ("AboutHeadteacher", "WhatHappened", "SubmittedAt"):
            column["displayName"] = f"Renamed {column['name']}"
    data["items"]["1"]["AboutHeadteacher"] = "Yes"
    read = forms.responses(None)
    first = read[0]
    assert isinstance(first, FormResponse) and first.response_id == "r-1"
    assert first.answers["Is this about the headteacher?"] == "Yes"
    assert first.answers["What happened"]
    assert not any(k.startswith("Renamed") for k in first.answers)


HAND_MADE = [  # as SharePoint's UI names columns typed with spaces
    ("SubmittedAt", "Submission time", False),
    ("ResponderEmail", "Responder's email", False),
    ("Category", "Category", False),
    ("What_x0020_happened", "What happened", True),
    ("When", "When", False),
    ("Where", "Where", False),
    ("WhoWasInvolved", "Who was involved", True),
    ("YourName", "Your name", False),
    ("YourEmail", "Your email", False),
    ("Is_x0020_this_x0020_about_x0020_", "Is this about the headteacher?", False),
    ("NudeImages", "Does it involve nude or semi-nude images?", False),
]


def test_a_hand_made_list_with_other_internal_names_is_refused_naming_them(
    connect: Any, fake: FakeGraph
) -> None:
    fake.add_form_list([], name="Hand made", columns=HAND_MADE)
    forms = connect(forms_list="Hand made").forms
    with pytest.raises(PermanentError) as caught:
        forms.responses(None)
    text = str(caught.value)
    assert (
        "the column shown as 'What happened' has the internal name 'What_x0020_happened', "
        "but the bot reads 'WhatHappened'" in text
    )
    assert (
        "the column shown as 'Is this about the headteacher?' has the internal name "
        "'Is_x0020_this_x0020_about_x0020_', but the bot reads 'AboutHeadteacher'" in text
    )
    assert "no column with the internal name 'School' ('School')" in text
    assert not fake.graph_requests("GET", r"/items")  # nothing misread


def test_a_missing_list_names_the_command_that_makes_it(connect: Any, fake: FakeGraph) -> None:
    forms = connect(forms_list="Forms answers").forms
    with pytest.raises(PermanentError) as caught:
        forms.responses(None)
    assert "no list 'Forms answers'" in str(caught.value)
    assert "compliance-bot reports microsoft-form" in str(caught.value)


def test_no_site_grant_is_permanent_and_names_sites_selected(
    forms: FormSource, fake: FakeGraph
) -> None:
    fake.granted_sites.clear()
    with pytest.raises(PermanentError) as caught:
        forms.responses(None)
    assert "403" in str(caught.value) and "Sites.Selected" in str(caught.value)


@pytest.mark.parametrize("status", [429, 503])
def test_throttled_or_unavailable_reads_are_retryable(
    forms: FormSource, fake: FakeGraph, status: int
) -> None:
    fake.fail("GET", r"/items", status=status, headers={"Retry-After": LONG_WAIT})
    with pytest.raises(RetryableError) as caught:
        forms.responses(None)
    assert caught.value.retry_after == float(LONG_WAIT)
    assert [r.response_id for r in forms.responses(None)] == ["r-1", "r-2"]  # next sweep


def test_old_workbook_settings_are_refused_with_the_new_name(tmp_path: Path) -> None:
    with pytest.raises(ValueError) as caught:
        m365_settings(tmp_path, forms_drive_id="b!old")
    text = str(caught.value)
    assert "COMPLIANCE_BOT_M365__FORMS_DRIVE_ID" in text
    assert "COMPLIANCE_BOT_M365__FORMS_LIST" in text


def test_the_microsoft_form_command_creates_the_list_and_prints_the_flow(
    fake: FakeGraph, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.cli.main import app

    real = GraphClient.from_settings.__func__  # type: ignore[attr-defined]
    monkeypatch.setattr(  # the fake tenant instead of the network; everything else is real
        GraphClient,
        "from_settings",
        classmethod(lambda cls, m365, transport=None: real(cls, m365, transport=fake.transport)),
    )
    env = {
        "COMPLIANCE_BOT_HOME": str(tmp_path),
        "COMPLIANCE_BOT_CONNECTOR": "m365",
        "COMPLIANCE_BOT_M365__TENANT_ID": TENANT_ID,
        "COMPLIANCE_BOT_M365__CLIENT_ID": CLIENT_ID,
        "COMPLIANCE_BOT_M365__CLIENT_SECRET": CLIENT_SECRET,
        "COMPLIANCE_BOT_M365__SENDER": SENDER,
        "COMPLIANCE_BOT_M365__SITE_ID": SITE_ID,
        "COMPLIANCE_BOT_M365__FORMS_LIST": "Concern form",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(app, ["reports", "microsoft-form"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert (
        f"Created the list 'Concern form' with {len(FORM_LIST_COLUMNS)} columns in {SITE_URL}."
        in out
    )
    assert "1. Power Automate > Create > Automated cloud flow" in out
    assert "When a new response is submitted" in out and "Get response details" in out
    assert f"Site Address: {SITE_URL}; List Name: Concern form." in out
    assert "  Title: 'Response Id'" in out
    assert (
        "  What happened (internal name WhatHappened): the answer to your question "
        "'What happened'" in out
    )
    assert "  Submission time (internal name SubmittedAt): Submission time, which must read" in out
    assert "compliance-bot check m365" in out
    again = CliRunner().invoke(app, ["reports", "microsoft-form"])
    assert "The list 'Concern form' is ready" in again.output
    created = [r for r in fake.graph_requests("POST") if r.url.path.endswith("/lists")]
    assert len(created) == 1
    monkeypatch.delenv("COMPLIANCE_BOT_M365__FORMS_LIST")
    unset = CliRunner().invoke(app, ["reports", "microsoft-form"])
    assert unset.exit_code == 2 and "COMPLIANCE_BOT_M365__FORMS_LIST" in unset.output


# --------------------------------------------------------------------------- through the bot


SECRET = "UNIQUE-FORMS-TEXT-5120"
NOW = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)


def bot_item(rid: str, submitted: str, category: str, what: str) -> dict[str, str]:
    return item(
        rid,
        submitted,
        category,
        what,
        When="Friday",
        Where="Snapchat",
        WhoWasInvolved="Two pupils in Year 6",
    )


def test_the_minute_poll_ingests_each_list_response_once_and_the_sweep_mirrors_them(
    env: Env, connect: Any, fake: FakeGraph
) -> None:
    data = form_list(fake)
    data["items"] = {
        "1": bot_item("1", "2026-11-02T09:30:00Z", "Cyberbullying", SECRET),
        "2": bot_item("2", "2026-11-02T10:30:00Z", "Something odd", "Unclear"),
    }
    data["next"] = 3
    ctx = env.context
    connectors = connect()

    def sweep() -> dict[str, int]:
        polled = poll_forms(ctx.store, ctx.config, connectors.forms, now=NOW, base_url="")
        with ctx.store.transaction() as session:
            counts = report_sweep(
                step_context(ctx, session, env.school, NOW, connectors=connectors)
            )
        assert "reports_ingested" not in counts  # the sweep no longer reads the form
        return {"reports_ingested": polled.stored, **counts}

    def stored() -> dict[str, Report]:
        with ctx.store.session() as session:
            return {r.source_ref: r for r in session.scalars(select(Report))}

    def add(fields: dict[str, str]) -> None:
        data["items"][str(data["next"])] = fields
        data["next"] += 1

    first = sweep()
    assert (first["reports_ingested"], first["reports_mirrored"]) == (2, 2)
    again = sweep()
    assert (again["reports_ingested"], again["reports_mirrored"]) == (0, 0)
    assert set(stored()) == {"1", "2"}

    # a new response arrives (and the flow, retried by Power Automate, writes response 1 again)
    add(bot_item("3", "2026-11-03T09:30:00Z", "Personal data breach", "Lost laptop"))
    add(bot_item("1", "2026-11-02T09:30:00Z", "Cyberbullying", SECRET))
    assert sweep()["reports_ingested"] == 1
    assert sweep()["reports_ingested"] == 0
    # a response submitted earlier arrives late (its flow run was delayed)
    add(bot_item("4", "2026-11-02T21:30:00Z", "Other", "Late arrival"))
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
    # the tracked list's mirror got the references, and no form text
    assert set(fake.rows_of(LIST_NAME)) == {r.reference for r in found.values()}
    for request in fake.graph_requests():
        assert SECRET.encode() not in request.content and "Snapchat" not in str(request.url)
    # the form list is only ever read: the bot never writes or deletes a response
    form_id = data["id"]
    assert not [r for r in fake.graph_requests() if form_id in r.url.path and r.method != "GET"]


def test_about_the_headteacher_is_read_by_internal_name_and_never_reaches_the_head(
    env: Env, connect: Any, fake: FakeGraph
) -> None:
    data = form_list(fake)
    for column in data["columns"]:
        if column["name"] == "AboutHeadteacher":
            column["displayName"] = "Concern about the head?"  # renamed in SharePoint
    data["items"] = {
        "1": bot_item("1", "2026-11-02T09:30:00.0000000Z", "Member of staff", SECRET)
        | {"AboutHeadteacher": "Yes"}
    }
    ctx = env.context
    polled = poll_forms(ctx.store, ctx.config, connect().forms, now=NOW, base_url="")
    assert (polled.stored, polled.flagged) == (1, 0)
    with ctx.store.session() as session:
        report = session.scalars(select(Report)).one()
        alerts = [
            m
            for m in session.scalars(select(OutboxMessage))
            if m.idempotency_key.startswith("report-alert:")
        ]
    assert report.about_headteacher and report.what_happened == SECRET
    assert alerts and all(env.school.headteacher not in m.recipients for m in alerts)
    assert any("chair@oak.example" in m.recipients for m in alerts)
