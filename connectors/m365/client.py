"""The Graph client: builds msgraph-sdk over kiota and azure-identity, all imported lazily
(they are the m365 extra, which may be missing; msgraph costs ~0.3-0.7 s to import,
PLATFORM-FACTS): a ``GraphClient`` loads them on its first call, so the local and Google modes
never do (tests/connectors/m365/test_client.py).

The client layer is this module plus ``client_sharepoint.py`` and ``client_mail.py`` (the
SharePoint list and mail calls, mixed into :class:`GraphClient`) and ``client_pipeline.py``
(per-request retry options);
no other module touches the SDK. ``GraphClient`` owns one dedicated event-loop thread. The SDK
is async-only and its ``httpx.AsyncClient`` binds to the loop it first runs on, so the SDK
client is built on that thread and every call is submitted to it; the sync connector protocols
block on the result (PLATFORM-FACTS: "Async only"). Reads keep the SDK's retry middleware (GETs
are safe to repeat); ``sendMail`` switches it off, because Graph has no idempotency key and a
503/504 may have sent.

Every failure becomes a :class:`~connectors.m365.errors.GraphCallError` carrying plain facts
(HTTP status, Graph's error code and message, ``Retry-After``, whether the request may have
reached Graph, whether the token could not be had). The connector modules decide what those
facts mean for the outbox.

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
import contextlib
import functools
import importlib
import io
import re
import threading
import time
import warnings
import weakref
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

import httpx

from bot.core.ports.limits import Limit, Pacer
from connectors.base import LocalPacer, paced, parse_retry_after, translated
from connectors.m365.client_mail import MailCalls
from connectors.m365.client_pipeline import (
    DIRECTORY_UNITS,
    DIRECTORY_WINDOW,
    directory_cost,
    get_json,
    json_pages,
    query,
)
from connectors.m365.client_sharepoint import SharePointCalls
from connectors.m365.errors import GraphCallError, describe, exception_chain, text_or_none
from connectors.m365.records import (
    DeltaPage,
    GraphGroup,
    GraphUser,
    delta_page_json,
    group_json,
    user_json,
)

if TYPE_CHECKING:
    from bot.core.deployment.platform_settings import M365Settings

__all__ = [
    "DEFAULT_TIMEOUT",
    "GraphClient",
    "azure_transport",
    "build_credential",
    "translate_error",
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
        "users.item.mail_folders.mail_folders_request_builder",
        "users.item.mail_folders.item.mail_folder_item_request_builder",
        "users.item.mail_folders.item.messages.messages_request_builder",
        "groups.groups_request_builder",
        "groups.delta.delta_request_builder",
        "groups.item.group_item_request_builder",
        "groups.item.members.members_request_builder",
        "groups.item.transitive_members.transitive_members_request_builder",
        "sites.sites_request_builder",
        "sites.item.site_item_request_builder",
        "sites.item.lists.lists_request_builder",
        "sites.item.lists.item.list_item_request_builder",
        "sites.item.lists.item.columns.columns_request_builder",
        "sites.item.lists.item.columns.item.column_definition_item_request_builder",
        "sites.item.lists.item.items.items_request_builder",
        "sites.item.lists.item.items.item.list_item_item_request_builder",
        "sites.item.lists.item.items.item.fields.fields_request_builder",
    )
)
_SDK_DEPRECATION = "This class is deprecated. Please use the generic RequestConfiguration"
_AADSTS = re.compile(r"AADSTS(\d+)")


# --------------------------------------------------------------------------- credentials


def build_credential(m365: M365Settings, *, transport: httpx.BaseTransport | None = None) -> Any:
    """An azure-identity credential for app-only auth (certificate preferred over secret).

    Args:
        m365: the settings; ``tenant_id``, ``client_id`` and a secret or certificate are required.
        transport: when given, token requests go through it (tests); else azure-core's default.

    Returns:
        ``CertificateCredential`` or ``ClientSecretCredential`` for ``authority_host``.
    """
    from azure.identity import CertificateCredential, ClientSecretCredential  # lazy: docstring

    if not m365.tenant_id or not m365.client_id:
        raise ValueError("tenant_id and client_id are required")
    options: dict[str, Any] = {"authority": m365.authority_host}
    if transport is not None:
        options["transport"] = azure_transport(transport)
    if m365.certificate_path is not None:
        return CertificateCredential(
            m365.tenant_id, m365.client_id, certificate_path=str(m365.certificate_path), **options
        )
    if m365.client_secret is None:
        raise ValueError("client_secret or certificate_path is required")
    return ClientSecretCredential(
        m365.tenant_id, m365.client_id, m365.client_secret.get_secret_value(), **options
    )


def azure_transport(transport: httpx.BaseTransport) -> Any:
    """An azure-core transport that sends through an httpx transport (one seam for tests)."""
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


@functools.cache
def _load_sdk() -> None:
    """Import msgraph and the request builders we use, without their import-time warning
    (once: later calls return at once)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_SDK_DEPRECATION, category=DeprecationWarning)
        import msgraph  # noqa: F401 - imported for its side effect of loading the SDK

        for name in _BUILDERS:
            importlib.import_module(name)


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


