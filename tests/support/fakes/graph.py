"""A fake Microsoft Graph, Entra ID token endpoint and Teams Workflows webhook, for offline tests.

``FakeGraph.handler`` is an ``httpx.MockTransport`` handler (the transport calls it from sync and
async clients alike), so the m365 connector runs msgraph-sdk's real middleware and serialisation
and azure-identity's real token flow against it. It speaks Graph's JSON as the Graph docs and the
SDK's models describe it:

* users/groups lists with ``$select``/``$filter``/``$expand``/``$top`` and ``@odata.nextLink``;
* ``/users/delta()`` and ``/groups/delta()`` rounds: pages (optionally an empty first page) linked
  by ``$skiptoken``, a final ``@odata.deltaLink``, ``@removed`` entries, ``manager@delta`` and
  ``members@delta``; tokens can be expired (410 Gone or 400 ``syncStateNotFound``);
* ``sendMail`` in MIME (base64 ``text/plain``) or JSON: 202, per-mailbox 30/minute throttling on
  an injectable clock (429 + ``Retry-After``), Graph's 401/403/404 error bodies;
* SharePoint lists, columns (``indexed``) and items (``$filter`` on a non-indexed column needs the
  ``Prefer: HonorNonIndexedQueriesWarningMayFailRandomly`` header, as in SharePoint);
* a sites ``webUrl``; the form list a Power Automate flow fills (:meth:`FakeGraph.add_form_list`);
* Teams: the app installed for a user (``/users/{id}/teamwork/installedApps``, 409 when it is
  already, ``$expand=teamsApp`` with ``$filter=teamsApp/id eq '...'``, ``.../chat``), the
  activity feed (``sendActivityNotification``, needs the app installed for the recipient), and
  the Bot Connector at ``smba.trafficmanager.net`` (``POST /{region}/v3/conversations`` and
  ``.../v3/conversations/{id}/activities``, a bot token for ``https://api.botframework.com``,
  each card checked against the Adaptive Card 1.5 schema, per-app throttling with 429 +
  ``Retry-After``) — see :meth:`FakeGraph.chat_of`;
* permissions (``granted``, a Mail.Send mailbox scope, granted sites) with Graph's 403 bodies;
* Entra's client-credentials tokens (a secret, or a certificate's signed assertion; the
  connector's app and any registration in ``apps``), each a JWT carrying its real ``exp``
  (``token_lifetime`` seconds from ``wall``, the time azure-identity reads, moved by
  time-machine): Graph and the Connector refuse an expired one (401) and the bulk feed call one
  with less than 45 minutes left (412 Precondition Failed, as Microsoft documents).

Anything it does not understand — a wrong path, method, query option or body — gets a 400 with a
Graph error and is recorded in ``rejected``: it never accepts a request it cannot check. Faults
are scripted with :meth:`FakeGraph.fail`.

Example::

    fake = FakeGraph()
    fake.seed_population()
    connectors = build(settings, transport=fake.transport)
"""

from __future__ import annotations

import base64
import email.parser
import email.policy
import json
import random
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlencode

import httpx

from tests.support.conformance.graph import GraphConformance, members_of

GRAPH_HOST = "graph.microsoft.com"
GRAPH = f"https://{GRAPH_HOST}/v1.0"
LOGIN_HOST = "login.microsoftonline.com"
AUTHORITY = f"https://{LOGIN_HOST}"
TENANT_ID = "00000000-0000-4000-8000-00000000a001"  # fictional
CLIENT_ID = "00000000-0000-4000-8000-00000000c001"  # fictional
CLIENT_SECRET = "fake-client-secret-for-tests"  # fictional
SENDER = "compliance-bot@oakfield.example"
SENDER_ID = "u-bot"
SITE_ID = (
    "oakfield.sharepoint.com,00000000-0000-4000-8000-00000000e001,"
    "00000000-0000-4000-8000-00000000e002"
)
SITE_URL = "https://oakfield.sharepoint.com/sites/Safeguarding"
FORMS_LIST = "Form responses"
WEBHOOK_HOST = "prod-00.uksouth.logic.azure.com"
WEBHOOK_PATH = "/workflows/0f0f0f0f0f0f4f0f8f0f0f0f0f0f0f0f/triggers/manual/paths/invoke"
WEBHOOK_SIG = "fake-sas-signature"
WEBHOOK_URL = (
    f"https://{WEBHOOK_HOST}:443{WEBHOOK_PATH}?api-version=2016-06-01"
    f"&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig={WEBHOOK_SIG}"
)
ALL_PERMISSIONS = frozenset(
    {
        "User.Read.All",
        "GroupMember.Read.All",
        "Mail.Send",
        "Mail.ReadBasic.All",
        "Sites.Selected",
        "TeamsAppInstallation.ReadWriteSelfForUser.All",
        "TeamsAppInstallation.ReadWriteAndConsentSelfForUser.All",
        "TeamsActivity.Send",
    }
)
CONNECTOR_HOST = "smba.trafficmanager.net"
CONNECTOR_URL = f"https://{CONNECTOR_HOST}/emea/"
# Teams' published limits per app per tenant (``FakeGraph.teams_limits``): the Bot Connector
# 50 requests a second ("Optimize your bot with rate limiting"), the activity feed about 5 a
# second for one person's call and 2 a second for the bulk call (Graph's throttling limits)
TEAMS_LIMITS = {"connector": (50, 1.0), "feed": (5, 1.0), "bulk": (2, 1.0)}
# Graph's identity and access limits ("Service-specific throttling limits"): resource units per
# app per tenant each 10 seconds by tenant size (S under 50 users), and each GET's base cost
DIRECTORY_UNITS = {"S": 3_500, "M": 5_000, "L": 8_000}
_DIRECTORY_COSTS = (
    (re.compile(r"/users(/delta\(\))?"), 2),
    (re.compile(r"/groups/[^/]+/members"), 3),
    (re.compile(r"/groups/[^/]+/transitiveMembers"), 5),
    (re.compile(r"/(users|groups)/[^/]+|/groups"), 1),
)
BOT_SCOPE = "https://api.botframework.com/.default"
# the bulk feed call refuses a token that expires within 45 minutes ("412 Precondition Failed")
BULK_TOKEN_LEFT = 45 * 60
CATALOG_APP_ID = "00000000-0000-4000-8000-00000000d001"  # fictional: the app in the catalog
# what the fake stores of a user (and answers when no $select names others); any property
# Graph's metadata declares may be selected (``_select``): unset ones come back null
USER_PROPS = (
    "id",
    "displayName",
    "givenName",
    "surname",
    "mail",
    "userPrincipalName",
    "accountEnabled",
    "jobTitle",
    "department",
    "employeeId",
    "userType",
    "assignedLicenses",
)
# a licence as Graph lists it in assignedLicenses (assignedLicense: disabledPlans, skuId); this
# is Microsoft 365 A1 for faculty's SKU id
STAFF_LICENCE = {"disabledPlans": [], "skuId": "94763226-9b3c-4e75-a931-5c89701abe66"}
JSON_TYPE = "application/json;odata.metadata=minimal;odata.streaming=true;charset=utf-8"
TITLE_COLUMN_ID = "fa564e0f-0c70-4ab9-b863-0177e6ddd247"  # SharePoint's built-in Title field
_LITERAL = r"'(?:[^']|'')*'"
_KEY = re.compile(rb"^X-Compliance-Bot-Key:[ \t]*(.+?)\r?$", re.MULTILINE | re.IGNORECASE)


class FakeClock:
    """A clock the fake and the connectors share (the mailer's Retry-After, the Teams bot's
    pacers, the outbox's time in tests): ``sleep`` only moves it forward."""

    def __init__(self, start: float = 1_000_000.0) -> None:
        self.now = start
        self.slept = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        """Advance instead of sleeping."""
        if seconds > 0:
            self.now += seconds
            self.slept += seconds

    def advance(self, seconds: float) -> None:
        """Let time pass."""
        self.now += seconds


@dataclass
class Fault:
    """A scripted failure for requests matching ``method`` and the ``path`` regex."""

    method: str
    path: re.Pattern[str]
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    exception: Callable[[httpx.Request], Exception] | None = None
    times: int = 1
    deliver: bool = False
    after: int = 0  # let this many matching requests through first


@dataclass
class SentMail:
    """One sendMail the fake accepted: the MIME bytes (or the JSON message) and its outbox key."""

    mailbox: str
    mime: bytes | None
    message: dict[str, Any] | None
    key: str | None
    at: float


class _Reject(Exception):
    def __init__(self, status: int, code: str, message: str, *, record: bool = True) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.record = record


def _error(status: int, code: str, message: str, **headers: str) -> httpx.Response:
    # Graph's ids for the answer, made up from what it says (nothing reads them): the same error
    # is then the same bytes, judged once per process by the conformance check (an SDK parse of
    # an error body costs tens of milliseconds; a fresh uuid4 made every one a new parse)
    said = f"{status} {code} {message}"
    body = {
        "error": {
            "code": code,
            "message": message,
            "innerError": {
                "date": "2026-11-02T09:30:00",
                "request-id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"request {said}")),
                "client-request-id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"client {said}")),
            },
        }
    }
    return httpx.Response(status, json=body, headers={"Content-Type": JSON_TYPE, **headers})


def _literals(text: str) -> list[str]:
    return [m[1:-1].replace("''", "'") for m in re.findall(_LITERAL, text)]


