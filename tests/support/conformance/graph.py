"""Checks every exchange the fake Graph has against Graph's own descriptions.

Two sources, neither of them ours:

* the msgraph-sdk's request builders and models: a request's path and query options must match
  the URL template of the SDK builder for that path (``$skiptoken``/``$deltatoken`` only on a
  link the fake itself handed out), its method must be one the builder has, and every JSON
  body (request and response) must parse into the SDK model for that call with no property
  the model does not know (annotations such as ``@odata.type``, ``@removed`` and the delta
  ``members@delta``/``manager@delta`` aside; a list item's ``fields`` are open);
* Microsoft's published v1.0 metadata (``graph-v1.0-trimmed.csdl.xml``, source and commit in
  its header): every property of every entity sent or returned must be declared on its type.

``FakeGraph`` calls :meth:`GraphConformance.check` for each request it answers; the problems
land in ``problems`` and the tests' autouse fixture fails the test that caused them.
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
import threading
import warnings
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx

from tests.support.conformance import PROBLEMS, TOTALS

__all__ = ["GraphConformance"]

CSDL = Path(__file__).with_name("graph-v1.0-trimmed.csdl.xml")
EDM = "{http://docs.oasis-open.org/odata/ns/edm}"
M = "msgraph.generated.models."
_TOTALS_LOCK = threading.Lock()


@dataclass(frozen=True)
class Route:
    """One Graph call: its SDK builder, the SDK models of its bodies, the CSDL type it returns."""

    method: str
    path: str  # a regex over the path after /v1.0
    builder: str  # module under msgraph.generated
    body: str | None = None  # model of the request body (msgraph.generated.models.X)
    response: str | None = None  # model of the 2xx body
    entity: str | None = None  # CSDL type of the returned entity (or of each item in value)
    sent_entity: str | None = None  # CSDL type of the request body


SITE = r"/sites/[^/]+"
LIST = SITE + r"/lists/[^/]+"
ROUTES = (
    Route("GET", r"/users/delta\(\)", "users.delta.delta_request_builder",
          response="msgraph.generated.users.delta.delta_get_response.DeltaGetResponse",
          entity="user"),
    Route("GET", r"/users", "users.users_request_builder",
          response=M + "user_collection_response.UserCollectionResponse", entity="user"),
    Route("GET", r"/users/[^/]+", "users.item.user_item_request_builder",
          response=M + "user.User", entity="user"),
    Route("POST", r"/users/[^/]+/sendMail", "users.item.send_mail.send_mail_request_builder",
          body="msgraph.generated.users.item.send_mail.send_mail_post_request_body."
          "SendMailPostRequestBody"),
    Route("GET", r"/users/[^/]+/mailFolders/[^/]+/messages",
          "users.item.mail_folders.item.messages.messages_request_builder",
          response=M + "message_collection_response.MessageCollectionResponse",
          entity="message"),
    Route("GET", r"/groups/delta\(\)", "groups.delta.delta_request_builder",
          response="msgraph.generated.groups.delta.delta_get_response.DeltaGetResponse",
          entity="group"),
    Route("GET", r"/groups", "groups.groups_request_builder",
          response=M + "group_collection_response.GroupCollectionResponse", entity="group"),
    Route("GET", r"/groups/[^/]+/members", "groups.item.members.members_request_builder",
          response=M + "directory_object_collection_response.DirectoryObjectCollectionResponse",
          entity="directoryObject"),
    Route("GET", SITE, "sites.item.site_item_request_builder", response=M + "site.Site",
          entity="site"),
    Route("GET", SITE + "/lists", "sites.item.lists.lists_request_builder",
          response=M + "list_collection_response.ListCollectionResponse", entity="list"),
    Route("POST", SITE + "/lists", "sites.item.lists.lists_request_builder",
          body=M + "list_.List_", response=M + "list_.List_", entity="list", sent_entity="list"),
    Route("GET", LIST + "/columns", "sites.item.lists.item.columns.columns_request_builder",
          response=M + "column_definition_collection_response."
          "ColumnDefinitionCollectionResponse", entity="columnDefinition"),
    Route("POST", LIST + "/columns", "sites.item.lists.item.columns.columns_request_builder",
          body=M + "column_definition.ColumnDefinition",
          response=M + "column_definition.ColumnDefinition", entity="columnDefinition",
          sent_entity="columnDefinition"),
    Route("PATCH", LIST + r"/columns/[^/]+",
          "sites.item.lists.item.columns.item.column_definition_item_request_builder",
          body=M + "column_definition.ColumnDefinition",
          response=M + "column_definition.ColumnDefinition", entity="columnDefinition",
          sent_entity="columnDefinition"),
    Route("GET", LIST + "/items", "sites.item.lists.item.items.items_request_builder",
          response=M + "list_item_collection_response.ListItemCollectionResponse",
          entity="listItem"),
    Route("POST", LIST + "/items", "sites.item.lists.item.items.items_request_builder",
          body=M + "list_item.ListItem", response=M + "list_item.ListItem", entity="listItem",
          sent_entity="listItem"),
    Route("PATCH", LIST + r"/items/[^/]+/fields",
          "sites.item.lists.item.items.item.fields.fields_request_builder",
          body=M + "field_value_set.FieldValueSet", response=M + "field_value_set.FieldValueSet",
          entity="fieldValueSet", sent_entity="fieldValueSet"),
    Route("POST", r"/users/[^/]+/teamwork/installedApps",
          "users.item.teamwork.installed_apps.installed_apps_request_builder",
          body=M + "user_scope_teams_app_installation.UserScopeTeamsAppInstallation",
          response=M + "user_scope_teams_app_installation.UserScopeTeamsAppInstallation"),
    Route("GET", r"/users/[^/]+/teamwork/installedApps",
          "users.item.teamwork.installed_apps.installed_apps_request_builder",
          response=M + "user_scope_teams_app_installation_collection_response."
          "UserScopeTeamsAppInstallationCollectionResponse"),
    Route("GET", r"/users/[^/]+/teamwork/installedApps/[^/]+/chat",
          "users.item.teamwork.installed_apps.item.chat.chat_request_builder",
          response=M + "chat.Chat"),
    Route("POST", r"/users/[^/]+/teamwork/sendActivityNotification",
          "users.item.teamwork.send_activity_notification."
          "send_activity_notification_request_builder",
          body="msgraph.generated.users.item.teamwork.send_activity_notification."
          "send_activity_notification_post_request_body.SendActivityNotificationPostRequestBody"),
    Route("POST", r"/teamwork/sendActivityNotificationToRecipients",
          "teamwork.send_activity_notification_to_recipients."
          "send_activity_notification_to_recipients_request_builder",
          body="msgraph.generated.teamwork.send_activity_notification_to_recipients."
          "send_activity_notification_to_recipients_post_request_body."
          "SendActivityNotificationToRecipientsPostRequestBody"),
)
ERROR_MODEL = M + "o_data_errors.o_data_error.ODataError"
LINK_PARAMS = {"$skiptoken", "$deltatoken"}
OPEN_MODELS = {"FieldValueSet"}  # a list item's fields: the list's own columns


def _annotation(key: str) -> bool:
    """Instance annotations (``@odata.type``, ``@removed``, ``members@delta``): not properties."""
    return "@" in key


@cache
def _template(builder: str) -> tuple[str, frozenset[str], frozenset[str]]:
    """The SDK builder's URL template path, its query option names and its HTTP methods."""
    with warnings.catch_warnings():  # each builder module warns about itself on import
        warnings.simplefilter("ignore", DeprecationWarning)
        module = importlib.import_module(f"msgraph.generated.{builder}")
    source = inspect.getsource(module)
    found = re.search(r'super\(\)\.__init__\(request_adapter, "([^"]+)"', source)
    assert found, builder
    template = found.group(1)
    path, _, query = template.partition("{?")
    names = frozenset(unquote(q) for q in query.rstrip("}").split(",") if q)
    verbs = re.findall(r"async def (get|post|patch|delete)\(", source)
    methods = frozenset(m.upper() for m in verbs)
    return path.removeprefix("{+baseurl}"), names, methods


