"""SharePointListMirror over the fake Graph: the list and its columns on demand, Title indexed,
upsert by reference, SharePoint-safe column names, faults; and the bot's mirror step end to end
(only the minimal fields ever reach SharePoint)."""

from __future__ import annotations

import contextlib
import json
import logging
import re
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

pytest.importorskip("msgraph", reason="msgraph-sdk is not installed (uv sync --extra m365)")

from bot.core.models import Report
from bot.core.ports import ListMirror, PermanentError, RetryableError
from bot.features.reports.actions import change_status
from bot.features.reports.step import report_sweep
from connectors.m365.sharepoint import RESERVED_COLUMNS, internal_name
from tests.connectors.contract.kit_m365 import LIST_NAME
from tests.features.reports.test_support import Env, env_fixture, submission  # noqa: F401
from tests.support.fakes.graph import SITE_ID, TITLE_COLUMN_ID, FakeClock, FakeGraph
from tests.support.helpers import step_context

NOW = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
PREFER = "HonorNonIndexedQueriesWarningMayFailRandomly"
SAFE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,31}")  # what SharePoint takes as an internal name
# Beyond the SDK's RetryHandlerOption.MAX_DELAY (180 s): the SDK hands the answer straight back
# instead of sleeping and retrying, so the connector's own mapping is what the test sees.
LONG_WAIT = "200"


@pytest.fixture
def fake() -> FakeGraph:
    return FakeGraph(clock=FakeClock())


@pytest.fixture
def mirror(connect: Any) -> ListMirror:
    made = connect().mirror
    assert made is not None
    return made


# --------------------------------------------------------------------------- helpers


def calls(fake: FakeGraph) -> list[tuple[str, str]]:
    """Graph requests as (method, path) with the site and list ids replaced by placeholders."""
    out = []
    for request in fake.graph_requests():
        path = request.url.path.removeprefix("/v1.0").replace(f"/sites/{SITE_ID}", "/sites/{site}")
        out.append((request.method, re.sub(r"/lists/[0-9a-f-]{36}", "/lists/{list}", path)))
    return out


def body(request: httpx.Request) -> Any:
    """A request's JSON without the serializer's ``@odata.*`` annotations."""
    data = json.loads(request.content)
    return {k: v for k, v in data.items() if not k.startswith("@odata.")}


def the_list(fake: FakeGraph) -> dict[str, Any]:
    """The fake's record of our list (columns and items)."""
    [found] = [x for x in fake.sites[SITE_ID].values() if x["displayName"] == LIST_NAME]
    return found


def items(fake: FakeGraph) -> list[dict[str, str]]:
    """Every item's fields by internal name, duplicates included (rows_of folds them)."""
    return list(the_list(fake)["items"].values())


def column(fake: FakeGraph, name: str) -> dict[str, Any]:
    return next(c for c in the_list(fake)["columns"] if c["name"] == name)


def item_queries(fake: FakeGraph) -> list[httpx.Request]:
    return fake.graph_requests("GET", r"/items$")


# --------------------------------------------------------------------------- happy path


def test_first_upsert_on_an_empty_site_creates_the_list_and_the_item(
    mirror: ListMirror, fake: FakeGraph
) -> None:
    mirror.upsert("CR-2026-0001", {"category": "Cyberbullying", "status": "New"})

    assert calls(fake) == [
        ("GET", "/sites/{site}/lists"),
        ("POST", "/sites/{site}/lists"),
        ("GET", "/sites/{site}/lists/{list}/columns"),
        ("PATCH", f"/sites/{{site}}/lists/{{list}}/columns/{TITLE_COLUMN_ID}"),
        ("GET", "/sites/{site}/lists/{list}/items"),
        ("POST", "/sites/{site}/lists/{list}/items"),
    ]
    [create_list] = fake.graph_requests("POST", r"/lists$")
    text = {"allowMultipleLines": False, "maxLength": 255}
    assert body(create_list) == {
        "displayName": LIST_NAME,
        "list": {"template": "genericList"},
        "columns": [
            {"name": "Category", "displayName": "category", "text": text},
            {"name": "Status", "displayName": "status", "text": text},
        ],
    }
    [create_item] = fake.graph_requests("POST", r"/items$")
    assert body(create_item)["fields"] == {
        "Title": "CR-2026-0001",
        "Category": "Cyberbullying",
        "Status": "New",
    }
    assert fake.rows_of(LIST_NAME) == {
        "CR-2026-0001": {
            "Title": "CR-2026-0001",
            "reference": "CR-2026-0001",
            "category": "Cyberbullying",
            "status": "New",
        }
    }
    assert fake.rejected == []


