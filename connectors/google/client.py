"""The only module that imports google-api-python-client, google-auth and httplib2 (lazily:
they are the google extra, which may be missing, and cost ~0.15 s to import; importing the
connector never loads them, tests/connectors/google/test_client.py).

It builds discovery-based services from the documents bundled in the package (no network at build
time), authorised as the right identity for each API, runs each request exactly once, and turns
every vendor failure into a :class:`GoogleCallError` that carries plain facts (status, Google's
reason, whether the request may have reached Google). ``errors.py`` decides what those facts
mean for the outbox.

Example::

    client = GoogleClient.from_settings(settings.google)
    gmail = client.gmail()
    gmail.call(gmail.resource.users().messages().send(userId="me", body={"raw": raw}))

Tests pass ``http=`` (any object with httplib2's ``request()``) and/or ``request_builder=``
(e.g. ``googleapiclient.http.RequestMockBuilder``); tokens are then fetched through that ``http``
too, so a fake sees the OAuth token requests as well.
"""

from __future__ import annotations

import functools
import json
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bot.core.ports.limits import Limit
from connectors.base import CallError, PacerSlot, paced, parse_retry_after, translated

if TYPE_CHECKING:
    from bot.core.deployment.platform_settings import GoogleSettings

__all__ = [
    "CHAT_BOT_SCOPES",
    "CHAT_SETUP_SCOPES",
    "DIRECTORY_SCOPES",
    "FORMS_SCOPES",
    "GMAIL_BATCH_URI",
    "GMAIL_LOOKUP_SCOPES",
    "GMAIL_SCOPES",
    "SHEETS_SCOPES",
    "GoogleApi",
    "GoogleCallError",
    "GoogleClient",
    "GoogleSetupError",
]

GMAIL_SCOPES = ("https://www.googleapis.com/auth/gmail.send",)
# finding a sent message by its Message-ID (users.messages.list with q=rfc822msgid:...):
# gmail.metadata does not allow ``q``; gmail.readonly is the narrowest scope that does
GMAIL_LOOKUP_SCOPES = ("https://www.googleapis.com/auth/gmail.readonly",)
DIRECTORY_SCOPES = (
    "https://www.googleapis.com/auth/admin.directory.user.readonly",
    "https://www.googleapis.com/auth/admin.directory.group.member.readonly",
    "https://www.googleapis.com/auth/admin.directory.group.readonly",
)
SHEETS_SCOPES = ("https://www.googleapis.com/auth/spreadsheets",)
FORMS_SCOPES = (
    "https://www.googleapis.com/auth/forms.body.readonly",
    "https://www.googleapis.com/auth/forms.responses.readonly",
)
# the Chat app's own calls (app authentication): find a person's direct message with the app,
# post and update its messages; setting up a missing direct message needs the person's own
# authority (``spaces.setup`` takes user authentication only: domain-wide delegation)
CHAT_BOT_SCOPES = ("https://www.googleapis.com/auth/chat.bot",)
CHAT_SETUP_SCOPES = ("https://www.googleapis.com/auth/chat.spaces.create",)
# Gmail's documented batch endpoint (the bundled discovery document only says "batch").
GMAIL_BATCH_URI = "https://gmail.googleapis.com/batch/gmail/v1"
# Google's published quotas (checked 2026-11-28), counted per project and delegated user by
# the client's pacer (the database's once the app shares it), so N workers keep them together:
# - Admin SDK Directory API, "Limits and quotas"
#   (https://developers.google.com/workspace/admin/directory/v1/limits): 2,400 queries per
#   minute per user per Google Cloud project; past it, 403 userRateLimitExceeded.
# - Gmail API, "Usage limits" (https://developers.google.com/workspace/gmail/api/reference/quota):
#   1,200,000 quota units per minute per project and 6,000 per minute per user per project
#   (projects made from 1 May 2026; older ones keep 15,000: the smaller is counted);
#   messages.send costs 100 units, messages.list and messages.get 5.
DIRECTORY_QUERIES_PER_MINUTE = 2_400
GMAIL_UNITS_PER_USER = 6_000
GMAIL_UNITS_PER_PROJECT = 1_200_000
GMAIL_UNITS = {
    "gmail.users.messages.send": 100,
    "gmail.users.messages.list": 5,
    "gmail.users.messages.get": 5,
}
DEFAULT_TIMEOUT = 60.0

