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


def test_graph_errors_must_be_graph_error_bodies(graph: Any) -> None:
    good = {"error": {"code": "accessDenied", "message": "Access denied"}}
    graph.check(*graph_exchange("GET", f"{GRAPH}/sites/s/lists", good, status=403))
    assert graph.problems == []
    bad = {"error": {"code": "accessDenied", "message": "Access denied"}, "hint": "grant it"}
    graph.check(*graph_exchange("GET", f"{GRAPH}/sites/s/lists", bad, status=403))
    assert graph.problems == ["GET /sites/s/lists response: 'hint' is not a property of "
                              "ODataError (msgraph-sdk model)"]


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