def test_the_same_reference_again_updates_its_item(mirror: ListMirror, fake: FakeGraph) -> None:
    mirror.upsert("CR-2026-0001", {"category": "Other", "status": "New"})
    mirror.upsert("CR-2026-0002", {"category": "Cyberbullying", "status": "New"})
    fake.requests.clear()

    mirror.upsert("CR-2026-0001", {"category": "Other", "status": "Closed"})

    assert calls(fake) == [  # list and columns are remembered: one lookup, one update
        ("GET", "/sites/{site}/lists/{list}/items"),
        ("PATCH", "/sites/{site}/lists/{list}/items/1/fields"),
    ]
    [patch] = fake.graph_requests("PATCH")
    assert body(patch) == {"Category": "Other", "Status": "Closed"}
    assert [i["Title"] for i in items(fake)] == ["CR-2026-0001", "CR-2026-0002"]
    rows = fake.rows_of(LIST_NAME)
    assert (rows["CR-2026-0001"]["status"], rows["CR-2026-0002"]["status"]) == ("Closed", "New")


def test_a_new_field_later_adds_one_column(mirror: ListMirror, fake: FakeGraph) -> None:
    mirror.upsert("CR-2026-0001", {"status": "New"})
    fake.requests.clear()

    mirror.upsert("CR-2026-0001", {"status": "Closed", "closed": "2026-11-20"})

    assert calls(fake) == [
        ("POST", "/sites/{site}/lists/{list}/columns"),
        ("GET", "/sites/{site}/lists/{list}/items"),
        ("PATCH", "/sites/{site}/lists/{list}/items/1/fields"),
    ]
    [add_column] = fake.graph_requests("POST", r"/columns$")
    assert body(add_column) == {
        "name": "Closed",
        "displayName": "closed",
        "text": {"allowMultipleLines": False, "maxLength": 255},
    }
    assert fake.rows_of(LIST_NAME)["CR-2026-0001"] == {
        "Title": "CR-2026-0001",
        "reference": "CR-2026-0001",
        "status": "Closed",
        "closed": "2026-11-20",
    }
    mirror.upsert("CR-2026-0002", {"status": "New", "closed": ""})
    assert len(fake.graph_requests("POST", r"/columns$")) == 1  # known now: not added twice


def test_a_restarted_mirror_reuses_the_list_and_its_columns(connect: Any, fake: FakeGraph) -> None:
    connect().mirror.upsert("CR-2026-0001", {"created": "2026-11-03", "status": "New"})
    fake.requests.clear()

    connect().mirror.upsert("CR-2026-0001", {"created": "2026-11-03", "status": "Triaged"})

    assert calls(fake) == [  # Title is already indexed: no PATCH of the column this time
        ("GET", "/sites/{site}/lists"),
        ("GET", "/sites/{site}/lists/{list}/columns"),
        ("GET", "/sites/{site}/lists/{list}/items"),
        ("PATCH", "/sites/{site}/lists/{list}/items/1/fields"),
    ]
    [patch] = fake.graph_requests("PATCH")
    # "created" is stored in cbCreated (Created is SharePoint's own) and found again by label
    assert body(patch) == {"cbCreated": "2026-11-03", "Status": "Triaged"}
    assert len(items(fake)) == 1


# --------------------------------------------------------------------------- column names


