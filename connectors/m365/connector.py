"""Microsoft 365 connector: Graph directory (delta), sendMail, Teams Workflows card, SharePoint
list mirror and the Microsoft Forms workbook — all behind the protocols in ``connectors.base``.

This module maps Graph's data to the boundary's dataclasses and :class:`GraphCallError` facts to
the outbox's errors. It never imports msgraph: ``client.py`` does, lazily, so importing this
module (or building the local connector) costs nothing. See deploy/m365.md for the tenant setup.
"""

from __future__ import annotations

import json
import logging
import math
import re
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, ClassVar, TypeVar
from zoneinfo import ZoneInfo

import httpx
from pydantic import SecretStr

from connectors.base import (
    SETUP_RETRY_SECONDS,
    CardMessage,
    DeliveryUnknownError,
    DirectoryChanges,
    DirectoryPerson,
    FormResponse,
    OutgoingEmail,
    PermanentError,
    RateLimiter,
    RetryableError,
    SendResult,
    SetupError,
)
from connectors.m365.client import (
    DeltaPage,
    GraphCallError,
    GraphClient,
    GraphUser,
    parse_retry_after,
)
from connectors.mime import to_mime

if TYPE_CHECKING:
    from bot.core.settings import Settings
    from connectors.registry import Connectors

__all__ = [
    "EXCEL_EPOCH",
    "GraphDirectory",
    "GraphMailer",
    "M365SetupError",
    "RecipientBudget",
    "SharePointListMirror",
    "WorkbookFormSource",
    "WorkflowsNotifier",
    "build",
    "excel_serial_to_datetime",
    "find_role_groups",
    "internal_name",
]

log = logging.getLogger(__name__)
T = TypeVar("T")
ENV = "COMPLIANCE_BOT_M365__"
LONDON = ZoneInfo("Europe/London")


class M365SetupError(PermanentError, ValueError):
    """The m365 settings are incomplete or inconsistent; the message names the variable."""


# --------------------------------------------------------------------------- directory

USER_FIELDS = (
    "id",
    "displayName",
    "givenName",
    "surname",
    "mail",
    "userPrincipalName",
    "accountEnabled",
    "jobTitle",
)
DELTA_USER_SELECT = (*USER_FIELDS, "manager")  # manager changes arrive as manager@delta
GROUP_DELTA_SELECT = ("displayName", "members")  # membership changes arrive as members@delta
MAX_DELTA_GROUPS = 50  # group delta's $filter takes at most 50 ids
IN_LIMIT = 15  # Graph caps the values of one `in (...)` filter at 15
CURSOR_VERSION = 2
# Delta-token errors: Graph answers 410 Gone or 400 with one of these codes; all mean "resync".
SYNC_RESET_CODES = frozenset(
    {
        "resyncrequired",
        "syncstatenotfound",
        "syncstateinvalid",
        "fullsyncrequired",
        "invaliddeltatoken",
        "directory_expiredpagetoken",
    }
)
DIRECTORY_PERMISSIONS = "User.Read.All and GroupMember.Read.All (application, admin-consented)"


def _chunks(values: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _quote(value: str) -> str:
    """An OData string literal (single quotes doubled)."""
    return "'" + value.replace("'", "''") + "'"


@dataclass
class _DeltaState:
    """What the cursor remembers between syncs (JSON): delta links plus role-group membership.

    Graph's group delta only reports *changes* to membership, and a changed user's record must
    be complete (the store replaces groups and manager), so the cursor keeps the membership of
    the configured groups and each user's manager id.
    """

    users_link: str
    groups_link: str | None
    config: tuple[str, ...]
    names: dict[str, str]
    members: dict[str, set[str]]
    managers: dict[str, str]

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
            )
        except (ValueError, KeyError, TypeError):
            return None

    def links_within(self, endpoint: str) -> bool:
        """Whether the stored delta links point at ``endpoint`` (a cursor is data: check it)."""
        links = [self.users_link, *([self.groups_link] if self.groups_link else [])]
        return all(link.startswith(endpoint + "/") for link in links)

    def in_scope(self) -> set[str]:
        """Ids of users in at least one role group."""
        return set().union(*self.members.values()) if self.members else set()


def _complete(user: GraphUser) -> bool:
    """Whether a delta entry carries enough to stand for the whole user."""
    return (
        user.display_name is not None
        and user.account_enabled is not None
        and bool(user.mail or user.user_principal_name)
    )