@cache
def _csdl() -> dict[str, tuple[str | None, frozenset[str]]]:
    """CSDL type name -> (base type, declared property and navigation property names)."""
    types: dict[str, tuple[str | None, frozenset[str]]] = {}
    for node in ET.parse(CSDL).getroot():
        if node.tag.removeprefix(EDM) in ("EntityType", "ComplexType"):
            base = (node.get("BaseType") or "").removeprefix("graph.") or None
            props = frozenset(str(child.get("Name")) for child in node)
            types[str(node.get("Name"))] = (base, props)
    return types


def _declared(type_name: str) -> frozenset[str]:
    types = _csdl()
    names: set[str] = set()
    current: str | None = type_name
    while current:
        base, props = types[current]
        names |= props
        current = base
    return frozenset(names)


@cache
def _model(path: str) -> Any:
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def _parse(model_path: str, content: bytes) -> Any:
    from kiota_serialization_json.json_parse_node_factory import JsonParseNodeFactory

    model = _model(model_path)
    node = JsonParseNodeFactory().get_root_parse_node("application/json", content)
    return node.get_object_value(model)


def _unknown(obj: Any, where: str, seen: set[int] | None = None) -> list[str]:
    """Properties an SDK model put in ``additional_data`` because it does not know them."""
    from kiota_abstractions.serialization import Parsable

    seen = set() if seen is None else seen
    if id(obj) in seen:
        return []
    seen.add(id(obj))
    problems: list[str] = []
    kind = type(obj).__name__
    extra = getattr(obj, "additional_data", None) or {}
    if kind not in OPEN_MODELS:
        problems += [
            f"{where}: '{key}' is not a property of {kind} (msgraph-sdk model)"
            for key in extra
            if not _annotation(key)
        ]
    for name, value in vars(obj).items():
        if name in ("additional_data", "backing_store"):
            continue
        for child in value if isinstance(value, list) else [value]:
            if isinstance(child, Parsable):
                problems += _unknown(child, f"{where}.{name}", seen)
    return problems


