"""Checks every exchange the fake Graph has against Graph's own descriptions.

Two sources, neither of them ours:

* the msgraph-sdk's request builders and models: a request's path and query options must match
  the URL template of the SDK builder for that path (``$skiptoken``/``$deltatoken`` only on a
  link the fake itself handed out), its method must be one the builder has, and every JSON
  body (request and response) must parse into the SDK model for that call with no property
  the model does not know (annotations such as ``@odata.type``, ``@removed`` and the delta
  ``members@delta``/``manager@delta`` aside; a list item's ``fields`` are open);
* Microsoft's published v1.0 metadata (``graph-v1.0-trimmed.csdl.xml``, source and commit in
  its header): every property of every entity sent or returned must be declared on its type
  and its value must be of the declared type (Edm primitives, enum members, collections,
  nullability; complex values recursively); an action's body must carry its parameters with
  their types; ``$select``/``$expand`` (nested ``$select`` included)/``$filter``/``$orderby``
  may name only the entity's properties and navigation properties; what we send must also use
  the values and stay within the limits Graph documents (``DOCUMENTED_VALUES``/``_LIMITS``).

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
from functools import cache, lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx

from tests.support.conformance import PROBLEMS, TOTALS

__all__ = ["GraphConformance", "members_of"]

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
    action: str | None = None  # CSDL action whose parameters the request body carries


SITE = r"/sites/[^/]+"
LIST = SITE + r"/lists/[^/]+"
ROUTES = (
    Route(
        "GET",
        r"/users/delta\(\)",
        "users.delta.delta_request_builder",
        response="msgraph.generated.users.delta.delta_get_response.DeltaGetResponse",
        entity="user",
    ),
    Route(
        "GET",
        r"/users",
        "users.users_request_builder",
        response=M + "user_collection_response.UserCollectionResponse",
        entity="user",
    ),
    Route(
        "GET",
        r"/users/[^/]+",
        "users.item.user_item_request_builder",
        response=M + "user.User",
        entity="user",
    ),
    Route(
        "POST",
        r"/users/[^/]+/sendMail",
        "users.item.send_mail.send_mail_request_builder",
        body="msgraph.generated.users.item.send_mail.send_mail_post_request_body."
        "SendMailPostRequestBody",
        action="sendMail",
    ),
    Route(
        "GET",
        r"/users/[^/]+/mailFolders/[^/]+/messages",
        "users.item.mail_folders.item.messages.messages_request_builder",
        response=M + "message_collection_response.MessageCollectionResponse",
        entity="message",
    ),
    Route(
        "GET",
        r"/groups/delta\(\)",
        "groups.delta.delta_request_builder",
        response="msgraph.generated.groups.delta.delta_get_response.DeltaGetResponse",
        entity="group",
    ),
    Route(
        "GET",
        r"/groups",
        "groups.groups_request_builder",
        response=M + "group_collection_response.GroupCollectionResponse",
        entity="group",
    ),
    Route(
        "GET",
        r"/groups/[^/]+/members",
        "groups.item.members.members_request_builder",
        response=M + "directory_object_collection_response.DirectoryObjectCollectionResponse",
        entity="directoryObject",
    ),
    Route(
        "GET",
        r"/groups/[^/]+/transitiveMembers",
        "groups.item.transitive_members.transitive_members_request_builder",
        response=M + "directory_object_collection_response.DirectoryObjectCollectionResponse",
        entity="directoryObject",
    ),
    Route(
        "GET", SITE, "sites.item.site_item_request_builder", response=M + "site.Site", entity="site"
    ),
    Route(
        "GET",
        SITE + "/lists",
        "sites.item.lists.lists_request_builder",
        response=M + "list_collection_response.ListCollectionResponse",
        entity="list",
    ),
    Route(
        "POST",
        SITE + "/lists",
        "sites.item.lists.lists_request_builder",
        body=M + "list_.List_",
        response=M + "list_.List_",
        entity="list",
        sent_entity="list",
    ),
    Route(
        "GET",
        LIST + "/columns",
        "sites.item.lists.item.columns.columns_request_builder",
        response=M + "column_definition_collection_response.ColumnDefinitionCollectionResponse",
        entity="columnDefinition",
    ),
    Route(
        "POST",
        LIST + "/columns",
        "sites.item.lists.item.columns.columns_request_builder",
        body=M + "column_definition.ColumnDefinition",
        response=M + "column_definition.ColumnDefinition",
        entity="columnDefinition",
        sent_entity="columnDefinition",
    ),
    Route(
        "PATCH",
        LIST + r"/columns/[^/]+",
        "sites.item.lists.item.columns.item.column_definition_item_request_builder",
        body=M + "column_definition.ColumnDefinition",
        response=M + "column_definition.ColumnDefinition",
        entity="columnDefinition",
        sent_entity="columnDefinition",
    ),
    Route(
        "GET",
        LIST + "/items",
        "sites.item.lists.item.items.items_request_builder",
        response=M + "list_item_collection_response.ListItemCollectionResponse",
        entity="listItem",
    ),
    Route(
        "POST",
        LIST + "/items",
        "sites.item.lists.item.items.items_request_builder",
        body=M + "list_item.ListItem",
        response=M + "list_item.ListItem",
        entity="listItem",
        sent_entity="listItem",
    ),
    Route(
        "PATCH",
        LIST + r"/items/[^/]+/fields",
        "sites.item.lists.item.items.item.fields.fields_request_builder",
        body=M + "field_value_set.FieldValueSet",
        response=M + "field_value_set.FieldValueSet",
        entity="fieldValueSet",
        sent_entity="fieldValueSet",
    ),
    Route(
        "POST",
        r"/users/[^/]+/teamwork/installedApps",
        "users.item.teamwork.installed_apps.installed_apps_request_builder",
        body=M + "user_scope_teams_app_installation.UserScopeTeamsAppInstallation",
        response=M + "user_scope_teams_app_installation.UserScopeTeamsAppInstallation",
    ),
    Route(
        "GET",
        r"/users/[^/]+/teamwork/installedApps",
        "users.item.teamwork.installed_apps.installed_apps_request_builder",
        response=M + "user_scope_teams_app_installation_collection_response."
        "UserScopeTeamsAppInstallationCollectionResponse",
    ),
    Route(
        "GET",
        r"/users/[^/]+/teamwork/installedApps/[^/]+/chat",
        "users.item.teamwork.installed_apps.item.chat.chat_request_builder",
        response=M + "chat.Chat",
    ),
    Route(
        "POST",
        r"/users/[^/]+/teamwork/sendActivityNotification",
        "users.item.teamwork.send_activity_notification.send_activity_notification_request_builder",
        body="msgraph.generated.users.item.teamwork.send_activity_notification."
        "send_activity_notification_post_request_body.SendActivityNotificationPostRequestBody",
        action="sendActivityNotification",
    ),
    Route(
        "POST",
        r"/teamwork/sendActivityNotificationToRecipients",
        "teamwork.send_activity_notification_to_recipients."
        "send_activity_notification_to_recipients_request_builder",
        body="msgraph.generated.teamwork.send_activity_notification_to_recipients."
        "send_activity_notification_to_recipients_post_request_body."
        "SendActivityNotificationToRecipientsPostRequestBody",
        action="sendActivityNotificationToRecipients",
    ),
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


@dataclass(frozen=True)
class Member:
    """One declared property, navigation property or action parameter of Graph's metadata."""

    type: str  # "Edm.String", "graph.user", "Collection(graph.recipient)"
    nullable: bool
    navigation: bool = False