_RETRY_AFTER_IN_MESSAGE = re.compile(r"Retry after (\d{4}-\d\d-\d\dT[0-9:.]+Z)")


class GoogleSetupError(Exception):
    """The service-account key could not be loaded; ``str()`` says why without the key."""


class GoogleCallError(CallError):
    """A Google call failed; vendor-neutral facts for ``errors.py`` to classify.

    Args:
        message: safe to log (Google's own message, no tokens, no content).
        status: the HTTP status, or None when no HTTP answer arrived (transport or token failure).
        reason: Google's reason code (``rateLimitExceeded``, ``PERMISSION_DENIED``,
            ``unauthorized_client``...), or a short word for transport failures.
        retry_after: seconds Google asked us to wait, when it said so.
        maybe_processed: True when the request may have reached Google without an answer
            (timeout, connection reset, malformed batch reply).
        auth: True when the OAuth token could not be obtained (nothing was sent to the API).
        transient: for ``auth`` failures, True when the token endpoint itself was unreachable.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        reason: str = "",
        retry_after: float | None = None,
        maybe_processed: bool = False,
        auth: bool = False,
        transient: bool = False,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.retry_after = retry_after
        self.maybe_processed = maybe_processed
        self.auth = auth
        self.transient = transient


# --------------------------------------------------------------------------- errors


def _error_facts(content: bytes) -> tuple[str, str]:
    """Return (reason, message) from a Google JSON error body (v1 ``errors`` or AIP ``details``)."""
    try:
        data = json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return "", ""
    if isinstance(data, list) and data:
        data = data[0]
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        return "", ""
    message = str(error.get("message") or "")
    for item in [*(error.get("errors") or []), *(error.get("details") or [])]:
        if isinstance(item, dict) and item.get("reason"):
            return str(item["reason"]), message
    return str(error.get("status") or ""), message


def _retry_after(headers: Any, message: str) -> float | None:
    """Seconds to wait from a ``Retry-After`` header or Gmail's "Retry after <RFC 3339>" text."""
    waited = parse_retry_after(headers.get("retry-after") if headers is not None else None)
    match = _RETRY_AFTER_IN_MESSAGE.search(message) if waited is None else None
    if match:
        when = datetime.fromisoformat(match.group(1).replace("Z", "+00:00"))
        return max(0.0, (when - datetime.now(UTC)).total_seconds())
    return waited


def _from_response(status: int, headers: Any, content: bytes) -> GoogleCallError:
    """Describe a non-2xx HTTP answer."""
    reason, message = _error_facts(content)
    if not message:
        message = str(getattr(headers, "reason", "") or f"HTTP {status}")
    label = f"HTTP {status} {reason}" if reason else f"HTTP {status}"
    return GoogleCallError(
        f"{label}: {message}"[:500],
        status=status,
        reason=reason,
        retry_after=_retry_after(headers, message),
    )


