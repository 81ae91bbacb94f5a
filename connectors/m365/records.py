"""The plain records ``GraphClient`` returns, and their conversion from Graph's JSON.

The converters read Graph's raw JSON; nothing here imports msgraph.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from connectors.m365.errors import GraphCallError, text_or_none

__all__ = [
    "DeltaPage",
    "GraphGroup",
    "GraphUser",
    "ListColumn",
    "ListItemRecord",
    "ManagerRef",
    "SharePointList",
    "column_json",
    "delta_page_json",
    "group_json",
    "user_json",
]

T = TypeVar("T")
_USER = "#microsoft.graph.user"


@dataclass(frozen=True)
class ManagerRef:
    """A user's manager as Graph reported it (``$expand=manager`` or ``manager@delta``)."""

    id: str
    mail: str | None = None
    user_principal_name: str | None = None


@dataclass(frozen=True)
class GraphUser:
    """The user properties the connector reads; ``None`` means Graph did not send it.

    ``manager_reported`` says whether the response said anything about the manager (a delta
    page only mentions it when it changed); ``manager`` is then the manager or ``None``.
    """

    id: str
    display_name: str | None = None
    given_name: str | None = None
    surname: str | None = None
    mail: str | None = None
    user_principal_name: str | None = None
    account_enabled: bool | None = None
    job_title: str | None = None
    user_type: str | None = None  # 'Member' or 'Guest'
    licensed: bool | None = None  # whether assignedLicenses holds any licence
    removed: bool = False
    manager_reported: bool = False
    manager: ManagerRef | None = None


@dataclass(frozen=True)
class GraphGroup:
    """A group with the user-membership changes a delta page reported (all members at first)."""

    id: str
    display_name: str | None = None
    removed: bool = False
    members_added: tuple[str, ...] = ()
    members_removed: tuple[str, ...] = ()
    # member groups (nested) added and removed: their members are read through the group's
    # transitive members, as the delta reports direct members only
    groups_added: tuple[str, ...] = ()
    groups_removed: tuple[str, ...] = ()


@dataclass(frozen=True)
class DeltaPage(Generic[T]):
    """One page of a delta round: follow ``next_link`` until ``delta_link`` is set."""

    items: tuple[T, ...]
    next_link: str | None
    delta_link: str | None


@dataclass(frozen=True)
class SharePointList:
    """A SharePoint list's id and display name."""

    id: str
    display_name: str


@dataclass(frozen=True)
class ListColumn:
    """A list column: ``name`` is the internal (API) name used in ``fields``."""

    id: str
    name: str
    display_name: str
    indexed: bool = False
    read_only: bool = False


@dataclass(frozen=True)
class ListItemRecord:
    """A list item's id and the fields that came with it."""

    id: str
    fields: Mapping[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------- from the SDK


def delta_page_json(
    data: Mapping[str, Any], convert: Callable[[Mapping[str, Any]], T]
) -> DeltaPage[T]:
    """A delta response read as raw JSON (no SDK models) as a :class:`DeltaPage`."""
    value = data.get("value")
    if not isinstance(value, list):
        raise GraphCallError("Graph sent a delta page without a 'value' list")
    next_link, delta_link = data.get("@odata.nextLink"), data.get("@odata.deltaLink")
    return DeltaPage(
        items=tuple(convert(x) for x in value if isinstance(x, dict) and x.get("id")),
        next_link=str(next_link) if next_link else None,
        delta_link=str(delta_link) if delta_link else None,
    )


def user_json(u: Mapping[str, Any], *, expanded_manager: bool = False) -> GraphUser:
    """A user (raw Graph JSON: a delta entry, or read with ``$expand=manager`` when
    ``expanded_manager``) as a plain record."""
    manager_reported = expanded_manager or "manager@delta" in u
    manager: ManagerRef | None = None
    if "manager@delta" in u:
        entries = [e for e in u["manager@delta"] or [] if isinstance(e, dict)]
        live = [e for e in entries if "@removed" not in e and e.get("id")]
        if live:
            manager = ManagerRef(id=str(live[-1]["id"]))
    elif isinstance(u.get("manager"), dict) and u["manager"].get("id"):
        boss = u["manager"]
        manager_reported = True
        manager = ManagerRef(
            id=str(boss["id"]),
            mail=text_or_none(boss.get("mail")),
            user_principal_name=text_or_none(boss.get("userPrincipalName")),
        )
    enabled = u.get("accountEnabled")
    licences = u.get("assignedLicenses")
    return GraphUser(
        id=str(u["id"]),
        display_name=text_or_none(u.get("displayName")),
        given_name=text_or_none(u.get("givenName")),
        surname=text_or_none(u.get("surname")),
        mail=text_or_none(u.get("mail")),
        user_principal_name=text_or_none(u.get("userPrincipalName")),
        account_enabled=enabled if isinstance(enabled, bool) else None,
        job_title=text_or_none(u.get("jobTitle")),
        user_type=text_or_none(u.get("userType")),
        licensed=bool(licences) if isinstance(licences, list) else None,
        removed="@removed" in u,
        manager_reported=manager_reported,
        manager=manager,
    )


def group_json(g: Mapping[str, Any]) -> GraphGroup:
    """A group delta entry (raw Graph JSON) as a plain record: its user members (an entry
    without an ``@odata.type`` is a user) and its nested groups; devices and the rest aside."""
    entries = [e for e in g.get("members@delta") or [] if isinstance(e, dict) and e.get("id")]
    kinds = {
        k: [e for e in entries if str(e.get("@odata.type") or _USER).lower() == k]
        for k in (_USER, "#microsoft.graph.group")
    }

    def ids(kind: str, removed: bool) -> tuple[str, ...]:
        return tuple(str(e["id"]) for e in kinds[kind] if ("@removed" in e) == removed)

    return GraphGroup(
        id=str(g["id"]),
        display_name=text_or_none(g.get("displayName")),
        removed="@removed" in g,
        members_added=ids(_USER, False),
        members_removed=ids(_USER, True),
        groups_added=ids("#microsoft.graph.group", False),
        groups_removed=ids("#microsoft.graph.group", True),
    )


def column_json(c: Mapping[str, Any]) -> ListColumn:
    """A list column (raw Graph JSON) as a plain record."""
    return ListColumn(
        id=str(c.get("id")),
        name=str(c.get("name") or ""),
        display_name=str(c.get("displayName") or c.get("name") or ""),
        indexed=bool(c.get("indexed")),
        read_only=bool(c.get("readOnly")),
    )
