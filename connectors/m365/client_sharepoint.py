"""The SharePoint list calls of ``GraphClient`` (msgraph imported lazily).

Part of the client layer (with ``client.py``, which mixes :class:`SharePointCalls` into
``GraphClient``, and ``client_pipeline.py``): each call runs on the client's loop thread through
``GraphClient._call`` and returns plain records; only next links on the configured Graph host
are followed.

The SDK is imported inside the calls: it is the m365 extra (it may be missing), and msgraph
costs ~0.3-0.7 s to import (PLATFORM-FACTS), so only a deployment on Microsoft 365 pays
it, on a client's first call (tests/connectors/m365/test_client.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from typing import Any, TypeVar

from connectors.m365.client_pipeline import get_json, json_pages, post_once, query
from connectors.m365.records import ListColumn, ListItemRecord, SharePointList, column_json

__all__ = ["SharePointCalls"]

T = TypeVar("T")


class SharePointCalls:
    """SharePoint lists (``/sites/{site}/lists``): the reports mirror and the form list.

    A mixin of :class:`~connectors.m365.client.GraphClient`, which provides ``_call`` (run on the
    loop thread, translate failures) and ``_check_link`` (refuse links off the Graph host).
    """

    def _call(self, what: str, make: Callable[[Any], Awaitable[T]]) -> T:
        raise NotImplementedError  # GraphClient runs ``make`` on its loop thread

    def _check_link(self, link: str) -> str:
        raise NotImplementedError  # GraphClient checks the link's host

    def site_url(self, site_id: str) -> str:
        """``GET /sites/{site}?$select=webUrl``: the address people open the site at."""

        async def call(graph: Any) -> str:
            builder = graph.sites.by_site_id(site_id)
            info = builder.to_get_request_information(query(builder, select=["webUrl"]))
            return str((await get_json(graph, info, "reading the site")).get("webUrl") or "")

        return self._call("reading the site", call)

    def lists(self, site_id: str) -> list[SharePointList]:
        """``GET /sites/{site}/lists`` (id and displayName), following ``@odata.nextLink``."""

        what = "reading the site's lists"

        async def call(graph: Any) -> list[SharePointList]:
            builder = graph.sites.by_site_id(site_id).lists
            config = query(builder, select=["id", "displayName"])
            found = await json_pages(graph, builder, config, what, self._check_link)
            return [
                SharePointList(str(x.get("id")), str(x.get("displayName") or "")) for x in found
            ]

        return self._call(what, call)

    def find_list(self, site_id: str, name: str) -> SharePointList | None:
        """The site's list whose display name is ``name`` (any case), or None."""
        found = self.lists(site_id)
        return next((x for x in found if x.display_name.casefold() == name.casefold()), None)

    def create_list(
        self,
        site_id: str,
        display_name: str,
        columns: Sequence[tuple[str, str]],
        *,
        multiline: Collection[str] = (),
    ) -> SharePointList:
        """``POST /sites/{site}/lists``: a generic list with text columns.

        ``columns`` are ``(internal name, display name)`` pairs; those named in ``multiline``
        take several lines of plain text, the rest one line.
        """

        async def call(graph: Any) -> SharePointList:
            # lazy: the m365 extra, ~0.3-0.7 s (module docstring)
            from msgraph.generated.models.list_ import List_
            from msgraph.generated.models.list_info import ListInfo

            body = List_(
                display_name=display_name,
                columns=[
                    _text_column(name, label, multiline=name in multiline)
                    for name, label in columns
                ],
                list_=ListInfo(template="genericList"),
            )
            made = await graph.sites.by_site_id(site_id).lists.post(body, post_once())
            return SharePointList(id=str(made.id), display_name=str(made.display_name or ""))

        return self._call("creating the SharePoint list", call)

    def columns(self, site_id: str, list_id: str) -> list[ListColumn]:
        """``GET /sites/{site}/lists/{list}/columns``."""

        what = "reading the list's columns"

        async def call(graph: Any) -> list[ListColumn]:
            builder = _list(graph, site_id, list_id).columns
            found = await json_pages(graph, builder, None, what, self._check_link)
            return [column_json(c) for c in found]

        return self._call(what, call)

    def create_column(
        self, site_id: str, list_id: str, name: str, display_name: str, *, multiline: bool = False
    ) -> ListColumn:
        """``POST /sites/{site}/lists/{list}/columns``: a text column (one line by default)."""

        async def call(graph: Any) -> ListColumn:
            builder = _list(graph, site_id, list_id).columns
            made = await builder.post(
                _text_column(name, display_name, multiline=multiline), post_once()
            )
            return ListColumn(
                id=str(made.id),
                name=str(made.name or ""),
                display_name=str(made.display_name or made.name or ""),
            )

        return self._call("adding a list column", call)

    def index_column(self, site_id: str, list_id: str, column_id: str) -> None:
        """``PATCH .../columns/{id} {"indexed": true}`` so ``$filter`` on it is reliable."""

        async def call(graph: Any) -> None:
            from msgraph.generated.models.column_definition import ColumnDefinition

            builder = _list(graph, site_id, list_id).columns.by_column_definition_id(column_id)
            await builder.patch(ColumnDefinition(indexed=True))

        self._call("indexing a list column", call)

    def find_items(
        self, site_id: str, list_id: str, *, column: str, value: str, non_indexed: bool = False
    ) -> list[ListItemRecord]:
        """Items whose ``column`` equals ``value`` (``$filter=fields/<column> eq '<value>'``).

        ``non_indexed`` sends ``Prefer: HonorNonIndexedQueriesWarningMayFailRandomly``, which
        SharePoint needs for a filter on a column that is not indexed.
        """

        what = "finding a list item"

        async def call(graph: Any) -> list[ListItemRecord]:
            literal = value.replace("'", "''")
            builder = _list(graph, site_id, list_id).items
            config = query(
                builder,
                filter=f"fields/{column} eq '{literal}'",
                expand=[f"fields($select={column})"],
                select=["id"],
            )
            if non_indexed:
                config.headers.add("Prefer", "HonorNonIndexedQueriesWarningMayFailRandomly")
            found = await json_pages(graph, builder, config, what, self._check_link)
            return [
                ListItemRecord(id=str(i.get("id")), fields=i.get("fields") or {}) for i in found
            ]

        return self._call(what, call)

    def list_items(
        self, site_id: str, list_id: str, columns: Sequence[str]
    ) -> list[ListItemRecord]:
        """Every item with the given ``columns`` (``$expand=fields($select=...)``), all pages.

        Read as raw JSON rather than SDK models: the fields are untyped, and the SDK's parser
        would turn a date-like text value ("2026-11-03") into a ``datetime``.
        """

        what = "reading the list's items"

        async def call(graph: Any) -> list[ListItemRecord]:
            builder = _list(graph, site_id, list_id).items
            config = query(builder, expand=[f"fields($select={','.join(columns)})"], select=["id"])
            found = await json_pages(graph, builder, config, what, self._check_link)
            return [
                ListItemRecord(id=str(i.get("id")), fields=i["fields"])
                for i in found
                if isinstance(i.get("fields"), dict)
            ]

        return self._call(what, call)

    def create_item(self, site_id: str, list_id: str, fields: Mapping[str, str]) -> None:
        """``POST /sites/{site}/lists/{list}/items {"fields": {...}}``."""

        async def call(graph: Any) -> None:
            from msgraph.generated.models.field_value_set import FieldValueSet
            from msgraph.generated.models.list_item import ListItem

            builder = _list(graph, site_id, list_id).items
            body = ListItem(fields=FieldValueSet(additional_data=dict(fields)))
            await builder.post(body, post_once())

        self._call("creating a list item", call)

    def update_item(
        self, site_id: str, list_id: str, item_id: str, fields: Mapping[str, str]
    ) -> None:
        """``PATCH /sites/{site}/lists/{list}/items/{id}/fields {...}``."""

        async def call(graph: Any) -> None:
            from msgraph.generated.models.field_value_set import FieldValueSet

            builder = _list(graph, site_id, list_id).items.by_list_item_id(item_id).fields
            await builder.patch(FieldValueSet(additional_data=dict(fields)))

        self._call("updating a list item", call)


def _list(graph: Any, site_id: str, list_id: str) -> Any:
    """The request builder of ``/sites/{site}/lists/{list}``."""
    return graph.sites.by_site_id(site_id).lists.by_list_id(list_id)


def _text_column(name: str, display_name: str, *, multiline: bool = False) -> Any:
    from msgraph.generated.models.column_definition import ColumnDefinition
    from msgraph.generated.models.text_column import TextColumn

    text = (
        TextColumn(allow_multiple_lines=True, text_type="plain", lines_for_editing=6)
        if multiline
        else TextColumn(allow_multiple_lines=False, max_length=255)
    )
    return ColumnDefinition(name=name, display_name=display_name, text=text)