@dataclass(frozen=True)
class Declared:
    """One entity or complex type of Graph's metadata."""

    base: str | None
    members: dict[str, Member]
    abstract: bool = False
    open: bool = False


Metadata = tuple[dict[str, Declared], dict[str, frozenset[str]], dict[str, dict[str, Member]]]


@cache
def _metadata() -> Metadata:
    """Graph's metadata as types (name -> Declared), enums (name -> members), actions."""
    types: dict[str, Declared] = {}
    enums: dict[str, frozenset[str]] = {}
    actions: dict[str, dict[str, Member]] = {}

    def members(node: ET.Element) -> dict[str, Member]:
        return {
            str(child.get("Name")): Member(
                str(child.get("Type")),
                child.get("Nullable") != "false",
                child.tag == f"{EDM}NavigationProperty",
            )
            for child in node
            if child.tag.removeprefix(EDM) in ("Property", "NavigationProperty", "Parameter")
        }

    for node in ET.parse(CSDL).getroot():
        tag, name = node.tag.removeprefix(EDM), str(node.get("Name"))
        if tag in ("EntityType", "ComplexType"):
            types[name] = Declared(
                (node.get("BaseType") or "").removeprefix("graph.") or None,
                members(node),
                node.get("Abstract") == "true",
                node.get("OpenType") == "true",
            )
        elif tag == "EnumType":
            enums[name] = frozenset(str(m.get("Name")).casefold() for m in node)
        elif tag == "Action":
            actions[name] = members(node)
    return types, enums, actions


