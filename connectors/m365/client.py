"""The only module that imports msgraph-sdk, kiota and azure-identity — and only lazily.

``GraphClient`` owns one dedicated event-loop thread. The SDK is async-only and its
``httpx.AsyncClient`` binds to the loop it first runs on, so the SDK client is built on that
thread and every call is submitted to it; the sync connector protocols block on the result
(PLATFORM-FACTS: "Async only"). Reads keep the SDK's retry middleware (GETs are safe to repeat);
``sendMail`` switches it off, because Graph has no idempotency key and a 503/504 may have sent.

Every failure becomes a :class:`GraphCallError` carrying plain facts (HTTP status, Graph's error
code and message, ``Retry-After``, whether the request may have reached Graph, whether the token
could not be had). ``connector.py`` decides what those facts mean for the outbox.

Example::

    client = GraphClient.from_settings(settings.m365)
    page = client.users_delta(None, select=("id", "displayName"))
    client.close()

Tests pass ``transport=httpx.MockTransport(handler)``: Graph calls then run through the SDK's real
middleware (retry, redirect, parameter decoding, telemetry) and serialisation, and
azure-identity's token requests go through the same handler (see :func:`build_credential`).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import importlib
import json
import re
import threading
import warnings
import weakref
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar
from urllib.parse import urlsplit

import httpx

if TYPE_CHECKING:
    from bot.core.settings import M365Settings

__all__ = [
    "DEFAULT_TIMEOUT",
    "DeltaPage",
    "GraphCallError",
    "GraphClient",
    "GraphGroup",
    "GraphUser",
    "ListColumn",
    "ListItemRecord",
    "ManagerRef",
    "SharePointList",
    "build_credential",
    "exception_chain",
    "parse_retry_after",
]

DEFAULT_TIMEOUT = 60.0
T = TypeVar("T")
# Every generated request builder module warns (DeprecationWarning) about its own nested
# configuration classes when it is *imported*. These are the builders the client navigates; they
# are imported once, up front, with that one warning silenced (see _load_sdk).
_BUILDERS = tuple(
    f"msgraph.generated.{name}"
    for name in (
        "users.users_request_builder",
        "users.delta.delta_request_builder",
        "users.item.user_item_request_builder",
        "users.item.send_mail.send_mail_request_builder",
        "groups.groups_request_builder",
        "groups.delta.delta_request_builder",
        "groups.item.group_item_request_builder",
        "groups.item.members.members_request_builder",
        "sites.sites_request_builder",
        "sites.item.site_item_request_builder",
        "sites.item.lists.lists_request_builder",
        "sites.item.lists.item.list_item_request_builder",
        "sites.item.lists.item.columns.columns_request_builder",
        "sites.item.lists.item.columns.item.column_definition_item_request_builder",
        "sites.item.lists.item.items.items_request_builder",
        "sites.item.lists.item.items.item.list_item_item_request_builder",
        "sites.item.lists.item.items.item.fields.fields_request_builder",
        "drives.drives_request_builder",
        "drives.item.drive_item_request_builder",
        "drives.item.items.items_request_builder",
        "drives.item.items.item.drive_item_item_request_builder",
        "drives.item.items.item.workbook.workbook_request_builder",
        "drives.item.items.item.workbook.tables.tables_request_builder",
        "drives.item.items.item.workbook.tables.item.workbook_table_item_request_builder",
        "drives.item.items.item.workbook.tables.item.header_row_range."
        "header_row_range_request_builder",
        "drives.item.items.item.workbook.tables.item.rows.rows_request_builder",
    )
)
_SDK_DEPRECATION = "This class is deprecated. Please use the generic RequestConfiguration"
_sdk_loaded = False
_AADSTS = re.compile(r"AADSTS(\d+)")


# --------------------------------------------------------------------------- plain records


class GraphCallError(Exception):
    """One failed Graph (or token) call, as plain facts; ``str()`` is safe to log.

    Args:
        message: what failed, with Graph's code and message (never a secret or a token).
        status: the HTTP status, when a response arrived.
        code: Graph's ``error.code`` (or ``AADSTS<n>`` for token failures).
        retry_after: seconds from ``Retry-After``, when present.
        sent: False only when the request certainly never reached the service.
        token: True when the failure was getting an access token from Entra ID.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        retry_after: float | None = None,
        sent: bool = True,
        token: bool = False,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.retry_after = retry_after
        self.sent = sent
        self.token = token


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


# --------------------------------------------------------------------------- credentials


