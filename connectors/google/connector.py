"""Google Workspace connector: Admin SDK directory, Gmail, Chat webhook, Sheets mirror, Forms.

Maps Google's data onto the plain dataclasses of ``connectors.base`` and Google's failures
(already reduced to :class:`~connectors.google.client.GoogleCallError` by ``client.py``, the only
module that touches the SDK) onto ``RetryableError`` / ``DeliveryUnknownError`` /
``PermanentError``. Importing this module does not import googleapiclient.
"""

from __future__ import annotations

import base64
import email.policy
import functools
import hashlib
import json
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx
from pydantic import SecretStr

from connectors.base import (
    CardMessage,
    ConnectorError,
    DeliveryUnknownError,
    DirectoryChanges,
    DirectoryPerson,
    FormResponse,
    OutgoingEmail,
    PermanentError,
    RateLimiter,
    RetryableError,
    SendResult,
)
from connectors.google.client import (
    GMAIL_BATCH_URI,
    GoogleApi,
    GoogleCallError,
    GoogleClient,
    GoogleSetupError,
)
from connectors.mime import to_mime

if TYPE_CHECKING:
    from bot.core.settings import Settings
    from connectors.registry import Connectors

__all__ = [
    "CHAT_MAX_BYTES",
    "DAILY_SEND_LIMIT",
    "GMAIL_MAX_BATCH",
    "ChatWebhookNotifier",
    "DailyQuota",
    "GmailMailer",
    "GoogleDirectory",
    "GoogleFormSource",
    "SheetsListMirror",
    "build",
]

GMAIL_MAX_BATCH = 50  # Google: batches over 50 "are likely to trigger rate limiting"
DAILY_SEND_LIMIT = 2000  # Workspace per-user sending limit (rolling 24 hours)
CHAT_MAX_BYTES = 32_000  # Chat's limit for one message, content included
REFERENCE_COLUMN = "Reference"
USERS_PAGE = 500  # users.list maximum
MEMBERS_PAGE = 200  # members.list maximum
_USER_FIELDS = (
    "nextPageToken,users(id,primaryEmail,name(fullName,givenName,familyName),"
    "suspended,archived,organizations(title,primary),relations)"
)
_MEMBER_FIELDS = "nextPageToken,members(id,email,type,status)"
_RATE_LIMIT_REASONS = frozenset(
    {"rateLimitExceeded", "userRateLimitExceeded", "RESOURCE_EXHAUSTED", "RATE_LIMIT_EXCEEDED"}
)
_DAILY_LIMIT_REASONS = frozenset({"dailyLimitExceeded", "quotaExceeded"})
_REQUEST_ID_NAMESPACE = uuid.UUID("4f6b1f0e-6c1b-4d4e-9d8a-0c6f3b1d2a77")


# --------------------------------------------------------------------------- errors


def _connector_error(exc: GoogleCallError, what: str, *, write: bool) -> ConnectorError:
    """Classify a Google failure for the outbox; ``write`` calls must never be resent blindly."""
    text = f"{what}: {exc}"
    if exc.auth:
        if exc.transient:
            return RetryableError(text)
        return PermanentError(
            f"{text} (check domain-wide delegation and scopes: `compliance-bot check google`)"
        )
    status = exc.status
    if status is None:
        if exc.maybe_processed and write:
            return DeliveryUnknownError(text)
        return RetryableError(text)
    if status == 429 or (status == 403 and exc.reason in _RATE_LIMIT_REASONS):
        return RetryableError(text, retry_after=exc.retry_after)
    if status == 403 and exc.reason in _DAILY_LIMIT_REASONS:
        return RetryableError(text, retry_after=exc.retry_after or 3600.0)
    if status >= 500 or status == 408:
        if write:
            return DeliveryUnknownError(text)
        return RetryableError(text, retry_after=exc.retry_after)
    return PermanentError(text)


def _read(api: GoogleApi, request: Any, what: str) -> dict[str, Any]:
    """Run an idempotent read once; 5xx and timeouts are simply retryable."""
    try:
        answer = api.call(request)
    except GoogleCallError as exc:
        raise _connector_error(exc, what, write=False) from exc
    return answer if isinstance(answer, dict) else {}