def _csdl() -> dict[str, Declared]:
    return _metadata()[0]


def _declared(type_name: str) -> dict[str, Member]:
    """Every member of a type, its base types' included."""
    types = _csdl()
    found: dict[str, Member] = {}
    current: str | None = type_name
    while current:
        found = types[current].members | found
        current = types[current].base
    return found


def _derived(type_name: str) -> list[str]:
    """The type and every type in the metadata derived from it (Graph answers casts of these)."""
    return [name for name in _csdl() if type_name in _lineage(name)]


def _lineage(type_name: str) -> list[str]:
    chain: list[str] = []
    current: str | None = type_name
    while current:
        chain.append(current)
        current = _csdl()[current].base
    return chain


def members_of(type_name: str) -> dict[str, Member]:
    """Members a query may name on a property of ``type_name``: its own and its casts'."""
    found: dict[str, Member] = {}
    for name in _derived(type_name):
        found = _declared(name) | found
    return found


# Values Graph documents for a string property beyond its Edm type, checked in what we send.
# textColumn.textType: "Must be one of plain or richText" (learn.microsoft.com/graph/api/
# resources/textcolumn); listInfo.template: the SPListTemplateType names Graph documents
# (learn.microsoft.com/graph/api/resources/listinfo: "documentLibrary | genericList | tasks |
# survey | links | announcements | contacts | ...").
DOCUMENTED_VALUES = {
    ("textColumn", "textType"): frozenset({"plain", "richText"}),
    ("listInfo", "template"): frozenset(
        {
            "documentLibrary",
            "genericList",
            "tasks",
            "task",
            "survey",
            "links",
            "announcements",
            "contacts",
            "events",
            "issueTracking",
            "discussionBoard",
            "pictureLibrary",
        }
    ),
}
# Documented limits on what one request may carry: (action, parameter) -> most items
# ("sendActivityNotificationToRecipients ... a maximum of 100 recipients in a single request")
DOCUMENTED_LIMITS = {("sendActivityNotificationToRecipients", "recipients"): 100}
# $top's documented maximum per call (a larger one is refused 400), by the route's path:
# "List users"/"List groups"/"List group members": "$top ... 1 to 999"; "List messages":
# "$top ... at most 1000"
TOP_LIMITS = {
    r"/users": 999,
    r"/groups": 999,
    r"/groups/[^/]+/members": 999,
    r"/groups/[^/]+/transitiveMembers": 999,
    r"/users/[^/]+/mailFolders/[^/]+/messages": 1000,
}
FEED_ACTIONS = frozenset({"sendActivityNotification", "sendActivityNotificationToRecipients"})
GRAPH_URL = re.compile(r"https://graph\.microsoft\.com/(v1\.0|beta)/\S+")


@cache
def manifest_activity_types() -> frozenset[str]:
    """The activity types the Teams app's manifest declares (the product's own manifest: a
    notification of any other type is refused by Teams, "Send activity feed notifications")."""
    from bot.features.dashboard.teams_package import build_manifest

    manifest = build_manifest(
        "school.example.org",
        "00000000-0000-4000-8000-000000000001",
        bot_app_id="00000000-0000-4000-8000-000000000002",
    )
    return frozenset(t["type"] for t in manifest["activities"]["activityTypes"])