def _undeclared(data: Any, type_name: str, where: str) -> list[str]:
    """Properties of a JSON entity that Graph's metadata does not declare on its type."""
    if not isinstance(data, dict) or type_name == "fieldValueSet":
        return []
    odata_type = str(data.get("@odata.type") or "").removeprefix("#microsoft.graph.")
    if odata_type in _csdl():
        type_name = odata_type
    declared = _declared(type_name)
    return [
        f"{where}: '{key}' is not declared on {type_name} in Graph's metadata"
        for key in data
        if not _annotation(key) and key not in declared
    ]


def _link_key(url: httpx.URL) -> tuple[str, tuple[tuple[str, str], ...]]:
    """A link as a comparable value: the SDK may re-encode what it follows (``,`` as ``%2C``)."""
    return unquote(url.path), tuple(sorted(url.params.multi_items()))


class GraphConformance:
    """Validates the fake Graph's requests and responses (see the module docstring)."""

    def __init__(self, graph_host: str) -> None:
        self.graph_host = graph_host
        self.problems: list[str] = []
        self.links: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
        self.requests = 0
        self.responses = 0

    def route(self, method: str, path: str) -> Route | None:
        """The documented call for this method and path (None: not a call the bot makes)."""
        return next(
            (r for r in ROUTES if r.method == method and re.fullmatch(r.path, path)), None
        )

    def check(self, request: httpx.Request, response: httpx.Response) -> None:
        """Check one Graph exchange; problems go to ``problems`` and the shared ``PROBLEMS``."""
        before = len(self.problems)
        self._check(request, response)
        PROBLEMS.extend(self.problems[before:])

    def _check(self, request: httpx.Request, response: httpx.Response) -> None:
        if request.url.host != self.graph_host:
            return  # the token endpoint and the Teams webhook are not Graph
        path = unquote(request.url.path).removeprefix("/v1.0")
        what = f"{request.method} {path}"
        route = self.route(request.method, path)
        if route is None:
            self.problems.append(f"{what}: no msgraph-sdk request builder for this call")
            return
        self._check_request(route, request, what)
        self._check_response(route, response, what)

    def _check_request(self, route: Route, request: httpx.Request, what: str) -> None:
        template, options, methods = _template(route.builder)
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
        path = unquote(request.url.path).removeprefix("/v1.0")
        if not re.fullmatch(pattern, path):
            self.problems.append(f"{what}: path does not match the SDK template {template}")
        if request.method not in methods:
            self.problems.append(f"{what}: the SDK builder has no {request.method}")
        names = {key for key, _ in request.url.params.multi_items()}
        if names & LINK_PARAMS:
            if _link_key(request.url) not in self.links:
                self.problems.append(f"{what}: a paging token Graph never handed out")
            names -= LINK_PARAMS
        if names - options:
            self.problems.append(
                f"{what}: query options {sorted(names - options)} are not in the SDK template"
            )
        if route.body is None:
            return
        content_type = request.headers.get("Content-Type", "")
        if route.builder.endswith("send_mail_request_builder") and content_type.startswith(
            "text/plain"
        ):
            return  # Graph's documented MIME form: base64 text, checked by the fake itself
        self.requests += 1
        with _TOTALS_LOCK:
            TOTALS["graph requests"] += 1
        try:
            sent = json.loads(request.content)
            parsed = _parse(route.body, request.content)
        except Exception as exc:  # the SDK could not read what was sent
            self.problems.append(f"{what}: request body unreadable ({exc})")
            return
        self.problems += _unknown(parsed, f"{what} request")
        if route.sent_entity:
            self.problems += _undeclared(sent, route.sent_entity, f"{what} request")

    def _check_response(self, route: Route, response: httpx.Response, what: str) -> None:
        response.read()
        if not response.content:
            return
        self.responses += 1
        with _TOTALS_LOCK:
            TOTALS["graph responses"] += 1
        try:
            data = json.loads(response.content)
        except ValueError:
            self.problems.append(f"{what}: response is not JSON")
            return
        model = route.response if response.status_code < 400 else ERROR_MODEL
        if model is None:
            self.problems.append(f"{what}: a {response.status_code} with a body Graph never sends")
            return
        try:
            parsed = _parse(model, response.content)
        except Exception as exc:
            self.problems.append(f"{what}: response unreadable by the SDK ({exc})")
            return
        self.problems += _unknown(parsed, f"{what} response")
        if response.status_code >= 400 or route.entity is None:
            return
        items = data.get("value") if "value" in data else [data]
        for number, item in enumerate(items or []):
            self.problems += _undeclared(item, route.entity, f"{what} response[{number}]")
        for key in ("@odata.nextLink", "@odata.deltaLink"):
            if isinstance(data.get(key), str):
                self.links.add(_link_key(httpx.URL(data[key])))