def build_credential(m365: M365Settings, *, transport: httpx.BaseTransport | None = None) -> Any:
    """An azure-identity credential for app-only auth (certificate preferred over secret).

    Args:
        m365: the settings; ``tenant_id``, ``client_id`` and a secret or certificate are required.
        transport: when given, token requests go through it (tests); else azure-core's default.

    Returns:
        ``CertificateCredential`` or ``ClientSecretCredential`` for ``authority_host``.
    """
    from azure.identity import CertificateCredential, ClientSecretCredential

    if not m365.tenant_id or not m365.client_id:
        raise ValueError("tenant_id and client_id are required")
    options: dict[str, Any] = {"authority": m365.authority_host}
    if transport is not None:
        options["transport"] = _azure_transport(transport)
    if m365.certificate_path is not None:
        return CertificateCredential(
            m365.tenant_id, m365.client_id, certificate_path=str(m365.certificate_path), **options
        )
    if m365.client_secret is None:
        raise ValueError("client_secret or certificate_path is required")
    return ClientSecretCredential(
        m365.tenant_id, m365.client_id, m365.client_secret.get_secret_value(), **options
    )


def _azure_transport(transport: httpx.BaseTransport) -> Any:
    """An azure-core transport that sends through an httpx transport (one seam for tests)."""
    import io

    import requests
    import urllib3
    from azure.core.pipeline.transport import RequestsTransport
    from requests.adapters import BaseAdapter

    class _HttpxAdapter(BaseAdapter):
        """A requests adapter over an httpx transport (azure-core's default is requests)."""

        def __init__(self) -> None:
            super().__init__()
            self._client = httpx.Client(transport=transport)

        def send(  # type: ignore[override]  # requests' signature is untyped and wide
            self, request: requests.PreparedRequest, **kwargs: Any
        ) -> requests.Response:
            # azure-core's token requests carry a str or bytes body, never a stream.
            raw: Any = request.body
            body = raw.encode() if isinstance(raw, str) else raw
            headers = {k: str(v) for k, v in request.headers.items()}
            answer = self._client.request(
                request.method or "GET", request.url or "", headers=headers, content=body
            )
            response = requests.Response()
            response.status_code = answer.status_code
            response.headers = requests.structures.CaseInsensitiveDict(answer.headers)
            response._content = answer.content
            response.url = request.url or ""
            response.request = request
            response.encoding = answer.encoding
            response.raw = urllib3.response.HTTPResponse(
                body=io.BytesIO(answer.content),
                headers=dict(answer.headers),
                status=answer.status_code,
                preload_content=False,
            )
            return response

        def close(self) -> None:
            self._client.close()

    session = requests.Session()
    session.mount("https://", _HttpxAdapter())
    session.mount("http://", _HttpxAdapter())
    return RequestsTransport(session=session, session_owner=True)


# --------------------------------------------------------------------------- the loop thread


def _load_sdk() -> None:
    """Import msgraph and the request builders we use, without their import-time warning."""
    global _sdk_loaded
    if _sdk_loaded:
        return
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_SDK_DEPRECATION, category=DeprecationWarning)
        import msgraph  # noqa: F401 - imported for its side effect of loading the SDK

        for name in _BUILDERS:
            importlib.import_module(name)
    _sdk_loaded = True


class _LoopThread:
    """One event loop on one daemon thread; coroutines are submitted from other threads."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._main, name="graph-client-loop", daemon=True)
        self.thread.start()

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_forever()
        finally:
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.close()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the loop and wait for its result (never from the loop thread)."""
        if threading.current_thread() is self.thread:
            coro.close()
            raise RuntimeError("GraphClient was called from its own event-loop thread")
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()


def _shutdown(worker: _LoopThread, holder: list[Any], credential: Any) -> None:
    """Close the httpx client on its loop, stop the loop, close the credential (idempotent)."""

    async def stop() -> None:
        for http in holder:
            with contextlib.suppress(Exception):  # best effort while shutting down
                await http.aclose()
        worker.loop.stop()

    if not worker.loop.is_closed() and worker.thread.is_alive():
        asyncio.run_coroutine_threadsafe(stop(), worker.loop)
        if threading.current_thread() is not worker.thread:
            worker.thread.join(timeout=5)
    close = getattr(credential, "close", None)
    if callable(close):
        with contextlib.suppress(Exception):  # best effort while shutting down
            close()


# --------------------------------------------------------------------------- the client