class GraphClient(SharePointCalls, MailCalls):
    """Microsoft Graph through msgraph-sdk, callable from sync code.

    The loop thread and the SDK client start on first use, so building connectors is cheap and
    does not import msgraph.

    Args:
        credential: an azure-identity ``TokenCredential`` (see :func:`build_credential`).
        graph_endpoint: the Graph base URL, e.g. ``https://graph.microsoft.us/v1.0``.
        transport: an httpx async transport (tests); ``None`` means the network.
        counted_as: the app in its tenant (``client id@tenant``): what Graph counts directory
            reads by (``client_pipeline.DIRECTORY_UNITS``); every directory page waits for
            room under it, counted by ``pacer`` (the database's once the app shares it).
        clock, sleep: the pacer's, until then (tests share a fake clock with the fake Graph).
    """

    timeout = DEFAULT_TIMEOUT  # seconds for each HTTP read (connect is capped at 10 s)
    directory_units = DIRECTORY_UNITS  # the units the app may spend in its tenant each 10 s

    def __init__(
        self,
        credential: Any,
        *,
        graph_endpoint: str = "https://graph.microsoft.com/v1.0",
        transport: httpx.AsyncBaseTransport | None = None,
        counted_as: str = "",
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        parts = urlsplit(graph_endpoint)
        if parts.scheme != "https" or not parts.hostname:
            raise ValueError(f"graph_endpoint must be an https URL (got {graph_endpoint!r})")
        self.endpoint = graph_endpoint.rstrip("/")
        self.host = parts.hostname
        self._credential = credential
        self._transport = transport
        self._lock = threading.Lock()
        self._worker: _LoopThread | None = None
        self._graph: Any = None
        self._http: list[Any] = []
        self._finalizer: weakref.finalize[Any, Any] | None = None
        self.counted_as, self.sleep = counted_as, sleep
        self.pacer: Pacer = LocalPacer(clock)

    @classmethod
    def from_settings(
        cls,
        m365: M365Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> GraphClient:
        """Build from settings; a sync-capable ``transport`` also carries the token requests."""
        token_transport = transport if isinstance(transport, httpx.BaseTransport) else None
        credential = build_credential(m365, transport=token_transport)
        return cls(
            credential,
            graph_endpoint=m365.graph_endpoint,
            transport=transport,
            counted_as=f"{m365.client_id}@{m365.tenant_id}",
            clock=clock,
            sleep=sleep,
        )

    async def _pace(self, request: httpx.Request) -> None:
        """Before each request (httpx's hook): a directory read waits until the app's budget
        in its tenant has room for its cost, and spends it."""
        path = request.url.path.removeprefix(urlsplit(self.endpoint).path)
        cost = directory_cost(request.method, path, request.url.params)
        if cost:
            budget = Limit(
                f"graph-directory:{self.counted_as}", self.directory_units, DIRECTORY_WINDOW, cost
            )
            paced(self.pacer, [budget], self.sleep)

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

        timeout = httpx.Timeout(self.timeout, connect=min(10.0, self.timeout))
        hooks = {"request": [self._pace]}
        if self._transport is not None:
            http = httpx.AsyncClient(transport=self._transport, timeout=timeout, event_hooks=hooks)
        else:
            http = httpx.AsyncClient(timeout=timeout, event_hooks=hooks)
        self._http.append(http)
        http = GraphClientFactory.create_with_default_middleware(
            client=http, options=dict(graph_options)
        )
        # The scope and the hosts a token may be sent to follow the configured (national) cloud.
        auth = AzureIdentityAuthenticationProvider(
            self._credential, scopes=[f"https://{self.host}/.default"], allowed_hosts=[self.host]
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
            with translated(lambda exc: translate_error(exc, what)):
                return await make(graph)

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
        with translated(lambda exc: translate_error(exc, "getting a token")):
            # enable_cae as kiota's provider asks: azure-identity caches CAE and non-CAE tokens
            # apart, and the token proved here should be the one Graph calls then use.
            self._credential.get_token(f"https://{self.host}/.default", enable_cae=True)

    # ---- directory ---------------------------------------------------------------------
    def users_delta(self, link: str | None, *, select: Sequence[str]) -> DeltaPage[GraphUser]:
        """One page of ``/users/delta()``: the first round when ``link`` is None.

        The page is read as raw JSON through the SDK's request adapter (auth, retries and the
        rest of the middleware as for any call): parsing every user into an SDK model costs
        about 4 ms an account, minutes for a large trust's first sync.
        """
        return self._delta_page("users", link, user_json, select=list(select))

    def groups_delta(
        self, link: str | None, *, select: Sequence[str], filter: str | None = None
    ) -> DeltaPage[GraphGroup]:
        """One page of ``/groups/delta()`` as raw JSON: the first round when ``link`` is None."""
        return self._delta_page("groups", link, group_json, select=list(select), filter=filter)

    def _delta_page(
        self, kind: str, link: str | None, parse: Callable[[Mapping[str, Any]], T], **values: Any
    ) -> DeltaPage[T]:
        """One page of ``/{kind}/delta()`` as raw JSON; ``values`` are the first round's query."""
        what = f"reading /{kind}/delta()"

        async def call(graph: Any) -> DeltaPage[T]:
            builder = getattr(graph, kind).delta
            if link:
                info = builder.with_url(self._check_link(link)).to_get_request_information()
            else:
                info = builder.to_get_request_information(query(builder, **values))
            return delta_page_json(await get_json(graph, info, what), parse)

        return self._call(what, call)

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
        expand = ["manager($select=id,mail,userPrincipalName)"] if expand_manager else None
        found = self._listed(
            "users", all_pages, select=list(select), filter=filter, top=top, expand=expand
        )
        return [user_json(u, expanded_manager=expand_manager) for u in found]

    def user(self, user_id: str, *, select: Sequence[str]) -> GraphUser:
        """``GET /users/{id | userPrincipalName}``."""
        what = f"reading user {user_id}"

        async def call(graph: Any) -> GraphUser:
            builder = graph.users.by_user_id(user_id)
            info = builder.to_get_request_information(query(builder, select=list(select)))
            found = await get_json(graph, info, what)
            if not found.get("id"):
                raise GraphCallError(f"user {user_id} came back empty", status=404)
            return user_json(found)

        return self._call(what, call)

    def groups(
        self,
        *,
        select: Sequence[str],
        filter: str | None = None,
        top: int | None = None,
        all_pages: bool = True,
    ) -> list[GraphGroup]:
        """``GET /groups``, following ``@odata.nextLink``."""
        found = self._listed("groups", all_pages, select=list(select), filter=filter, top=top)
        return [group_json(g) for g in found]

    def _listed(self, kind: str, all_pages: bool, **values: Any) -> list[dict[str, Any]]:
        """``GET /{kind}`` with the query ``values`` as raw JSON, every page unless told."""
        what = f"reading /{kind}"

        async def call(graph: Any) -> list[dict[str, Any]]:
            builder = getattr(graph, kind)
            config = query(builder, **values)
            return await json_pages(
                graph, builder, config, what, self._check_link, all_pages=all_pages
            )

        return self._call(what, call)

    def transitive_user_ids(self, group_id: str) -> list[str]:
        """The ids of every user in a group, through its nested groups too
        (``/groups/{id}/transitiveMembers``, GroupMember.Read.All), following
        ``@odata.nextLink``; the group delta's ``members@delta`` gives direct members only."""
        what = f"reading group {group_id}'s members through its nested groups"

        async def call(graph: Any) -> list[str]:
            builder = graph.groups.by_group_id(group_id).transitive_members
            found = await json_pages(
                graph, builder, query(builder, select=["id"], top=999), what, self._check_link
            )
            return [
                str(m["id"])
                for m in found
                if str(m.get("@odata.type", "")).lower() == "#microsoft.graph.user"
            ]

        return self._call(what, call)

    def group_member_ids(self, group_id: str, *, top: int = 1) -> list[str]:
        """The first ``top`` member ids of a group (a permission probe)."""

        async def call(graph: Any) -> list[str]:
            builder = graph.groups.by_group_id(group_id).members
            response = await builder.get(query(builder, select=["id"], top=top))
            return [str(m.id) for m in (response.value if response else None) or []]

        return self._call("reading group members", call)


# --------------------------------------------------------------------------- helpers


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


def translate_error(exc: BaseException, what: str) -> GraphCallError | None:
    """Map SDK, httpx and azure-identity exceptions onto GraphCallError facts (else None)."""
    from azure.core.exceptions import ClientAuthenticationError, ServiceRequestError
    from kiota_abstractions.api_error import APIError

    if isinstance(exc, GraphCallError):
        return exc
    if isinstance(exc, APIError):
        status = exc.response_status_code
        main = getattr(exc, "error", None)  # Graph's error body, when it had one
        code = text_or_none(getattr(main, "code", None))
        message = text_or_none(getattr(main, "message", None))
        if message is None:
            message = text_or_none(getattr(exc, "message", None))
        return GraphCallError(
            describe(what, status, code, message),
            status=status,
            code=code,
            retry_after=parse_retry_after(_header(exc.response_headers, "Retry-After")),
        )
    if isinstance(exc, ClientAuthenticationError):
        # MSAL may bury Entra's AADSTS answer a few links down the exception chain.
        texts = [str(getattr(link, "message", None) or link) for link in exception_chain(exc)]
        text = next((t for t in texts if _AADSTS.search(t)), texts[0])
        found = _AADSTS.search(text)
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