@dataclass
class GraphDirectory:
    """Users and role-group membership from Graph: a full sync, then delta queries.

    The first fetch (or one with an unusable cursor) reads ``/users/delta()`` and
    ``/groups/delta()`` from scratch and returns everyone (``complete=True``); later fetches
    follow the stored delta links and return only the changes. A disabled account comes back
    with ``active=False`` (a leaver); a deleted one as a ``removed`` id. An expired delta token
    (410, or 400 ``syncStateNotFound``/``resyncRequired``...) falls back to a full sync.

    School tenants hold pupils' accounts too, so by default only members of the role groups are
    read into the bot (data minimisation); someone taken out of every role group comes back
    inactive, a leaver. ``all_users=True`` reads everyone. A configured role group that does not
    exist stops the sync with a ``PermanentError``: carrying on would make its members leavers.

    Args:
        client: the Graph client.
        role_groups: group display name -> the role its members get
            (``COMPLIANCE_BOT_M365__ROLE_GROUPS``); only these groups' memberships are read.
        all_users: read every user, not only members of the role groups.
        max_pages: a guard against a server that never ends a round.
    """

    client: GraphClient
    role_groups: Mapping[str, str] = field(default_factory=dict)
    all_users: bool = False
    max_pages: int = 10_000

    def fetch(self, cursor: str | None = None) -> DirectoryChanges:
        """Return everyone (no or expired cursor) or the changes since ``cursor``."""
        config = (*sorted(set(self.role_groups)), f"all_users={self.all_users}")
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
                except GraphCallError as exc:
                    if not _sync_state_lost(exc):
                        raise
                    log.info("directory delta token no longer valid (%s); full sync", exc.code)
                    changes = None
                if changes is not None:
                    return changes
            return self._full(config)
        except GraphCallError as exc:
            raise _read_error(exc, DIRECTORY_PERMISSIONS) from exc

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
        live: dict[str, GraphUser] = {}
        for user in users:
            if user.removed:
                live.pop(user.id, None)
            else:
                live[user.id] = user
        members: dict[str, set[str]] = {gid: set() for gid in names}
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
                    members[group.id].update(group.members_added)
                    members[group.id].difference_update(group.members_removed)
        managers = {uid: u.manager.id for uid, u in live.items() if u.manager is not None}
        state = _DeltaState(users_link, groups_link, config, names, members, managers)
        people, rejected = self._people(live.values(), state, set(), live)
        return DirectoryChanges(
            people=people, complete=True, cursor=state.dump(), rejected=rejected
        )

    def _delta(self, state: _DeltaState) -> DirectoryChanges | None:
        """The changes since ``state``; None when only a full sync can be right."""
        users, users_link = self._users_round(state.users_link)
        groups_link = state.groups_link
        before = state.in_scope()
        members = {gid: set(m) for gid, m in state.members.items()}
        affected: set[str] = set()
        if state.groups_link:
            groups, groups_link = self._round(
                lambda at: self.client.groups_delta(at, select=GROUP_DELTA_SELECT),
                state.groups_link,
            )
            for group in groups:
                if group.id not in members:
                    continue
                renamed = (
                    group.display_name is not None
                    and group.display_name.casefold() != state.names[group.id].casefold()
                )
                if group.removed or renamed:
                    return None  # a role group was deleted or renamed
                for uid in group.members_added:
                    if uid not in members[group.id]:
                        members[group.id].add(uid)
                        affected.add(uid)
                for uid in group.members_removed:
                    if uid in members[group.id]:
                        members[group.id].discard(uid)
                        affected.add(uid)
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
        managers = dict(state.managers)
        for uid in removed:
            managers.pop(uid, None)
            affected.discard(uid)
            for group_members in members.values():
                group_members.discard(uid)
        for user in changed.values():
            if user.manager_reported:
                _set_manager(managers, user)
        new_state = _DeltaState(
            users_link, groups_link, state.config, state.names, members, managers
        )
        after = new_state.in_scope()
        relevant = set(changed) | affected
        if not self.all_users and state.names:
            relevant &= before | after  # never look up people the bot does not keep
            removed = [uid for uid in removed if uid in before]
        records = {uid: u for uid, u in changed.items() if uid in relevant and _complete(u)}
        reread = sorted(relevant - set(records))
        for chunk in _chunks(reread, IN_LIMIT):
            query = "id in (" + ",".join(_quote(uid) for uid in chunk) + ")"
            for user in self.client.users(select=USER_FIELDS, filter=query, expand_manager=True):
                records[user.id] = user
                _set_manager(managers, user)
        people, rejected = self._people(records.values(), new_state, before, records)
        return DirectoryChanges(
            people=people,
            complete=False,
            removed=removed,
            cursor=new_state.dump(),
            rejected=rejected,
        )

    # ---- mapping -----------------------------------------------------------------------
    def _people(
        self,
        users: Iterable[GraphUser],
        state: _DeltaState,
        was_in_scope: set[str],
        known: Mapping[str, GraphUser],
    ) -> tuple[list[DirectoryPerson], list[str]]:
        """Map users to people; out of scope users are left out, or come back inactive when
        they were in scope before (taken out of every role group: a leaver)."""
        people: list[DirectoryPerson] = []
        rejected: list[str] = []
        scoped = not self.all_users and bool(state.names)
        for user in users:
            groups = frozenset(
                state.names[g] for g, m in state.members.items() if user.id in m
            )
            active = user.account_enabled is not False
            if scoped and not groups:
                if user.id not in was_in_scope:
                    continue
                active = False
            manager_id = state.managers.get(user.id)
            manager_email = None
            if user.manager is not None and user.manager.id == manager_id:
                manager_email = user.manager.mail or user.manager.user_principal_name
            if manager_email is None and manager_id is not None and manager_id in known:
                boss = known[manager_id]
                manager_email = boss.mail or boss.user_principal_name
            email = (user.mail or user.user_principal_name or "").strip().lower()
            if "@" not in email:
                rejected.append(
                    f"Graph user {user.id} ({user.display_name or 'no name'}): "
                    "no mail or userPrincipalName address"
                )
                continue
            name = (
                user.display_name
                or " ".join(x for x in (user.given_name, user.surname) if x)
                or email
            ).strip()
            people.append(
                DirectoryPerson(
                    external_id=user.id,
                    email=email,
                    display_name=name,
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
        return people, rejected


def find_role_groups(client: GraphClient, names: Sequence[str]) -> dict[str, str]:
    """Group id -> configured name for the configured display names that exist in Graph."""
    wanted = {n.casefold(): n for n in names}
    found: dict[str, str] = {}
    for chunk in _chunks(sorted(names), IN_LIMIT):
        query = "displayName in (" + ",".join(_quote(n) for n in chunk) + ")"
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


def _sync_state_lost(exc: GraphCallError) -> bool:
    """410 Gone, or a 400 whose code says the delta token is expired or unknown."""
    if exc.status == 410:
        return True
    return exc.status == 400 and (exc.code or "").casefold() in SYNC_RESET_CODES


def _read_error(exc: GraphCallError, permissions: str) -> Exception:
    """A failed read (safe to repeat) as the outbox's error."""
    if exc.token:
        if exc.code:
            return PermanentError(f"{exc} (check {ENV}TENANT_ID, CLIENT_ID and the secret)")
        return RetryableError(str(exc))
    if exc.status in (401, 403):
        return PermanentError(f"{exc} — the app needs {permissions}; see deploy/m365.md")
    if exc.status == 429:
        return RetryableError(str(exc), retry_after=exc.retry_after)
    if exc.status is None or exc.status >= 500:
        return RetryableError(str(exc), retry_after=exc.retry_after)
    return PermanentError(str(exc))


# --------------------------------------------------------------------------- mail


class RecipientBudget:
    """Rolling-window recipient cap: Exchange Online allows 10,000 recipients a mailbox a day.

    Unlike :class:`RateLimiter` it never sleeps (the wait can be hours): ``reserve`` raises
    ``RetryableError`` with ``retry_after`` so the outbox tries again later.

    Example::

        budget = RecipientBudget(limit=10_000, window=86_400.0)
        ticket = budget.reserve(3)   # before sending to 3 recipients
        budget.release(ticket)       # the platform certainly did not send it
    """

    def __init__(
        self,
        limit: int = 10_000,
        window: float = 86_400.0,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("RecipientBudget needs limit >= 1 and window > 0")
        self.limit = limit
        self.window = window
        self._clock = clock
        self._entries: deque[tuple[float, int, int]] = deque()
        self._serial = 0

    def _expire(self, now: float) -> None:
        while self._entries and now - self._entries[0][0] >= self.window:
            self._entries.popleft()

    def used(self) -> int:
        """Recipients counted in the current window."""
        self._expire(self._clock())
        return sum(count for _, count, _ in self._entries)

    def reserve(self, count: int) -> int:
        """Count ``count`` recipients now, or raise RetryableError saying when they fit."""
        if count > self.limit:
            raise PermanentError(f"{count} recipients exceed the daily cap of {self.limit}")
        now = self._clock()
        self._expire(now)
        used = sum(c for _, c, _ in self._entries)
        if used + count > self.limit:
            freed, wait = used, 0.0
            for stamp, c, _ in self._entries:
                freed -= c
                wait = self.window - (now - stamp)
                if freed + count <= self.limit:
                    break
            raise RetryableError(
                f"daily recipient cap reached ({used}/{self.limit} in the last "
                f"{self.window / 3600:g} h)",
                retry_after=max(wait, 0.0),
            )
        self._serial += 1
        self._entries.append((now, count, self._serial))
        return self._serial

    def release(self, ticket: int) -> None:
        """Give back a reservation for a message the platform certainly did not send."""
        for entry in self._entries:
            if entry[2] == ticket:
                self._entries.remove(entry)
                return


MAX_REQUEST_BYTES = 4 * 1024 * 1024  # Graph's request size limit (base64 MIME included)


class GraphMailer:
    """Sends through ``POST /users/{sender}/sendMail`` as MIME, paced, exactly once.

    Pacing: ``pacer`` (30 messages a minute per mailbox by default) sleeps between sends;
    ``budget`` counts recipients per rolling 24 h and raises RetryableError when full. After a
    429 the mailer refuses to call Graph until ``Retry-After`` has passed.

    Args:
        client: the Graph client.
        sender: the one mailbox mail is sent from (UPN or id).
        pacer: a RateLimiter (inject clock/sleep in tests).
        budget: a RecipientBudget.
        clock: the same clock as the pacer's (for Retry-After bookkeeping).
    """

    name: ClassVar[str] = "m365"

    def __init__(
        self,
        client: GraphClient,
        sender: str,
        *,
        pacer: RateLimiter | None = None,
        budget: RecipientBudget | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.sender = sender
        self.pacer = pacer or RateLimiter(30, 60.0, clock=clock)
        self.budget = budget or RecipientBudget(clock=clock)
        self._clock = clock
        self._blocked_until = 0.0

    def ready_in(self) -> float:
        """Seconds until Graph's last ``Retry-After`` has passed (0: ready now).

        The dispatcher asks before claiming a row, so a throttle costs no row an attempt.
        """
        return max(0.0, self._blocked_until - self._clock())

    def send(self, message: OutgoingEmail) -> SendResult:
        """Deliver ``message`` once; never resend after a response was possibly lost."""
        recipients = len({a.lower() for a in (*message.to, *message.cc)})
        if recipients == 0:
            raise PermanentError("the message has no recipients")
        wait = self.ready_in()
        if wait > 0:
            raise RetryableError(
                "Graph asked us to slow down (429); not calling it before Retry-After",
                retry_after=wait,
            )
        mime = to_mime(message, self.sender)
        data = mime.as_bytes()
        if math.ceil(len(data) / 3) * 4 > MAX_REQUEST_BYTES:
            raise PermanentError(
                f"the message is {len(data) // 1024} KB; Graph sendMail takes at most 4 MB "
                "(base64) — make attachments smaller"
            )
        ticket = self.budget.reserve(recipients)
        self.pacer.acquire()
        try:
            self.client.send_mime(self.sender, data)
        except GraphCallError as exc:
            error = self._error(exc)
            if not isinstance(error, DeliveryUnknownError):
                self.budget.release(ticket)
            raise error from exc
        return SendResult(provider_id=str(mime["Message-ID"]))

    def _error(self, exc: GraphCallError) -> Exception:
        if exc.token:
            if exc.code:
                return self._setup(
                    f"{exc} (check {ENV}TENANT_ID, CLIENT_ID and the secret or certificate; "
                    "`compliance-bot check m365`)"
                )
            return RetryableError(str(exc))
        if not exc.sent:
            return RetryableError(f"{exc}; nothing was sent")
        if exc.status == 429:
            wait = exc.retry_after if exc.retry_after is not None else 60.0
            self._blocked_until = self._clock() + wait
            return RetryableError(str(exc), retry_after=wait)
        if exc.status is None or exc.status >= 500:
            return DeliveryUnknownError(f"{exc}; the message may have been sent, so not resent")
        if exc.status == 401:
            return self._setup(f"{exc} — Graph refused the app's token; see deploy/m365.md")
        if exc.status == 403:
            return self._setup(
                f"{exc} — the app needs Mail.Send for {self.sender} "
                "(RBAC for Applications); see deploy/m365.md"
            )
        return PermanentError(str(exc))

    def _setup(self, text: str) -> SetupError:
        """Graph refused the app, not the message: pause mail until the setup is fixed."""
        self._blocked_until = self._clock() + SETUP_RETRY_SECONDS
        return SetupError(f"mail paused: {text}")


# --------------------------------------------------------------------------- Teams card


@dataclass
class WorkflowsNotifier:
    """POSTs the card's Teams payload to a Workflows webhook ("When a Teams webhook request is
    received"). The URL carries a SAS signature: it is never logged or put in an error.

    App-only Graph cannot post channel messages (migration only), hence the webhook; a bot's
    proactive message is the alternative (deploy/m365.md).
    """

    url: SecretStr
    transport: httpx.BaseTransport | None = None
    timeout: float = 15.0

    def post(self, card: CardMessage) -> SendResult:
        """POST once; 429 is retryable, a lost response or a 5xx is delivery-unknown."""
        if not card.teams_payload:
            raise PermanentError(f"card {card.idempotency_key} has no Teams payload")
        try:
            url: httpx.URL | None = httpx.URL(self.url.get_secret_value())
        except httpx.InvalidURL:
            url = None
        if url is None or url.scheme != "https" or not url.host:
            # never post the SAS signature in clear text, nor guess at a malformed URL
            raise PermanentError(
                f"{ENV}TEAMS_WEBHOOK_URL is not an https:// URL; paste the flow's whole "
                "'HTTP POST URL'"
            )
        request = httpx.Request(
            "POST",
            url,
            json=dict(card.teams_payload),
            extensions={"timeout": httpx.Timeout(self.timeout, connect=5.0).as_dict()},
        )
        # The transport is called directly: httpx.Client logs every URL at INFO level, and
        # this URL is a secret.
        transport = self.transport or httpx.HTTPTransport()
        try:
            response = transport.handle_request(request)
            try:
                response.read()
            finally:
                response.close()
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise RetryableError(f"Teams webhook unreachable: {type(exc).__name__}") from exc
        except httpx.HTTPError as exc:
            raise DeliveryUnknownError(
                f"Teams webhook response lost: {type(exc).__name__}; not resent"
            ) from exc
        finally:
            if self.transport is None:
                transport.close()
        status = response.status_code
        if status == 429:
            raise RetryableError(
                "Teams webhook throttled (429)",
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
            )
        if status >= 500:
            raise DeliveryUnknownError(f"Teams webhook answered {status}; not resent")
        if status >= 300:
            code = _logic_error_code(response)
            raise PermanentError(
                f"Teams webhook refused the card: HTTP {status}{f' {code}' if code else ''} "
                f"(check {ENV}TEAMS_WEBHOOK_URL and the flow)"
            )
        return SendResult(provider_id=response.headers.get("x-ms-workflow-run-id"))


def _logic_error_code(response: httpx.Response) -> str | None:
    try:
        data = response.json()
    except ValueError:
        return None
    error = data.get("error") if isinstance(data, dict) else None
    return str(error.get("code")) if isinstance(error, dict) and error.get("code") else None


# --------------------------------------------------------------------------- SharePoint list

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
    _non_indexed: bool = field(default=False, init=False, repr=False)

    def upsert(self, reference: str, fields: Mapping[str, str]) -> None:
        """Create or update the item whose Title is ``reference``."""
        try:
            try:
                self._upsert(reference, fields)
            except GraphCallError as exc:
                if exc.status != 404 or self._list_id is None:
                    raise
                self._list_id = None  # the list was deleted or renamed: find or create it again
                self._columns.clear()
                self._upsert(reference, fields)
        except GraphCallError as exc:
            # An upsert is idempotent by reference, so every transient failure is retryable.
            error = _read_error(exc, SITES_PERMISSION)
            if exc.status == 404:
                error = PermanentError(f"{exc} — check {ENV}SITE_ID")
            raise error from exc

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

    def _ensure(self, fields: Mapping[str, str]) -> str:
        """Find or create the list, index Title, add missing columns; return the list id."""
        if self._list_id is None:
            lists = self.client.lists(self.site_id)
            match = next(
                (x for x in lists if x.display_name.casefold() == self.list_name.casefold()), None
            )
            if match is None:
                taken: set[str] = set()
                plan = []
                for label in fields:
                    name = internal_name(label, taken)
                    taken.add(name.casefold())
                    plan.append((name, label))
                match = self.client.create_list(self.site_id, self.list_name, plan)
                log.info("created SharePoint list %r", self.list_name)
            self._list_id = match.id
            self._load_columns(match.id)
        list_id = self._list_id
        for label in fields:
            if label.casefold() in self._columns:
                continue
            taken = set(self._columns)
            column = self.client.create_column(
                self.site_id, list_id, internal_name(label, taken), label
            )
            self._columns[label.casefold()] = column.name
            self._columns.setdefault(column.name.casefold(), column.name)
        return list_id

    def _load_columns(self, list_id: str) -> None:
        self._columns.clear()
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

    def _index_title(self, list_id: str, column_id: str) -> bool:
        try:
            self.client.index_column(self.site_id, list_id, column_id)
        except GraphCallError as exc:
            if exc.status not in (400, 403):
                raise
            log.warning("could not index the Title column (%s); using the Prefer header", exc)
            return False
        return True


# --------------------------------------------------------------------------- Forms workbook

EXCEL_EPOCH = datetime(1899, 12, 30)  # serial 0; absorbs Excel's 1900 leap-year bug
FORM_SYSTEM_COLUMNS = frozenset(
    {"id", "start time", "completion time", "email", "name", "last modified time"}
)


def excel_serial_to_datetime(value: object, tz: ZoneInfo = LONDON) -> datetime:
    """An Excel date cell (serial days since 1899-12-30, or text) as an aware UTC datetime.

    Serials carry no zone: they are wall-clock times in ``tz``. Float noise is rounded to the
    nearest second (46328.39583333 is 09:30:00, not 09:29:59.99).
    """
    if isinstance(value, bool):
        raise ValueError(f"not a date: {value!r}")
    if isinstance(value, int | float):
        local = EXCEL_EPOCH + timedelta(seconds=round(float(value) * 86_400))
    else:
        text = str(value).strip()
        parsed: datetime | None
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            parsed = None
            for fmt in ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y"):
                try:
                    parsed = datetime.strptime(text, fmt)
                    break
                except ValueError:
                    continue
            if parsed is None:
                try:
                    return excel_serial_to_datetime(float(text), tz)
                except ValueError:
                    raise ValueError(f"not a date: {text!r}") from None
        if parsed.tzinfo is not None:
            return parsed.astimezone(UTC)
        local = parsed
    return local.replace(tzinfo=tz).astimezone(UTC)


def _response_id(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


@dataclass
class WorkbookFormSource:
    """Microsoft Forms responses read from the form's synced Excel workbook table.

    Forms has no responses API; "Open results in Excel" keeps a table (``Table1``) with the
    columns ID, Start time, Completion time, Email, Name and one per question. ``response_id``
    is the ID cell, ``submitted_at`` the Completion time (else Start time). Rows with the same ID
    count once.

    Args:
        client: the Graph client.
        drive_id, item_id: the workbook's drive and item ids.
        table: the table name or id.
        tz: the zone the workbook's times are written in (Europe/London by default).
    """

    client: GraphClient
    drive_id: str
    item_id: str
    table: str = "Table1"
    tz: ZoneInfo = LONDON

    def responses(self, since: datetime | None = None) -> Sequence[FormResponse]:
        """Responses after ``since`` (all when None), oldest first."""
        try:
            header = self.client.table_header(self.drive_id, self.item_id, self.table)
            rows = self.client.table_rows(self.drive_id, self.item_id, self.table)
        except GraphCallError as exc:
            error = _read_error(exc, "Sites.Selected on the site holding the workbook")
            if exc.status == 404:
                error = PermanentError(
                    f"{exc} — check {ENV}FORMS_DRIVE_ID, FORMS_ITEM_ID and FORMS_TABLE"
                )
            raise error from exc
        where = {h.strip().casefold(): i for i, h in enumerate(header)}
        if "id" not in where:
            raise PermanentError(f"workbook table {self.table!r} has no 'ID' column")
        time_col = where.get("completion time", where.get("start time"))
        if time_col is None:
            raise PermanentError(f"workbook table {self.table!r} has no 'Completion time' column")
        email_col = where.get("email")
        questions = [
            (h.strip(), i)
            for i, h in enumerate(header)
            if h.strip().casefold() not in FORM_SYSTEM_COLUMNS
        ]
        found: dict[str, FormResponse] = {}
        for number, row in enumerate(rows, start=2):
            cells = list(row) + [None] * (len(header) - len(row))
            if cells[where["id"]] in (None, ""):
                continue
            try:
                submitted = excel_serial_to_datetime(cells[time_col], self.tz)
            except ValueError as exc:
                raise PermanentError(f"workbook row {number}: {exc}") from exc
            email = str(cells[email_col]).strip() if email_col is not None else ""
            response = FormResponse(
                response_id=_response_id(cells[where["id"]]),
                submitted_at=submitted,
                answers={q: "" if cells[i] is None else str(cells[i]) for q, i in questions},
                respondent_email=email if "@" in email else None,
            )
            found.setdefault(response.response_id, response)
        chosen = [r for r in found.values() if since is None or r.submitted_at > since]
        return sorted(chosen, key=lambda r: (r.submitted_at, r.response_id))


# --------------------------------------------------------------------------- build


def _require(settings: Settings) -> None:
    m365 = settings.m365
    missing = [
        f"{ENV}{name}"
        for name, value in (
            ("TENANT_ID", m365.tenant_id),
            ("CLIENT_ID", m365.client_id),
            ("SENDER", m365.sender),
        )
        if not value
    ]
    if m365.client_secret is None and m365.certificate_path is None:
        missing.append(f"{ENV}CLIENT_SECRET or {ENV}CERTIFICATE_PATH")
    if missing:
        raise M365SetupError(
            "the m365 connector needs " + ", ".join(missing) + " (see deploy/m365.md)"
        )
    if m365.certificate_path is not None and not m365.certificate_path.is_file():
        raise M365SetupError(f"{ENV}CERTIFICATE_PATH: no file at {m365.certificate_path}")
    if bool(m365.forms_drive_id) != bool(m365.forms_item_id):
        raise M365SetupError(
            f"{ENV}FORMS_DRIVE_ID and {ENV}FORMS_ITEM_ID must be set together (or neither)"
        )
    if m365.messages_per_minute < 1:
        raise M365SetupError(f"{ENV}MESSAGES_PER_MINUTE must be at least 1")
    if not m365.graph_endpoint.startswith("https://"):
        raise M365SetupError(f"{ENV}GRAPH_ENDPOINT must be an https URL")


def build(
    settings: Settings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Connectors:
    """Build the Microsoft 365 connectors from ``settings.m365``.

    Args:
        settings: the deployment settings.
        transport: an httpx transport for Graph, tokens and the webhook (tests only).
        clock, sleep: for the mail pacers (tests share a fake clock with the fake Graph).

    Returns:
        ``Connectors(name="m365", ...)``; notifier, mirror and forms are None when not set up.
    """
    from connectors.registry import Connectors

    _require(settings)
    m365 = settings.m365
    assert m365.sender is not None  # checked by _require
    client = GraphClient.from_settings(m365, transport=transport)
    sync_transport = transport if isinstance(transport, httpx.BaseTransport) else None
    mailer = GraphMailer(
        client,
        m365.sender,
        pacer=RateLimiter(m365.messages_per_minute, 60.0, clock=clock, sleep=sleep),
        budget=RecipientBudget(clock=clock),
        clock=clock,
    )
    notifier = (
        WorkflowsNotifier(m365.teams_webhook_url, transport=sync_transport)
        if m365.teams_webhook_url is not None
        else None
    )
    mirror = SharePointListMirror(client, m365.site_id, m365.list_name) if m365.site_id else None
    forms = (
        WorkbookFormSource(client, m365.forms_drive_id, m365.forms_item_id, m365.forms_table)
        if m365.forms_drive_id and m365.forms_item_id
        else None
    )
    return Connectors(
        name="m365",
        directory=GraphDirectory(
            client, role_groups=dict(m365.role_groups), all_users=m365.all_users
        ),
        mailer=mailer,
        notifier=notifier,
        mirror=mirror,
        forms=forms,
    )
