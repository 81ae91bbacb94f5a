"""The conformance checkers themselves: they pass what Graph and Google document and catch what
they do not (an invented property, query option, paging link or call) — so the fakes cannot
drift into accepting or answering anything."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.support.conformance import PROBLEMS

GRAPH = "https://graph.microsoft.com/v1.0"


def graph_exchange(
    method: str, url: str, answer: Any, *, body: Any = None, status: int = 200
) -> tuple[httpx.Request, httpx.Response]:
    content = json.dumps(body).encode() if body is not None else b""
    headers = {"Content-Type": "application/json"} if body is not None else {}
    request = httpx.Request(method, url, content=content, headers=headers)
    return request, httpx.Response(status, json=answer)


@pytest.fixture
def graph() -> Any:
    pytest.importorskip("msgraph", reason="msgraph-sdk is not installed (uv sync --extra m365)")
    from tests.support.conformance.graph import GraphConformance

    yield GraphConformance("graph.microsoft.com")
    PROBLEMS.clear()  # these tests provoke problems on purpose


def test_graph_accepts_a_documented_delta_page_and_its_links(graph: Any) -> None:
    next_link = f"{GRAPH}/users/delta()?$skiptoken=abc"
    page = {
        "@odata.context": f"{GRAPH}/$metadata#users",
        "@odata.nextLink": next_link,
        "value": [
            {"id": "u1", "displayName": "Ann", "accountEnabled": True, "manager@delta": []},
            {"id": "u2", "@removed": {"reason": "deleted"}},
        ],
    }
    graph.check(*graph_exchange("GET", f"{GRAPH}/users/delta()?$select=id,displayName", page))
    last = {"@odata.deltaLink": f"{GRAPH}/users/delta()?$deltatoken=xyz", "value": []}
    graph.check(*graph_exchange("GET", next_link, last))
    graph.check(*graph_exchange("GET", f"{GRAPH}/users/delta()?$deltatoken=xyz", {"value": []}))
    assert graph.problems == []
    assert graph.responses == 3


def test_graph_catches_what_the_descriptions_do_not_allow(graph: Any) -> None:
    user = {"id": "u1", "displayName": "Ann", "favouriteColour": "green"}
    graph.check(*graph_exchange("GET", f"{GRAPH}/users/delta()", {"value": [user]}))
    graph.check(*graph_exchange("GET", f"{GRAPH}/users/delta()?$skiptoken=made-up", {"value": []}))
    graph.check(*graph_exchange("GET", f"{GRAPH}/users/delta()?$frobnicate=1", {"value": []}))
    rows = f"{GRAPH}/drives/d/items/i/workbook/tables/Table1/rows?$top=2&$skip=2"
    graph.check(*graph_exchange("GET", rows, {"value": []}))
    column = {"name": "Status", "text": {"maxLength": 255, "wrapText": True}}
    lists = f"{GRAPH}/sites/s/lists/l/columns"
    graph.check(*graph_exchange("POST", lists, {"id": "c", "name": "Status"}, body=column))
    found = "\n".join(graph.problems)
    assert "'favouriteColour' is not a property of User" in found
    assert "'favouriteColour' is not declared on user in Graph's metadata" in found
    assert "a paging token Graph never handed out" in found
    assert "query options ['$frobnicate'] are not in the SDK template" in found
    assert "workbook/tables/Table1/rows: no msgraph-sdk request builder" in found
    assert "'wrapText' is not a property of TextColumn" in found
    assert PROBLEMS  # shared with the autouse fixture, which fails a test that leaves any


def test_graph_judges_each_shape_of_item_whatever_the_page_holds(graph: Any) -> None:
    """The SDK's parse sees one item of each shape (conformance/graph.py ``_judged``): an
    unknown property on the 99th item is still caught, and so is a bad value on any item (the
    CSDL check reads every one)."""
    users = [{"id": f"u{n}", "displayName": f"Person {n}"} for n in range(120)]
    users[98] = {**users[98], "favouriteColour": "green"}
    users[110] = {**users[110], "displayName": 7}
    graph.check(*graph_exchange("GET", f"{GRAPH}/users/delta()", {"value": users}))
    found = "\n".join(graph.problems)
    assert "'favouriteColour' is not a property of User (msgraph-sdk model)" in found
    assert "response[110].displayName: expected Edm.String" in found


def test_graph_errors_must_be_graph_error_bodies(graph: Any) -> None:
    good = {"error": {"code": "accessDenied", "message": "Access denied"}}
    graph.check(*graph_exchange("GET", f"{GRAPH}/sites/s/lists", good, status=403))
    assert graph.problems == []
    bad = {"error": {"code": "accessDenied", "message": "Access denied"}, "hint": "grant it"}
    graph.check(*graph_exchange("GET", f"{GRAPH}/sites/s/lists", bad, status=403))
    assert graph.problems == [
        "GET /sites/s/lists response: 'hint' is not a property of ODataError (msgraph-sdk model)"
    ]


@pytest.fixture
def google() -> Any:
    pytest.importorskip("googleapiclient", reason="needs google-api-python-client")
    from tests.support.conformance.google import GoogleConformance

    yield GoogleConformance()
    PROBLEMS.clear()


def test_google_checks_bodies_against_the_discovery_documents(google: Any) -> None:
    users = {"kind": "admin#directory#users", "users": [{"primaryEmail": "a@b.example"}]}
    google.check("directory.users.list", b"", 200, json.dumps(users).encode())
    google.check("gmail.users.messages.send", b'{"raw": "QQ"}', 200, b'{"id": "m1"}')
    assert google.problems == []
    users["users"][0]["shoeSize"] = 9
    google.check("directory.users.list", b"", 200, json.dumps(users).encode())
    google.check("gmail.users.messages.send", b'{"raw": "QQ", "urgent": true}', 200, b"{}")
    google.check("directory.users.list", b"", 403, b'{"error": {"reason": "no"}}')
    assert google.problems == [
        "directory.users.list response.users[0]: 'shoeSize' is not in the discovery schema User",
        "gmail.users.messages.send request: 'urgent' is not in the discovery schema Message",
        "directory.users.list: error answer is not Google's error shape",
    ]


RECIPIENT = "#microsoft.graph.aadUserNotificationRecipient"
BULK = f"{GRAPH}/teamwork/sendActivityNotificationToRecipients"
FEED = {
    "topic": {"source": "text", "value": "Compliance", "webUrl": "https://oak.example/me"},
    "activityType": "needsReminder",
    "previewText": {"content": "p"},
    "recipients": [{"@odata.type": RECIPIENT, "userId": "u-1"}],
}


@pytest.mark.parametrize(
    ("method", "url", "answer", "body", "named"),
    [
        pytest.param(
            "GET",
            f"{GRAPH}/users",
            {
                "value": [
                    {
                        "id": "u",
                        "accountEnabled": "false",
                        "displayName": 7,
                        "mail": ["a@b.example"],
                    }
                ]
            },
            None,
            [
                "response[0].accountEnabled: expected Edm.Boolean",
                "response[0].displayName: expected Edm.String",
                "response[0].mail: expected Edm.String",
            ],
            id="user-values",
        ),
        pytest.param(
            "GET",
            f"{GRAPH}/users?$select=id,shoeSize&$expand=manager($select=shoeSize)"
            "&$filter=shoeSize eq '9'",
            {"value": []},
            None,
            [
                "$select names 'shoeSize', not a property of user",
                "$expand=manager: $select names 'shoeSize', not a property of directoryObject",
                "$filter names 'shoeSize', not a property of user",
            ],
            id="query-names",
        ),
        pytest.param(
            "POST",
            f"{GRAPH}/sites/s/lists",
            {"id": "l", "displayName": "Reports"},
            {
                "displayName": "Reports",
                "list": {"template": "genericLis"},
                "columns": [{"name": "Notes", "text": {"maxLength": "255", "textType": "html"}}],
            },
            [
                "request.list.template: 'genericLis' is not a documented value",
                "request.columns[0].text.maxLength: expected Edm.Int32",
                "request.columns[0].text.textType: 'html' is not a documented value",
            ],
            id="list-values",
        ),
        pytest.param(
            "POST",
            BULK,
            None,
            {
                **FEED,
                "topic": {"source": "txt", "value": "x"},
                "previewText": "p",
                "recipients": [{"@odata.type": RECIPIENT, "userId": 5}],
            },
            [
                "request.topic.source: 'txt' is not a member of the enum "
                "teamworkActivityTopicSource",
                "request.previewText: expected the object itemBody",
                "request.recipients[0].userId: expected Edm.String",
            ],
            id="feed-values",
        ),
        pytest.param(
            "POST",
            BULK,
            None,
            {
                **FEED,
                "recipients": [{"@odata.type": RECIPIENT, "userId": f"u-{n}"} for n in range(250)],
            },
            ["request.recipients: 250 items, over Graph's documented limit of 100"],
            id="feed-limit",
        ),
        # Learn's prose, "teamworkActivityTopic": "If the source is entityUrl, this must be a
        # Microsoft Graph URL"; "webUrl: required if source is text"
        pytest.param(
            "POST",
            BULK,
            None,
            {**FEED, "topic": {"source": "entityUrl", "value": "https://oak.example/reports/CR-1"}},
            ["request.topic.value: a topic of source entityUrl must be a Microsoft Graph URL"],
            id="feed-entity-url",
        ),
        pytest.param(
            "POST",
            BULK,
            None,
            {**FEED, "topic": {"source": "text", "value": "Compliance"}},
            ["request.topic.webUrl: required when the source is text"],
            id="feed-web-url",
        ),
        # "Send activity feed notifications": the activity type must be declared in the manifest
        pytest.param(
            "POST",
            f"{GRAPH}/users/u-1/teamwork/sendActivityNotification",
            None,
            {k: v for k, v in FEED.items() if k != "recipients"} | {"activityType": "newConcernn"},
            ["request.activityType: 'newConcernn' is not declared in the Teams app's manifest"],
            id="feed-activity-type",
        ),
        # "List users"/"List messages": $top 1 to 999 / at most 1000
        pytest.param(
            "GET",
            f"{GRAPH}/users?$top=1000",
            {"value": []},
            None,
            ["$top=1000, outside Graph's documented 1 to 999"],
            id="users-top",
        ),
        pytest.param(
            "GET",
            f"{GRAPH}/users/u/mailFolders/inbox/messages?$top=1001",
            {"value": []},
            None,
            ["$top=1001, outside Graph's documented 1 to 1000"],
            id="messages-top",
        ),
        pytest.param(
            "GET",
            f"{GRAPH}/users/u/mailFolders/inbox/messages"
            "?$filter=internetMessageID eq 'x'&$select=id",
            {"value": []},
            None,
            ["$filter names 'internetMessageID', not a property of message"],
            id="message-filter",
        ),
    ],
)
def test_graph_names_each_malformed_exchange(
    graph: Any, method: str, url: str, answer: Any, body: Any, named: list[str]
) -> None:
    status = 202 if answer is None else 200
    request, response = graph_exchange(method, url, answer, body=body, status=status)
    if answer is None:
        response = httpx.Response(202)
    graph.check(request, response)
    found = "\n".join(graph.problems)
    for words in named:
        assert words in found
    assert len(graph.problems) == len(named), graph.problems


def test_graph_accepts_any_declared_property_in_a_query(graph: Any) -> None:
    query = (
        "$select=id,usageLocation,manager&$expand=manager($select=id,mail,userPrincipalName)"
        "&$filter=userType eq 'Guest' and assignedLicenses/$count ne 0"
    )
    user = {
        "id": "u",
        "usageLocation": None,
        "accountEnabled": True,
        "manager": {"@odata.type": "#microsoft.graph.user", "id": "m", "mail": "m@o.example"},
    }
    graph.check(*graph_exchange("GET", f"{GRAPH}/users?{query}", {"value": [user]}))
    messages = f"{GRAPH}/users/u/mailFolders/inbox/messages?$filter=internetMessageId eq 'x'"
    graph.check(*graph_exchange("GET", messages, {"value": []}))
    assert graph.problems == []


def test_the_fake_graph_answers_any_property_its_metadata_declares() -> None:
    pytest.importorskip("msgraph", reason="msgraph-sdk is not installed (uv sync --extra m365)")
    from tests.support.fakes.graph import FakeGraph

    fake = FakeGraph()
    fake.seed_population()
    with httpx.Client(transport=fake.transport) as http:
        headers = {"Authorization": f"Bearer {fake.access_token}"}
        answer = http.get(f"{GRAPH}/users?$select=id,usageLocation", headers=headers)
        refused = http.get(f"{GRAPH}/users?$select=id,shoeSize", headers=headers)
        boss = http.get(f"{GRAPH}/users?$expand=manager($select=id,shoeSize)", headers=headers)
    assert answer.status_code == 200
    assert set(answer.json()["value"][0]) == {"id", "usageLocation"}
    assert refused.status_code == boss.status_code == 400
    assert "Could not find a property named 'shoeSize'" in refused.json()["error"]["message"]
    assert len(PROBLEMS) == 2 and all("names 'shoeSize'" in p for p in PROBLEMS)  # the refused
    PROBLEMS.clear()


def test_google_masks_answers_and_names_fields_the_documents_lack(google: Any) -> None:
    from tests.support.conformance.google import field_mask

    users = {
        "kind": "admin#directory#users",
        "nextPageToken": "t",
        "users": [{"id": "1", "primaryEmail": "a@b.example", "name": {"fullName": "A"}}],
    }
    assert field_mask("directory.users.list", "users(primaryEmail,name/fullName)", users) == {
        "users": [{"primaryEmail": "a@b.example", "name": {"fullName": "A"}}]
    }
    with pytest.raises(ValueError, match="users/shoeSize"):
        field_mask("directory.users.list", "nextPageToken,users(shoeSize)", users)
    google.check("directory.users.list", b"", 200, b"{}", "nextPageToken,users(shoeSize)")
    assert google.problems == [
        "directory.users.list: the fields mask names 'users/shoeSize', "
        "not a field of the response in the discovery document"
    ]


def test_graph_takes_learns_own_camel_case_send_mail_example(graph: Any) -> None:
    """Learn's sendMail example writes the action's parameters ``message``/``saveToSentItems``
    where the metadata and the SDK write ``Message``/``SaveToSentItems``: Graph takes both."""
    example = {
        "message": {
            "subject": "Meet for lunch?",
            "body": {"contentType": "Text", "content": "The new cafeteria is open."},
            "toRecipients": [{"emailAddress": {"address": "frannis@contoso.example"}}],
        },
        "saveToSentItems": False,
    }
    graph.check(*graph_exchange("POST", f"{GRAPH}/users/u/sendMail", None, body=example))
    assert graph.problems == []
    graph.check(
        *graph_exchange(
            "POST", f"{GRAPH}/users/u/sendMail", None, body={**example, "saveToSentItem": False}
        )
    )
    assert graph.problems == [
        "POST /users/u/sendMail request: 'saveToSentItem' is not a "
        "property of SendMailPostRequestBody (msgraph-sdk model)",
        "POST /users/u/sendMail request: 'saveToSentItem' is not a parameter of sendMail",
    ]


@pytest.mark.parametrize("value", ["True", "1", "yes"])
def test_google_takes_a_boolean_parameter_only_as_a_boolean(value: str) -> None:
    """A discovery document's ``boolean`` query parameter is ``true`` or ``false`` (as
    googleapiclient writes a Python bool), nothing else: the fake answers 400 as Google does."""
    pytest.importorskip("googleapiclient", reason="needs google-api-python-client")
    from tests.support.fakes.google import FakeGoogle

    fake = FakeGoogle(require_auth=False)
    uri = "https://chat.googleapis.com/v1/spaces/dm1/messages/client-1?updateMask=text"
    answer, _ = fake.request(f"{uri}&allowMissing={value}", "PATCH", json.dumps({"text": "hi"}))
    assert answer.status == 400
    answer, _ = fake.request(f"{uri}&allowMissing=true", "PATCH", json.dumps({"text": "hi"}))
    assert answer.status == 200