@pytest.mark.parametrize(
    ("label", "taken", "expected"),
    [
        ("category", set(), "Category"),
        ("Due date", set(), "DueDate"),
        ("what happened?! (summary)", set(), "WhatHappenedSummary"),
        ("owner's e-mail", set(), "OwnerSEMail"),
        ("2nd reviewer", set(), "cb2ndReviewer"),  # an internal name cannot start with a digit
        ("2026", set(), "cb2026"),
        ("Title", set(), "cbTitle"),  # SharePoint's own columns are never reused
        ("title", set(), "cbTitle"),
        ("ID", set(), "cbID"),
        ("id", set(), "cbId"),
        ("created", set(), "cbCreated"),
        ("Modified", set(), "cbModified"),
        ("Author", set(), "cbAuthor"),
        ("Status", {"status"}, "Status2"),  # collisions are numbered, case-insensitively
        ("status", {"status", "status2"}, "Status3"),
        ("cb title", {"cbtitle"}, "CbTitle2"),
        ("", set(), "Field"),  # nothing usable at all
        ("— ? —", {"field"}, "Field2"),
        ("Catégorie", set(), "CatGorie"),  # letters outside ASCII are dropped
        ("x" * 40, set(), "X" + "x" * 27),  # 28 characters leave room for a number
        ("x" * 40, {"x" * 28}, "X" + "x" * 27 + "2"),
    ],
)
def test_internal_name(label: str, taken: set[str], expected: str) -> None:
    name = internal_name(label, taken)
    assert name == expected
    assert SAFE_NAME.fullmatch(name)
    assert name.casefold() not in RESERVED_COLUMNS and name.casefold() not in taken


@settings(max_examples=100, deadline=None)
@given(
    label=st.text(max_size=60),
    taken=st.sets(st.text(alphabet="abcdefgABC123", min_size=1, max_size=6), max_size=8),
)
def test_internal_names_are_always_safe_and_free(label: str, taken: set[str]) -> None:
    lowered = {t.casefold() for t in taken}
    name = internal_name(label, lowered)
    assert SAFE_NAME.fullmatch(name), name
    assert name.casefold() not in RESERVED_COLUMNS
    assert name.casefold() not in lowered


def test_labels_that_clean_up_alike_get_their_own_columns(
    mirror: ListMirror, fake: FakeGraph
) -> None:
    mirror.upsert("CR-2026-0001", {"Due date": "a", "due-date": "b", "Title": "c", "ID": "d"})

    names = [(c["displayName"], c["name"]) for c in the_list(fake)["columns"]]
    assert ("Due date", "DueDate") in names and ("due-date", "DueDate2") in names
    # SharePoint's own Title and ID keep their internal names; ours get a prefix
    assert [n for label, n in names if label == "Title"] == ["Title", "cbTitle"]
    assert [n for label, n in names if label == "ID"] == ["ID", "cbID"]
    [create] = fake.graph_requests("POST", r"/items$")
    assert body(create)["fields"] == {
        "Title": "CR-2026-0001",  # the reference, not the "Title" field's value
        "DueDate": "a",
        "DueDate2": "b",
        "cbTitle": "c",
        "cbID": "d",
    }


def test_a_label_equal_to_another_columns_internal_name_keeps_its_own_column(
    mirror: ListMirror, fake: FakeGraph
) -> None:
    mirror.upsert("CR-2026-0001", {"Due date": "a", "DueDate": "b"})

    assert fake.rows_of(LIST_NAME)["CR-2026-0001"] == {
        "Title": "CR-2026-0001",
        "reference": "CR-2026-0001",
        "Due date": "a",
        "DueDate": "b",
    }


# --------------------------------------------------------------------------- Title index


def test_title_is_indexed_and_every_lookup_filters_on_it(
    mirror: ListMirror, fake: FakeGraph
) -> None:
    mirror.upsert("CR-2026-0001", {"status": "New"})
    assert column(fake, "Title")["indexed"] is True
    [index] = fake.graph_requests("PATCH", r"/columns/")
    assert index.url.path.endswith(f"/columns/{TITLE_COLUMN_ID}")
    assert body(index) == {"indexed": True}
    mirror.upsert("CR-2026-0002", {"status": "New"})
    for query in item_queries(fake):
        assert query.url.params["$filter"] in (
            "fields/Title eq 'CR-2026-0001'",
            "fields/Title eq 'CR-2026-0002'",
        )
        assert query.url.params["$expand"] == "fields($select=Title)"
        assert "Prefer" not in query.headers  # indexed: SharePoint needs no warning header
    assert len(fake.graph_requests("PATCH", r"/columns/")) == 1  # indexed once