# --------------------------------------------------------------------------- directory


class GoogleDirectory:
    """Admin SDK Directory: every user (suspended/archived = leaver) plus configured groups.

    Always a complete listing (the Directory API has no delta for users); ``cursor`` is a hash
    of the listing so callers can tell nothing changed. ``DirectoryPerson.groups`` holds the
    lower-cased email of each configured group the person belongs to, directly or through a
    nested group.

    Args:
        api: the Directory service, impersonating an admin.
        customer: ``my_customer`` or the customer id.
        groups: group emails to expand (``settings.google.role_groups`` keys).
        query: optional Admin SDK user query, e.g. ``orgUnitPath='/Staff'`` to leave pupils out.
    """

    def __init__(
        self,
        api: GoogleApi,
        *,
        customer: str = "my_customer",
        groups: Iterable[str] = (),
        query: str | None = None,
        roles_by_group: Mapping[str, str] | None = None,
    ) -> None:
        self._api = api
        self._roles = {k.strip().lower(): v for k, v in (roles_by_group or {}).items()}
        self._customer = customer
        self._groups = tuple(dict.fromkeys(g.strip().lower() for g in groups if g.strip()))
        self._query = query

    def fetch(self, cursor: str | None = None) -> DirectoryChanges:
        """List everyone and their configured groups (cursor is ignored: no delta)."""
        users = self._users()
        by_email = {
            str(u.get("primaryEmail", "")).lower(): str(u.get("id", ""))
            for u in users
            if u.get("primaryEmail")
        }
        member_of: dict[str, set[str]] = {}
        everyone: set[str] = set()
        for group in self._groups:
            for member in self._members(group):
                kind = member.get("type")
                if kind == "CUSTOMER":  # "everyone in the organisation" is a member
                    everyone.add(group)
                elif kind == "USER":
                    key = str(member.get("id") or "") or by_email.get(
                        str(member.get("email", "")).lower(), ""
                    )
                    if key:
                        member_of.setdefault(key, set()).add(group)
        people: list[DirectoryPerson] = []
        rejected: list[str] = []
        for user in users:
            try:
                people.append(self._person(user, member_of, everyone, by_email))
            except ValueError as exc:
                rejected.append(f"Google user {user.get('id', '?')}: {exc}")
        digest = hashlib.sha256(
            repr(
                sorted(
                    (
                        p.external_id,
                        p.email,
                        p.display_name,
                        p.active,
                        sorted(p.groups),
                        p.manager_email,
                        p.job_title,
                        p.given_name,
                        p.family_name,
                    )
                    for p in people
                )
            ).encode()
        ).hexdigest()[:16]
        return DirectoryChanges(people=people, complete=True, cursor=digest, rejected=rejected)

    def _users(self) -> list[dict[str, Any]]:
        users_api = self._api.resource.users()
        params: dict[str, Any] = {
            "customer": self._customer,
            "maxResults": USERS_PAGE,
            "projection": "full",
            "fields": _USER_FIELDS,
        }
        if self._query:
            params["query"] = self._query
        request = users_api.list(**params)
        found: list[dict[str, Any]] = []
        while request is not None:
            page = _read(self._api, request, "Directory users.list")
            found.extend(u for u in page.get("users", []) if isinstance(u, dict))
            request = users_api.list_next(request, page)
        return found

    def _members(self, group: str) -> list[dict[str, Any]]:
        members_api = self._api.resource.members()
        request = members_api.list(
            groupKey=group,
            maxResults=MEMBERS_PAGE,
            includeDerivedMembership=True,
            fields=_MEMBER_FIELDS,
        )
        found: list[dict[str, Any]] = []
        while request is not None:
            try:
                page = _read(self._api, request, f"Directory members.list({group})")
            except PermanentError as exc:
                # A configured group that cannot be read must stop the sync: a partial view
                # would quietly strip roles from everyone in it.
                raise PermanentError(
                    f"{exc} (is {group} in COMPLIANCE_BOT_GOOGLE__ROLE_GROUPS a real group?)"
                ) from exc
            found.extend(m for m in page.get("members", []) if isinstance(m, dict))
            request = members_api.list_next(request, page)
        return found

    def _person(
        self,
        user: Mapping[str, Any],
        member_of: Mapping[str, set[str]],
        everyone: set[str],
        by_email: Mapping[str, str],
    ) -> DirectoryPerson:
        user_id = str(user.get("id") or "")
        email = str(user.get("primaryEmail") or "").strip().lower()
        if not user_id or "@" not in email:
            raise ValueError("no id or primary email")
        name = user.get("name") or {}
        given = str(name.get("givenName") or "").strip() or None
        family = str(name.get("familyName") or "").strip() or None
        display = str(name.get("fullName") or "").strip() or " ".join(
            p for p in (given, family) if p
        )
        organisations = [o for o in user.get("organizations") or [] if isinstance(o, dict)]
        organisations.sort(key=lambda o: not o.get("primary"))
        title = next((str(o["title"]) for o in organisations if o.get("title")), None)
        manager = next(
            (
                str(r.get("value") or "").strip().lower()
                for r in user.get("relations") or []
                if isinstance(r, dict) and r.get("type") == "manager" and r.get("value")
            ),
            None,
        )
        return DirectoryPerson(
            external_id=user_id,
            email=email,
            display_name=display or email,
            active=not user.get("suspended") and not user.get("archived"),
            given_name=given,
            family_name=family,
            job_title=title,
            groups=(
                groups := frozenset(
                    member_of.get(user_id, set()) | member_of.get(email, set()) | everyone
                )
            ),
            roles=frozenset(self._roles[g] for g in groups if g in self._roles),
            manager_email=manager,
            manager_external_id=by_email.get(manager) if manager else None,
        )


