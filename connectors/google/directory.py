"""Google directory: Admin SDK users and the configured groups' (nested) members, as people."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from bot.core.ports import DirectoryChanges, DirectoryPerson, PermanentError, RejectedRecord
from connectors.google.client import GoogleApi, GoogleCallError
from connectors.google.errors import connector_error, read_pages
from connectors.shares import GroupPacker, TenantRead

__all__ = ["BATCH_SIZE", "DIRECTORY_BATCH_URI", "MEMBERS_PAGE", "USERS_PAGE", "GoogleDirectory"]

USERS_PAGE = 500  # users.list maximum
MEMBERS_PAGE = 200  # members.list maximum
# the Admin SDK's batch route (its discovery document's rootUrl + batchPath); Google allows
# 1,000 calls a batch and recommends far fewer
DIRECTORY_BATCH_URI = "https://admin.googleapis.com/batch"
BATCH_SIZE = 100
_ONE_USER = (
    "id,primaryEmail,name(fullName,givenName,familyName),"
    "suspended,archived,organizations(title,primary),relations"
)
_USER_FIELDS = f"nextPageToken,users({_ONE_USER})"
_MEMBER_FIELDS = "nextPageToken,members(id,email,type)"  # suspension: the user's own flags
# what the cursor (a digest of the listing) sees of each person
_DIGESTED = (
    "external_id",
    "email",
    "display_name",
    "active",
    "groups",
    "manager_email",
    "job_title",
    "given_name",
    "family_name",
)


class GoogleDirectory:
    """Admin SDK Directory: the role groups' members, or every user, as people.

    With role groups named and ``all_users`` off (the default, as for Microsoft 365), only the
    groups' members (direct or through nested groups) are read: each group's ``members.list``,
    then each member's ``users.get`` in batches, so pupils' accounts are never read whatever
    the organisational units look like. ``all_users`` reads every user (narrowed by ``query``
    when one is given). Suspended/archived users are missing.

    Always a complete listing (the Directory API has no delta for users), its people packed
    by their groups so a trust's sweep makes one school's at a time (``TenantRead``);
    ``cursor`` is a hash of the listing so callers can tell nothing changed.
    ``DirectoryPerson.groups`` holds the lower-cased email of each configured group the person
    belongs to, directly or through a nested group.

    Args:
        api: the Directory service, impersonating an admin.
        customer: ``my_customer`` or the customer id.
        groups: group emails to expand (``settings.google.role_groups`` keys).
        query: optional Admin SDK user query, e.g. ``orgUnitPath='/Staff'`` to leave pupils out
            (with role groups read alone, only their members matching it are kept).
        all_users: read every user, not only the role groups' members.
    """

    def __init__(
        self,
        api: GoogleApi,
        *,
        customer: str = "my_customer",
        groups: Iterable[str] = (),
        query: str | None = None,
        roles_by_group: Mapping[str, str] | None = None,
        all_users: bool = False,
    ) -> None:
        self._api = api
        self._roles = {k.strip().lower(): v for k, v in (roles_by_group or {}).items()}
        self._customer = customer
        self._groups = tuple(dict.fromkeys(g.strip().lower() for g in groups if g.strip()))
        self._query = query
        self._scoped = bool(self._groups) and not all_users

    def fetch(self, cursor: str | None = None) -> DirectoryChanges:
        """List the people and their configured groups (cursor is ignored: no delta)."""
        member_of, everyone = self._membership()
        # a page at a time, packed as it comes, so a read holds a page and the packed people,
        # never the domain's users; managers' ids come from the packed people (#60)
        users = self._members_as_users(member_of) if self._scoped else self._users()
        people = GroupPacker()  # a school's people made when it asks (#60)
        seen: list[bytes] = []  # what the cursor sees of each person
        rejected: list[str] = []
        records: list[RejectedRecord] = []
        for user in users:
            try:
                person = self._person(user, member_of, everyone)
            except ValueError as exc:
                rejected.append(f"Google user {user.get('id', '?')}: {exc}")
                records.append(
                    RejectedRecord(
                        external_id=str(user.get("id") or "") or None,
                        email=str(user.get("primaryEmail") or "").strip().lower() or None,
                        display_name=_names(user)[2] or None,
                    )
                )
            else:
                people.put(person)
                seen.append(
                    hashlib.sha256(
                        repr(
                            tuple(
                                sorted(v) if isinstance(v, frozenset) else v
                                for v in (getattr(person, name) for name in _DIGESTED)
                            )
                        ).encode()
                    ).digest()
                )
        digest = hashlib.sha256(b"".join(sorted(seen))).hexdigest()[:16]
        return TenantRead(
            people=people.people(),
            complete=True,
            cursor=digest,
            rejected=rejected,
            rejected_records=records,
        )

    def _membership(self) -> tuple[dict[str, frozenset[str]], set[str]]:
        """Each member's configured groups (by id, else address), and the groups that have
        everyone in the organisation as a member (refused when the read is scoped: pupils)."""
        # each member's groups, one frozenset shared by all who are in the same groups (a
        # set each was ~220 bytes a person of a 100,000-person domain's read, #60)
        member_of: dict[str, frozenset[str]] = {}
        shared: dict[frozenset[str], frozenset[str]] = {}
        everyone: set[str] = set()
        for group in self._groups:
            for member in self._members(group):
                kind = member.get("type")
                if kind == "CUSTOMER":  # "everyone in the organisation" is a member
                    if self._scoped:
                        raise PermanentError(
                            f"the group {group} has everyone in the organisation as a member, "
                            "pupils too: name an all-staff group in "
                            "COMPLIANCE_BOT_GOOGLE__ROLE_GROUPS instead (deploy/google.md)"
                        )
                    everyone.add(group)
                elif kind == "USER":
                    key = str(member.get("id") or "") or str(member.get("email", "")).lower()
                    if key:
                        groups = member_of.get(key, frozenset()) | {group}
                        member_of[key] = shared.setdefault(groups, groups)
        return member_of, everyone

    @functools.cached_property
    def _users_api(self) -> Any:
        return self._api.resource.users()  # built once: resources are costly, and cyclic

    @functools.cached_property
    def _members_api(self) -> Any:
        # once, not once a group: a trust's 200 staff groups made 200 (#60)
        return self._api.resource.members()

    def _users(self) -> Iterator[dict[str, Any]]:
        users_api = self._users_api
        params: dict[str, Any] = {
            "customer": self._customer,
            "maxResults": USERS_PAGE,
            "projection": "full",
            "fields": _USER_FIELDS,
        }
        if self._query:
            params["query"] = self._query
        pages = read_pages(self._api, users_api, users_api.list(**params), "Directory users.list")
        return (u for page in pages for u in page.get("users", []) if isinstance(u, dict))

    def _members_as_users(
        self, member_of: Mapping[str, frozenset[str]]
    ) -> Iterator[dict[str, Any]]:
        """The role groups' member accounts, and no one else's (``users.get`` in batches).

        With a ``query`` too, one ``users.list`` by the query, kept to the members.
        """
        if self._query:
            yield from (
                u
                for u in self._users()
                if str(u.get("id") or "") in member_of
                or str(u.get("primaryEmail") or "").lower() in member_of
            )
            return
        users_api = self._users_api
        keys = sorted(member_of)
        for start in range(0, len(keys), BATCH_SIZE):
            chunk = keys[start : start + BATCH_SIZE]
            requests = [
                users_api.get(userKey=key, projection="full", fields=_ONE_USER) for key in chunk
            ]
            try:
                answers = self._api.call_batch(requests, batch_uri=DIRECTORY_BATCH_URI)
            except GoogleCallError as exc:
                raise connector_error(exc, "Directory users.get (batch)", write=False) from exc
            for key, answer in zip(chunk, answers, strict=True):
                if isinstance(answer, GoogleCallError):
                    if answer.status == 404:  # deleted since the group was listed
                        continue
                    raise connector_error(answer, f"Directory users.get({key})", write=False)
                if isinstance(answer, dict):
                    yield answer

    def _members(self, group: str) -> list[dict[str, Any]]:
        members_api = self._members_api
        request = members_api.list(
            groupKey=group,
            maxResults=MEMBERS_PAGE,
            includeDerivedMembership=True,
            fields=_MEMBER_FIELDS,
        )
        pages = read_pages(self._api, members_api, request, f"Directory members.list({group})")
        try:
            return [m for page in pages for m in page.get("members", []) if isinstance(m, dict)]
        except PermanentError as exc:
            # A configured group that cannot be read must stop the sync: a partial view
            # would quietly strip roles from everyone in it.
            raise PermanentError(
                f"{exc} (is {group} in COMPLIANCE_BOT_GOOGLE__ROLE_GROUPS a real group?)"
            ) from exc

    def _person(
        self, user: Mapping[str, Any], member_of: Mapping[str, frozenset[str]], everyone: set[str]
    ) -> DirectoryPerson:
        """One Admin SDK user as a person (their manager's id is found among the packed people
        once the read ends: ``GroupPacker``); ValueError when it has no id or primary email."""
        user_id = str(user.get("id") or "")
        email = str(user.get("primaryEmail") or "").strip().lower()
        if not user_id or "@" not in email:
            raise ValueError("no id or primary email")
        given, family, display = _names(user)
        manager = _manager_email(user)
        groups = member_of.get(user_id, frozenset()) | member_of.get(email, frozenset()) | everyone
        return DirectoryPerson(
            external_id=user_id,
            email=email,
            display_name=display or email,
            active=not user.get("suspended") and not user.get("archived"),
            given_name=given,
            family_name=family,
            job_title=_job_title(user),
            groups=groups,
            roles=frozenset(self._roles[g] for g in groups if g in self._roles),
            manager_email=manager,
        )


def _names(user: Mapping[str, Any]) -> tuple[str | None, str | None, str]:
    """(given name, family name, full name or the two joined; "" when there is none)."""
    name = user.get("name") or {}
    given = str(name.get("givenName") or "").strip() or None
    family = str(name.get("familyName") or "").strip() or None
    display = str(name.get("fullName") or "").strip() or " ".join(p for p in (given, family) if p)
    return given, family, display


def _job_title(user: Mapping[str, Any]) -> str | None:
    """The title of the primary organisation, else of the first one that has a title."""
    organisations = [o for o in user.get("organizations") or [] if isinstance(o, dict)]
    organisations.sort(key=lambda o: not o.get("primary"))
    return next((str(o["title"]) for o in organisations if o.get("title")), None)


def _manager_email(user: Mapping[str, Any]) -> str | None:
    """The lower-cased address of the user's first ``manager`` relation, if any."""
    return next(
        (
            str(r.get("value") or "").strip().lower()
            for r in user.get("relations") or []
            if isinstance(r, dict) and r.get("type") == "manager" and r.get("value")
        ),
        None,
    )
