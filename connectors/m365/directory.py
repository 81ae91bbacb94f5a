"""Microsoft 365 directory: Graph users and role-group membership, a full sync then delta queries.

Maps Graph's users onto ``DirectoryPerson`` and keeps what Graph's delta rounds do not repeat
(role-group membership, managers) in the cursor. Never imports msgraph: ``client.py`` does.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from bot.core.ports import DirectoryChanges, DirectoryPerson, RejectedRecord
from connectors.m365.client import GraphClient
from connectors.m365.errors import ENV, GraphCallError, M365SetupError, read_error
from connectors.m365.records import DeltaPage, GraphGroup, GraphUser
from connectors.shares import GroupPacker, TenantRead

__all__ = [
    "CURSOR_VERSION",
    "DELTA_USER_SELECT",
    "DIRECTORY_PERMISSIONS",
    "GROUP_DELTA_SELECT",
    "IN_LIMIT",
    "MAX_DELTA_GROUPS",
    "USER_FIELDS",
    "GraphDirectory",
    "find_role_groups",
]

log = logging.getLogger(__name__)
T = TypeVar("T")

USER_FIELDS = (
    "id",
    "displayName",
    "givenName",
    "surname",
    "mail",
    "userPrincipalName",
    "accountEnabled",
    "jobTitle",
    "userType",
    "assignedLicenses",
)
DELTA_USER_SELECT = (*USER_FIELDS, "manager")  # manager changes arrive as manager@delta
GROUP_DELTA_SELECT = ("displayName", "members")  # membership changes arrive as members@delta
MAX_DELTA_GROUPS = 50  # group delta's $filter takes at most 50 ids
IN_LIMIT = 15  # Graph caps the values of one `in (...)` filter at 15
CURSOR_VERSION = 4
NO_MAILBOX = "account with no mailbox"
DIRECTORY_PERMISSIONS = "User.Read.All and GroupMember.Read.All (application, admin-consented)"


def _in_filters(name: str, values: Sequence[str]) -> Iterator[str]:
    """``name in ('a','b')`` filters for ``values``, at most ``IN_LIMIT`` values each."""
    for start in range(0, len(values), IN_LIMIT):
        yield f"{name} in (" + ",".join(map(_quote, values[start : start + IN_LIMIT])) + ")"


def _quote(value: str) -> str:
    """An OData string literal (single quotes doubled)."""
    return "'" + value.replace("'", "''") + "'"


@dataclass
class _DeltaState:
    """What the cursor remembers between syncs (JSON): delta links plus role-group membership.

    Graph's group delta only reports *changes* to membership, and a changed user's record must
    be complete (the store replaces groups and manager), so the cursor keeps the membership of
    the configured groups and each user's manager id. The delta reports direct members only:
    ``nested`` keeps the groups each role group holds, whose members are read through the
    group's transitive members at every fetch (``GraphDirectory._expand``).
    """

    users_link: str
    groups_link: str | None
    config: tuple[str, ...]
    names: dict[str, str]
    members: dict[str, set[str]]
    managers: dict[str, str]
    left_out: dict[str, str] = field(default_factory=dict)  # user id -> what the account is
    no_mailbox: dict[str, str] = field(default_factory=dict)  # user id -> "Name (sign-in)"
    nested: dict[str, set[str]] = field(default_factory=dict)  # role group id -> its groups

    def dump(self) -> str:
        """The cursor string stored by the bot."""
        return json.dumps(
            {
                "v": CURSOR_VERSION,
                "users": self.users_link,
                "groups": self.groups_link,
                "config": list(self.config),
                "names": self.names,
                "members": {g: sorted(m) for g, m in sorted(self.members.items())},
                "managers": dict(sorted(self.managers.items())),
                "left_out": dict(sorted(self.left_out.items())),
                "no_mailbox": dict(sorted(self.no_mailbox.items())),
                "nested": {g: sorted(n) for g, n in sorted(self.nested.items()) if n},
            },
            separators=(",", ":"),
        )

    @classmethod
    def load(cls, cursor: str, config: tuple[str, ...]) -> _DeltaState | None:
        """Parse a cursor; None when unreadable, older, or made for other settings."""
        try:
            raw = json.loads(cursor)
            if not isinstance(raw, dict) or raw.get("v") != CURSOR_VERSION:
                return None
            if tuple(raw["config"]) != config or not isinstance(raw["users"], str):
                return None
            return cls(
                users_link=raw["users"],
                groups_link=raw.get("groups"),
                config=config,
                names={str(k): str(v) for k, v in dict(raw["names"]).items()},
                members={str(g): set(map(str, m)) for g, m in dict(raw["members"]).items()},
                managers={str(k): str(v) for k, v in dict(raw["managers"]).items()},
                left_out={str(k): str(v) for k, v in dict(raw.get("left_out") or {}).items()},
                no_mailbox={str(k): str(v) for k, v in dict(raw.get("no_mailbox") or {}).items()},
                nested={str(g): set(map(str, n)) for g, n in dict(raw.get("nested") or {}).items()},
            )
        except (ValueError, KeyError, TypeError):
            return None

    def links_within(self, endpoint: str) -> bool:
        """Whether the stored delta links point at ``endpoint`` (a cursor is data: check it)."""
        links = [self.users_link, *([self.groups_link] if self.groups_link else [])]
        return all(link.startswith(endpoint + "/") for link in links)

    def changes(
        self,
        read: tuple[GroupPacker, list[str], list[RejectedRecord]],
        *,
        complete: bool,
        removed: Sequence[str] = (),
    ) -> DirectoryChanges:
        """What a fetch returns: ``read`` (people, rejected rows, who those are), the left out
        accounts counted by what they are ("guest": 3), and this state as the cursor; its
        people packed by their groups, so a trust's sweep makes one school's at a time."""
        people, rejected, records = read
        return TenantRead(
            people=people.people(),
            complete=complete,
            removed=removed,
            cursor=self.dump(),
            rejected=rejected,
            rejected_records=records,
            left_out=dict(Counter(self.left_out.values())),
            no_mailbox=sorted(self.no_mailbox.values()),
        )

    def forget(self, user_id: str) -> None:
        """The user is gone from the directory: no longer counted or named."""
        self.left_out.pop(user_id, None)
        self.no_mailbox.pop(user_id, None)

    def in_scope(self) -> set[str]:
        """Ids of users in at least one role group."""
        return set().union(*self.members.values()) if self.members else set()


def _complete(user: GraphUser) -> bool:
    """Whether a delta entry carries enough to stand for the whole user."""
    return (
        user.display_name is not None
        and user.account_enabled is not None
        and user.user_type is not None
        and user.licensed is not None
        and bool(user.mail)  # absent from a partial entry, or no mailbox: read it whole
    )


def _drop(removed: Sequence[str], state: _DeltaState, affected: set[str]) -> None:
    """People the delta reports deleted: out of every role group, manager and standing."""
    for uid in removed:
        state.managers.pop(uid, None)
        affected.discard(uid)
        for group_members in state.members.values():
            group_members.discard(uid)
        state.forget(uid)


@dataclass
class GraphDirectory:
    """Users and role-group membership from Graph: a full sync, then delta queries.

    The first fetch (or one with an unusable cursor) reads ``/users/delta()`` and
    ``/groups/delta()`` from scratch and returns everyone (``complete=True``); later fetches
    follow the stored delta links and return only the changes. A disabled account comes back
    with ``active=False`` and a deleted one as a ``removed`` id: the bot treats both as missing
    (a leaver after the school's grace period). A delta link Graph no longer takes (410, or
    any 400: ``syncStateNotFound``, ``BadRequest`` about an expired sync state,
    ``Request_BadRequest``...) falls back to one full sync in the same fetch; only when that
    fails too does the fetch fail (the next one tries the full sync again).

    School tenants hold pupils' accounts too, so by default only members of the role groups are
    read into the bot (data minimisation); someone taken out of every role group comes back
    inactive (missing). ``all_users=True`` reads everyone. Guests (``userType`` Guest, typically
    governors) are left out unless ``include_guests`` brings them in, whatever their licence;
    members with no licence (shared mailboxes, service and room accounts) are left out unless
    ``include_unlicensed`` brings them in. An account with no mailbox (``mail`` empty: a
    sign-in name mail cannot reach, such as a scanner's) is never chased: it is left out and
    named in ``no_mailbox``. All left out accounts are counted in ``left_out``. A configured
    role group that does not exist stops the sync with a ``PermanentError``: carrying on would
    make its members leavers. A role group holding other groups (All Staff holding Teachers)
    has their members read too, through its transitive members; a delta link or cursor made
    for another tenant is never followed (a school that moved reads its new tenant whole).

    Args:
        client: the Graph client.
        role_groups: group display name -> the role its members get
            (``COMPLIANCE_BOT_M365__ROLE_GROUPS``); only these groups' memberships are read.
        all_users: read every user, not only members of the role groups.
        include_guests: read guest accounts as people too.
        include_unlicensed: read accounts without a licence as people too.
        max_pages: a guard against a server that never ends a round.
        tenant: the tenant's id, which the cursor is made for.
    """

    client: GraphClient
    role_groups: Mapping[str, str] = field(default_factory=dict)
    all_users: bool = False
    include_guests: bool = False
    include_unlicensed: bool = False
    max_pages: int = 10_000
    tenant: str = ""

    @classmethod
    def from_settings(cls, client: GraphClient, m365: Any) -> GraphDirectory:
        """The directory ``M365Settings`` describe (role groups, who is read)."""
        return cls(
            client,
            role_groups=dict(m365.role_groups),
            all_users=m365.all_users,
            include_guests=m365.include_guests,
            include_unlicensed=m365.include_unlicensed,
            tenant=m365.tenant_id or "",
        )

    def fetch(self, cursor: str | None = None) -> DirectoryChanges:
        """Return everyone (no or expired cursor) or the changes since ``cursor``."""
        config = (
            *sorted(set(self.role_groups)),
            f"all_users={self.all_users}",
            f"include_guests={self.include_guests}",
            f"include_unlicensed={self.include_unlicensed}",
            f"tenant={self.tenant}",
        )
        if len(self.role_groups) > MAX_DELTA_GROUPS:
            raise M365SetupError(
                f"{ENV}ROLE_GROUPS names {len(self.role_groups)} groups; at most "
                f"{MAX_DELTA_GROUPS} can be tracked"
            )
        try:
            state = _DeltaState.load(cursor, config) if cursor else None
            if state is not None and not state.links_within(self.client.endpoint):
                log.warning("directory cursor points outside %s; full sync", self.client.endpoint)
                state = None
            if state is not None:
                try:
                    changes = self._delta(state)
                    if changes is not None:
                        return changes
                except GraphCallError as exc:
                    if exc.status not in (400, 410):
                        raise
                    log.warning(
                        "directory delta link refused (%s %s); reading the whole directory again",
                        exc.status,
                        exc.code,
                    )
            return self._full(config)
        except GraphCallError as exc:
            raise read_error(exc, DIRECTORY_PERMISSIONS) from exc

    # ---- rounds ------------------------------------------------------------------------
    def _round(
        self, page: Callable[[str | None], DeltaPage[T]], link: str | None
    ) -> tuple[list[T], str]:
        """Follow ``@odata.nextLink`` (empty pages too) until ``@odata.deltaLink``."""
        items: list[T] = []
        for _ in range(self.max_pages):
            current = page(link)
            items.extend(current.items)
            if current.delta_link:
                return items, current.delta_link
            if not current.next_link:
                raise GraphCallError("a delta page had neither @odata.nextLink nor deltaLink")
            link = current.next_link
        raise GraphCallError(f"a delta round did not end within {self.max_pages} pages")

    def _users_round(self, link: str | None) -> tuple[list[GraphUser], str]:
        return self._round(lambda at: self.client.users_delta(at, select=DELTA_USER_SELECT), link)

    def _full(self, config: tuple[str, ...]) -> DirectoryChanges:
        names = find_role_groups(self.client, list(self.role_groups)) if self.role_groups else {}
        missing = sorted(set(self.role_groups) - set(names.values()))
        if missing:
            raise M365SetupError(
                f"{ENV}ROLE_GROUPS: no group named "
                + ", ".join(repr(n) for n in missing)
                + " in the directory (use the groups' exact display names; "
                "`compliance-bot check m365` lists what it finds). Nothing was changed."
            )
        users, users_link = self._users_round(None)
        live, _ = _fold_users(users)
        members: dict[str, set[str]] = {gid: set() for gid in names}
        nested: dict[str, set[str]] = {gid: set() for gid in names}
        groups_link: str | None = None
        if names:
            query = " or ".join(f"id eq {_quote(gid)}" for gid in sorted(names))
            groups, groups_link = self._round(
                lambda at: self.client.groups_delta(
                    at, select=GROUP_DELTA_SELECT, filter=None if at else query
                ),
                None,
            )
            for group in groups:
                if group.id in members and not group.removed:
                    _apply(members[group.id], group, nested[group.id])
        self._expand(members, nested, {})
        managers = {uid: u.manager.id for uid, u in live.items() if u.manager is not None}
        state = _DeltaState(
            users_link, groups_link, config, names, members, managers, nested=nested
        )
        return state.changes(self._people(live.values(), state, set(), live), complete=True)

    def _delta(self, state: _DeltaState) -> DirectoryChanges | None:
        """The changes since ``state``; None when only a full sync can be right."""
        users, users_link = self._users_round(state.users_link)
        groups_link = state.groups_link
        before = state.in_scope()
        members = {gid: set(m) for gid, m in state.members.items()}
        nested = {gid: set(state.nested.get(gid, ())) for gid in members}
        affected: set[str] = set()
        if state.groups_link:
            groups_link = self._group_changes(state, members, nested, affected)
            if groups_link is None:
                return None  # a role group was deleted or renamed
        affected |= self._expand(members, nested, state.nested)
        changed, removed = _fold_users(users)
        managers = dict(state.managers)
        new_state = _DeltaState(
            users_link,
            groups_link,
            state.config,
            state.names,
            members,
            managers,
            dict(state.left_out),
            dict(state.no_mailbox),
            nested,
        )
        _drop(removed, new_state, affected)
        for user in changed.values():
            if user.manager_reported:
                _set_manager(managers, user)
        relevant = set(changed) | affected
        scoped = not self.all_users and bool(state.names)
        if scoped:
            relevant &= before | new_state.in_scope()  # never look up people the bot does not keep
            removed = [uid for uid in removed if uid in before]
        records = {uid: u for uid, u in changed.items() if uid in relevant and _complete(u)}
        self._reread(sorted(relevant - set(records)), records, managers)
        read = self._people(records.values(), new_state, before, records)
        # a person here before, now a guest or unlicensed: missing, as if deleted
        removed += [
            uid
            for uid in records
            if uid not in removed
            and uid in new_state.left_out.keys() - state.left_out.keys()
            and (uid in before or not scoped)
        ]
        return new_state.changes(read, complete=False, removed=removed)

    def _group_changes(
        self,
        state: _DeltaState,
        members: dict[str, set[str]],
        nested: dict[str, set[str]],
        affected: set[str],
    ) -> str | None:
        """Apply the role groups' membership changes since ``state`` to ``members`` (and the
        groups they hold to ``nested``).

        Ids whose membership changed are added to ``affected``. Returns the new groups delta
        link, or None when a role group was deleted or renamed (only a full sync can be right).
        """
        groups, groups_link = self._round(
            lambda at: self.client.groups_delta(at, select=GROUP_DELTA_SELECT), state.groups_link
        )
        for group in groups:
            if group.id not in members:
                continue
            renamed = (
                group.display_name is not None
                and group.display_name.casefold() != state.names[group.id].casefold()
            )
            if group.removed or renamed:
                return None
            affected |= _apply(members[group.id], group, nested[group.id])
        return groups_link

    def _expand(
        self,
        members: dict[str, set[str]],
        nested: Mapping[str, set[str]],
        before: Mapping[str, set[str]],
    ) -> set[str]:
        """Each role group that holds other groups (or held some at the last fetch) has its
        members read whole through its transitive members, nested groups' members among them;
        returns the user ids whose membership changed."""
        changed: set[str] = set()
        for gid in sorted(members):
            if nested.get(gid) or before.get(gid):
                found = set(self.client.transitive_user_ids(gid))
                changed |= found ^ members[gid]
                members[gid] = found
        return changed

    def _reread(
        self, ids: Sequence[str], records: dict[str, GraphUser], managers: dict[str, str]
    ) -> None:
        """Read ``ids`` whole (manager expanded) into ``records``, updating ``managers``.

        These are people whose delta entry was partial, or who only joined or left a role group.
        """
        for query in _in_filters("id", ids):
            for user in self.client.users(select=USER_FIELDS, filter=query, expand_manager=True):
                records[user.id] = user
                _set_manager(managers, user)

    # ---- mapping -----------------------------------------------------------------------
    def _not_a_person(self, user: GraphUser) -> str | None:
        """What the account is when it is not a person for the bot: a guest (unless guests are
        brought in, whatever their licence), a member with no licence (a shared mailbox, a
        service or room account), or an account with no mailbox; None for staff."""
        if (user.user_type or "").casefold() == "guest":
            if not self.include_guests:
                return "guest"
        elif not self.include_unlicensed and user.licensed is False:
            return "unlicensed account"
        return None if user.mail else NO_MAILBOX

    def _people(
        self,
        users: Iterable[GraphUser],
        state: _DeltaState,
        was_in_scope: set[str],
        known: Mapping[str, GraphUser],
    ) -> tuple[GroupPacker, list[str], list[RejectedRecord]]:
        """Map users to people; out of scope users are left out, or come back inactive when
        they were in scope before (taken out of every role group: missing, then a leaver).
        Users without an address are rejected, with their id so the bot leaves them as they
        were."""
        people = GroupPacker()
        rejected: list[str] = []
        records: list[RejectedRecord] = []
        scoped = not self.all_users and bool(state.names)
        for user in users:
            groups = frozenset(state.names[g] for g, m in state.members.items() if user.id in m)
            active = user.account_enabled is not False
            if scoped and not groups:
                if user.id not in was_in_scope:
                    continue
                active = False
            if self._left_out(user, state):
                continue
            email = (user.mail or "").strip().lower()
            if "@" not in email:
                rejected.append(
                    f"Graph user {user.id} ({user.display_name or 'no name'}): "
                    f"mail '{email}' is not an address"
                )
                records.append(RejectedRecord(external_id=user.id, display_name=user.display_name))
                continue
            manager_id = state.managers.get(user.id)
            manager_email = _manager_email(user, manager_id, known)
            people.put(
                DirectoryPerson(
                    external_id=user.id,
                    email=email,
                    display_name=_display_name(user, email),
                    active=active,
                    given_name=user.given_name or None,
                    family_name=user.surname or None,
                    job_title=user.job_title or None,
                    groups=groups,
                    roles=frozenset(self.role_groups[g] for g in groups if g in self.role_groups),
                    manager_external_id=manager_id,
                    manager_email=manager_email.lower() if manager_email else None,
                )
            )
        return people, rejected, records

    def _left_out(self, user: GraphUser, state: _DeltaState) -> bool:
        """Whether ``user`` is left out (not a person for the bot: ``_not_a_person``), kept in
        ``state`` so a delta reports it removed if it was here; its old standing forgotten."""
        kind = self._not_a_person(user)
        state.forget(user.id)
        if kind is None:
            return False
        state.left_out[user.id] = kind
        if kind == NO_MAILBOX:
            state.no_mailbox[user.id] = (
                f"{user.display_name or 'no name'} ({user.user_principal_name or user.id})"
            )
        return True


def _apply(members: set[str], group: GraphGroup, nested: set[str]) -> set[str]:
    """Apply a group's delta entry to its ``members`` and the groups it holds (``nested``);
    the ids whose membership changed."""
    changed = (set(group.members_added) - members) | (members & set(group.members_removed))
    members.update(group.members_added)
    members.difference_update(group.members_removed)
    nested.update(group.groups_added)
    nested.difference_update(group.groups_removed)
    return changed


def _fold_users(users: Iterable[GraphUser]) -> tuple[dict[str, GraphUser], list[str]]:
    """A delta round's entries as (changed users by id, removed ids): the last entry wins."""
    changed: dict[str, GraphUser] = {}
    removed: list[str] = []
    for user in users:
        if user.removed:
            changed.pop(user.id, None)
            if user.id not in removed:
                removed.append(user.id)
        else:
            changed[user.id] = user
            if user.id in removed:
                removed.remove(user.id)
    return changed, removed