def _feed_rules(data: dict[str, Any], where: str) -> list[str]:
    """What Learn writes in prose of an activity-feed notification ("teamworkActivityTopic",
    "Send activity feed notifications to users"): a topic of source ``entityUrl`` has a
    Microsoft Graph URL as its value; one of source ``text`` needs a ``webUrl``; the
    ``activityType`` is one the app's manifest declares."""
    problems: list[str] = []
    topic = data.get("topic")
    if isinstance(topic, dict):
        source, value = topic.get("source"), topic.get("value")
        if source == "entityUrl" and not (isinstance(value, str) and GRAPH_URL.fullmatch(value)):
            problems.append(
                f"{where}.topic.value: a topic of source entityUrl must be a "
                f"Microsoft Graph URL, not {str(value)[:60]!r}"
            )
        if source == "text" and not topic.get("webUrl"):
            problems.append(f"{where}.topic.webUrl: required when the source is text")
    kind = data.get("activityType")
    if isinstance(kind, str) and kind not in manifest_activity_types() | {"systemDefault"}:
        problems.append(
            f"{where}.activityType: '{kind}' is not declared in the Teams app's "
            f"manifest ({', '.join(sorted(manifest_activity_types()))})"
        )
    return problems


_INTEGERS = {"Edm.Int16", "Edm.Int32", "Edm.Int64", "Edm.Byte", "Edm.SByte"}
_NUMBERS = {"Edm.Double", "Edm.Single", "Edm.Decimal"}
_TEXT_FORMS = {
    "Edm.DateTimeOffset": r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)",
    "Edm.Date": r"\d{4}-\d\d-\d\d",
    "Edm.Guid": r"[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}",
}


def _typed(value: Any, member: Member, where: str, *, sent: bool) -> list[str]:
    """Problems of one JSON value against its declared type (recursively for complex values)."""
    kind = member.type
    if kind.startswith("Collection("):
        if value is None:
            return []
        if not isinstance(value, list):
            return [f"{where}: expected {kind}, got {type(value).__name__}"]
        inner = Member(kind[len("Collection(") : -1], member.nullable)
        return [
            p
            for n, item in enumerate(value)
            for p in _typed(item, inner, f"{where}[{n}]", sent=sent)
        ]
    if value is None:
        return [] if member.nullable else [f"{where}: null where {kind} is not nullable"]
    if kind in ("Edm.String", "Edm.Binary", "Edm.Duration", "Edm.TimeOfDay"):
        ok = isinstance(value, str)
    elif kind in _TEXT_FORMS:
        ok = isinstance(value, str) and re.fullmatch(_TEXT_FORMS[kind], value) is not None
    elif kind == "Edm.Boolean":
        ok = isinstance(value, bool)
    elif kind in _INTEGERS:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind in _NUMBERS:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    else:
        name = kind.removeprefix("graph.")
        enums = _metadata()[1]
        if name in enums:
            if not isinstance(value, str):
                return [f"{where}: expected the enum {name}, got {type(value).__name__}"]
            bad = [v for v in value.split(",") if v.strip().casefold() not in enums[name]]
            return [f"{where}: '{value}' is not a member of the enum {name}"] if bad else []
        if not isinstance(value, dict):
            return [f"{where}: expected the object {name}, got {type(value).__name__}"]
        return _entity(value, name, where, sent=sent) if name in _csdl() else []
    return [] if ok else [f"{where}: expected {kind}, got {json.dumps(value)[:40]}"]


def _entity(data: Any, type_name: str, where: str, *, sent: bool = False) -> list[str]:
    """Properties of a JSON entity that Graph's metadata does not declare on its type, or whose
    values are not of the declared type (or, in what we send, not a documented value)."""
    if not isinstance(data, dict) or type_name == "fieldValueSet":
        return []
    odata_type = (
        str(data.get("@odata.type") or "").removeprefix("#").removeprefix("microsoft.graph.")
    )
    if odata_type in _csdl() and type_name in _lineage(odata_type):
        type_name = odata_type
    elif odata_type and odata_type not in _csdl():
        return []  # a cast to a type the trimmed metadata does not keep
    if _csdl()[type_name].abstract and sent:
        return [f"{where}: {type_name} is abstract: name a derived type in @odata.type"]
    declared = _declared(type_name)
    problems: list[str] = []
    for key, value in data.items():
        if _annotation(key):
            continue
        member = declared.get(key)
        if member is None:
            problems.append(f"{where}: '{key}' is not declared on {type_name} in Graph's metadata")
            continue
        problems += _typed(value, member, f"{where}.{key}", sent=sent)
        allowed = next(
            (v for (t, p), v in DOCUMENTED_VALUES.items() if p == key and t in _lineage(type_name)),
            None,
        )
        if sent and allowed is not None and isinstance(value, str) and value not in allowed:
            problems.append(
                f"{where}.{key}: '{value}' is not a documented value ({', '.join(sorted(allowed))})"
            )
    return problems