class GraphClient:
    """Microsoft Graph through msgraph-sdk, callable from sync code.

    The loop thread and the SDK client start on first use, so building connectors is cheap and
    does not import msgraph.

    Args:
        credential: an azure-identity ``TokenCredential`` (see :func:`build_credential`).
        graph_endpoint: the Graph base URL, e.g. ``https://graph.microsoft.us/v1.0``.
        transport: an httpx async transport (tests); ``None`` means the network.
        timeout: seconds for each HTTP read (connect is capped at 10 s).
    """

    def __init__(
        self,
        credential: Any,
        *,
        graph_endpoint: str = "https://graph.microsoft.com/v1.0",
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        parts = urlsplit(graph_endpoint)
        if parts.scheme != "https" or not parts.hostname:
            raise ValueError(f"graph_endpoint must be an https URL (got {graph_endpoint!r})")
        self.endpoint = graph_endpoint.rstrip("/")
        self.host = parts.hostname
        self._credential = credential
        self._transport = transport
        self._timeout = timeout
        self._lock = threading.Lock()
        self._worker: _LoopThread | None = None
        self._graph: Any = None
        self._http: list[Any] = []
        self._finalizer: weakref.finalize[Any, Any] | None = None

    @classmethod
    def from_settings(
        cls, m365: M365Settings, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> GraphClient:
        """Build from settings; a sync-capable ``transport`` also carries the token requests."""
        token_transport = transport if isinstance(transport, httpx.BaseTransport) else None
        credential = build_credential(m365, transport=token_transport)
        return cls(credential, graph_endpoint=m365.graph_endpoint, transport=transport)

    # ---- lifecycle ---------------------------------------------------------------------
    def _ensure(self) -> tuple[_LoopThread, Any]:
        with self._lock:
            if self._worker is None:
                _load_sdk()
                worker = _LoopThread()
                self._worker = worker
                self._finalizer = weakref.finalize(
                    self, _shutdown, worker, self._http, self._credential
                )
                self._graph = worker.run(self._build())
            return self._worker, self._graph

    async def _build(self) -> Any:
        """Build the httpx client and the SDK on the loop thread (it binds to this loop)."""
        from kiota_authentication_azure.azure_identity_authentication_provider import (
            AzureIdentityAuthenticationProvider,
        )
        from msgraph.graph_request_adapter import GraphRequestAdapter
        from msgraph.graph_request_adapter import options as graph_options
        from msgraph.graph_service_client import GraphServiceClient
        from msgraph_core import GraphClientFactory

        timeout = httpx.Timeout(self._timeout, connect=min(10.0, self._timeout))
        if self._transport is not None:
            http = httpx.AsyncClient(transport=self._transport, timeout=timeout)
        else:
            http = httpx.AsyncClient(timeout=timeout)
        self._http.append(http)
        http = GraphClientFactory.create_with_default_middleware(
            client=http, options=dict(graph_options)
        )
        # The scope and the hosts a token may be sent to follow the configured (national) cloud.
        auth = AzureIdentityAuthenticationProvider(
            self._credential,
            scopes=[f"https://{self.host}/.default"],
            allowed_hosts=[self.host],
        )
        adapter = GraphRequestAdapter(auth, client=http)
        adapter.base_url = self.endpoint
        return GraphServiceClient(request_adapter=adapter)

    def close(self) -> None:
        """Stop the loop thread and close the HTTP client and the credential."""
        if self._finalizer is not None:
            self._finalizer()

    def __enter__(self) -> GraphClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, what: str, make: Callable[[Any], Awaitable[T]]) -> T:
        """Run ``make(graph_service_client)`` on the loop; translate every failure."""
        worker, graph = self._ensure()

        async def call() -> T:
            try:
                return await make(graph)
            except GraphCallError:
                raise
            except Exception as exc:
                error = _translate(exc, what)
                if error is None:
                    raise  # a programming error: never disguise it as a platform failure
                raise error from exc

        return worker.run(call())

    def _check_link(self, link: str) -> str:
        """Only follow next/delta links on the configured Graph host (a cursor is data)."""
        if urlsplit(link).hostname != self.host or not link.startswith(self.endpoint):
            raise GraphCallError(
                f"refusing to follow a link outside {self.endpoint}", status=None, sent=False
            )
        return link

    # ---- token -------------------------------------------------------------------------
    def token(self) -> None:
        """Acquire an access token for Graph (proves tenant, app id and secret/certificate)."""
        try:
            # enable_cae as kiota's provider asks: azure-identity caches CAE and non-CAE tokens
            # apart, and the token proved here should be the one Graph calls then use.
            self._credential.get_token(f"https://{self.host}/.default", enable_cae=True)
        except Exception as exc:
            error = _translate(exc, "getting a token")
            if error is None:
                raise
            raise error from exc

    # ---- directory ---------------------------------------------------------------------
    def users_delta(self, link: str | None, *, select: Sequence[str]) -> DeltaPage[GraphUser]:
        """One page of ``/users/delta()``: the first round when ``link`` is None."""

        async def call(graph: Any) -> DeltaPage[GraphUser]:
            from kiota_abstractions.base_request_configuration import RequestConfiguration
            from msgraph.generated.users.delta.delta_request_builder import DeltaRequestBuilder

            builder = graph.users.delta
            if link:
                response = await builder.with_url(self._check_link(link)).get()
            else:
                query = DeltaRequestBuilder.DeltaRequestBuilderGetQueryParameters(
                    select=list(select)
                )
                response = await builder.get(RequestConfiguration(query_parameters=query))
            return _delta_page(response, _user)

        return self._call("reading /users/delta()", call)

    def groups_delta(
        self, link: str | None, *, select: Sequence[str], filter: str | None = None
    ) -> DeltaPage[GraphGroup]:
        """One page of ``/groups/delta()``: the first round when ``link`` is None."""

        async def call(graph: Any) -> DeltaPage[GraphGroup]:
            from kiota_abstractions.base_request_configuration import RequestConfiguration
            from msgraph.generated.groups.delta.delta_request_builder import DeltaRequestBuilder

            builder = graph.groups.delta
            if link:
                response = await builder.with_url(self._check_link(link)).get()
            else:
                query = DeltaRequestBuilder.DeltaRequestBuilderGetQueryParameters(
                    select=list(select), filter=filter
                )
                response = await builder.get(RequestConfiguration(query_parameters=query))
            return _delta_page(response, _group)

        return self._call("reading /groups/delta()", call)

    def users(
        self,
        *,
        select: Sequence[str],
        filter: str | None = None,
        expand_manager: bool = False,
        top: int | None = None,
        all_pages: bool = True,
    ) -> list[GraphUser]:
        """``GET /users`` (optionally with the manager expanded), following ``@odata.nextLink``."""

        async def call(graph: Any) -> list[GraphUser]:
            from kiota_abstractions.base_request_configuration import RequestConfiguration
            from msgraph.generated.users.users_request_builder import UsersRequestBuilder

            expand = ["manager($select=id,mail,userPrincipalName)"] if expand_manager else None
            query = UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(
                select=list(select), filter=filter, expand=expand, top=top
            )
            response = await graph.users.get(RequestConfiguration(query_parameters=query))
            found: list[GraphUser] = []
            while response is not None:
                found.extend(
                    _user(u, expanded_manager=expand_manager) for u in response.value or []
                )
                if not all_pages or not response.odata_next_link:
                    break
                link = self._check_link(response.odata_next_link)
                response = await graph.users.with_url(link).get()
            return found

        return self._call("reading /users", call)

    def user(self, user_id: str, *, select: Sequence[str]) -> GraphUser:
        """``GET /users/{id | userPrincipalName}``."""

        async def call(graph: Any) -> GraphUser:
            from kiota_abstractions.base_request_configuration import RequestConfiguration
            from msgraph.generated.users.item.user_item_request_builder import (
                UserItemRequestBuilder,
            )

            query = UserItemRequestBuilder.UserItemRequestBuilderGetQueryParameters(
                select=list(select)
            )
            found = await graph.users.by_user_id(user_id).get(
                RequestConfiguration(query_parameters=query)
            )
            if found is None:
                raise GraphCallError(f"user {user_id} came back empty", status=404)
            return _user(found)

        return self._call(f"reading user {user_id}", call)

    def groups(
        self,
        *,
        select: Sequence[str],
        filter: str | None = None,
        top: int | None = None,
        all_pages: bool = True,
    ) -> list[GraphGroup]:
        """``GET /groups``, following ``@odata.nextLink``."""

        async def call(graph: Any) -> list[GraphGroup]:
            from kiota_abstractions.base_request_configuration import RequestConfiguration
            from msgraph.generated.groups.groups_request_builder import GroupsRequestBuilder

            query = GroupsRequestBuilder.GroupsRequestBuilderGetQueryParameters(
                select=list(select), filter=filter, top=top
            )
            response = await graph.groups.get(RequestConfiguration(query_parameters=query))
            found: list[GraphGroup] = []
            while response is not None:
                found.extend(_group(g) for g in response.value or [])
                if not all_pages or not response.odata_next_link:
                    break
                link = self._check_link(response.odata_next_link)
                response = await graph.groups.with_url(link).get()
            return found

        return self._call("reading /groups", call)

    def group_member_ids(self, group_id: str, *, top: int = 1) -> list[str]:
        """The first ``top`` member ids of a group (a permission probe)."""

        async def call(graph: Any) -> list[str]:
            from kiota_abstractions.base_request_configuration import RequestConfiguration
            from msgraph.generated.groups.item.members.members_request_builder import (
                MembersRequestBuilder,
            )

            query = MembersRequestBuilder.MembersRequestBuilderGetQueryParameters(
                select=["id"], top=top
            )
            response = await graph.groups.by_group_id(group_id).members.get(
                RequestConfiguration(query_parameters=query)
            )
            return [str(m.id) for m in (response.value if response else None) or []]

        return self._call("reading group members", call)

    # ---- mail --------------------------------------------------------------------------
    def send_mime(self, sender: str, mime: bytes) -> str | None:
        """``POST /users/{sender}/sendMail`` with a base64 MIME body, exactly once.

        Graph's JSON message has one body (text *or* HTML), so the message goes as MIME
        (Graph's documented "send mail in MIME format": ``Content-Type: text/plain``, base64).
        The SDK's RetryHandler is switched off for this request. Returns Graph's request-id.
        """

        async def call(graph: Any) -> str | None:
            from kiota_abstractions.method import Method
            from kiota_abstractions.request_information import RequestInformation

            builder = graph.users.by_user_id(sender).send_mail
            info = RequestInformation(Method.POST, builder.url_template, builder.path_parameters)
            _once_native(info)
            info.headers.try_add("Accept", "application/json")
            info.set_stream_content(base64.b64encode(mime), "text/plain")
            response = await graph.request_adapter.send_no_response_content_async(info, None)
            _raise_for_native(response, "sendMail")
            return response.headers.get("request-id")  # type: ignore[no-any-return]

        return self._call("sendMail", call)

    def send_probe(self, sender: str) -> None:
        """A sendMail that cannot deliver (no recipients): 400 proves Mail.Send, 403 its absence.

        Exchange checks the app's right to the mailbox before it validates the message, so
        ``ErrorInvalidRecipients`` (400) means "allowed" and nothing is sent.
        """

        async def call(graph: Any) -> None:
            from kiota_abstractions.base_request_configuration import RequestConfiguration
            from msgraph.generated.models.body_type import BodyType
            from msgraph.generated.models.item_body import ItemBody
            from msgraph.generated.models.message import Message
            from msgraph.generated.users.item.send_mail.send_mail_post_request_body import (
                SendMailPostRequestBody,
            )

            body = SendMailPostRequestBody(
                message=Message(
                    subject="compliance-bot permission check (never delivered)",
                    body=ItemBody(content_type=BodyType.Text, content="permission check"),
                    to_recipients=[],
                ),
                save_to_sent_items=False,
            )
            config: Any = RequestConfiguration(options=[_no_retry()])
            await graph.users.by_user_id(sender).send_mail.post(body, config)

        self._call("sendMail (probe)", call)

    # ---- SharePoint --------------------------------------------------------------------
    def lists(self, site_id: str) -> list[SharePointList]:
        """``GET /sites/{site}/lists`` (id and displayName), following ``@odata.nextLink``."""

        async def call(graph: Any) -> list[SharePointList]:
            from kiota_abstractions.base_request_configuration import RequestConfiguration
            from msgraph.generated.sites.item.lists.lists_request_builder import (
                ListsRequestBuilder,
            )

            builder = graph.sites.by_site_id(site_id).lists
            query = ListsRequestBuilder.ListsRequestBuilderGetQueryParameters(
                select=["id", "displayName"]
            )
            response = await builder.get(RequestConfiguration(query_parameters=query))
            found: list[SharePointList] = []
            while response is not None:
                found.extend(
                    SharePointList(id=str(x.id), display_name=str(x.display_name or ""))
                    for x in response.value or []
                )
                if not response.odata_next_link:
                    break
                response = await builder.with_url(self._check_link(response.odata_next_link)).get()
            return found

        return self._call("reading the site's lists", call)

    def create_list(
        self, site_id: str, display_name: str, columns: Sequence[tuple[str, str]]
    ) -> SharePointList:
        """``POST /sites/{site}/lists``: a generic list with single-line text columns.

        ``columns`` are ``(internal name, display name)`` pairs.
        """

        async def call(graph: Any) -> SharePointList:
            from msgraph.generated.models.list_ import List_
            from msgraph.generated.models.list_info import ListInfo

            body = List_(
                display_name=display_name,
                columns=[_text_column(name, label) for name, label in columns],
                list_=ListInfo(template="genericList"),
            )
            made = await graph.sites.by_site_id(site_id).lists.post(body, _post_once())
            return SharePointList(id=str(made.id), display_name=str(made.display_name or ""))

        return self._call("creating the SharePoint list", call)

    def columns(self, site_id: str, list_id: str) -> list[ListColumn]:
        """``GET /sites/{site}/lists/{list}/columns``."""

        async def call(graph: Any) -> list[ListColumn]:
            builder = graph.sites.by_site_id(site_id).lists.by_list_id(list_id).columns
            response = await builder.get()
            found: list[ListColumn] = []
            while response is not None:
                found.extend(_column(c) for c in response.value or [])
                if not response.odata_next_link:
                    break
                response = await builder.with_url(self._check_link(response.odata_next_link)).get()
            return found

        return self._call("reading the list's columns", call)

    def create_column(self, site_id: str, list_id: str, name: str, display_name: str) -> ListColumn:
        """``POST /sites/{site}/lists/{list}/columns``: a single-line text column."""

        async def call(graph: Any) -> ListColumn:
            builder = graph.sites.by_site_id(site_id).lists.by_list_id(list_id).columns
            return _column(await builder.post(_text_column(name, display_name), _post_once()))

        return self._call("adding a list column", call)

    def index_column(self, site_id: str, list_id: str, column_id: str) -> None:
        """``PATCH .../columns/{id} {"indexed": true}`` so ``$filter`` on it is reliable."""

        async def call(graph: Any) -> None:
            from msgraph.generated.models.column_definition import ColumnDefinition

            builder = (
                graph.sites.by_site_id(site_id)
                .lists.by_list_id(list_id)
                .columns.by_column_definition_id(column_id)
            )
            await builder.patch(ColumnDefinition(indexed=True))

        self._call("indexing a list column", call)

    def find_items(
        self, site_id: str, list_id: str, *, column: str, value: str, non_indexed: bool = False
    ) -> list[ListItemRecord]:
        """Items whose ``column`` equals ``value`` (``$filter=fields/<column> eq '<value>'``).

        ``non_indexed`` sends ``Prefer: HonorNonIndexedQueriesWarningMayFailRandomly``, which
        SharePoint needs for a filter on a column that is not indexed.
        """

        async def call(graph: Any) -> list[ListItemRecord]:
            from kiota_abstractions.base_request_configuration import RequestConfiguration
            from msgraph.generated.sites.item.lists.item.items.items_request_builder import (
                ItemsRequestBuilder,
            )

            literal = value.replace("'", "''")
            query = ItemsRequestBuilder.ItemsRequestBuilderGetQueryParameters(
                filter=f"fields/{column} eq '{literal}'",
                expand=[f"fields($select={column})"],
                select=["id"],
            )
            config: Any = RequestConfiguration(query_parameters=query)
            if non_indexed:
                config.headers.add("Prefer", "HonorNonIndexedQueriesWarningMayFailRandomly")
            builder = graph.sites.by_site_id(site_id).lists.by_list_id(list_id).items
            response = await builder.get(config)
            found: list[ListItemRecord] = []
            while response is not None:
                found.extend(_item(i) for i in response.value or [])
                if not response.odata_next_link:
                    break
                link = self._check_link(response.odata_next_link)
                response = await builder.with_url(link).get(config)
            return found

        return self._call("finding a list item", call)

    def create_item(self, site_id: str, list_id: str, fields: Mapping[str, str]) -> ListItemRecord:
        """``POST /sites/{site}/lists/{list}/items {"fields": {...}}``."""

        async def call(graph: Any) -> ListItemRecord:
            from msgraph.generated.models.field_value_set import FieldValueSet
            from msgraph.generated.models.list_item import ListItem

            builder = graph.sites.by_site_id(site_id).lists.by_list_id(list_id).items
            body = ListItem(fields=FieldValueSet(additional_data=dict(fields)))
            return _item(await builder.post(body, _post_once()))

        return self._call("creating a list item", call)

    def update_item(
        self, site_id: str, list_id: str, item_id: str, fields: Mapping[str, str]
    ) -> None:
        """``PATCH /sites/{site}/lists/{list}/items/{id}/fields {...}``."""

        async def call(graph: Any) -> None:
            from msgraph.generated.models.field_value_set import FieldValueSet

            builder = (
                graph.sites.by_site_id(site_id)
                .lists.by_list_id(list_id)
                .items.by_list_item_id(item_id)
                .fields
            )
            await builder.patch(FieldValueSet(additional_data=dict(fields)))

        self._call("updating a list item", call)

    # ---- workbook (Microsoft Forms) ----------------------------------------------------
    def table_header(self, drive_id: str, item_id: str, table: str) -> list[str]:
        """The table's header cells (``.../tables/{t}/headerRowRange``)."""

        async def call(graph: Any) -> list[str]:
            builder = _table(graph, drive_id, item_id, table).header_row_range
            info = builder.to_get_request_information()
            data = await _get_json(graph, info, "reading the workbook header")
            rows = data.get("values") or [[]]
            return [str(cell) for cell in rows[0]]

        return self._call("reading the workbook header", call)

    def table_rows(self, drive_id: str, item_id: str, table: str) -> list[list[Any]]:
        """Every data row of the table (``.../tables/{t}/rows``), as raw JSON cell values.

        Read as raw JSON rather than SDK models: the rows' ``values`` are untyped and the
        SDK's parser would turn date-like text answers into ``datetime`` objects.
        """

        async def call(graph: Any) -> list[list[Any]]:
            builder = _table(graph, drive_id, item_id, table).rows
            info = builder.to_get_request_information()
            found: list[list[Any]] = []
            while True:
                data = await _get_json(graph, info, "reading the workbook rows")
                for row in data.get("value") or []:
                    for cells in row.get("values") or []:
                        found.append(list(cells))
                link = data.get("@odata.nextLink")
                if not link:
                    return found
                info = builder.with_url(self._check_link(str(link))).to_get_request_information()

        return self._call("reading the workbook rows", call)


# --------------------------------------------------------------------------- helpers


def _no_retry() -> Any:
    """The per-request option that switches the SDK's RetryHandler off (POST sendMail)."""
    from kiota_http.middleware.options import RetryHandlerOption

    return RetryHandlerOption(max_retries=0, should_retry=False)


def _post_once() -> Any:
    """Request configuration for a POST that creates something: no SDK retries.

    A 503/504 may already have created the item (or list, or column); a blind second POST
    would duplicate it. The caller re-reads and decides (the mirror's upsert finds by Title).
    """
    from kiota_abstractions.base_request_configuration import RequestConfiguration

    return RequestConfiguration(options=[_no_retry()])


def _once_native(info: Any) -> None:
    """No SDK retries, and hand back the raw httpx response instead of raising."""
    from kiota_abstractions.native_response_handler import NativeResponseHandler
    from kiota_http.middleware.options import ResponseHandlerOption

    info.add_request_options([_no_retry(), ResponseHandlerOption(NativeResponseHandler())])


async def _get_json(graph: Any, info: Any, what: str) -> dict[str, Any]:
    """GET through the SDK pipeline (retries kept) and return the JSON body."""
    from kiota_abstractions.native_response_handler import NativeResponseHandler
    from kiota_http.middleware.options import ResponseHandlerOption

    info.add_request_options([ResponseHandlerOption(NativeResponseHandler())])
    info.headers.try_add("Accept", "application/json")
    response = await graph.request_adapter.send_no_response_content_async(info, None)
    _raise_for_native(response, what)
    data = response.json()
    if not isinstance(data, dict):
        raise GraphCallError("Graph answered with something other than a JSON object")
    return data


def _table(graph: Any, drive_id: str, item_id: str, table: str) -> Any:
    return (
        graph.drives.by_drive_id(drive_id)
        .items.by_drive_item_id(item_id)
        .workbook.tables.by_workbook_table_id(table)
    )


def _raise_for_native(response: httpx.Response, what: str) -> None:
    """Turn a raw error response into a GraphCallError (Graph's code and message, Retry-After)."""
    if response.status_code < 400:
        return
    code, message = _error_body(response.content)
    raise GraphCallError(
        _describe(what, response.status_code, code, message),
        status=response.status_code,
        code=code,
        retry_after=parse_retry_after(response.headers.get("Retry-After")),
    )


def _error_body(content: bytes) -> tuple[str | None, str | None]:
    try:
        data = json.loads(content or b"{}")
    except ValueError:
        return None, None
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        return (_text(error.get("code")), _text(error.get("message")))
    return None, None


def _text(value: Any) -> str | None:
    return str(value) if value is not None else None


def _describe(what: str, status: int | None, code: str | None, message: str | None) -> str:
    """``<what> failed (HTTP 403 ErrorAccessDenied) — <Graph's message>``."""
    facts = " ".join(x for x in (f"HTTP {status}" if status else "", code or "") if x)
    text = f"{what} failed" + (f" ({facts})" if facts else "")
    return text + (f" — {message[:300]}" if message else "")


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _header(headers: Any, name: str) -> str | None:
    """Read one header from httpx headers or kiota's header collection."""
    if headers is None:
        return None
    try:
        value = headers.get(name)
    except Exception:
        return None
    if isinstance(value, set | list | tuple):
        value = next(iter(value), None)
    return str(value) if value else None


_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


def _translate(exc: BaseException, what: str) -> GraphCallError | None:
    """Map SDK, httpx and azure-identity exceptions onto GraphCallError facts (else None)."""
    from azure.core.exceptions import ClientAuthenticationError, ServiceRequestError
    from kiota_abstractions.api_error import APIError

    if isinstance(exc, GraphCallError):
        return exc
    if isinstance(exc, APIError):
        status = exc.response_status_code
        code = message = None
        main = getattr(exc, "error", None)
        if main is not None:
            code, message = (
                _text(getattr(main, "code", None)),
                _text(getattr(main, "message", None)),
            )
        if message is None:
            message = _text(getattr(exc, "message", None))
        return GraphCallError(
            _describe(what, status, code, message),
            status=status,
            code=code,
            retry_after=parse_retry_after(_header(exc.response_headers, "Retry-After")),
        )
    if isinstance(exc, ClientAuthenticationError):
        # MSAL may bury Entra's AADSTS answer a few links down the exception chain.
        text = str(getattr(exc, "message", None) or exc)
        found = None
        for link in exception_chain(exc):
            candidate = str(getattr(link, "message", None) or link)
            found = _AADSTS.search(candidate)
            if found:
                text = candidate
                break
        code = f"AADSTS{found.group(1)}" if found else None
        # Entra's description starts with the useful sentence; trace ids follow.
        summary = text.split("Trace ID")[0].strip().splitlines()[-1] if text else ""
        verdict = "Entra ID refused the token request" if code else "no token from Entra ID"
        return GraphCallError(
            f"{what} failed: {verdict}" + (f" — {summary[:300]}" if summary else ""),
            status=getattr(exc, "status_code", None),
            code=code,
            sent=False,
            token=True,
        )
    if isinstance(exc, ServiceRequestError):
        return GraphCallError(
            f"{what} failed: could not reach Entra ID ({type(exc).__name__})",
            sent=False,
            token=True,
        )
    if isinstance(exc, _NOT_SENT):
        return GraphCallError(f"{what} failed: {type(exc).__name__} before sending", sent=False)
    if isinstance(exc, httpx.HTTPError):
        return GraphCallError(f"{what} failed: {type(exc).__name__} after sending", sent=True)
    return None


def exception_chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and its causes and contexts, outermost first (no cycles)."""
    found: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in found:
        found.append(current)
        current = current.__cause__ or current.__context__
    return found


def _delta_page(response: Any, convert: Callable[[Any], T]) -> DeltaPage[T]:
    if response is None:
        raise GraphCallError("Graph sent an empty delta response")
    return DeltaPage(
        items=tuple(convert(x) for x in response.value or []),
        next_link=response.odata_next_link,
        delta_link=response.odata_delta_link,
    )


def _is_user_entry(entry: Mapping[str, Any]) -> bool:
    kind = str(entry.get("@odata.type") or "#microsoft.graph.user").lower()
    return kind == "#microsoft.graph.user"


def _user(u: Any, *, expanded_manager: bool = False) -> GraphUser:
    """An SDK ``User`` (or delta entry) as a plain record."""
    data: dict[str, Any] = dict(u.additional_data or {})
    manager_reported = expanded_manager
    manager: ManagerRef | None = None
    if "manager@delta" in data:
        manager_reported = True
        entries = [e for e in data["manager@delta"] or [] if isinstance(e, dict)]
        live = [e for e in entries if "@removed" not in e and e.get("id")]
        if live:
            manager = ManagerRef(id=str(live[-1]["id"]))
    elif u.manager is not None and getattr(u.manager, "id", None):
        manager_reported = True
        manager = ManagerRef(
            id=str(u.manager.id),
            mail=getattr(u.manager, "mail", None),
            user_principal_name=getattr(u.manager, "user_principal_name", None),
        )
    return GraphUser(
        id=str(u.id),
        display_name=u.display_name,
        given_name=u.given_name,
        surname=u.surname,
        mail=u.mail,
        user_principal_name=u.user_principal_name,
        account_enabled=u.account_enabled,
        job_title=u.job_title,
        removed="@removed" in data,
        manager_reported=manager_reported,
        manager=manager,
    )


def _group(g: Any) -> GraphGroup:
    """An SDK ``Group`` (or delta entry) as a plain record; only user members count."""
    data: dict[str, Any] = dict(g.additional_data or {})
    added: list[str] = []
    dropped: list[str] = []
    entries: Iterable[Any] = data.get("members@delta") or []
    for entry in entries:
        if not isinstance(entry, dict) or not entry.get("id") or not _is_user_entry(entry):
            continue
        (dropped if "@removed" in entry else added).append(str(entry["id"]))
    return GraphGroup(
        id=str(g.id),
        display_name=g.display_name,
        removed="@removed" in data,
        members_added=tuple(added),
        members_removed=tuple(dropped),
    )


def _text_column(name: str, display_name: str) -> Any:
    from msgraph.generated.models.column_definition import ColumnDefinition
    from msgraph.generated.models.text_column import TextColumn

    return ColumnDefinition(
        name=name,
        display_name=display_name,
        text=TextColumn(allow_multiple_lines=False, max_length=255),
    )


def _column(c: Any) -> ListColumn:
    return ListColumn(
        id=str(c.id),
        name=str(c.name or ""),
        display_name=str(c.display_name or c.name or ""),
        indexed=bool(c.indexed),
        read_only=bool(c.read_only),
    )


def _item(i: Any) -> ListItemRecord:
    fields = dict(i.fields.additional_data or {}) if i.fields is not None else {}
    return ListItemRecord(id=str(i.id), fields=fields)