@pytest.mark.parametrize("status", [403, 400])
def test_refused_index_falls_back_to_the_prefer_header(
    mirror: ListMirror, fake: FakeGraph, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    fake.fail("PATCH", r"/columns/", status=status)
    with caplog.at_level(logging.WARNING, logger="connectors"):
        mirror.upsert("CR-2026-0001", {"status": "New"})
        mirror.upsert("CR-2026-0001", {"status": "Triaged"})

    assert column(fake, "Title")["indexed"] is False
    queries = item_queries(fake)
    assert len(queries) == 2
    for query in queries:
        assert query.headers["Prefer"] == PREFER
        assert query.url.params["$filter"] == "fields/Title eq 'CR-2026-0001'"
    assert [i["Status"] for i in items(fake)] == ["Triaged"]
    assert any("could not index the Title column" in r.getMessage() for r in caplog.records)


def test_the_fake_needs_the_header_for_an_unindexed_title(
    mirror: ListMirror, fake: FakeGraph
) -> None:
    """Guards the test above: on an unindexed Title the header is what makes a lookup work."""
    fake.fail("PATCH", r"/columns/", status=403)
    mirror.upsert("CR-2026-0001", {"status": "New"})
    [query] = item_queries(fake)
    headers = {"Authorization": f"Bearer {fake.access_token}"}
    with httpx.Client(transport=fake.transport) as http:
        without = http.get(query.url, headers=headers)
        with_header = http.get(query.url, headers={**headers, "Prefer": PREFER})
    assert without.status_code == 400 and "not indexed" in without.json()["error"]["message"]
    assert with_header.status_code == 200 and len(with_header.json()["value"]) == 1


# --------------------------------------------------------------------------- list lifecycle


def test_a_list_deleted_behind_our_back_is_recreated_once(
    mirror: ListMirror, fake: FakeGraph
) -> None:
    mirror.upsert("CR-2026-0001", {"status": "New"})
    fake.sites[SITE_ID].clear()
    fake.requests.clear()

    mirror.upsert("CR-2026-0002", {"status": "New"})

    assert calls(fake) == [
        ("GET", "/sites/{site}/lists/{list}/items"),  # 404: the list is gone
        ("GET", "/sites/{site}/lists"),
        ("POST", "/sites/{site}/lists"),
        ("GET", "/sites/{site}/lists/{list}/columns"),
        ("PATCH", f"/sites/{{site}}/lists/{{list}}/columns/{TITLE_COLUMN_ID}"),
        ("GET", "/sites/{site}/lists/{list}/items"),
        ("POST", "/sites/{site}/lists/{list}/items"),
    ]
    assert set(fake.rows_of(LIST_NAME)) == {"CR-2026-0002"}


def test_rows_reads_every_page_as_text_and_creates_nothing(
    mirror: ListMirror, fake: FakeGraph
) -> None:
    assert mirror.rows() == {}  # no list yet: nothing held, nothing created
    assert [m for m, _ in calls(fake)] == ["GET"]
    mirror.upsert("CR-2026-0001", {"created": "2026-11-03", "closed": ""})  # makes the list
    stored = the_list(fake)
    for number in range(2, 151):  # the list answers 100 items a page; the rest put in directly
        stored["items"][str(number)] = stored["items"]["1"] | {"Title": f"CR-2026-{number:04d}"}
    stored["items"]["1"]["Closed"] = "2026-11-05"  # someone typed in our column
    fake.requests.clear()

    rows = mirror.rows()

    assert len(rows) == 150
    # date-like text stays text (the SDK's model parser would make it a datetime)
    assert rows["CR-2026-0001"] == {"created": "2026-11-03", "closed": "2026-11-05"}
    assert calls(fake) == [("GET", "/sites/{site}/lists/{list}/items")] * 2
    first = fake.graph_requests()[0].url.params
    assert first["$expand"] == "fields($select=Closed,Title,cbCreated)"


def test_a_site_that_vanished_is_permanent_after_one_retry(
    mirror: ListMirror, fake: FakeGraph
) -> None:
    mirror.upsert("CR-2026-0001", {"status": "New"})
    del fake.sites[SITE_ID]
    fake.requests.clear()

    with pytest.raises(PermanentError) as caught:
        mirror.upsert("CR-2026-0001", {"status": "Triaged"})

    assert "COMPLIANCE_BOT_M365__SITE_ID" in str(caught.value)
    assert "404" in str(caught.value)
    assert [m for m, _ in calls(fake)] == ["GET", "GET"]  # the items, then the lists: no loop


def test_a_wrong_site_id_names_the_setting(connect: Any, fake: FakeGraph) -> None:
    mirror = connect(site_id="oakfield.sharepoint.com,not-a-site,nope").mirror
    with pytest.raises(PermanentError) as caught:
        mirror.upsert("CR-2026-0001", {"status": "New"})
    assert "COMPLIANCE_BOT_M365__SITE_ID" in str(caught.value)
    assert fake.graph_requests("POST") == []


# --------------------------------------------------------------------------- faults


@pytest.mark.parametrize("revoke", ["site grant", "app permission"])
def test_no_site_grant_is_permanent_and_names_sites_selected(
    mirror: ListMirror, fake: FakeGraph, revoke: str
) -> None:
    if revoke == "site grant":
        fake.granted_sites.discard(SITE_ID)
    else:
        fake.granted.discard("Sites.Selected")

    with pytest.raises(PermanentError) as caught:
        mirror.upsert("CR-2026-0001", {"status": "New"})

    message = str(caught.value)
    assert "Sites.Selected" in message and "403" in message
    assert fake.graph_requests("POST") == [] and fake.sites[SITE_ID] == {}


@pytest.mark.parametrize("status", [429, 503])
@pytest.mark.parametrize("read", ["lists", "items"])
def test_a_throttled_or_unavailable_read_is_retryable(
    mirror: ListMirror, fake: FakeGraph, status: int, read: str
) -> None:
    if read == "items":
        mirror.upsert("CR-2026-0001", {"status": "New"})  # the list is known: next read is items
    path = r"/lists$" if read == "lists" else r"/items$"
    fake.fail("GET", path, status=status, headers={"Retry-After": LONG_WAIT})
    writes_before = len(fake.graph_requests("POST")) + len(fake.graph_requests("PATCH"))

    with pytest.raises(RetryableError) as caught:
        mirror.upsert("CR-2026-0001", {"status": "Triaged"})

    assert caught.value.retry_after == float(LONG_WAIT)
    assert str(status) in str(caught.value)
    assert len(fake.graph_requests("POST")) + len(fake.graph_requests("PATCH")) == writes_before
    mirror.upsert("CR-2026-0001", {"status": "Triaged"})  # the next sweep gets through
    assert [(i["Title"], i["Status"]) for i in items(fake)] == [("CR-2026-0001", "Triaged")]


def test_a_throttled_create_is_retryable_and_the_retry_makes_one_item(
    mirror: ListMirror, fake: FakeGraph
) -> None:
    fake.fail("POST", r"/items$", status=429, headers={"Retry-After": LONG_WAIT})
    with pytest.raises(RetryableError) as caught:
        mirror.upsert("CR-2026-0001", {"status": "New"})
    assert caught.value.retry_after == float(LONG_WAIT)

    mirror.upsert("CR-2026-0001", {"status": "New"})

    assert [i["Title"] for i in items(fake)] == ["CR-2026-0001"]


def test_a_lost_create_response_never_duplicates_the_item(
    mirror: ListMirror, fake: FakeGraph
) -> None:
    # SharePoint created the item, then the gateway timed out: the answer never arrived.
    fake.fail("POST", r"/items$", status=504, headers={"Retry-After": "1"}, deliver=True)
    with contextlib.suppress(RetryableError):
        mirror.upsert("CR-2026-0001", {"status": "New"})

    mirror.upsert("CR-2026-0001", {"status": "New"})  # the next sweep: finds it, updates it

    assert len(fake.graph_requests("POST", r"/items$")) == 1
    assert [i["Title"] for i in items(fake)] == ["CR-2026-0001"]


# --------------------------------------------------------------------------- values


@pytest.mark.parametrize(
    "reference", ["O'Brien-2026", "CR-2026-0001'); --", "A+B", "A&B=C", "#1 100%", "Ünïcode"]
)
def test_references_are_escaped_in_the_filter(
    mirror: ListMirror, fake: FakeGraph, reference: str
) -> None:
    mirror.upsert(reference, {"status": "New"})
    mirror.upsert(reference, {"status": "Closed"})

    literal = "'" + reference.replace("'", "''") + "'"
    for query in item_queries(fake):
        assert query.url.params["$filter"] == f"fields/Title eq {literal}"
    assert [(i["Title"], i["Status"]) for i in items(fake)] == [(reference, "Closed")]
    assert fake.rejected == []


def test_values_are_flattened_to_one_line_and_cut_to_255(
    mirror: ListMirror, fake: FakeGraph
) -> None:
    long = "word " * 80  # 400 characters
    mirror.upsert("CR-2026-0001", {"status": "line one\nline two\r\n\tthree  ", "owner": long})

    [item] = items(fake)
    assert item["Status"] == "line one line two three"
    assert len(item["Owner"]) == 255 and item["Owner"].endswith("…")
    assert item["Owner"].startswith("word word")
    assert fake.rejected == []  # the fake refuses line breaks and > 255 characters


# --------------------------------------------------------------------------- through the bot


SECRET = "UNIQUE-SECRET-TEXT-SP-4471"
PUPIL = "Sam Secretname (Year 5)"


def test_the_report_sweep_mirrors_only_the_minimal_fields(
    env: Env, connect: Any, fake: FakeGraph
) -> None:
    ref = env.store_report(
        submission(
            what_happened=SECRET,
            involved=(("pupil", PUPIL),),
            occurred="Tuesday at 10:15",
            location="Room 12B",
            reporter_name="Pat Quillfeather",
            reporter_email="pat.quillfeather@home.example",
        ),
        NOW,
    )
    env.store_report(submission(about_headteacher=True), NOW)  # never mirrored
    ctx = env.context
    connectors = connect(forms_list=None)
    assert connectors.forms is None

    def sweep() -> dict[str, int]:
        with ctx.store.transaction() as session:
            return report_sweep(step_context(ctx, session, env.school, NOW, connectors=connectors))

    assert sweep()["reports_mirrored"] == 1
    assert fake.rows_of(LIST_NAME) == {
        ref: {
            "Title": ref,
            "reference": ref,
            "category": "Cyberbullying",
            "urgency": "High",
            "status": "New",
            "created": "2026-11-03",
        }
    }
    labels = {c["displayName"] for c in the_list(fake)["columns"] if not c["readOnly"]}
    assert labels == {"Title", "category", "urgency", "status", "created"}
    sent = "\n".join(
        str(r.url) + "\n" + r.content.decode("utf-8", "replace") for r in fake.graph_requests()
    )
    for private in (
        SECRET,
        "Sam",
        "Secretname",
        "Tuesday",
        "Room 12B",
        "Quillfeather",
        "pat.quillfeather",
        "Unkind messages",
    ):
        assert private not in sent, private

    fake.requests.clear()
    assert sweep()["reports_mirrored"] == 0  # nothing changed: the list is read, nothing written
    assert [(r.method, r.url.path.rsplit("/", 1)[-1]) for r in fake.graph_requests()] == [
        ("GET", "items")
    ]

    with ctx.store.transaction() as session:
        report = session.scalar(select(Report).where(Report.reference == ref))
        assert report is not None
        change_status(
            session, report, actor="dsl@oak.example", status="triaged", reason="seen", now=NOW
        )
    assert sweep()["reports_mirrored"] == 1
    [patch] = fake.graph_requests("PATCH", r"/fields$")
    assert body(patch)["Status"] == "Triaged"
    assert fake.rows_of(LIST_NAME)[ref]["status"] == "Triaged"
    assert len(items(fake)) == 1