def _action(data: Any, action: str, where: str) -> list[str]:
    """An action's JSON body against its declared parameters and documented limits."""
    if not isinstance(data, dict):
        return [f"{where}: an action body is a JSON object"]
    # an action's parameter names are matched without regard to case: Learn's own examples
    # write sendMail's ``Message``/``SaveToSentItems`` as ``message``/``saveToSentItems``
    params = {name.casefold(): member for name, member in _metadata()[2][action].items()}
    problems: list[str] = _feed_rules(data, where) if action in FEED_ACTIONS else []
    for key, value in data.items():
        member = params.get(key.casefold())
        if member is None or key == "bindingParameter":
            problems.append(f"{where}: '{key}' is not a parameter of {action}")
            continue
        problems += _typed(value, member, f"{where}.{key}", sent=True)
        most = DOCUMENTED_LIMITS.get((action, key))
        if most is not None and isinstance(value, list) and len(value) > most:
            problems.append(
                f"{where}.{key}: {len(value)} items, over Graph's documented "
                f"limit of {most} a request"
            )
    return problems


_KEYWORDS = frozenset(
    {
        "eq",
        "ne",
        "gt",
        "ge",
        "lt",
        "le",
        "and",
        "or",
        "not",
        "in",
        "has",
        "true",
        "false",
        "null",
        "asc",
        "desc",
        "any",
        "all",
        "startswith",
        "endswith",
        "contains",
        "$count",
    }
)
_STRING = re.compile(r"'(?:[^']|'')*'")
_PATH = re.compile(r"(?<![\w$.:-])([A-Za-z_$][\w$]*(?:/[A-Za-z_$][\w$]*)*)(\s*\()?")


def _split_top(text: str) -> list[str]:
    """Split ``a,b(c,d),e`` at the commas outside parentheses."""
    parts, depth, current = [], 0, ""
    for char in text:
        depth += (char == "(") - (char == ")")
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [p.strip() for p in [*parts, current] if p.strip()]


def _path_problems(path: str, type_name: str, option: str, what: str) -> list[str]:
    """Each segment of ``a/b`` must be a member of the type reached so far."""
    current: str | None = type_name
    for segment in path.split("/"):
        if current in (None, "fieldValueSet") or current not in _csdl() or segment == "$count":
            return []
        member = members_of(current).get(segment)
        if member is None:
            return [
                f"{what}: {option} names '{segment}', not a property of {current} in "
                "Graph's metadata"
            ]
        target = member.type.removeprefix("Collection(").rstrip(")").removeprefix("graph.")
        current = target if target in _csdl() else None
    return []


def _query_problems(params: dict[str, str], type_name: str, what: str) -> list[str]:
    """``$select``/``$expand``/``$filter``/``$orderby`` values against the entity's members."""
    if type_name not in _csdl():
        return []
    problems: list[str] = []
    members = members_of(type_name)
    for name in _split_top(params.get("$select", "")):
        problems += _path_problems(name, type_name, "$select", what)
    for item in _split_top(params.get("$expand", "")):
        nav, _, nested = item.partition("(")
        nav = nav.strip()
        member = members.get(nav)
        if member is None or not member.navigation:
            problems.append(
                f"{what}: $expand names '{nav}', not a navigation property of "
                f"{type_name} in Graph's metadata"
            )
            continue
        target = member.type.removeprefix("Collection(").rstrip(")").removeprefix("graph.")
        options = dict(part.split("=", 1) for part in nested.rstrip(")").split(";") if "=" in part)
        problems += _query_problems(options, target, f"{what} $expand={nav}")
    for text in (params.get("$filter", ""), params.get("$orderby", "")):
        option = "$filter" if text is params.get("$filter") else "$orderby"
        bare = _STRING.sub("''", text)
        scoped = set(re.findall(r"(\w+)\s*:", bare))  # lambda variables: any(x: x/...)
        for found in _PATH.finditer(bare):
            path, call = found.group(1), found.group(2)
            head = path.split("/")[0]
            if (call and "/" not in path) or head.casefold() in _KEYWORDS or head in scoped:
                continue
            if re.fullmatch(r"[0-9a-fA-F-]+", path) and any(c.isdigit() for c in path):
                continue
            problems += _path_problems(
                path.removesuffix("/any").removesuffix("/all"), type_name, option, what
            )
    return problems


