"""Per-request options for msgraph-sdk's pipeline (kiota, lazily): no retries, raw answers.

Part of the client layer (with ``client.py`` and ``client_sharepoint.py``): reads keep the SDK's
retry middleware (GETs are safe to repeat); a POST that sends or creates something does not.

The SDK is imported inside the calls: it is the m365 extra (it may be missing), and msgraph
costs ~0.3-0.7 s to import (PLATFORM-FACTS), so only a deployment on Microsoft 365 pays
it, on a client's first call (tests/connectors/m365/test_client.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from connectors.m365.errors import GraphCallError, raise_for_native

__all__ = [
    "DIRECTORY_UNITS",
    "directory_cost",
    "get_json",
    "json_pages",
    "no_retry",
    "once_native",
    "post_once",
    "query",
]

# Microsoft Graph, "Service-specific throttling limits", Identity and access service limits
# (https://learn.microsoft.com/graph/throttling-limits, checked 2026-11-28): resource units per
# application+tenant pair per 10 seconds, S 3,500 (under 50 users), M 5,000 (50-500), L 8,000
# (over 500). The bot counts against S, the smallest: a school's tenant may be one, and a
# trust's first read of 5,000 staff is a few dozen pages of 999 at 1-2 units a page.
DIRECTORY_UNITS = 3_500
DIRECTORY_WINDOW = 10.0
# the same page's base costs (any identity GET not listed: 1); /users/delta() is counted as
# /users, the dearer reading
_BASE_COST = {"users": 2, "members": 3, "transitiveMembers": 5}


def directory_cost(method: str, path: str, params: Mapping[str, str]) -> int:
    """The resource units one Graph request spends from the app's directory budget in its
    tenant (0: not a directory read): the base cost of its path, less 1 with ``$select``, more
    1 with ``$expand``, less 1 with ``$top`` under 20, never under 1 (the page above).

    ``path`` is the part after the version (``/users/delta()``, ``/groups/{id}/members``).
    """
    parts = [p for p in path.split("/") if p]
    if method != "GET" or not parts or parts[0] not in ("users", "groups") or len(parts) > 3:
        return 0
    if len(parts) == 3 and (parts[0] != "groups" or parts[2] not in _BASE_COST):
        return 0  # a mailbox's messages and mail: Outlook's limits, not the directory's
    if len(parts) == 3:
        base = _BASE_COST[parts[2]]
    elif len(parts) == 1 or parts[1].startswith("delta"):
        base = _BASE_COST.get(parts[0], 1)
    else:
        base = 1  # one user or group
    cost = base - ("$select" in params) + ("$expand" in params)
    top = params.get("$top", "")
    return max(1, cost - (top.isdigit() and int(top) < 20))


def query(builder: Any, **values: Any) -> Any:
    """Request configuration for a GET on ``builder`` with these query parameters (``select``,
    ``filter``, ``top``...): each request builder nests the class that names them for the URL."""
    # lazy: the m365 extra, ~0.3-0.7 s (module docstring)
    from kiota_abstractions.base_request_configuration import RequestConfiguration

    parameters = getattr(type(builder), f"{type(builder).__name__}GetQueryParameters")
    return RequestConfiguration(query_parameters=parameters(**values))


async def json_pages(
    graph: Any,
    builder: Any,
    config: Any,
    what: str,
    check_link: Callable[[str], str],
    *,
    all_pages: bool = True,
) -> list[dict[str, Any]]:
    """The ``value`` objects of a GET on ``builder`` read as raw JSON (no SDK models: parsing
    every user into one costs about 4 ms an account) and, unless ``all_pages`` is False, of
    every page its ``@odata.nextLink`` leads to (each link checked by ``check_link``)."""
    info = builder.to_get_request_information(config)
    found: list[dict[str, Any]] = []
    while True:
        data = await get_json(graph, info, what)
        found += [x for x in data.get("value") or [] if isinstance(x, dict)]
        link = data.get("@odata.nextLink")
        if not all_pages or not link:
            return found
        info = builder.with_url(check_link(str(link))).to_get_request_information(config)


def no_retry() -> Any:
    """The per-request option that switches the SDK's RetryHandler off (POST sendMail)."""
    from kiota_http.middleware.options import RetryHandlerOption  # lazy: m365 extra (docstring)

    return RetryHandlerOption(max_retries=0, should_retry=False)


def post_once() -> Any:
    """Request configuration for a POST that creates something: no SDK retries.

    A 503/504 may already have created the item (or list, or column); a blind second POST
    would duplicate it. The caller re-reads and decides (the mirror's upsert finds by Title).
    """
    from kiota_abstractions.base_request_configuration import RequestConfiguration

    return RequestConfiguration(options=[no_retry()])


def once_native(info: Any) -> None:
    """No SDK retries, and hand back the raw httpx response instead of raising."""
    from kiota_abstractions.native_response_handler import NativeResponseHandler
    from kiota_http.middleware.options import ResponseHandlerOption

    info.add_request_options([no_retry(), ResponseHandlerOption(NativeResponseHandler())])


async def get_json(graph: Any, info: Any, what: str) -> dict[str, Any]:
    """GET through the SDK pipeline (retries kept) and return the JSON body."""
    from kiota_abstractions.native_response_handler import NativeResponseHandler
    from kiota_http.middleware.options import ResponseHandlerOption

    info.add_request_options([ResponseHandlerOption(NativeResponseHandler())])
    info.headers.try_add("Accept", "application/json")
    response = await graph.request_adapter.send_no_response_content_async(info, None)
    raise_for_native(response, what)
    data = response.json()
    if not isinstance(data, dict):
        raise GraphCallError("Graph answered with something other than a JSON object")
    return data