def _from_exception(exc: BaseException) -> GoogleCallError | None:
    """Describe a transport or token failure, or None when ``exc`` is not one we know."""
    import httplib2  # lazy: the google extra, ~0.15 s (module docstring)
    from google.auth import exceptions as auth_exceptions
    from googleapiclient.errors import HttpError

    if isinstance(exc, HttpError):
        return _from_response(int(exc.resp.status), exc.resp, exc.content)
    if isinstance(exc, auth_exceptions.RefreshError):
        code = ""
        if len(exc.args) > 1 and isinstance(exc.args[1], dict):
            code = str(exc.args[1].get("error") or "")
        text = str(exc.args[0]) if exc.args else type(exc).__name__
        return GoogleCallError(
            f"OAuth token refused: {text}"[:500],
            reason=code or "refresh_error",
            auth=True,
            transient=bool(getattr(exc, "retryable", False)),
        )
    if isinstance(exc, auth_exceptions.TransportError):
        return GoogleCallError(
            "OAuth token endpoint unreachable", reason="token_transport", auth=True, transient=True
        )
    if isinstance(exc, httplib2.ServerNotFoundError | ConnectionRefusedError | socket.gaierror):
        return GoogleCallError(f"Google unreachable ({type(exc).__name__})", reason="unreachable")
    if isinstance(exc, TimeoutError | socket.timeout):
        return GoogleCallError(
            "no answer from Google (timeout)", reason="timeout", maybe_processed=True
        )
    if isinstance(exc, OSError | ssl.SSLError | httplib2.HttpLib2Error):
        return GoogleCallError(
            f"connection to Google lost ({type(exc).__name__})",
            reason="connection",
            maybe_processed=True,
        )
    return None


# --------------------------------------------------------------------------- one API


@dataclass
class GoogleApi:
    """One discovery-based service plus the identity it acts as.

    ``resource`` is the googleapiclient ``Resource`` (untyped SDK object); build requests on it
    and run them with :meth:`call` or :meth:`call_batch`, never with ``execute(num_retries=...)``:
    a library retry of a send could deliver twice.
    """

    resource: Any
    credentials: Any | None = None
    transport: Any | None = None
    # waits until the platform's quotas have room for a request, and counts it (GoogleClient)
    pace: Callable[[Any], None] = lambda _request: None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def call(self, request: Any) -> Any:
        """Execute ``request`` once; raise :class:`GoogleCallError` on any failure."""
        self.pace(request)
        with self._lock, translated(_from_exception):  # httplib2 is not thread-safe
            return request.execute()

    def call_batch(self, requests: Sequence[Any], *, batch_uri: str) -> list[Any | GoogleCallError]:
        """Send ``requests`` in one batch; one parsed body or GoogleCallError per request.

        Raises:
            GoogleCallError: the batch as a whole failed (nothing or unknown was processed).
        """
        from googleapiclient.errors import BatchError
        from googleapiclient.http import BatchHttpRequest

        results: dict[str, Any] = {}

        def collect(request_id: str, response: Any, exception: BaseException | None) -> None:
            if exception is None:
                results[request_id] = response
            else:
                results[request_id] = _from_exception(exception) or GoogleCallError(
                    f"batch item failed ({type(exception).__name__})", maybe_processed=True
                )

        batch = BatchHttpRequest(callback=collect, batch_uri=batch_uri)
        for index, request in enumerate(requests):
            self.pace(request)  # each call of a batch costs its own quota
            batch.add(request, request_id=str(index))
        with self._lock, translated(_from_exception):
            try:
                # The batch would otherwise refresh an expired token over a brand-new
                # httplib2.Http, bypassing the injected transport.
                self._ensure_token()
                batch.execute()
            except (BatchError, KeyError, ValueError) as exc:
                raise GoogleCallError(
                    f"malformed batch answer from Google ({type(exc).__name__})",
                    reason="batch",
                    maybe_processed=True,
                ) from exc
        left_out = "Google's batch answer left this message out"
        return [
            results[str(i)]
            if str(i) in results
            else GoogleCallError(left_out, reason="batch", maybe_processed=True)
            for i in range(len(requests))
        ]

    def authorise(self) -> None:
        """Fetch an OAuth token now (proves delegation/scopes) or raise GoogleCallError."""
        with self._lock, translated(_from_exception):
            self._ensure_token(force=True)

    def _ensure_token(self, *, force: bool = False) -> None:
        if self.credentials is None or self.transport is None:
            return
        if force or not self.credentials.valid:
            import google_auth_httplib2

            self.credentials.refresh(google_auth_httplib2.Request(self.transport))


