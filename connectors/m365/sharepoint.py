"""Microsoft 365 list mirror: tracked-list rows upserted into a SharePoint list by reference."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from connectors.m365.client import GraphClient
from connectors.m365.errors import ENV, GraphCallError, read_error

__all__ = ["RESERVED_COLUMNS", "SITES_PERMISSION", "SharePointListMirror", "internal_name"]

log = logging.getLogger(__name__)
T = TypeVar("T")

# Internal names SharePoint already uses on every list: never reuse them for our columns.
RESERVED_COLUMNS = frozenset(
    name.casefold()
    for name in (
        "Title",
        "ID",
        "Id",
        "Created",
        "Modified",
        "Author",
        "Editor",
        "ContentType",
        "ContentTypeId",
        "Attachments",
        "LinkTitle",
        "LinkTitleNoMenu",
        "Edit",
        "DocIcon",
        "ItemChildCount",
        "FolderChildCount",
        "AppAuthor",
        "AppEditor",
        "GUID",
        "Order",
        "Path",
    )
)
SITES_PERMISSION = "Sites.Selected with a 'write' grant on this site (POST /sites/{id}/permissions)"


def internal_name(display_name: str, taken: set[str]) -> str:
    """A SharePoint-safe internal column name (letters and digits, <= 32) not in ``taken``."""
    words = re.findall(r"[A-Za-z0-9]+", display_name)
    base = "".join(w[:1].upper() + w[1:] for w in words)[:28] or "Field"
    if base[0].isdigit() or base.casefold() in RESERVED_COLUMNS:
        base = f"cb{base}"[:28]
    name, number = base, 1
    while name.casefold() in taken:
        number += 1
        name = f"{base}{number}"
    return name


def _cell(value: object) -> str:
    """A single-line text value: newlines flattened, at most 255 characters."""
    text = " ".join(str(value).split())
    return text if len(text) <= 255 else text[:254] + "…"


@dataclass
class SharePointListMirror:
    """Mirrors tracked-list rows to a SharePoint list, keyed by reference in ``Title``.

    The list and its single-line text columns are created when missing (column internal names
    are letters and digits; the display name is the field name). ``Title`` is indexed on first
    use, so ``$filter=fields/Title eq '...'`` is reliable at any list size; only if indexing is
    refused do we fall back to ``Prefer: HonorNonIndexedQueriesWarningMayFailRandomly``, which
    SharePoint honours only below its 5,000-item view threshold.
    """

    client: GraphClient
    site_id: str
    list_name: str = "Safeguarding reports"
    _list_id: str | None = field(default=None, init=False, repr=False)
    _columns: dict[str, str] = field(default_factory=dict, init=False, repr=False)
    _labels: dict[str, str] = field(default_factory=dict, init=False, repr=False)
    _non_indexed: bool = field(default=False, init=False, repr=False)
    # one call at a time per mirror: web threads share it, and two first calls must not both
    # create the list or the same column
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def upsert(self, reference: str, fields: Mapping[str, str]) -> None:
        """Create or update the item whose Title is ``reference``."""
        # An upsert is idempotent by reference, so every transient failure is retryable.
        self._on_the_list(lambda: self._upsert(reference, fields))

    def rows(self) -> dict[str, dict[str, str]]:
        """Every item by Title, with the bot's columns under their display names."""
        return self._on_the_list(self._rows)

    def _on_the_list(self, do: Callable[[], T]) -> T:
        """Run ``do`` under the lock, once more if the list was deleted or renamed since it was
        found (404: find or create it again); a failure as the outbox's error."""
        try:
            with self._lock:
                try:
                    return do()
                except GraphCallError as exc:
                    if exc.status != 404 or self._list_id is None:
                        raise
                    self._list_id = None
                    self._columns.clear()
                    return do()
        except GraphCallError as exc:
            raise read_error(exc, SITES_PERMISSION, not_found=f"{ENV}SITE_ID") from exc

    def _rows(self) -> dict[str, dict[str, str]]:
        list_id = self._find()
        if list_id is None:
            return {}
        names = sorted({"Title", *self._labels})
        return {
            item.fields["Title"]: {
                self._labels[k]: "" if v is None else str(v)
                for k, v in item.fields.items()
                if k in self._labels
            }
            for item in self.client.list_items(self.site_id, list_id, names)
            if isinstance(item.fields.get("Title"), str) and item.fields["Title"]
        }

    def _upsert(self, reference: str, fields: Mapping[str, str]) -> None:
        list_id = self._ensure(fields)
        values = {self._columns[k.casefold()]: _cell(v) for k, v in fields.items()}
        found = self.client.find_items(
            self.site_id, list_id, column="Title", value=reference, non_indexed=self._non_indexed
        )
        if not found:
            self.client.create_item(self.site_id, list_id, {"Title": reference, **values})
            return
        for item in found:  # more than one only after a lost POST response: keep all in step
            self.client.update_item(self.site_id, list_id, item.id, values)

    def _find(self) -> str | None:
        """The list's id (its columns loaded), or None when the site has no such list."""
        if self._list_id is None:
            match = self.client.find_list(self.site_id, self.list_name)
            if match is None:
                return None
            self._list_id = match.id
            self._load_columns(match.id)
        return self._list_id

    def _ensure(self, fields: Mapping[str, str]) -> str:
        """Find or create the list, index Title, add missing columns; return the list id."""
        list_id = self._find()
        if list_id is None:
            taken: set[str] = set()
            plan = []
            for label in fields:
                name = internal_name(label, taken)
                taken.add(name.casefold())
                plan.append((name, label))
            match = self.client.create_list(self.site_id, self.list_name, plan)
            log.info("created SharePoint list %r", self.list_name)
            self._list_id = list_id = match.id
            self._load_columns(match.id)
        for label in fields:
            if label.casefold() in self._columns:
                continue
            taken = set(self._columns)
            column = self.client.create_column(
                self.site_id, list_id, internal_name(label, taken), label
            )
            self._columns[label.casefold()] = column.name
            self._columns.setdefault(column.name.casefold(), column.name)
            self._labels[column.name] = column.display_name or label
        return list_id

    def _load_columns(self, list_id: str) -> None:
        self._columns.clear()
        self._labels.clear()
        usable = []
        for column in self.client.columns(self.site_id, list_id):
            if column.name == "Title":
                if not column.indexed and not self._index_title(list_id, column.id):
                    self._non_indexed = True
                continue
            if column.read_only or column.name.casefold() in RESERVED_COLUMNS:
                continue
            usable.append(column)
        # Display names first: a label means the column shown under it, even when another
        # column's internal name happens to spell the same ("Due date" vs "DueDate").
        for column in usable:
            self._columns.setdefault(column.display_name.casefold(), column.name)
        for column in usable:
            self._columns.setdefault(column.name.casefold(), column.name)
            self._labels[column.name] = column.display_name

    def _index_title(self, list_id: str, column_id: str) -> bool:
        try:
            self.client.index_column(self.site_id, list_id, column_id)
        except GraphCallError as exc:
            if exc.status not in (400, 403):
                raise
            log.warning("could not index the Title column (%s); using the Prefer header", exc)
            return False
        return True