# --------------------------------------------------------------------------- mail


class DailyQuota:
    """Counts sends in a rolling 24 hours; refuses more than ``limit`` with a RetryableError.

    In memory only: after a restart Gmail's own 429 ("Retry after ...") still protects us.
    """

    def __init__(
        self,
        limit: int = DAILY_SEND_LIMIT,
        window: float = 86_400.0,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("DailyQuota needs limit >= 1 and window > 0")
        self.limit = limit
        self.window = window
        self._clock = clock
        self._stamps: deque[float] = deque()

    def take(self) -> None:
        """Record one send, or raise RetryableError with the seconds until one frees up."""
        now = self._clock()
        while self._stamps and now - self._stamps[0] >= self.window:
            self._stamps.popleft()
        if len(self._stamps) >= self.limit:
            wait = self.window - (now - self._stamps[0])
            raise RetryableError(
                f"Gmail daily sending limit reached ({self.limit} in 24 hours)", retry_after=wait
            )
        self._stamps.append(now)

    @property
    def remaining(self) -> int:
        """Sends left in the current window."""
        now = self._clock()
        return self.limit - sum(1 for s in self._stamps if now - s < self.window)


class GmailMailer:
    """Gmail API ``users.messages.send`` as the sender mailbox: paced, batched, never retried.

    Args:
        api: the Gmail service, impersonating ``sender``.
        sender: the From address (the impersonated mailbox or one of its send-as aliases).
        pacer: spreads sends out (default 60 a minute, Google's guidance per user).
        quota: the rolling daily limit (default 2,000 a day).
    """

    max_batch: int = GMAIL_MAX_BATCH

    def __init__(
        self,
        api: GoogleApi,
        sender: str,
        *,
        pacer: RateLimiter | None = None,
        quota: DailyQuota | None = None,
    ) -> None:
        self._api = api
        self.sender = sender
        self._pacer = pacer or RateLimiter(limit=60, window=60.0)
        self._quota = quota or DailyQuota()

    @functools.cached_property
    def _messages(self) -> Any:
        return self._api.resource.users().messages()  # built once: resources are costly

    def send(self, message: OutgoingEmail) -> SendResult:
        """Send ``message`` once (one request, no library retries)."""
        body = self._body(message)
        self._quota.take()
        self._pacer.acquire()
        request = self._messages.send(userId="me", body=body)
        try:
            sent = self._api.call(request)
        except GoogleCallError as exc:
            raise _connector_error(exc, "Gmail send", write=True) from exc
        return SendResult(provider_id=_message_id(sent))

    def send_batch(self, messages: Sequence[OutgoingEmail]) -> list[SendResult | ConnectorError]:
        """Send ``messages`` in Gmail batches of at most ``max_batch``; one result per message.

        Once Google throttles (or a whole batch fails), later messages are not attempted and get
        a RetryableError, so a throttled mailbox is not hammered.
        """
        results: list[SendResult | ConnectorError | None] = [None] * len(messages)
        halt: RetryableError | None = None
        for start in range(0, len(messages), self.max_batch):
            pending: list[tuple[int, Any]] = []
            for index in range(start, min(start + self.max_batch, len(messages))):
                if halt is not None:
                    results[index] = RetryableError(str(halt), retry_after=halt.retry_after)
                    continue
                try:
                    body = self._body(messages[index])
                    self._quota.take()
                except ConnectorError as exc:
                    results[index] = exc
                    continue
                self._pacer.acquire()
                send = self._messages.send(userId="me", body=body)
                pending.append((index, send))
            if not pending:
                continue
            try:
                answers = self._api.call_batch([r for _, r in pending], batch_uri=GMAIL_BATCH_URI)
            except GoogleCallError as exc:
                for index, _ in pending:
                    results[index] = _connector_error(exc, "Gmail batch", write=True)
                halt = RetryableError(
                    f"not sent: an earlier Gmail batch failed ({exc.status or exc.reason})",
                    retry_after=exc.retry_after,
                )
                continue
            for (index, _), answer in zip(pending, answers, strict=True):
                if isinstance(answer, GoogleCallError):
                    error = _connector_error(answer, "Gmail send", write=True)
                    results[index] = error
                    if isinstance(error, RetryableError) and halt is None:
                        halt = RetryableError(
                            f"not sent: Gmail is throttling {self.sender}",
                            retry_after=error.retry_after,
                        )
                else:
                    results[index] = SendResult(provider_id=_message_id(answer))
        return [r if r is not None else RetryableError("not attempted") for r in results]

    def _body(self, message: OutgoingEmail) -> dict[str, str]:
        """The ``users.messages.send`` body: base64url of the RFC 5322 bytes (CRLF lines)."""
        if not message.to:
            raise PermanentError("Gmail send: the message has no recipient")
        try:
            data = to_mime(message, self.sender).as_bytes(policy=email.policy.SMTP)
        except (ValueError, TypeError) as exc:
            raise PermanentError(f"Gmail send: message cannot be encoded ({exc})") from exc
        return {"raw": base64.urlsafe_b64encode(data).decode("ascii")}


def _message_id(answer: Any) -> str | None:
    value = answer.get("id") if isinstance(answer, dict) else None
    return str(value) if value else None


# --------------------------------------------------------------------------- chat


class ChatWebhookNotifier:
    """Posts ``card.chat_payload`` to a Google Chat space webhook (the URL is a secret).

    A payload with ``thread.threadKey`` (e.g. the ISO week) is posted with
    ``messageReplyOption=REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD`` so one week's cards share a
    thread. ``requestId`` is derived from the outbox key, so Chat returns the existing message
    instead of creating a second one if the same card is ever posted again.
    """

    def __init__(
        self,
        url: SecretStr | str,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 15.0,
    ) -> None:
        self._url = url if isinstance(url, SecretStr) else SecretStr(url)
        self._transport = transport
        self._timeout = timeout

    def __repr__(self) -> str:
        return "ChatWebhookNotifier(url=**********)"

    def post(self, card: CardMessage) -> SendResult:
        """POST once: 429 retryable, 5xx or a lost answer unknown, other 4xx permanent."""
        payload = dict(card.chat_payload) or {"text": f"*{card.title}*\n{card.text}"}
        data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        if len(data) > CHAT_MAX_BYTES:
            raise PermanentError(
                f"Chat card is {len(data)} bytes; Google Chat accepts at most {CHAT_MAX_BYTES}"
            )
        params = {
            "requestId": str(uuid.uuid5(_REQUEST_ID_NAMESPACE, card.idempotency_key)),
        }
        thread = payload.get("thread")
        if isinstance(thread, Mapping) and thread.get("threadKey"):
            params["messageReplyOption"] = "REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD"
        url = httpx.URL(self._url.get_secret_value()).copy_merge_params(params)
        try:
            with httpx.Client(transport=self._transport, timeout=self._timeout) as client:
                response = client.post(
                    url, content=data, headers={"Content-Type": "application/json; charset=UTF-8"}
                )
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise RetryableError(f"Chat webhook unreachable ({type(exc).__name__})") from None
        except httpx.HTTPError as exc:
            # no `from exc`: httpx errors carry the request, whose URL holds the webhook secret
            raise DeliveryUnknownError(f"Chat webhook answer lost ({type(exc).__name__})") from None
        return _chat_result(response)


def _chat_result(response: httpx.Response) -> SendResult:
    """Map the webhook's answer onto the outbox's outcomes (never echoing the URL)."""
    status = response.status_code
    if status == 429:
        retry = response.headers.get("Retry-After")
        try:
            retry_after = float(retry) if retry else None
        except ValueError:
            retry_after = None
        raise RetryableError("Chat webhook throttled (429)", retry_after=retry_after)
    if status >= 500:
        raise DeliveryUnknownError(f"Chat webhook answered {status}")
    if status >= 400:
        reason = ""
        try:
            error = response.json().get("error", {})
            reason = f"{error.get('status', '')}: {error.get('message', '')}"[:300]
        except (ValueError, AttributeError):
            pass
        raise PermanentError(f"Chat webhook refused the card: HTTP {status} {reason}".rstrip())
    try:
        name = response.json().get("name")
    except (ValueError, AttributeError):
        name = None
    return SendResult(provider_id=str(name) if name else None)


# --------------------------------------------------------------------------- sheets


def _column(number: int) -> str:
    """1 -> A, 27 -> AA (A1 notation)."""
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


class SheetsListMirror:
    """Mirrors tracked-list rows into one tab of a Google Sheet, keyed by a "Reference" column.

    Values are written RAW (so text such as ``=HYPERLINK(...)`` stays text). Columns are added to
    the header row when a field is new; cells of columns the bot does not own are left alone.
    ``upsert`` is idempotent (it looks the row up first), so retrying after any failure is safe.
    """

    def __init__(self, api: GoogleApi, spreadsheet_id: str, sheet_name: str = "Reports") -> None:
        self._api = api
        self._spreadsheet_id = spreadsheet_id
        self._sheet = sheet_name
        self._lock = threading.Lock()

    @functools.cached_property
    def _cells(self) -> Any:
        # built once, on first use: googleapiclient renders every method's docstring from the
        # (large) Sheets schemas when it builds a resource, about a quarter of a second
        return self._api.resource.spreadsheets().values()

    @property
    def _tab(self) -> str:
        return "'" + self._sheet.replace("'", "''") + "'"

    def upsert(self, reference: str, fields: Mapping[str, str]) -> None:
        """Update the row whose Reference is ``reference``, else append one."""
        with self._lock:
            header = self._header()
            wanted = [REFERENCE_COLUMN, *(f for f in fields if f != REFERENCE_COLUMN)]
            missing = [name for name in wanted if name not in header]
            if missing:
                header = [*header, *missing]
                self._write(
                    f"{self._tab}!A1:{_column(len(header))}1", [list[str | None](header)], "header"
                )
            key = header.index(REFERENCE_COLUMN)
            values: list[str | None] = [None] * len(header)
            values[key] = reference
            for name, value in fields.items():
                if name != REFERENCE_COLUMN:
                    values[header.index(name)] = str(value)
            row = self._find(reference, key)
            if row is None:
                self._append([v if v is not None else "" for v in values])
            else:
                # None cells are skipped by the Sheets API: other people's columns survive
                self._write(f"{self._tab}!A{row}:{_column(len(header))}{row}", [values], "row")

    def _values(self, range_: str) -> list[list[Any]]:
        request = self._cells.get(spreadsheetId=self._spreadsheet_id, range=range_)
        try:
            answer = self._api.call(request)
        except GoogleCallError as exc:
            raise self._error(exc) from exc
        rows = answer.get("values", []) if isinstance(answer, dict) else []
        return [list(r) for r in rows if isinstance(r, list)]

    def _header(self) -> list[str]:
        rows = self._values(f"{self._tab}!1:1")
        return [str(c) for c in rows[0]] if rows else []

    def _find(self, reference: str, key: int) -> int | None:
        letter = _column(key + 1)
        rows = self._values(f"{self._tab}!{letter}:{letter}")
        for number, row in enumerate(rows[1:], start=2):
            if row and str(row[0]) == reference:
                return number
        return None

    def _write(self, range_: str, rows: list[list[str | None]], what: str) -> None:
        request = self._cells.update(
            spreadsheetId=self._spreadsheet_id,
            range=range_,
            valueInputOption="RAW",
            body={"range": range_, "majorDimension": "ROWS", "values": rows},
        )
        try:
            self._api.call(request)
        except GoogleCallError as exc:
            raise self._error(exc, f"Sheets update ({what})") from exc

    def _append(self, row: list[str]) -> None:
        request = self._cells.append(
            spreadsheetId=self._spreadsheet_id,
            range=f"{self._tab}!A1",
            valueInputOption="RAW",
            insertDataOption="INSERT_ROWS",
            body={"majorDimension": "ROWS", "values": [row]},
        )
        try:
            self._api.call(request)
        except GoogleCallError as exc:
            raise self._error(exc, "Sheets append") from exc

    def _error(self, exc: GoogleCallError, what: str = "Sheets values.get") -> ConnectorError:
        if exc.status == 400 and "Unable to parse range" in str(exc):
            return PermanentError(
                f"{what}: no tab named {self._sheet!r} in the spreadsheet "
                "(create it or set COMPLIANCE_BOT_GOOGLE__SHEET_NAME)"
            )
        if exc.status in (403, 404):
            return PermanentError(
                f"{what}: {exc} (share the sheet with the service account as Editor)"
            )
        # upsert re-reads before writing, so even an unknown outcome is safe to retry
        return _connector_error(exc, what, write=False)


# --------------------------------------------------------------------------- forms


def _parse_time(value: str) -> datetime:
    """RFC 3339 from Google (``Z``, up to nanoseconds) -> aware datetime."""
    text = value.strip().replace("Z", "+00:00")
    if "." in text:
        head, _, tail = text.partition(".")
        digits = "".join(c for c in tail if c.isdigit())
        zone = tail[len(digits) :]
        text = f"{head}.{digits[:6].ljust(6, '0')}{zone}"
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _rfc3339(moment: datetime) -> str:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat().replace("+00:00", "Z")


class GoogleFormSource:
    """Reads Google Forms responses, answers keyed by question title, oldest first."""

    def __init__(self, api: GoogleApi, form_id: str) -> None:
        self._api = api
        self._form_id = form_id

    @functools.cached_property
    def _forms(self) -> Any:
        return self._api.resource.forms()  # built once: resources are costly

    @functools.cached_property
    def _responses(self) -> Any:
        return self._forms.responses()

    def responses(self, since: datetime | None = None) -> Sequence[FormResponse]:
        """Responses last submitted after ``since`` (all when None), oldest first."""
        titles = self._titles()
        params: dict[str, Any] = {"formId": self._form_id}
        if since is not None:
            params["filter"] = f"timestamp > {_rfc3339(since)}"
        request = self._responses.list(**params)
        found: list[FormResponse] = []
        while request is not None:
            page = self._read(request, "Forms responses.list")
            for raw in page.get("responses", []):
                response = self._response(raw, titles)
                if since is None or response.submitted_at > since:
                    found.append(response)
            request = self._responses.list_next(request, page)
        return sorted(found, key=lambda r: (r.submitted_at, r.response_id))

    def _read(self, request: Any, what: str) -> dict[str, Any]:
        try:
            return _read(self._api, request, what)
        except PermanentError as exc:
            raise PermanentError(
                f"{exc} (share the form with the service account, and check "
                "COMPLIANCE_BOT_GOOGLE__FORM_ID)"
            ) from exc

    def _titles(self) -> dict[str, str]:
        form = self._read(self._forms.get(formId=self._form_id), "Forms forms.get")
        titles: dict[str, str] = {}
        used: set[str] = set()

        def add(question_id: Any, title: str) -> None:
            if not question_id:
                return
            base = title.strip() or str(question_id)
            name, n = base, 2
            while name in used:  # two questions with one title must not overwrite each other
                name, n = f"{base} ({n})", n + 1
            used.add(name)
            titles[str(question_id)] = name

        for item in form.get("items", []):
            title = str(item.get("title") or "")
            question = (item.get("questionItem") or {}).get("question") or {}
            add(question.get("questionId"), title)
            for row in (item.get("questionGroupItem") or {}).get("questions", []):
                row_title = str((row.get("rowQuestion") or {}).get("title") or "")
                add(row.get("questionId"), f"{title} - {row_title}" if row_title else title)
        return titles

    @staticmethod
    def _response(raw: Mapping[str, Any], titles: Mapping[str, str]) -> FormResponse:
        answers: dict[str, str] = {}
        for question_id, answer in (raw.get("answers") or {}).items():
            parts = [
                str(a.get("value", ""))
                for a in (answer.get("textAnswers") or {}).get("answers", [])
            ]
            parts += [
                str(a.get("fileName", ""))
                for a in (answer.get("fileUploadAnswers") or {}).get("answers", [])
            ]
            answers[titles.get(str(question_id), str(question_id))] = "; ".join(parts)
        submitted = raw.get("lastSubmittedTime") or raw.get("createTime")
        if not submitted or not raw.get("responseId"):
            raise PermanentError("Forms responses.list: a response without id or time")
        return FormResponse(
            response_id=str(raw["responseId"]),
            submitted_at=_parse_time(str(submitted)),
            answers=answers,
            respondent_email=str(raw["respondentEmail"]) if raw.get("respondentEmail") else None,
        )


# --------------------------------------------------------------------------- build


def build(
    settings: Settings,
    *,
    http: Any | None = None,
    chat_transport: httpx.BaseTransport | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Connectors:
    """Build the Google connectors from ``settings.google`` (see deploy/google.md).

    Raises:
        SettingsError: a required ``COMPLIANCE_BOT_GOOGLE__...`` variable is missing or wrong.
    """
    from bot.core.settings import SettingsError
    from connectors.registry import Connectors

    google = settings.google
    required = {
        "SERVICE_ACCOUNT_FILE": google.service_account_file,
        "ADMIN_SUBJECT": google.admin_subject,
        "SENDER": google.sender,
    }
    for name, value in required.items():
        if not value:
            raise SettingsError(
                f"COMPLIANCE_BOT_GOOGLE__{name} is required when COMPLIANCE_BOT_CONNECTOR=google"
            )
    if google.messages_per_minute < 1:
        raise SettingsError("COMPLIANCE_BOT_GOOGLE__MESSAGES_PER_MINUTE must be at least 1")
    assert google.service_account_file is not None and google.sender is not None
    try:
        client = GoogleClient.from_file(
            google.service_account_file,
            admin_subject=google.admin_subject,
            sender=google.sender,
            http=http,
        )
    except GoogleSetupError as exc:
        raise SettingsError(f"COMPLIANCE_BOT_GOOGLE__SERVICE_ACCOUNT_FILE: {exc}") from None
    mailer = GmailMailer(
        client.gmail(),
        google.sender,
        pacer=RateLimiter(google.messages_per_minute, 60.0, clock=clock, sleep=sleep),
        quota=DailyQuota(clock=clock),
    )
    notifier = (
        ChatWebhookNotifier(google.chat_webhook_url, transport=chat_transport)
        if google.chat_webhook_url is not None
        else None
    )
    mirror = (
        SheetsListMirror(client.sheets(), google.spreadsheet_id, google.sheet_name)
        if google.spreadsheet_id
        else None
    )
    forms = GoogleFormSource(client.forms(), google.form_id) if google.form_id else None
    return Connectors(
        name="google",
        directory=GoogleDirectory(
            client.directory(),
            customer=google.customer,
            groups=google.role_groups,
            query=google.user_query,
            roles_by_group=google.role_groups,  # settings say which groups give which role
        ),
        mailer=mailer,
        notifier=notifier,
        mirror=mirror,
        forms=forms,
    )