@cache
def _model(path: str) -> Any:
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def _parse(model_path: str, content: bytes) -> Any:
    from kiota_serialization_json.json_parse_node_factory import JsonParseNodeFactory

    model = _model(model_path)
    node = JsonParseNodeFactory().get_root_parse_node("application/json", content)
    return node.get_object_value(model)


@lru_cache(maxsize=4096)
def _sdk_problems(model_path: str, content: bytes, where: str) -> tuple[str, ...]:
    """What msgraph-sdk's model makes of a body: the properties it does not know. A pure function
    of the bytes, so a body exchanged before (the same school answered in test after test) is
    judged once per process: the SDK's parse costs milliseconds a model (its deserializers
    import hundreds of classes on every call), most of what a Graph test spent."""
    return tuple(_unknown(_parse(model_path, content), where))


LINKS = ("@odata.nextLink", "@odata.deltaLink")


def _shape(value: Any) -> Any:
    """What the SDK's model parse of ``value`` turns on: its keys, nested, the ``@odata.type``
    that picks a derived model, and each value's JSON type (not the value itself)."""
    if isinstance(value, dict):
        return {k: v if k == "@odata.type" else _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return sorted({json.dumps(_shape(v), sort_keys=True) for v in value})
    return type(value).__name__


def _judged(data: Any, content: bytes) -> bytes:
    """The body as ``_sdk_problems`` judges it: one item of each shape in a collection, and its
    next and delta links one link. The SDK's parse finds properties its models do not know,
    which turns on the shape alone (``_entity`` still checks every item's values against the
    CSDL); a link's value is text whatever it holds. Each delta round minted a fresh token and
    every page of a list held new values, so the same directory was a new body, and a new
    parse of every item, each time (66 parses of /users/delta in test_check alone; a 100-item
    page of list items took seconds)."""
    if not isinstance(data, dict):
        return content
    items = data.get("value")
    if not isinstance(items, list) and not any(key in data for key in LINKS):
        return content
    judged = {**data, **{key: LINKS[0] for key in LINKS if key in data}}
    if isinstance(items, list):
        kept: dict[str, Any] = {}
        for item in items:
            kept.setdefault(json.dumps(_shape(item), sort_keys=True), item)
        judged["value"] = list(kept.values())
    return json.dumps(judged).encode()


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
        return next((r for r in ROUTES if r.method == method and re.fullmatch(r.path, path)), None)

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
        if route.entity:
            params = dict(request.url.params.multi_items())
            self.problems += _query_problems(params, route.entity, what)
        top = request.url.params.get("$top")
        most = next((n for p, n in TOP_LIMITS.items() if re.fullmatch(p, path)), None)
        if top is not None and most is not None and not (top.isdigit() and 1 <= int(top) <= most):
            self.problems.append(f"{what}: $top={top}, outside Graph's documented 1 to {most}")
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
            content = request.content
            if route.action and isinstance(sent, dict):  # the SDK's spelling of the names
                spelt = {name.casefold(): name for name in _metadata()[2][route.action]}
                content = json.dumps(
                    {spelt.get(k.casefold(), k): v for k, v in sent.items()}
                ).encode()
            self.problems += _sdk_problems(route.body, content, f"{what} request")
        except Exception as exc:  # the SDK could not read what was sent
            self.problems.append(f"{what}: request body unreadable ({exc})")
            return
        if route.sent_entity:
            self.problems += _entity(sent, route.sent_entity, f"{what} request", sent=True)
        if route.action:
            self.problems += _action(sent, route.action, f"{what} request")

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
            body = _judged(data, response.content)
            self.problems += _sdk_problems(model, body, f"{what} response")
        except Exception as exc:
            self.problems.append(f"{what}: response unreadable by the SDK ({exc})")
            return
        if response.status_code >= 400 or route.entity is None:
            return
        items = data.get("value") if "value" in data else [data]
        for number, item in enumerate(items or []):
            self.problems += _entity(item, route.entity, f"{what} response[{number}]")
        for key in ("@odata.nextLink", "@odata.deltaLink"):
            if isinstance(data.get(key), str):
                self.links.add(_link_key(httpx.URL(data[key])))