# --------------------------------------------------------------------------- all APIs


@dataclass
class GoogleClient:
    """Builds the services the connector needs, each authorised as the right identity.

    Identities: the Directory acts as ``admin_subject`` and Gmail as ``sender`` (domain-wide
    delegation); Sheets and Forms act as the service account itself (share the sheet and the
    form with its email address).

    Args:
        credentials: google-auth service-account credentials, or None when ``http`` is already
            authorised (or a test fake that needs no tokens).
        client_id: the key's numeric OAuth client id (what domain-wide delegation is keyed by).
        admin_subject: the admin the Directory calls impersonate.
        sender: the mailbox Gmail sends from.
        http: an httplib2-compatible transport to wrap (default: a fresh ``httplib2.Http`` per API).
        request_builder: googleapiclient's ``requestBuilder`` (tests: ``RequestMockBuilder``).
        timeout: socket timeout in seconds for the default transport.
        project: the key's Google Cloud project (what Google's quotas are counted by).
        pacing: counts the calls against Google's quotas (``DIRECTORY_QUERIES_PER_MINUTE``,
            ``GMAIL_UNITS_*``), shared by every copy (a school's own sender).
        sleep: how a call waits for room (tests: a fake clock's).
        directory_queries, gmail_units: the Directory queries and Gmail quota units a minute
            per delegated user (tests: fewer).
    """

    credentials: Any | None
    client_id: str | None = None
    admin_subject: str | None = None
    sender: str | None = None
    http: Any | None = None
    request_builder: Any | None = None
    timeout: float = DEFAULT_TIMEOUT
    project: str | None = None
    pacing: PacerSlot = field(default_factory=PacerSlot)
    sleep: Callable[[float], None] = time.sleep
    directory_queries: int = DIRECTORY_QUERIES_PER_MINUTE
    gmail_units: int = GMAIL_UNITS_PER_USER

    def quotas(self, method_id: str, subject: str | None) -> list[Limit]:
        """The published quotas one call of ``method_id`` acting as ``subject`` spends from."""
        if method_id.startswith("directory."):
            return [
                Limit(f"google-directory:{self.project}:{subject}", self.directory_queries, 60.0)
            ]
        if method_id.startswith("gmail."):
            units = GMAIL_UNITS.get(method_id, 5)
            return [
                Limit(f"gmail-user:{self.project}:{subject}", self.gmail_units, 60.0, units),
                Limit(f"gmail-project:{self.project}", GMAIL_UNITS_PER_PROJECT, 60.0, units),
            ]
        return []

    def _pace(self, subject: str | None, request: Any) -> None:
        method_id = str(getattr(request, "methodId", "") or "")
        limits = self.quotas(method_id, subject)
        if method_id.startswith("gmail."):
            # Gmail is called from the outbox's pass, which never waits: an alert would be
            # held behind it. Sends are paced by the mailer (its messages a minute, one kept for
            # alerts), so here their units are only counted where they fit; a lookup (a bounce,
            # a send's unknown outcome) with no units left is asked again at a later pass.
            wait = self.pacing.pacer.take(limits)
            if wait > 0 and method_id != "gmail.users.messages.send":
                raise GoogleCallError(
                    "the sender's Gmail quota units for this minute are spent",
                    status=429,
                    reason="rateLimitExceeded",
                    retry_after=wait,
                )
        elif limits:
            paced(self.pacing.pacer, limits, self.sleep)

    @classmethod
    def from_settings(
        cls,
        google: GoogleSettings,
        *,
        http: Any | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> GoogleClient:
        """Load the settings' service-account JSON key file, acting as their admin and sender
        (raises GoogleSetupError with a clear reason)."""
        from google.oauth2 import service_account

        path = google.service_account_file
        assert path is not None  # the callers say what to set first
        try:
            info = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise GoogleSetupError(f"{path}: file not found") from None
        except OSError as exc:
            raise GoogleSetupError(f"{path}: cannot read ({exc.strerror})") from None
        except ValueError:
            raise GoogleSetupError(f"{path}: not JSON (expected a service-account key)") from None
        if not isinstance(info, dict) or info.get("type") != "service_account":
            raise GoogleSetupError(
                f"{path}: not a service-account key (type must be service_account)"
            )
        try:
            # google-auth leaves this classmethod unannotated
            credentials = service_account.Credentials.from_service_account_info(  # type: ignore[no-untyped-call]
                info
            )
        except (ValueError, KeyError) as exc:
            # google-auth's messages name missing fields, never the key material
            reason = str(exc).splitlines()[0][:200] if str(exc) else "unreadable"
            raise GoogleSetupError(f"{path}: not a usable service-account key ({reason})") from None
        return cls(
            credentials,
            client_id=str(info.get("client_id") or "") or None,
            project=str(info.get("project_id") or "") or None,
            admin_subject=google.admin_subject,
            sender=google.sender,
            http=http,
            pacing=PacerSlot(clock),
            sleep=sleep,
        )

    @property
    def service_account_email(self) -> str | None:
        """The service account's email (share sheets and forms with it)."""
        return getattr(self.credentials, "service_account_email", None)

    def directory(self) -> GoogleApi:
        """Admin SDK Directory API, impersonating ``admin_subject``."""
        return self._api("admin", "directory_v1", DIRECTORY_SCOPES, self.admin_subject)

    def gmail(self) -> GoogleApi:
        """Gmail API, impersonating ``sender`` (``userId="me"`` is that mailbox)."""
        return self._api("gmail", "v1", GMAIL_SCOPES, self.sender)

    def gmail_lookup(self) -> GoogleApi:
        """Gmail API read-only, impersonating ``sender``: only to find a sent message by its
        Message-ID when a send's outcome is unknown (a token of its own, so sending never
        depends on the read scope being granted)."""
        return self._api("gmail", "v1", GMAIL_LOOKUP_SCOPES, self.sender)

    def sheets(self) -> GoogleApi:
        """Sheets API as the service account itself."""
        return self._api("sheets", "v4", SHEETS_SCOPES, None)

    def forms(self) -> GoogleApi:
        """Forms API as the service account itself."""
        return self._api("forms", "v1", FORMS_SCOPES, None)

    def chat(self) -> GoogleApi:
        """Chat API as the Chat app itself (app authentication, ``chat.bot``)."""
        return self._api("chat", "v1", CHAT_BOT_SCOPES, None)

    def chat_as(self, address: str) -> GoogleApi:
        """Chat API acting as the person ``address`` (domain-wide delegation of
        ``chat.spaces.create``): only to set up their direct message with the app."""
        return self._api("chat", "v1", CHAT_SETUP_SCOPES, address)

    def _api(
        self, name: str, version: str, scopes: Sequence[str], subject: str | None
    ) -> GoogleApi:
        import httplib2
        from googleapiclient.discovery import build
        from googleapiclient.http import HttpRequest

        base = self.http if self.http is not None else httplib2.Http(timeout=self.timeout)
        credentials = None
        http: Any = base
        if self.credentials is not None:
            import google_auth_httplib2

            credentials = self.credentials.with_scopes(list(scopes))
            if subject:
                credentials = credentials.with_subject(subject)
            http = google_auth_httplib2.AuthorizedHttp(credentials, http=base)
        resource = build(
            name,
            version,
            http=http,
            requestBuilder=self.request_builder or HttpRequest,
            static_discovery=True,
            cache_discovery=False,
        )
        return GoogleApi(
            resource=resource,
            credentials=credentials,
            transport=base,
            pace=functools.partial(self._pace, subject),
        )