def _display_name(user: GraphUser, email: str) -> str:
    """displayName, else given name and surname, else the address."""
    return (
        user.display_name or " ".join(x for x in (user.given_name, user.surname) if x) or email
    ).strip()


def _manager_email(
    user: GraphUser, manager_id: str | None, known: Mapping[str, GraphUser]
) -> str | None:
    """The manager's address: from the user's expanded manager, else from the manager's record."""
    manager_email = None
    if user.manager is not None and user.manager.id == manager_id:
        manager_email = user.manager.mail or user.manager.user_principal_name
    if manager_email is None and manager_id is not None and manager_id in known:
        boss = known[manager_id]
        manager_email = boss.mail or boss.user_principal_name
    return manager_email


def find_role_groups(client: GraphClient, names: Sequence[str]) -> dict[str, str]:
    """Group id -> configured name for the configured display names that exist in Graph."""
    wanted = {n.casefold(): n for n in names}
    found: dict[str, str] = {}
    for query in _in_filters("displayName", sorted(names)):
        for group in client.groups(select=("id", "displayName"), filter=query):
            name = wanted.get((group.display_name or "").casefold())
            if name is not None:
                found[group.id] = name
    return found


def _set_manager(managers: dict[str, str], user: GraphUser) -> None:
    if user.manager is not None:
        managers[user.id] = user.manager.id
    else:
        managers.pop(user.id, None)