class FakeGraph:
    """The fake platform; see the module docstring.

    Args:
        clock: time for throttling and sent-mail stamps (share it with the mailer and the
            outbox, so that the outbox's count and the fake's agree).
        page_size: items per page for lists and delta rounds.
        empty_first_page: start every initial delta round with an empty page carrying a nextLink.
        empty_delta_pages: start follow-up rounds (from a deltaLink) with an empty page too;
            off by default, as Graph usually answers "no changes" with one page.
        messages_per_minute: per-mailbox sendMail limit (None: unlimited).
        recipients_per_day: per-mailbox recipients (to, cc, bcc) in any rolling 24 hours,
            Exchange Online's recipient rate limit (None: unlimited). Over it, sendMail is
            refused with a 429 and ``budget_refused`` counts it.
        partial_updates: delta entries for changed users carry only the changed properties.
        graph_host, login_host: the cloud to impersonate (national clouds use other hosts).
        conformance: check every exchange against Graph's descriptions (off only to time the
            connector alone, in tests/benchmarks).
        tenant_id, client_id, sender: the tenant, the connector's app and the mailbox
            Mail.Send reaches (a second tenant: other values, and :func:`tenants`).
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] | None = None,
        page_size: int = 2,
        empty_first_page: bool = True,
        empty_delta_pages: bool = False,
        messages_per_minute: int | None = 30,
        recipients_per_day: int | None = 10_000,
        partial_updates: bool = False,
        graph_host: str = GRAPH_HOST,
        login_host: str = LOGIN_HOST,
        conformance: bool = True,
        wall: Callable[[], float] = time.time,
        tenant_id: str = TENANT_ID,
        client_id: str = CLIENT_ID,
        sender: str = SENDER,
    ) -> None:
        self.tenant_id = tenant_id  # the tenant this fake is (``tenants`` serves several)
        self.client_id = client_id  # the connector's app registration in it
        self.wall = wall  # epoch seconds, as azure-identity and Graph count a token's life
        self.token_lifetime = 3599  # seconds, as Entra's client-credentials tokens usually live
        self.apps: dict[str, str] = {}  # other app registrations: app id -> client secret
        self.tokens: dict[str, tuple[str, float]] = {}  # every token issued: (scope, exp)
        self.graph_host = graph_host
        self.login_host = login_host
        self.conformance = GraphConformance(graph_host)
        self.check_conformance = conformance
        self.graph = f"https://{graph_host}/v1.0"
        self.clock = clock or FakeClock()
        self.page_size = page_size
        self.empty_first_page = empty_first_page
        self.empty_delta_pages = empty_delta_pages
        self.messages_per_minute = messages_per_minute
        self.recipients_per_day = recipients_per_day
        self.partial_updates = partial_updates
        self.client_secret = CLIENT_SECRET
        self.certificate_thumbprints: set[str] = set()
        self.granted: set[str] = set(ALL_PERMISSIONS)
        self.send_scope: set[str] | None = {sender}  # mailboxes Mail.Send reaches (None: all)
        # addresses Exchange refuses outright (400 ErrorInvalidRecipients): a permanent refusal
        self.refused_recipients: set[str] = set()
        self.granted_sites: set[str] = {SITE_ID}
        # directory
        self.users: dict[str, dict[str, Any]] = {}
        self.managers: dict[str, str] = {}
        self.groups: dict[str, dict[str, Any]] = {}
        self.members: dict[str, list[dict[str, str]]] = {}
        self._seq = 0
        # the ids the fake makes up (lists, paging tokens, installations) come in the same order
        # in every test, so an exchange repeated across tests is judged once (conformance/graph)
        self._ids = random.Random(0)
        self._user_log: dict[str, dict[str, int]] = {}
        self._previous_manager: dict[str, str] = {}
        self._deleted_users: dict[str, int] = {}
        self._group_log: dict[str, dict[str, int]] = {}
        self._deleted_groups: dict[str, int] = {}
        self._member_log: list[tuple[int, str, dict[str, str], bool]] = []
        self._delta_tokens: dict[str, dict[str, Any]] = {}
        self._pages: dict[str, tuple[str, list[list[dict[str, Any]]], dict[str, Any]]] = {}
        self.expired_status: int | None = None
        # mail, cards, lists
        self.sent: list[SentMail] = []
        self.inbox: list[dict[str, Any]] = []  # messages in the senders' inboxes (NDRs)
        self.posted: list[dict[str, Any]] = []
        self.throttled = 0
        self._mail_stamps: dict[str, deque[float]] = {}
        # per mailbox: (when, recipients) of every accepted sendMail, for the 24-hour budget
        self.recipient_log: dict[str, list[tuple[float, int]]] = {}
        self.budget_refused = 0
        self.sites: dict[str, dict[str, dict[str, Any]]] = {SITE_ID: {}}
        # teams: user id -> installation id; chat id -> user id; what the bot posted
        self.bulk_refused = 0  # bulk feed calls refused for a token too near expiry (412)
        self.installed: dict[str, str] = {}
        # the catalog app's resource-specific permissions, as its manifest declares them
        # ((name, type)); an install must consent to exactly these when any is an application
        # permission (Learn, "Install app for user": ``consentedPermissionSet``)
        self.catalog_rsc: set[tuple[str, str]] = {("TeamsActivity.Send.User", "Application")}
        self.chats: dict[str, str] = {}
        self.chat_cards: list[dict[str, Any]] = []
        self.feed: list[dict[str, Any]] = []
        self.bulk_calls: list[int] = []  # recipients of each bulk feed call
        # Teams' published limits per app per tenant, as (requests, seconds), when set (see
        # TEAMS_LIMITS): over one, 429 with Retry-After, on ``clock``
        self.teams_limits: dict[str, tuple[int, float]] | None = None
        # the directory's resource units per app per tenant each 10 seconds (None: unlimited;
        # ``DIRECTORY_UNITS``): a read over it gets 429 with Retry-After, on ``clock``
        self.directory_units: int | None = None
        self.directory_spent: deque[tuple[float, int]] = deque()  # (when, units) this window
        self._teams_stamps: dict[str, deque[float]] = {}
        self.card_errors: Callable[[dict[str, Any]], list[str]] | None = None
        # records
        self.requests: list[httpx.Request] = []
        self.rejected: list[str] = []
        self.faults: list[Fault] = []
        self._lock = threading.RLock()

    # ---- seeding and changes ---------------------------------------------------------------
    def _next(self) -> int:
        self._seq += 1
        return self._seq

    def add_user(
        self,
        user_id: str,
        display_name: str,
        mail: str | None,
        *,
        given_name: str | None = None,
        surname: str | None = None,
        job_title: str | None = None,
        account_enabled: bool = True,
        manager: str | None = None,
        user_principal_name: str | None = None,
        user_type: str = "Member",
        licensed: bool = True,
    ) -> None:
        """Create a user (a delta round after this reports it): a licensed member by default;
        ``user_type="Guest"`` for a guest, ``licensed=False`` for a service or shared account."""
        seq = self._next()
        self.users[user_id] = {
            "id": user_id,
            "displayName": display_name,
            "givenName": given_name,
            "surname": surname,
            "mail": mail,
            "userPrincipalName": user_principal_name or mail or f"{user_id}@oakfield.example",
            "accountEnabled": account_enabled,
            "jobTitle": job_title,
            "department": None,
            "employeeId": None,
            "userType": user_type,
            "assignedLicenses": [dict(STAFF_LICENCE)] if licensed else [],
        }
        self._user_log[user_id] = {"created": seq}
        self._deleted_users.pop(user_id, None)
        if manager:
            self.managers[user_id] = manager

    def update_user(self, user_id: str, **props: Any) -> None:
        """Change Graph properties (e.g. ``accountEnabled=False``)."""
        seq = self._next()
        for name, value in props.items():
            if name not in members_of("user") or name == "id":
                raise KeyError(name)
            self.users[user_id][name] = value
            self._user_log[user_id][name] = seq

    def set_manager(self, user_id: str, manager_id: str | None) -> None:
        """Change (or clear) a user's manager."""
        seq = self._next()
        old = self.managers.pop(user_id, None)
        if old:
            self._previous_manager[user_id] = old
        if manager_id:
            self.managers[user_id] = manager_id
        self._user_log[user_id]["manager"] = seq

    def delete_user(self, user_id: str) -> None:
        """Delete a user; their group memberships go too (and show in group delta)."""
        for group_id, entries in self.members.items():
            if any(e["id"] == user_id for e in entries):
                self.remove_member(group_id, user_id)
        self.users.pop(user_id)
        self.managers.pop(user_id, None)
        self._deleted_users[user_id] = self._next()

    def add_group(self, group_id: str, display_name: str) -> None:
        """Create an empty group."""
        seq = self._next()
        self.groups[group_id] = {"id": group_id, "displayName": display_name}
        self.members[group_id] = []
        self._group_log[group_id] = {"created": seq}

    def group_id(self, name: str) -> str:
        """The id of the group with this display name."""
        return next(g for g, data in self.groups.items() if data["displayName"] == name)

    def add_member(self, group: str, member_id: str, kind: str = "user") -> None:
        """Add a user (or, with ``kind``, a nested group/device) to a group (id or name)."""
        group_id = group if group in self.groups else self.group_id(group)
        entry = {"@odata.type": f"#microsoft.graph.{kind}", "id": member_id}
        self.members[group_id].append(entry)
        self._member_log.append((self._next(), group_id, entry, True))

    def remove_member(self, group: str, member_id: str) -> None:
        """Remove a member from a group (id or name)."""
        group_id = group if group in self.groups else self.group_id(group)
        entry = next(e for e in self.members[group_id] if e["id"] == member_id)
        self.members[group_id].remove(entry)
        self._member_log.append((self._next(), group_id, entry, False))

    def _uuid(self) -> uuid.UUID:
        """A made-up id: random-looking, the same sequence in every fake."""
        return uuid.UUID(int=self._ids.getrandbits(128), version=4)

    def rename_group(self, group: str, name: str) -> None:
        """Change a group's display name."""
        group_id = group if group in self.groups else self.group_id(group)
        self.groups[group_id]["displayName"] = name
        self._group_log[group_id]["displayName"] = self._next()

    def expire_delta_tokens(self, status: int = 410) -> None:
        """Every delta token issued so far fails: 410 resyncRequired, or 400 syncStateNotFound."""
        self.expired_status = status
        for data in self._delta_tokens.values():
            data["expired"] = True

    def add_form_list(
        self,
        items: list[dict[str, str]],
        name: str = FORMS_LIST,
        columns: list[tuple[str, str, bool]] | None = None,
    ) -> None:
        """The list ``compliance-bot reports microsoft-form`` makes, with items as the flow writes
        them (``Title`` = response id, ``SubmittedAt``, answers under column internal names).

        ``columns`` (internal name, display name, multiline) makes a list by hand instead: a
        column added in SharePoint's UI takes its internal name from the name first typed
        (``What happened`` becomes ``What_x0020_happened``), and items are keyed by it.
        """
        from connectors.m365.forms import FORM_LIST_COLUMNS

        wanted = columns or [(c.name, c.title, c.multiline) for c in FORM_LIST_COLUMNS]
        columns_json = self._builtin_columns()
        taken = {c["name"].casefold() for c in columns_json}
        for internal, display, multiline in wanted:
            text: dict[str, Any] = (
                {"allowMultipleLines": True, "textType": "plain", "linesForEditing": 6}
                if multiline
                else {"allowMultipleLines": False, "maxLength": 255}
            )
            body = {"name": internal, "displayName": display, "text": text}
            columns_json.append(self._check_column(body, taken))
            taken.add(internal.casefold())

        list_id = str(self._uuid())
        data = {
            "id": list_id,
            "displayName": name,
            "name": re.sub(r"\W", "", name),
            "columns": columns_json,
            "items": {},
            "next": 1,
        }
        self.sites.setdefault(SITE_ID, {})[list_id] = data
        for fields in items:
            data["items"][str(data["next"])] = self._check_fields(data, fields)
            data["next"] += 1

    def seed_population(self) -> None:
        """The shared fictional school (tests/contract/population.py), as Graph would hold it."""
        from connectors.m365.forms import FORM_LIST_COLUMNS
        from tests.connectors.contract.population import FORM_RESPONSES, GROUPS, PEOPLE

        # The sender is a shared mailbox: a user object whose sign-in is blocked, no licence.
        self.add_user(SENDER_ID, "Compliance Bot", SENDER, account_enabled=False, licensed=False)
        for member in PEOPLE:
            self.add_user(
                member.external_id,
                member.display_name,
                member.email,
                given_name=member.given_name,
                surname=member.family_name,
                job_title=member.job_title,
                account_enabled=member.active,
                manager=member.manager,
            )
        for number, name in enumerate(GROUPS, start=1):
            self.add_group(f"g-{number}", name)
            for member in PEOPLE:
                if name in member.groups:
                    self.add_member(f"g-{number}", member.external_id)
        # Nested groups and devices are members too; the connector counts users only.
        self.add_member(self.group_id("All Staff"), "g-nested", kind="group")
        titles = {c.title: c.name for c in FORM_LIST_COLUMNS}
        self.add_form_list(
            [
                {
                    "Title": r.response_id,
                    "SubmittedAt": r.submitted_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "ResponderEmail": "anonymous",
                    **{titles[q]: a for q, a in r.answers.items()},
                }
                for r in FORM_RESPONSES
            ]
        )

    # ---- records ---------------------------------------------------------------------------
    @property
    def access_token(self) -> str:
        """The newest Graph token issued (one is issued if none was yet)."""
        scope = f"https://{self.graph_host}/.default"
        found = [t for t, (s, _) in self.tokens.items() if s == scope]
        return found[-1] if found else self._issue(scope, self.client_id)

    def token_left(self, request: httpx.Request) -> float | None:
        """Seconds the request's bearer token has left, or None when it is not one issued."""
        held = self.tokens.get(request.headers.get("Authorization", "").removeprefix("Bearer "))
        return None if held is None else held[1] - self.wall()

    @property
    def transport(self) -> httpx.MockTransport:
        """A transport for httpx clients (sync and async) that answers with this fake."""
        return httpx.MockTransport(self.handler)

    def fail(
        self,
        method: str,
        path: str,
        *,
        status: int | None = None,
        headers: dict[str, str] | None = None,
        json_body: Any = None,
        exception: Callable[[httpx.Request], Exception] | None = None,
        times: int = 1,
        deliver: bool = False,
        after: int = 0,
    ) -> None:
        """Script a failure for the next ``times`` requests whose path matches ``path``.

        ``deliver=True`` processes the request first (e.g. the mail *is* sent) and then fails,
        like a response lost after the service acted; ``after`` lets that many matching
        requests through first.
        """
        self.faults.append(
            Fault(
                method=method.upper(),
                path=re.compile(path),
                status=status,
                headers=headers or {},
                body=json_body,
                exception=exception,
                times=times,
                deliver=deliver,
                after=after,
            )
        )

    def graph_requests(
        self, method: str | None = None, path: str | None = None
    ) -> list[httpx.Request]:
        """Requests that reached the Graph host (optionally by method and path regex)."""
        found = []
        for request in self.requests:
            if request.url.host != self.graph_host:
                continue
            if method and request.method != method.upper():
                continue
            if path and not re.search(path, _graph_path(request)):
                continue
            found.append(request)
        return found

    def token_requests(self) -> list[httpx.Request]:
        """Requests to the Entra ID token endpoint."""
        return [
            r
            for r in self.requests
            if r.url.host == self.login_host and r.url.path.endswith("/token")
        ]

    def keys_sent(self) -> dict[str, int]:
        """How many sendMail requests carried each outbox key (``X-Compliance-Bot-Key``)."""
        counts: dict[str, int] = {}
        for mail in self.sent:
            if mail.key:
                counts[mail.key] = counts.get(mail.key, 0) + 1
        return counts

    # ---- dispatch --------------------------------------------------------------------------
    def handler(self, request: httpx.Request) -> httpx.Response:
        """Answer one request (the ``httpx.MockTransport`` handler), checked for conformance."""
        response = self._answer(request)
        if self.check_conformance:
            with self._lock:
                self.conformance.check(request, response)
        return response

    def _answer(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.requests.append(request)
            fault = self._fault_for(request)
            if fault is not None and not fault.deliver:
                return self._fault_response(fault, request)
            try:
                response = self._dispatch(request)
            except _Reject as exc:
                if exc.record:
                    self.rejected.append(
                        f"{request.method} {request.url.path}?{request.url.query.decode()}: "
                        f"{exc.message}"
                    )
                response = _error(exc.status, exc.code, exc.message)
            if fault is not None:
                return self._fault_response(fault, request)
            return response

    def _fault_for(self, request: httpx.Request) -> Fault | None:
        path = _graph_path(request) if request.url.host == self.graph_host else request.url.path
        for fault in self.faults:
            if fault.times > 0 and fault.method == request.method and fault.path.search(path):
                if fault.after > 0:
                    fault.after -= 1
                    continue
                fault.times -= 1
                return fault
        return None

    def _fault_response(self, fault: Fault, request: httpx.Request) -> httpx.Response:
        if fault.exception is not None:
            raise fault.exception(request)
        status = fault.status or 500
        if fault.body is not None:
            return httpx.Response(status, json=fault.body, headers=fault.headers)
        codes = {
            429: ("TooManyRequests", "Too many requests; try again after Retry-After."),
            503: ("ServiceUnavailable", "The service is temporarily unavailable."),
            504: ("GatewayTimeout", "The gateway did not receive a response in time."),
            401: ("InvalidAuthenticationToken", "Access token validation failure."),
        }
        code, message = codes.get(status, ("UnknownError", "Scripted failure."))
        return _error(status, code, message, **fault.headers)

    def _dispatch(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        if host == self.login_host:
            return self._login(request)
        if host == WEBHOOK_HOST:
            return self._webhook(request)
        if host == CONNECTOR_HOST:
            return self._connector(request)
        if host != self.graph_host:
            raise _Reject(400, "BadRequest", f"the fake does not serve host {host}")
        if not request.url.path.startswith("/v1.0/"):
            raise _Reject(400, "BadRequest", "Invalid version: only v1.0 is served")
        held = self.tokens.get(request.headers.get("Authorization", "").removeprefix("Bearer "))
        if held is None or held[0] != f"https://{self.graph_host}/.default":
            message = (
                "Access token is empty."
                if "Authorization" not in request.headers
                else "Access token validation failure. Invalid audience."
            )
            raise _Reject(401, "InvalidAuthenticationToken", message, record=False)
        if held[1] <= self.wall():
            raise _Reject(
                401,
                "InvalidAuthenticationToken",
                "Lifetime validation failed, the token is expired.",
                record=False,
            )
        path = _graph_path(request)
        throttled = self._directory_throttle(request, path)
        if throttled is not None:
            return throttled
        for method, pattern, answer in self._routes():
            match = re.fullmatch(pattern, path)
            if match and method == request.method:
                return answer(request, **match.groupdict())
        raise _Reject(
            400,
            "BadRequest",
            f"Resource not found for the segment or method: {request.method} {path}",
        )

    def _routes(self) -> list[tuple[str, str, Callable[..., httpx.Response]]]:
        site = r"/sites/(?P<site>[^/]+)"
        lst = site + r"/lists/(?P<list_id>[^/]+)"
        return [
            ("GET", r"/users/delta\(\)", self._users_delta),
            ("GET", r"/users", self._list_users),
            ("GET", r"/users/(?P<user>[^/]+)", self._get_user),
            ("POST", r"/users/(?P<user>[^/]+)/sendMail", self._send_mail),
            (
                "GET",
                r"/users/(?P<user>[^/]+)/mailFolders/(?P<folder>[^/]+)/messages",
                self._folder_messages,
            ),
            ("GET", r"/groups/delta\(\)", self._groups_delta),
            ("GET", r"/groups", self._list_groups),
            ("GET", r"/groups/(?P<group>[^/]+)/members", self._group_members),
            (
                "GET",
                r"/groups/(?P<group>[^/]+)/transitiveMembers(?:/(?:microsoft\.)?graph\.user)?",
                self._transitive_members,
            ),
            ("GET", site, self._get_site),
            ("GET", site + "/lists", self._lists),
            ("POST", site + "/lists", self._create_list),
            ("GET", lst + "/columns", self._columns),
            ("POST", lst + "/columns", self._create_column),
            ("PATCH", lst + r"/columns/(?P<column>[^/]+)", self._update_column),
            ("GET", lst + "/items", self._items),
            ("POST", lst + "/items", self._create_item),
            ("PATCH", lst + r"/items/(?P<item>[^/]+)/fields", self._update_fields),
            ("POST", r"/users/(?P<user>[^/]+)/teamwork/installedApps", self._install_app),
            ("GET", r"/users/(?P<user>[^/]+)/teamwork/installedApps", self._installed_apps),
            (
                "GET",
                r"/users/(?P<user>[^/]+)/teamwork/installedApps/(?P<inst>[^/]+)/chat",
                self._installed_chat,
            ),
            (
                "POST",
                r"/users/(?P<user>[^/]+)/teamwork/sendActivityNotification",
                self._activity_notification,
            ),
            ("POST", r"/teamwork/sendActivityNotificationToRecipients", self._bulk_notification),
        ]

    # ---- teams -----------------------------------------------------------------------------
    def user_installs(self, user_id: str, chat_id: str) -> None:
        """The person installs the app themself: Teams opens their chat with the bot under the
        conversation id the bot's incoming activities carry."""
        self.installed.setdefault(user_id, f"inst-{self._uuid().hex[:12]}")
        self.chats[chat_id] = user_id

    def chat_of(self, user_id: str) -> str:
        """The chat id of ``user_id`` with the bot (the app must be installed)."""
        return next(chat for chat, user in self.chats.items() if user == user_id)

    def _install_app(self, request: httpx.Request, user: str) -> httpx.Response:
        """Install the catalog app for ``user``. An app with application RSC permissions must
        be installed with ``consentedPermissionSet`` listing exactly the permissions its
        definition declares, under a ``…ReadWriteAndConsent…ForUser.All`` permission; the
        ``…ReadWriteSelfForUser.All`` ones cannot install it (Learn, "Install app for user",
        example 2, and the permission notes of the Teams app installation APIs)."""
        body = json.loads(request.content)
        bind = f"{self.graph}/appCatalogs/teamsApps/{CATALOG_APP_ID}"
        if (
            not set(body) <= {"teamsApp@odata.bind", "consentedPermissionSet"}
            or body.get("teamsApp@odata.bind") != bind
        ):
            raise _Reject(400, "BadRequest", "teamsApp@odata.bind must name the catalog app")
        if any(kind == "Application" for _, kind in self.catalog_rsc):
            if not self.granted & {
                "TeamsAppInstallation.ReadWriteAndConsentSelfForUser.All",
                "TeamsAppInstallation.ReadWriteAndConsentForUser.All",
            }:
                self._need("TeamsAppInstallation.ReadWriteAndConsentSelfForUser.All")
        else:
            self._need("TeamsAppInstallation.ReadWriteSelfForUser.All")
        self._find_user(user)
        consented = self._consented(body.get("consentedPermissionSet"))
        if consented is None and any(kind == "Application" for _, kind in self.catalog_rsc):
            raise _Reject(
                400,
                "BadRequest",
                "The app requires consent to resource-specific "
                "permissions: consentedPermissionSet is missing.",
            )
        if consented is not None and consented != {
            (name, kind.lower()) for name, kind in self.catalog_rsc
        }:
            raise _Reject(
                400,
                "BadRequest",
                "The consented permissions do not match the "
                "resource-specific permissions of the app definition.",
            )
        if user in self.installed:
            raise _Reject(409, "Conflict", "App is already installed.", record=False)
        installation = f"inst-{self._uuid().hex[:12]}"
        self.installed[user] = installation
        self.chats[f"19:{self._uuid().hex}@unq.gbl.spaces"] = user
        return httpx.Response(201)

    @staticmethod
    def _consented(value: Any) -> set[tuple[str, str]] | None:
        """The (permissionValue, permissionType in lower case) pairs of a
        ``teamsAppPermissionSet``; None when absent; 400 when malformed."""
        if value is None:
            return None
        rsc = value.get("resourceSpecificPermissions") if isinstance(value, dict) else None
        if (
            not isinstance(value, dict)
            or set(value) != {"resourceSpecificPermissions"}
            or not isinstance(rsc, list)
        ):
            raise _Reject(
                400,
                "BadRequest",
                "consentedPermissionSet must be a "
                "teamsAppPermissionSet with resourceSpecificPermissions",
            )
        pairs = set()
        for item in rsc:
            if (
                not isinstance(item, dict)
                or set(item) != {"permissionValue", "permissionType"}
                or not isinstance(item["permissionValue"], str)
                or str(item["permissionType"]).lower() not in {"application", "delegated"}
            ):
                raise _Reject(
                    400,
                    "BadRequest",
                    "a teamsAppResourceSpecificPermission needs "
                    "permissionValue and permissionType (application or delegated)",
                )
            pairs.add((item["permissionValue"], str(item["permissionType"]).lower()))
        return pairs

    def _installed_apps(self, request: httpx.Request, user: str) -> httpx.Response:
        self._need("TeamsAppInstallation.ReadWriteSelfForUser.All")
        self._find_user(user)
        params = self._params(request, {"$expand", "$filter"})
        wanted = re.fullmatch(r"teamsApp/id eq '([^']+)'", params.get("$filter", ""))
        if params.get("$expand") != "teamsApp" or wanted is None:
            raise _Reject(400, "BadRequest", "expected $expand=teamsApp and a teamsApp/id filter")
        value = []
        if user in self.installed and wanted.group(1) == CATALOG_APP_ID:
            value.append(
                {
                    "id": self.installed[user],
                    "teamsApp": {
                        "id": CATALOG_APP_ID,
                        "externalId": None,
                        "displayName": "Compliance",
                        "distributionMethod": "organization",
                    },
                }
            )
        return self._json(
            {
                "@odata.context": f"{self.graph}/$metadata#users('{user}')/teamwork/"
                "installedApps(teamsApp())",
                "value": value,
            }
        )

    def _installed_chat(self, request: httpx.Request, user: str, inst: str) -> httpx.Response:
        self._need("TeamsAppInstallation.ReadWriteSelfForUser.All")
        if self.installed.get(user) != inst:
            raise _Reject(404, "NotFound", "The installation was not found.", record=False)
        return self._json({"id": self.chat_of(user), "chatType": "oneOnOne"})

    def _directory_throttle(self, request: httpx.Request, path: str) -> httpx.Response | None:
        """A 429 with Retry-After when a directory read would take the app past its resource
        units in the tenant (``directory_units`` each 10 seconds); else the units are spent.
        Cost: the path's base cost, -1 with $select, +1 with $expand, -1 with $top under 20,
        never under 1 (Learn: Identity and access service limits)."""
        base = next((cost for pattern, cost in _DIRECTORY_COSTS if pattern.fullmatch(path)), 0)
        if self.directory_units is None or request.method != "GET" or not base:
            return None
        params = request.url.params
        top = params.get("$top", "")
        cost = max(
            1,
            base
            - ("$select" in params)
            + ("$expand" in params)
            - (top.isdigit() and int(top) < 20),
        )
        now, spent = self.clock(), self.directory_spent
        while spent and now - spent[0][0] >= 10.0:
            spent.popleft()
        if sum(units for _, units in spent) + cost > self.directory_units:
            self.throttled += 1
            wait = max(1, int(10.0 - (now - spent[0][0]) + 0.999))
            return _error(
                429,
                "TooManyRequests",
                "Too many requests; try again after Retry-After.",
                **{"Retry-After": str(wait)},
            )
        spent.append((now, cost))
        return None

    def _teams_throttle(self, kind: str) -> httpx.Response | None:
        """A 429 when ``kind`` (connector, feed, bulk) is over its limit (``teams_limits``)."""
        limit = (self.teams_limits or {}).get(kind)
        if limit is None:
            return None
        count, window = limit
        now = self.clock()
        stamps = self._teams_stamps.setdefault(kind, deque())
        while stamps and now - stamps[0] >= window:
            stamps.popleft()
        if len(stamps) >= count:
            self.throttled += 1
            wait = max(1, int(window - (now - stamps[0]) + 0.999))
            return _error(
                429,
                "TooManyRequests",
                "Too many requests; try again after Retry-After.",
                **{"Retry-After": str(wait)},
            )
        stamps.append(now)
        return None

    def _bulk_notification(self, request: httpx.Request) -> httpx.Response:
        """``POST /teamwork/sendActivityNotificationToRecipients``: up to 100 recipients, each
        an ``aadUserNotificationRecipient``; 202 Accepted with no body. A recipient without the
        app is skipped without a word (the bulk call does not report recipients one by one)."""
        self._need("TeamsActivity.Send")
        left = self.token_left(request)
        if left is not None and left < BULK_TOKEN_LEFT:
            self.bulk_refused += 1
            raise _Reject(
                412,
                "PreconditionFailed",
                "The token provided must be at least 45 minutes from expiry.",
                record=False,
            )
        body = json.loads(request.content)
        missing = {"topic", "activityType", "previewText", "recipients"} - set(body)
        if missing:
            raise _Reject(400, "BadRequest", f"missing {sorted(missing)}")
        recipients = body["recipients"]
        if not isinstance(recipients, list) or not 1 <= len(recipients) <= 100:
            raise _Reject(400, "BadRequest", "recipients must hold 1 to 100 recipients")
        users = []
        for recipient in recipients:
            if (
                recipient.get("@odata.type") != "#microsoft.graph.aadUserNotificationRecipient"
                or not recipient.get("userId")
                or set(recipient) != {"@odata.type", "userId"}
            ):
                raise _Reject(
                    400, "BadRequest", f"not an aadUserNotificationRecipient: {sorted(recipient)}"
                )
            users.append(str(recipient["userId"]))
        if len(set(users)) != len(users):
            raise _Reject(400, "BadRequest", "a recipient is named twice")
        throttled = self._teams_throttle("bulk")
        if throttled is not None:
            return throttled
        self.bulk_calls.append(len(users))
        notification = {k: v for k, v in body.items() if k != "recipients"}
        self.feed += [{"user": user, **notification} for user in users if user in self.installed]
        return httpx.Response(202)

    def _activity_notification(self, request: httpx.Request, user: str) -> httpx.Response:
        self._need("TeamsActivity.Send")
        throttled = self._teams_throttle("feed")
        if throttled is not None:
            return throttled
        if user not in self.installed:
            raise _Reject(
                403, "Forbidden", "The app is not installed for the recipient.", record=False
            )
        body = json.loads(request.content)
        missing = {"topic", "activityType", "previewText"} - set(body)
        if missing:
            raise _Reject(400, "BadRequest", f"missing {sorted(missing)}")
        self.feed.append({"user": user, **body})
        return httpx.Response(204)

    def _connector(self, request: httpx.Request) -> httpx.Response:
        """The Bot Connector REST API (Teams' service URL for the region ``emea``)."""
        left = self.token_left(request)
        held = self.tokens.get(request.headers.get("Authorization", "").removeprefix("Bearer "))
        if held is None or held[0] != BOT_SCOPE or left is None or left <= 0:
            return httpx.Response(
                401, json={"message": "Authorization has been denied for this request."}
            )
        found = re.fullmatch(
            r"/(?P<region>[a-z]+)/v3/conversations(?:/(?P<chat>[^/]+)/activities)?",
            request.url.path,
        )
        if request.method != "POST" or found is None:
            raise _Reject(
                400,
                "BadRequest",
                f"the fake Connector does not serve {request.method} {request.url.path}",
            )
        body = json.loads(request.content)
        if found.group("chat") is None:  # create a one-to-one conversation
            members = body.get("members") or []
            user = members[0].get("aadObjectId") or members[0].get("id") if members else None
            if user not in self.installed:
                return httpx.Response(
                    403,
                    json={
                        "error": {
                            "code": "BotNotInConversationRoster",
                            "message": "The bot is not part of the conversation roster.",
                        }
                    },
                )
            return httpx.Response(201, json={"id": self.chat_of(str(user))})
        chat = found.group("chat")
        throttled = self._teams_throttle("connector")
        if throttled is not None:
            return throttled
        if chat not in self.chats:
            return httpx.Response(
                404,
                json={
                    "error": {"code": "ConversationNotFound", "message": "Conversation not found."}
                },
            )
        problems: list[str] = []
        if body.get("type") != "message":
            problems.append("activity type must be 'message'")
        for attachment in body.get("attachments") or []:
            if attachment.get("contentType") != "application/vnd.microsoft.card.adaptive":
                problems.append(f"attachment type {attachment.get('contentType')}")
            elif self.card_errors is not None:
                problems += self.card_errors(attachment["content"])
        if problems:
            self.rejected.append(f"connector: {problems}")
            return httpx.Response(
                400, json={"error": {"code": "BadSyntax", "message": "; ".join(problems)}}
            )
        activity_id = f"1:{uuid.uuid4().hex[:16]}"
        self.chat_cards.append(
            {
                "chat": chat,
                "user": self.chats[chat],
                "id": activity_id,
                "activity": body,
                "service_url": f"https://{CONNECTOR_HOST}/{found.group('region')}/",
            }
        )
        return httpx.Response(201, json={"id": activity_id})

    # ---- helpers ---------------------------------------------------------------------------
    @staticmethod
    def _params(request: httpx.Request, allowed: set[str]) -> dict[str, str]:
        params: dict[str, str] = {}
        for key, value in request.url.params.multi_items():
            if key not in allowed:
                raise _Reject(400, "BadRequest", f"Query option '{key}' is not allowed here")
            params[key] = value
        return params

    def _need(self, permission: str) -> None:
        if permission in self.granted:
            return
        if permission == "Mail.Send":
            raise _Reject(
                403,
                "ErrorAccessDenied",
                "Access is denied. Check credentials and try again.",
                record=False,
            )
        if permission == "Sites.Selected":
            raise _Reject(403, "accessDenied", "Access denied", record=False)
        raise _Reject(
            403,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
            record=False,
        )

    @staticmethod
    def _json(data: Any, status: int = 200) -> httpx.Response:
        return httpx.Response(status, json=data, headers={"Content-Type": JSON_TYPE})

    @staticmethod
    def _body(request: httpx.Request) -> dict[str, Any]:
        if not request.headers.get("Content-Type", "").startswith("application/json"):
            raise _Reject(415, "UnsupportedMediaType", "Expected application/json")
        try:
            data = json.loads(request.content)
        except ValueError:
            raise _Reject(400, "BadRequest", "Unable to read JSON request payload.") from None
        if not isinstance(data, dict):
            raise _Reject(400, "BadRequest", "Expected a JSON object")
        return data

    @staticmethod
    def _select(obj: dict[str, Any], select: str | None, kind: str) -> dict[str, Any]:
        """``obj`` as Graph answers ``$select``: any property Graph's metadata declares on
        ``kind`` (or on a type derived from it) may be named, and an unset one comes back null;
        a navigation property named there is answered by the caller (``manager@delta``)."""
        declared = members_of(kind)
        if not select:
            return {k: v for k, v in obj.items() if k in declared}
        names = [s.strip() for s in select.split(",") if s.strip()]
        for name in names:
            if name not in declared:
                raise _Reject(
                    400,
                    "Request_BadRequest",
                    f"Could not find a property named '{name}' on type 'microsoft.graph.{kind}'.",
                )
        shown = {n: obj.get(n) for n in names if not declared[n].navigation}
        return {"id": obj["id"], **shown}

    def _page(
        self,
        path: str,
        items: list[dict[str, Any]],
        tail: dict[str, Any],
        *,
        empty_first: bool = False,
        size: int | None = None,
    ) -> dict[str, Any]:
        """The first page of ``items``; the rest wait under ``$skiptoken`` links."""
        size = size or self.page_size
        pages = [items[i : i + size] for i in range(0, len(items), size)] or [[]]
        if empty_first:
            pages.insert(0, [])
        return self._serve(path, pages, tail)

    def _serve(
        self, path: str, pages: list[list[dict[str, Any]]], tail: dict[str, Any]
    ) -> dict[str, Any]:
        first, rest = pages[0], pages[1:]
        body: dict[str, Any] = {
            "@odata.context": f"{self.graph}/$metadata#{path.strip('/')}",
            "value": first,
        }
        if rest:
            token = self._uuid().hex
            self._pages[token] = (path, rest, tail)
            body["@odata.nextLink"] = f"{self.graph}{path}?{urlencode({'$skiptoken': token})}"
        else:
            body.update(tail)
        return body

    def _continue(self, path: str, token: str) -> dict[str, Any]:
        stored = self._pages.pop(token, None)
        if stored is None or stored[0] != path:
            raise _Reject(400, "Request_BadRequest", "The specified page token value has expired.")
        return self._serve(path, stored[1], stored[2])

    # ---- Entra ID --------------------------------------------------------------------------
    def _aad_error(self, status: int, error: str, code: int, text: str) -> httpx.Response:
        description = (
            f"AADSTS{code}: {text}\r\nTrace ID: {uuid.uuid4()}\r\n"
            f"Correlation ID: {uuid.uuid4()}\r\nTimestamp: 2026-11-02 09:30:00Z"
        )
        return httpx.Response(
            status,
            json={
                "error": error,
                "error_description": description,
                "error_codes": [code],
                "timestamp": "2026-11-02 09:30:00Z",
                "trace_id": str(uuid.uuid4()),
                "correlation_id": str(uuid.uuid4()),
                "error_uri": f"https://{self.login_host}/error?code={code}",
            },
        )

    def _instance_discovery(self, request: httpx.Request) -> httpx.Response:
        """``GET /common/discovery/instance``: the cloud aliases (MSAL asks after a failure).

        MSAL looks for cached tokens under the authority's aliases when a token request fails;
        if this endpoint errs, MSAL raises that error instead of Entra's AADSTS answer.
        """
        self._params(request, {"api-version", "authorization_endpoint"})
        groups = [
            [
                "login.microsoftonline.com",
                "login.windows.net",
                "login.microsoft.com",
                "sts.windows.net",
            ],
            ["login.partner.microsoftonline.cn", "login.chinacloudapi.cn"],
            ["login.microsoftonline.us", "login.usgovcloudapi.net"],
            ["login-us.microsoftonline.com"],
        ]
        if not any(self.login_host in aliases for aliases in groups):
            groups.append([self.login_host])
        return httpx.Response(
            200,
            json={
                "tenant_discovery_endpoint": (
                    f"https://{self.login_host}/common/v2.0/.well-known/openid-configuration"
                ),
                "api-version": "1.1",
                "metadata": [
                    {"preferred_network": a[0], "preferred_cache": a[-1], "aliases": a}
                    for a in groups
                ],
            },
        )

    def _login(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path == "/common/discovery/instance":
            return self._instance_discovery(request)
        parts = request.url.path.strip("/").split("/")
        tenant = parts[0] if parts else ""
        if tenant != self.tenant_id:
            return self._aad_error(400, "invalid_tenant", 90002, f"Tenant '{tenant}' not found.")
        base = f"https://{self.login_host}/{self.tenant_id}"
        if request.method == "GET" and request.url.path.endswith(
            "/v2.0/.well-known/openid-configuration"
        ):
            return httpx.Response(
                200,
                json={
                    "token_endpoint": f"{base}/oauth2/v2.0/token",
                    "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                    "issuer": f"{base}/v2.0",
                    "jwks_uri": f"{base}/discovery/v2.0/keys",
                    "token_endpoint_auth_methods_supported": [
                        "client_secret_post",
                        "private_key_jwt",
                        "client_secret_basic",
                    ],
                },
            )
        if request.method != "POST" or request.url.path != f"/{self.tenant_id}/oauth2/v2.0/token":
            raise _Reject(400, "BadRequest", f"the fake Entra ID does not serve {request.url.path}")
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        if form.get("grant_type") != "client_credentials":
            raise _Reject(400, "BadRequest", "only client_credentials is served")
        app = form.get("client_id")
        secrets = {self.client_id: self.client_secret, **self.apps}
        if app not in secrets:
            return self._aad_error(
                400,
                "unauthorized_client",
                700016,
                f"Application with identifier '{app}' was not found in the "
                f"directory '{self.tenant_id}'.",
            )
        scope = form.get("scope")
        if scope not in (BOT_SCOPE, f"https://{self.graph_host}/.default"):
            return self._aad_error(
                400, "invalid_scope", 1002012, f"The provided value for scope {scope} is not valid."
            )
        if "client_assertion" in form:
            if app != self.client_id or not self._assertion_ok(form):
                return self._aad_error(
                    401,
                    "invalid_client",
                    700027,
                    "The certificate with identifier used to sign the client assertion is not "
                    "registered on application.",
                )
        elif form.get("client_secret") != secrets[app]:
            return self._aad_error(
                401,
                "invalid_client",
                7000215,
                "Invalid client secret provided. Ensure the secret being sent in the request is "
                f"the client secret value, not the client secret ID, for a secret added to app "
                f"'{app}'.",
            )
        return httpx.Response(
            200,
            json={
                "token_type": "Bearer",
                "expires_in": self.token_lifetime,
                "ext_expires_in": self.token_lifetime,
                "access_token": self._issue(str(scope), str(app)),
            },
        )

    def _issue(self, scope: str, app: str) -> str:
        """A new access token for ``scope``: a JWT whose ``exp`` is ``token_lifetime`` from now
        (unsigned here: only this fake reads it, as only Graph reads Graph's tokens)."""
        now = int(self.wall())
        claims = {
            "aud": scope.removesuffix("/.default"),
            "iss": f"https://sts.windows.net/{self.tenant_id}/",
            "iat": now,
            "nbf": now,
            "exp": now + self.token_lifetime,
            "appid": app,
            "tid": self.tenant_id,
            "roles": sorted(self.granted),
            "uti": uuid.uuid4().hex,
        }

        def part(data: dict[str, Any]) -> str:
            return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

        token = f"{part({'typ': 'JWT', 'alg': 'RS256'})}.{part(claims)}.{uuid.uuid4().hex}"
        self.tokens[token] = (scope, float(now + self.token_lifetime))
        return token

    def _assertion_ok(self, form: dict[str, str]) -> bool:
        if form.get("client_assertion_type") != (
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
        ):
            return False
        head = form["client_assertion"].split(".")[0]
        header = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
        thumb = header.get("x5t#S256") or header.get("x5t")
        return bool(thumb) and thumb in self.certificate_thumbprints

    # ---- users and groups ------------------------------------------------------------------
    def _user_json(
        self, user_id: str, select: str | None, *, expand_manager: str | None = None
    ) -> dict[str, Any]:
        """A user as Graph answers it; ``expand_manager``: the ``$select`` of
        ``$expand=manager(...)`` ("" for a bare ``$expand=manager``; None: not expanded)."""
        user = self.users[user_id]
        data = self._select(user, select, "user")
        if expand_manager is not None and user_id in self.managers:
            boss = self.users.get(self.managers[user_id])
            if boss is not None:
                data["manager"] = {
                    "@odata.type": "#microsoft.graph.user",
                    **self._select(boss, expand_manager or None, "directoryObject"),
                }
        return data

    def _find_user(self, key: str) -> str:
        for user_id, user in self.users.items():
            if key == user_id or key.casefold() == str(user["userPrincipalName"]).casefold():
                return user_id
        raise _Reject(
            404,
            "Request_ResourceNotFound",
            f"Resource '{key}' does not exist or one of its queried reference-property objects "
            "are not present.",
            record=False,
        )

    def _list_users(self, request: httpx.Request) -> httpx.Response:
        self._need("User.Read.All")
        params = self._params(
            request, {"$select", "$filter", "$expand", "$top", "$skiptoken", "$count"}
        )
        if "$skiptoken" in params:
            return self._json(self._continue("/users", params["$skiptoken"]))
        ids = sorted(self.users)
        flt = params.get("$filter")
        if flt:
            ids = self._filter_users(flt, ids)
        expand = params.get("$expand")
        manager = re.fullmatch(r"manager(?:\(\$select=([A-Za-z,]+)\))?", expand or "")
        if expand and manager is None:
            raise _Reject(400, "Request_BadRequest", f"Invalid $expand: {expand}")
        top = int(params.get("$top", "100"))
        if not 1 <= top <= 999:
            raise _Reject(400, "Request_BadRequest", "Invalid page size specified: '$top'.")
        items = [
            self._user_json(
                u,
                params.get("$select"),
                expand_manager=(manager.group(1) or "") if manager else None,
            )
            for u in ids
        ]
        return self._json(self._page("/users", items, {}, size=min(top, 100)))

    def _filter_users(self, flt: str, ids: list[str]) -> list[str]:
        match = re.fullmatch(rf"id in \(({_LITERAL}(?:\s*,\s*{_LITERAL})*)\)", flt)
        if match:
            wanted = _literals(match.group(1))
            if len(wanted) > 15:
                raise _Reject(
                    400,
                    "Request_UnsupportedQuery",
                    "Number of included identifiers cannot exceed 15 in an 'in' clause.",
                )
            return [u for u in ids if u in wanted]
        match = re.fullmatch(rf"(id|userPrincipalName|mail) eq ({_LITERAL})", flt)
        if match:
            prop, value = match.group(1), _literals(match.group(2))[0]
            return [
                u for u in ids if str(self.users[u].get(prop) or "").casefold() == value.casefold()
            ]
        raise _Reject(
            400, "Request_UnsupportedQuery", f"Unsupported or invalid query filter clause: {flt}"
        )

    def _get_user(self, request: httpx.Request, user: str) -> httpx.Response:
        self._need("User.Read.All")
        params = self._params(request, {"$select"})
        return self._json(self._user_json(self._find_user(user), params.get("$select")))

    def _delta_token(self, request: httpx.Request, kind: str) -> dict[str, Any]:
        token = request.url.params["$deltatoken"]
        data = self._delta_tokens.get(token)
        if data is None or data["kind"] != kind:
            raise _Reject(400, "syncStateNotFound", "The sync state generation is not found.")
        if data["expired"]:
            if self.expired_status == 400:
                raise _Reject(
                    400,
                    "syncStateNotFound",
                    "The sync state generation is not found. Restart the sync with a new "
                    "initial delta query.",
                    record=False,
                )
            raise _Reject(
                410,
                "resyncRequired",
                "Resync required. Replace any local cached copies of the collection with the "
                "results of a fresh delta query.",
                record=False,
            )
        return data

    def _delta_link(
        self, path: str, kind: str, select: str | None, ids: tuple[str, ...] | None
    ) -> dict[str, str]:
        token = uuid.uuid4().hex
        self._delta_tokens[token] = {
            "kind": kind,
            "seq": self._seq,
            "select": select,
            "ids": ids,
            "expired": False,
        }
        return {"@odata.deltaLink": f"{self.graph}{path}?{urlencode({'$deltatoken': token})}"}

    def _users_delta(self, request: httpx.Request) -> httpx.Response:
        self._need("User.Read.All")
        path = "/users/delta()"
        params = request.url.params
        if "$skiptoken" in params or "$deltatoken" in params:
            if len(params) != 1:
                raise _Reject(
                    400,
                    "Request_BadRequest",
                    "Query options must not be added to a delta or next link",
                )
            if "$skiptoken" in params:
                return self._json(self._continue(path, params["$skiptoken"]))
            data = self._delta_token(request, "users")
            select, since = data["select"], data["seq"]
        else:
            self._params(request, {"$select"})
            select, since = params.get("$select"), 0
            if select:
                self._select({"id": "x"}, select, "user")
        names = [s for s in (select or "").split(",") if s]
        with_manager = "manager" in names
        plain = ",".join(n for n in names if n != "manager") or None
        items: list[dict[str, Any]] = []
        for user_id in sorted(set(self._user_log) | set(self._deleted_users)):
            if user_id in self._deleted_users:
                created = self._user_log.get(user_id, {}).get("created", 0)
                if since and self._deleted_users[user_id] > since and created <= since:
                    items.append({"id": user_id, "@removed": {"reason": "changed"}})
                continue
            log = self._user_log[user_id]
            new = log["created"] > since
            changed = {name for name, seq in log.items() if seq > since and name != "created"}
            if not new and not changed:
                continue
            entry = self._user_json(user_id, plain)
            if self.partial_updates and not new:
                entry = {"id": user_id, **{k: v for k, v in entry.items() if k in changed}}
            if with_manager and (new or "manager" in changed):
                entry["manager@delta"] = self._manager_delta(user_id, new)
                if not entry["manager@delta"]:
                    del entry["manager@delta"]
            items.append(entry)
        tail = self._delta_link(path, "users", select, None)
        empty = self.empty_delta_pages if since else self.empty_first_page
        return self._json(self._page(path, items, tail, empty_first=empty))

    def _manager_delta(self, user_id: str, new: bool) -> list[dict[str, Any]]:
        if user_id in self.managers:
            return [{"@odata.type": "#microsoft.graph.user", "id": self.managers[user_id]}]
        if not new and user_id in self._previous_manager:
            return [
                {
                    "@odata.type": "#microsoft.graph.user",
                    "id": self._previous_manager[user_id],
                    "@removed": {"reason": "deleted"},
                }
            ]
        return []

    def _groups_delta(self, request: httpx.Request) -> httpx.Response:
        self._need("GroupMember.Read.All")
        path = "/groups/delta()"
        params = request.url.params
        if "$skiptoken" in params or "$deltatoken" in params:
            if len(params) != 1:
                raise _Reject(
                    400,
                    "Request_BadRequest",
                    "Query options must not be added to a delta or next link",
                )
            if "$skiptoken" in params:
                return self._json(self._continue(path, params["$skiptoken"]))
            data = self._delta_token(request, "groups")
            select, since, ids = data["select"], data["seq"], data["ids"]
        else:
            self._params(request, {"$select", "$filter"})
            select, since, ids = params.get("$select"), 0, None
            if select:
                self._select({"id": "x"}, select, "group")
            if "$filter" in params:
                flt = params["$filter"]
                if not re.fullmatch(rf"id eq {_LITERAL}(?: or id eq {_LITERAL})*", flt):
                    raise _Reject(
                        400, "Request_UnsupportedQuery", f"Unsupported filter for delta: {flt}"
                    )
                ids = tuple(_literals(flt))
                if len(ids) > 50:
                    raise _Reject(
                        400, "Request_UnsupportedQuery", "At most 50 ids may be filtered."
                    )
        names = [s for s in (select or "").split(",") if s]
        scope = (
            ids if ids is not None else tuple(sorted(set(self.groups) | set(self._deleted_groups)))
        )
        items: list[dict[str, Any]] = []
        for group_id in scope:
            if group_id in self._deleted_groups:
                if since and self._deleted_groups[group_id] > since:
                    items.append({"id": group_id, "@removed": {"reason": "deleted"}})
                continue
            if group_id not in self.groups:
                continue
            log = self._group_log[group_id]
            new = log["created"] > since or since == 0
            entry: dict[str, Any] = {"id": group_id}
            if (not names or "displayName" in names) and (new or log.get("displayName", 0) > since):
                entry["displayName"] = self.groups[group_id]["displayName"]
            if not names or "members" in names:
                if new:
                    changes = [dict(e) for e in self.members[group_id]]
                else:
                    net: dict[str, tuple[dict[str, str], bool]] = {}
                    for seq, gid, member, added in self._member_log:
                        if gid == group_id and seq > since:
                            net[member["id"]] = (member, added)
                    changes = [
                        dict(m) if added else {**m, "@removed": {"reason": "deleted"}}
                        for m, added in net.values()
                    ]
                if changes:
                    entry["members@delta"] = changes
            if new or len(entry) > 1:
                items.append(entry)
        tail = self._delta_link(path, "groups", select, ids)
        empty = self.empty_delta_pages if since else self.empty_first_page
        return self._json(self._page(path, items, tail, empty_first=empty))

    def _list_groups(self, request: httpx.Request) -> httpx.Response:
        self._need("GroupMember.Read.All")
        params = self._params(request, {"$select", "$filter", "$top", "$skiptoken"})
        if "$skiptoken" in params:
            return self._json(self._continue("/groups", params["$skiptoken"]))
        ids = sorted(self.groups)
        flt = params.get("$filter")
        if flt:
            match = re.fullmatch(
                rf"displayName (in \((?:{_LITERAL})(?:\s*,\s*{_LITERAL})*\)"
                rf"|eq (?:{_LITERAL}|\({_LITERAL}\)))",
                flt,
            )
            if re.fullmatch(rf"displayName eq \((?:{_LITERAL})(?:\s*,\s*{_LITERAL})+\)", flt):
                # OData: a parenthesised list after eq is a syntax error, not a set
                raise _Reject(400, "BadRequest", "Invalid filter clause")
            if not match:
                raise _Reject(
                    400,
                    "Request_UnsupportedQuery",
                    f"Unsupported or invalid query filter clause: {flt}",
                )
            wanted = {w.casefold() for w in _literals(match.group(1))}
            if len(wanted) > 15:
                raise _Reject(
                    400, "Request_UnsupportedQuery", "Too many values in an 'in' clause (max 15)."
                )
            ids = [g for g in ids if self.groups[g]["displayName"].casefold() in wanted]
        top = int(params.get("$top", "100"))
        items = [self._select(self.groups[g], params.get("$select"), "group") for g in ids]
        return self._json(self._page("/groups", items, {}, size=min(top, 100)))

    def _group_members(self, request: httpx.Request, group: str) -> httpx.Response:
        self._need("GroupMember.Read.All")
        params = self._params(request, {"$select", "$top"})
        if group not in self.groups:
            raise _Reject(
                404, "Request_ResourceNotFound", f"Resource '{group}' does not exist.", record=False
            )
        top = int(params.get("$top", "100"))
        items = []
        for entry in self.members[group][:top]:
            if entry["@odata.type"] == "#microsoft.graph.user" and entry["id"] in self.users:
                items.append(
                    {
                        "@odata.type": entry["@odata.type"],
                        **self._user_json(entry["id"], params.get("$select")),
                    }
                )
            else:
                items.append(dict(entry))
        return self._json(
            {"@odata.context": f"{self.graph}/$metadata#directoryObjects", "value": items}
        )

    def _transitive_members(self, request: httpx.Request, group: str) -> httpx.Response:
        """``/groups/{id}/transitiveMembers`` (Learn, "List group transitive members"): a flat
        list of every member, those of nested groups too, each once; with the OData cast
        ``/microsoft.graph.user`` only users. ``members`` (above) and the group delta's
        ``members@delta`` give the direct members alone, as Graph documents them."""
        self._need("GroupMember.Read.All")
        params = self._params(request, {"$select", "$top", "$skiptoken"})
        path = _graph_path(request)
        if "$skiptoken" in params:
            return self._json(self._continue(path, params["$skiptoken"]))
        if group not in self.groups:
            raise _Reject(
                404, "Request_ResourceNotFound", f"Resource '{group}' does not exist.", record=False
            )
        top = int(params.get("$top", "100"))
        if not 1 <= top <= 999:
            raise _Reject(400, "Request_BadRequest", "Invalid page size specified: '$top'.")
        user = "#microsoft.graph.user"
        users_only, seen, items = path.endswith("graph.user"), set[str](), []
        stack = [iter(self.members[group])]  # depth first, as the groups nest
        while stack:
            entry = next(stack[-1], None)
            if entry is None:
                stack.pop()
                continue
            if entry["id"] in seen:
                continue
            seen.add(entry["id"])
            if entry["@odata.type"] == "#microsoft.graph.group" and entry["id"] in self.members:
                stack.append(iter(self.members[entry["id"]]))
            if entry["@odata.type"] == user and entry["id"] in self.users:
                items.append(
                    {"@odata.type": user, **self._user_json(entry["id"], params.get("$select"))}
                )
            elif not users_only:
                items.append(dict(entry))
        return self._json(self._page(path, items, {}, size=top))

    # ---- mail ------------------------------------------------------------------------------
    def _send_mail(self, request: httpx.Request, user: str) -> httpx.Response:
        self._params(request, set())
        mailbox_id = self._mailbox(user)
        mailbox = str(self.users[mailbox_id]["mail"]).casefold()
        self._need("Mail.Send")
        if len(request.content) > 4 * 1024 * 1024:  # Graph's request limit, base64 included
            raise _Reject(
                413, "RequestEntityTooLarge", "The maximum request length supported is 4MB."
            )
        if self.send_scope is not None and mailbox not in {m.casefold() for m in self.send_scope}:
            raise _Reject(
                403,
                "ErrorAccessDenied",
                "Access is denied. Check credentials and try again.",
                record=False,
            )
        kind = request.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if kind == "text/plain":
            mime, message, recipients, sender = self._mime_message(request)
        elif kind == "application/json":
            body = self._body(request)
            # Action parameters are matched case-insensitively: msgraph-sdk sends "Message" and
            # "SaveToSentItems" (the names in Graph's metadata), the docs show "message".
            params = {str(k).casefold(): v for k, v in body.items()}
            unknown = set(params) - {"message", "savetosentitems"}
            if unknown:
                raise _Reject(400, "BadRequest", f"Unknown sendMail parameter(s): {unknown}")
            message = params.get("message")
            if not isinstance(message, dict):
                raise _Reject(400, "ErrorInvalidRequest", "Empty Payload. JSON content expected.")
            mime = None
            recipients = [
                r
                for key in ("toRecipients", "ccRecipients", "bccRecipients")
                for r in message.get(key) or []
            ]
            sender = mailbox
        else:
            raise _Reject(415, "UnsupportedMediaType", f"Unsupported Content-Type: {kind}")
        if not recipients:
            raise _Reject(
                400,
                "ErrorInvalidRecipients",
                "At least one recipient is required, but none were found.",
                record=False,
            )
        addresses = {
            (
                r if isinstance(r, str) else str((r.get("emailAddress") or {}).get("address", ""))
            ).casefold()
            for r in recipients
        }
        if addresses & {a.casefold() for a in self.refused_recipients}:
            raise _Reject(
                400,
                "ErrorInvalidRecipients",
                "At least one recipient is not valid. All recipients must be resolved before a "
                "message can be submitted.",
                record=False,
            )
        if sender.casefold() != mailbox:
            raise _Reject(
                403,
                "ErrorSendAsDenied",
                "The user account which was used to submit this request does not have the right "
                "to send mail on behalf of the specified sending account.",
                record=False,
            )
        throttled = self._over_budget(mailbox, len(addresses)) or self._throttle(mailbox)
        if throttled is not None:
            return throttled
        self.recipient_log.setdefault(mailbox, []).append((self.clock(), len(addresses)))
        key = None
        if mime is not None:
            found = _KEY.search(re.split(rb"\r?\n\r?\n", mime, maxsplit=1)[0])
            key = found.group(1).decode().strip() if found else None
        self.sent.append(SentMail(mailbox, mime, message, key, self.clock()))
        return httpx.Response(202, headers={"request-id": str(uuid.uuid4()), "Content-Length": "0"})

    def _folder_messages(self, request: httpx.Request, user: str, folder: str) -> httpx.Response:
        """A mail folder's messages, as Graph lists them: only Sent Items is kept (what
        sendMail saved there), filtered by ``internetMessageId eq '...'`` (the only filter
        the fake understands), with ``$select`` and ``$top``. Needs Mail.ReadBasic.All (or
        Mail.Read.All)."""
        params = self._params(request, {"$filter", "$select", "$top"})
        mailbox = str(self.users[self._mailbox(user)]["mail"]).casefold()
        if not {"Mail.ReadBasic.All", "Mail.Read.All"} & self.granted:
            raise _Reject(
                403,
                "ErrorAccessDenied",
                "Access is denied. Check credentials and try again.",
                record=False,
            )
        top = int(params.get("$top", "10"))
        context = f"{self.graph}/$metadata#users('{user}')/mailFolders('{folder}')/messages"
        if folder.casefold() == "inbox":
            return self._json(
                {"@odata.context": context, "value": self._inbox(mailbox, params)[:top]}
            )
        if folder.casefold() != "sentitems":
            raise _Reject(
                404,
                "ErrorItemNotFound",
                "The specified object was not found in the store.",
                record=False,
            )
        wanted: str | None = None
        if "$filter" in params:
            found = re.fullmatch(r"internetMessageId eq '((?:[^']|'')*)'", params["$filter"])
            if found is None:
                raise _Reject(400, "ErrorInvalidUrlQueryFilter", "The query filter is invalid.")
            wanted = found.group(1).replace("''", "'")
        fields = set(params.get("$select", "id,internetMessageId,sentDateTime").split(","))
        items = []
        for number, mail in enumerate(self.sent):
            if mail.mailbox.casefold() != mailbox or mail.mime is None:
                continue
            head = re.split(rb"\r?\n\r?\n", mail.mime, maxsplit=1)[0]
            parsed = email.message_from_bytes(head, policy=email.policy.default)
            internet_id = str(parsed["Message-ID"] or "").strip() or None
            if wanted is not None and internet_id != wanted:
                continue
            item = {
                "id": f"AAMkSent{number:06d}",
                "internetMessageId": internet_id,
                "sentDateTime": "2026-11-02T09:30:00Z",
            }
            items.append({k: v for k, v in item.items() if k in fields or k == "id"})
        return self._json({"@odata.context": context, "value": items[:top]})

    def bounce(self, mail: SentMail, code: str = "5.7.233") -> None:
        """Exchange bounces a message it had accepted (202), as past the tenant's external
        recipient limit: its non-delivery report lands in the sending mailbox's inbox, from
        the postmaster, naming the original's Message-ID in In-Reply-To and References."""
        assert mail.mime is not None
        head = re.split(rb"\r?\n\r?\n", mail.mime, maxsplit=1)[0]
        parsed = email.message_from_bytes(head, policy=email.policy.default)
        original = str(parsed["Message-ID"]).strip()
        domain = mail.mailbox.rpartition("@")[2]
        self.inbox.append(
            {
                "mailbox": mail.mailbox.casefold(),
                "id": f"AAMkNdr{len(self.inbox):06d}",
                "subject": f"Undeliverable: {parsed['Subject']}",
                "from": {
                    "emailAddress": {"name": "Microsoft Outlook", "address": f"postmaster@{domain}"}
                },
                "receivedDateTime": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "internetMessageId": f"<ndr-{uuid.uuid4().hex}@{domain}>",
                "internetMessageHeaders": [
                    {"name": "X-MS-Exchange-Message-Is-Ndr", "value": ""},
                    {"name": "In-Reply-To", "value": original},
                    {"name": "References", "value": original},
                    {"name": "X-MS-Exchange-Diagnostic", "value": f"550 {code}"},
                ],
            }
        )

    def _inbox(self, mailbox: str, params: dict[str, str]) -> list[dict[str, Any]]:
        """The inbox, filtered by ``receivedDateTime ge <instant>`` (the one filter known)."""
        since = ""
        if "$filter" in params:
            found = re.fullmatch(
                r"receivedDateTime ge (\d{4}-\d\d-\d\dT[\d:]+Z)", params["$filter"]
            )
            if found is None:
                raise _Reject(400, "ErrorInvalidUrlQueryFilter", "The query filter is invalid.")
            since = found.group(1)
        fields = set(params.get("$select", "id,subject,from,receivedDateTime").split(","))
        return [
            {k: v for k, v in m.items() if k in fields or k == "id"}
            for m in self.inbox
            if m["mailbox"] == mailbox and m["receivedDateTime"] >= since
        ]

    def _mailbox(self, key: str) -> str:
        try:
            return self._find_user(key)
        except _Reject:
            raise _Reject(
                404, "ErrorInvalidUser", f"The requested user '{key}' is invalid.", record=False
            ) from None

    @staticmethod
    def _mime_message(request: httpx.Request) -> tuple[bytes, None, list[str], str]:
        try:
            mime = base64.b64decode(request.content, validate=True)
        except ValueError:
            raise _Reject(
                400,
                "ErrorMimeContentInvalidBase64String",
                "Invalid base64 string for MIME content.",
            ) from None
        headers = email.parser.BytesHeaderParser(policy=email.policy.default).parsebytes(mime)
        recipients = [
            a.addr_spec
            for name in ("To", "Cc", "Bcc")
            for value in [headers.get(name)]
            if value is not None
            for a in value.addresses
        ]
        sender_header = headers.get("From")
        sender = (
            sender_header.addresses[0].addr_spec
            if sender_header and sender_header.addresses
            else ""
        )
        return mime, None, recipients, sender

    def sent_elsewhere(self, mailbox: str, count: int) -> None:
        """Count ``count`` sends from ``mailbox`` just now by someone else (e.g. before a restart),
        so the mailbox's per-minute allowance is already used."""
        stamps = self._mail_stamps.setdefault(mailbox.casefold(), deque())
        stamps.extend([self.clock()] * count)

    def recipients_in_window(self, mailbox: str, end: float, window: float = 86_400.0) -> int:
        """Recipients ``mailbox`` sent to in the ``window`` seconds up to ``end``."""
        log = self.recipient_log.get(mailbox.casefold(), [])
        return sum(n for at, n in log if end - window < at <= end)

    def _over_budget(self, mailbox: str, recipients: int) -> httpx.Response | None:
        """Exchange's recipient rate limit: a 429 until enough of the last 24 hours expires."""
        if self.recipients_per_day is None:
            return None
        now = self.clock()
        log = [(at, n) for at, n in self.recipient_log.get(mailbox, []) if now - at < 86_400.0]
        used = sum(n for _, n in log)
        if used + recipients <= self.recipients_per_day:
            return None
        self.budget_refused += 1
        freed, wait = used, 86_400.0
        for at, n in log:
            freed -= n
            wait = 86_400.0 - (now - at)
            if freed + recipients <= self.recipients_per_day:
                break
        return _error(
            429,
            "ErrorExceededMessageLimit",
            "Recipient rate limit exceeded: the mailbox sent to more than "
            f"{self.recipients_per_day} recipients in 24 hours.",
            **{"Retry-After": str(max(1, int(wait + 0.999)))},
        )

    def _throttle(self, mailbox: str) -> httpx.Response | None:
        if self.messages_per_minute is None:
            return None
        now = self.clock()
        stamps = self._mail_stamps.setdefault(mailbox, deque())
        while stamps and now - stamps[0] >= 60.0:
            stamps.popleft()
        if len(stamps) >= self.messages_per_minute:
            self.throttled += 1
            wait = max(1, int(60.0 - (now - stamps[0]) + 0.999))
            return _error(
                429,
                "ApplicationThrottled",
                "Application is over its MailboxConcurrency limit.",
                **{"Retry-After": str(wait)},
            )
        stamps.append(now)
        return None

    # ---- Teams Workflows webhook -----------------------------------------------------------
    def _webhook(self, request: httpx.Request) -> httpx.Response:
        if request.method != "POST" or request.url.path != WEBHOOK_PATH:
            raise _Reject(404, "WorkflowNotFound", "The workflow could not be found.")
        if request.url.params.get("sig") != WEBHOOK_SIG:
            return httpx.Response(
                401,
                json={
                    "error": {
                        "code": "DirectApiInvalidAuthorizationSignature",
                        "message": "The provided signature is not valid.",
                    }
                },
            )
        try:
            payload = json.loads(request.content)
        except ValueError:
            raise _Reject(
                400, "InvalidRequestContent", "The request content is not valid JSON."
            ) from None
        attachments = payload.get("attachments") if isinstance(payload, dict) else None
        if (
            payload.get("type") != "message"
            or not isinstance(attachments, list)
            or not all(
                isinstance(a, dict)
                and a.get("contentType") == "application/vnd.microsoft.card.adaptive"
                and isinstance(a.get("content"), dict)
                for a in attachments
            )
        ):
            raise _Reject(
                400,
                "InvalidRequestContent",
                "Expected {type: message, attachments: [adaptive cards]}",
            )
        self.posted.append(payload)
        return httpx.Response(
            202, headers={"x-ms-workflow-run-id": f"08585{uuid.uuid4().int % 10**15:015d}"}
        )

    # ---- SharePoint ------------------------------------------------------------------------
    def _site(self, site: str) -> dict[str, dict[str, Any]]:
        if site not in self.sites:
            raise _Reject(404, "itemNotFound", "Requested site could not be found", record=False)
        self._need("Sites.Selected")
        if site not in self.granted_sites:
            raise _Reject(403, "accessDenied", "Access denied", record=False)
        return self.sites[site]

    def _list(self, site: str, list_id: str) -> dict[str, Any]:
        lists = self._site(site)
        for data in lists.values():
            if list_id in (data["id"], data["displayName"]):
                return data
        raise _Reject(404, "itemNotFound", "The specified list was not found", record=False)

    def _get_site(self, request: httpx.Request, site: str) -> httpx.Response:
        self._site(site)
        params = self._params(request, {"$select"})
        data = {
            "id": site,
            "displayName": "Safeguarding",
            "name": "Safeguarding",
            "webUrl": SITE_URL,
            "createdDateTime": "2024-09-01T08:00:00Z",
        }
        return self._json(self._select(data, params.get("$select"), "site") | {"id": site})

    def _lists(self, request: httpx.Request, site: str) -> httpx.Response:
        lists = self._site(site)
        params = self._params(request, {"$select", "$skiptoken", "$top"})
        path = f"/sites/{site}/lists"
        if "$skiptoken" in params:
            return self._json(self._continue(path, params["$skiptoken"]))
        items = [
            self._select(self._list_json(x), params.get("$select"), "list") for x in lists.values()
        ]
        return self._json(self._page(path, items, {}))

    @staticmethod
    def _list_json(data: dict[str, Any]) -> dict[str, Any]:
        return {
            "@odata.etag": f'"{data["id"]},1"',
            "id": data["id"],
            "displayName": data["displayName"],
            "name": data["name"],
            "createdDateTime": "2026-11-02T09:30:00Z",
            "webUrl": f"https://oakfield.sharepoint.com/sites/safeguarding/Lists/{data['name']}",
            "list": {"template": "genericList", "hidden": False, "contentTypesEnabled": False},
        }

    @staticmethod
    def _builtin_columns() -> list[dict[str, Any]]:
        def col(cid: str, name: str, label: str, **extra: Any) -> dict[str, Any]:
            return {
                "id": cid,
                "name": name,
                "displayName": label,
                "columnGroup": "Custom Columns",
                "description": "",
                "enforceUniqueValues": False,
                "hidden": False,
                "indexed": False,
                "readOnly": False,
                "required": False,
                **extra,
            }

        return [
            col(
                TITLE_COLUMN_ID,
                "Title",
                "Title",
                required=True,
                text={"allowMultipleLines": False, "maxLength": 255},
            ),
            col("1d22ea11-1e32-424e-89ab-9fedbadb6ce1", "ID", "ID", readOnly=True, number={}),
            col(
                "8c06beca-0777-48f7-91c7-6da68bc07b69",
                "Created",
                "Created",
                readOnly=True,
                dateTime={},
            ),
            col(
                "28cf69c5-fa48-462a-b5cd-27b6f9d2bd5f",
                "Modified",
                "Modified",
                readOnly=True,
                dateTime={},
            ),
            col(
                "1df5e554-ec7e-46a6-901d-d85a3881cb18",
                "Author",
                "Created By",
                readOnly=True,
                personOrGroup={},
            ),
            col(
                "d31655d1-1d5b-4511-95a1-7a09e9b75bf2",
                "Editor",
                "Modified By",
                readOnly=True,
                personOrGroup={},
            ),
        ]

    def _check_column(self, body: dict[str, Any], taken: set[str]) -> dict[str, Any]:
        name = body.get("name")
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,31}", name):
            raise _Reject(
                400, "invalidRequest", f"Column name '{name}' contains invalid characters."
            )
        if name.casefold() in taken:
            raise _Reject(409, "nameAlreadyExists", f'A duplicate field name "{name}" was found.')
        if not isinstance(body.get("text"), dict):
            raise _Reject(400, "invalidRequest", "The fake only creates text columns")
        multiline = bool(body["text"].get("allowMultipleLines"))
        # a multi-line plain text column ("Note") holds up to 63,999 characters
        max_length = 63_999 if multiline else body["text"].get("maxLength", 255)
        return {
            "id": str(self._uuid()),
            "name": name,
            "displayName": body.get("displayName") or name,
            "columnGroup": "Custom Columns",
            "description": "",
            "enforceUniqueValues": False,
            "hidden": False,
            "indexed": bool(body.get("indexed", False)),
            "readOnly": False,
            "required": False,
            "text": {"allowMultipleLines": multiline, "maxLength": max_length},
        }

    def _create_list(self, request: httpx.Request, site: str) -> httpx.Response:
        lists = self._site(site)
        self._params(request, set())
        body = self._body(request)
        name = body.get("displayName")
        if not isinstance(name, str) or not name.strip():
            raise _Reject(400, "invalidRequest", "displayName is required")
        if (body.get("list") or {}).get("template") != "genericList":
            raise _Reject(400, "invalidRequest", "The fake only creates genericList lists")
        if any(x["displayName"].casefold() == name.casefold() for x in lists.values()):
            raise _Reject(409, "nameAlreadyExists", "The specified name is already in use.")
        columns = self._builtin_columns()
        for spec in body.get("columns") or []:
            columns.append(self._check_column(spec, {c["name"].casefold() for c in columns}))
        list_id = str(self._uuid())
        lists[list_id] = {
            "id": list_id,
            "displayName": name,
            "name": re.sub(r"\W", "", name),
            "columns": columns,
            "items": {},
            "next": 1,
        }
        return self._json(self._list_json(lists[list_id]), 201)

    def _columns(self, request: httpx.Request, site: str, list_id: str) -> httpx.Response:
        data = self._list(site, list_id)
        self._params(request, {"$select"})
        return self._json(
            {"@odata.context": f"{self.graph}/$metadata#columns", "value": data["columns"]}
        )

    def _create_column(self, request: httpx.Request, site: str, list_id: str) -> httpx.Response:
        data = self._list(site, list_id)
        self._params(request, set())
        column = self._check_column(
            self._body(request), {c["name"].casefold() for c in data["columns"]}
        )
        data["columns"].append(column)
        return self._json(column, 201)

    def _update_column(
        self, request: httpx.Request, site: str, list_id: str, column: str
    ) -> httpx.Response:
        data = self._list(site, list_id)
        self._params(request, set())
        body = self._body(request)
        found = next((c for c in data["columns"] if c["id"] == column), None)
        if found is None:
            raise _Reject(404, "itemNotFound", "Column not found", record=False)
        unknown = set(body) - {"indexed", "@odata.type", "description", "displayName"}
        if unknown or found["readOnly"]:
            raise _Reject(
                400, "invalidRequest", f"Cannot update {sorted(unknown) or 'a read-only column'}"
            )
        found.update({k: v for k, v in body.items() if not k.startswith("@")})
        return self._json(found)

    def _fields_json(
        self, data: dict[str, Any], item_id: str, select: list[str] | None
    ) -> dict[str, Any]:
        fields = data["items"][item_id]
        shown = {k: v for k, v in fields.items() if select is None or k in select}
        return {"@odata.etag": f'"{item_id},1"', "id": item_id, **shown}

    def _items(self, request: httpx.Request, site: str, list_id: str) -> httpx.Response:
        data = self._list(site, list_id)
        params = self._params(request, {"$filter", "$expand", "$select", "$top", "$skiptoken"})
        path = f"/sites/{site}/lists/{list_id}/items"
        if "$skiptoken" in params:
            return self._json(self._continue(path, params["$skiptoken"]))
        ids = sorted(data["items"], key=int)
        flt = params.get("$filter")
        if flt:
            match = re.fullmatch(rf"fields/(\w+) eq ({_LITERAL})", flt)
            if not match:
                raise _Reject(400, "invalidRequest", f"Invalid filter clause: {flt}")
            name, value = match.group(1), _literals(match.group(2))[0]
            column = next((c for c in data["columns"] if c["name"] == name), None)
            if column is None:
                raise _Reject(400, "invalidRequest", f"Field '{name}' is not recognized")
            prefer = request.headers.get("Prefer", "")
            if (
                not column["indexed"]
                and "HonorNonIndexedQueriesWarningMayFailRandomly" not in prefer
            ):
                raise _Reject(
                    400,
                    "invalidRequest",
                    f"Field '{name}' cannot be referenced in filter or orderby as it is not "
                    "indexed. Provide the 'Prefer: HonorNonIndexedQueriesWarningMayFailRandomly' "
                    "header to allow this, but be warned that such queries may fail on large "
                    "lists.",
                    record=False,
                )
            ids = [i for i in ids if data["items"][i].get(name) == value]
        expand = params.get("$expand")
        select_fields: list[str] | None = None
        if expand:
            match = re.fullmatch(r"fields(?:\(\$select=([\w,]+)\))?", expand)
            if not match:
                raise _Reject(400, "invalidRequest", f"Invalid $expand: {expand}")
            select_fields = match.group(1).split(",") if match.group(1) else None
        items = []
        for item_id in ids:
            item: dict[str, Any] = {"@odata.etag": f'"{item_id},1"', "id": item_id}
            if expand:
                item["fields"] = self._fields_json(data, item_id, select_fields)
            items.append(item)
        return self._json(self._page(path, items, {}, size=100))

    def _check_fields(self, data: dict[str, Any], fields: Any) -> dict[str, str]:
        if not isinstance(fields, dict):
            raise _Reject(400, "invalidRequest", "fields must be an object")
        columns = {c["name"]: c for c in data["columns"]}
        clean: dict[str, str] = {}
        for name, value in fields.items():
            if name.startswith("@odata"):
                continue
            column = columns.get(name)
            if column is None:
                raise _Reject(400, "invalidRequest", f"Field '{name}' is not recognized")
            if column["readOnly"]:
                raise _Reject(400, "invalidRequest", f"Field '{name}' is read-only")
            if not isinstance(value, str):
                raise _Reject(400, "invalidRequest", f"Field '{name}' expects text")
            lines_ok = column["text"]["allowMultipleLines"] or "\n" not in value
            if len(value) > column["text"]["maxLength"] or not lines_ok:
                raise _Reject(
                    400,
                    "invalidRequest",
                    f"The value of field '{name}' is too long or has line breaks",
                )
            clean[name] = value
        return clean

    def _create_item(self, request: httpx.Request, site: str, list_id: str) -> httpx.Response:
        data = self._list(site, list_id)
        self._params(request, set())
        body = self._body(request)
        fields = self._check_fields(data, body.get("fields"))
        if not fields.get("Title"):
            raise _Reject(400, "invalidRequest", "Field 'Title' is required")
        item_id = str(data["next"])
        data["next"] += 1
        data["items"][item_id] = fields
        return self._json(
            {
                "@odata.etag": f'"{item_id},1"',
                "id": item_id,
                "fields": self._fields_json(data, item_id, None),
            },
            201,
        )

    def _update_fields(
        self, request: httpx.Request, site: str, list_id: str, item: str
    ) -> httpx.Response:
        data = self._list(site, list_id)
        self._params(request, set())
        if item not in data["items"]:
            raise _Reject(404, "itemNotFound", "Item not found", record=False)
        data["items"][item].update(self._check_fields(data, self._body(request)))
        return self._json(self._fields_json(data, item, None))

    def rows_of(self, list_name: str, site: str = SITE_ID) -> dict[str, dict[str, str]]:
        """The mirror as a person would see it: reference -> {column display name: value}."""
        for data in self.sites[site].values():
            if data["displayName"] == list_name:
                labels = {c["name"]: c["displayName"] for c in data["columns"]}
                return {
                    fields["Title"]: {labels[k]: v for k, v in fields.items()}
                    | {"reference": fields["Title"]}
                    for fields in data["items"].values()
                }
        return {}


def _graph_path(request: httpx.Request) -> str:
    """The decoded path after ``/v1.0``."""
    path = request.url.path
    return path[len("/v1.0") :] if path.startswith("/v1.0") else path


def tenants(*fakes: FakeGraph) -> httpx.MockTransport:
    """One transport for several tenants, as Entra ID and Graph are one service for all: a
    token request goes to the tenant its path names, a Graph or Bot Connector call to the
    tenant that issued its bearer token. Anything else is refused as they refuse it (an
    unknown tenant: 400 ``invalid_tenant`` from the first fake; a token no tenant issued: 401).
    """
    by_tenant = {fake.tenant_id: fake for fake in fakes}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == fakes[0].login_host:
            tenant = request.url.path.strip("/").split("/")[0]
            return by_tenant.get(tenant, fakes[0]).handler(request)
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        for fake in fakes:
            if token in fake.tokens:
                return fake.handler(request)
        if not token:  # no token (a Workflows webhook): the first tenant's
            return fakes[0].handler(request)
        return httpx.Response(
            401,
            json={
                "error": {
                    "code": "InvalidAuthenticationToken",
                    "message": "Access token validation failure.",
                }
            },
        )

    return httpx.MockTransport(handler)


__all__ = [
    "CLIENT_ID",
    "CLIENT_SECRET",
    "FORMS_LIST",
    "GRAPH",
    "SENDER",
    "SITE_ID",
    "SITE_URL",
    "TEAMS_LIMITS",
    "TENANT_ID",
    "WEBHOOK_URL",
    "FakeClock",
    "FakeGraph",
    "SentMail",
    "tenants",
]
