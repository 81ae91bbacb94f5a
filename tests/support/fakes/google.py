"""A fake of the Google APIs the google connector uses, speaking their wire format.

``FakeGoogle`` is an httplib2-compatible ``http`` object (``request(uri, method, body, headers)``):

* routes, HTTP methods, query parameters (names, enums, integer bounds, required ones) and OAuth
  scopes come from the discovery documents bundled in google-api-python-client, so a wrong method,
  path or parameter gets Google's 400 instead of a silent success;
* an OAuth token endpoint verifies the service account's RS256 JWT and enforces domain-wide
  delegation (``unauthorized_client`` when a scope is not delegated);
* Gmail batches are parsed from the real ``multipart/mixed`` body and answered the same way;
* answers and errors use Google's JSON shapes; failures can be injected per method id.

``chat_transport()`` is an ``httpx.MockTransport`` standing in for a Chat space webhook.
Anything the fake does not understand is rejected with a 400.
"""

from __future__ import annotations

import base64
import email
import email.message
import email.parser
import email.policy
import functools
import http.client
import itertools
import json
import re
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httplib2
import httpx
import pytest

from tests.support.conformance import PROBLEMS
from tests.support.conformance.google import GoogleConformance, field_mask
from tests.support.conformance.google_chat import chat_message_problems
from tests.support.fakes.google_chat import ChatApi

TOKEN_URI = "https://oauth2.googleapis.com/token"
# Gmail's quota units per method ("Usage limits"); the Directory counts queries
_GMAIL_COSTS = {
    "gmail.users.messages.send": 100,
    "gmail.users.messages.list": 5,
    "gmail.users.messages.get": 5,
}
# Google's published per-user quotas a minute: the Directory's queries, Gmail's units
PUBLISHED_QUOTAS = {"directory": 2_400, "gmail": 6_000}
SA_EMAIL = "compliance-bot@oakfield-bot.iam.gserviceaccount.com"
SA_CLIENT_ID = "104857600000000000001"
WEBHOOK_URL = (
    "https://chat.googleapis.com/v1/spaces/AAAAfake/messages?key=fake-key&token=fake-token"
)
ALL_SCOPES = frozenset(
    {
        "https://www.googleapis.com/auth/gmail.send",
        "https://www.googleapis.com/auth/gmail.readonly",
        "https://www.googleapis.com/auth/admin.directory.user.readonly",
        "https://www.googleapis.com/auth/admin.directory.group.member.readonly",
        "https://www.googleapis.com/auth/admin.directory.group.readonly",
        "https://www.googleapis.com/auth/spreadsheets",
        "https://www.googleapis.com/auth/forms.body.readonly",
        "https://www.googleapis.com/auth/forms.responses.readonly",
        "https://www.googleapis.com/auth/chat.spaces.create",
    }
)
GMAIL_SCOPE_ROOT = "https://www.googleapis.com/auth/"
_APIS = (
    ("admin", "directory_v1"),
    ("gmail", "v1"),
    ("sheets", "v4"),
    ("forms", "v1"),
    ("chat", "v1"),
)
# the batch routes: Gmail's documented one and each discovery document's rootUrl + batchPath
_BATCH_ROUTES = {
    ("gmail.googleapis.com", "/batch/gmail/v1"),
    ("gmail.googleapis.com", "/batch"),
    ("admin.googleapis.com", "/batch"),
}
_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


# --------------------------------------------------------------------------- keys


@functools.cache
def _private_key() -> Any:
    """A throwaway RSA key generated at test time (never stored anywhere)."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def service_account_info(
    client_email: str = SA_EMAIL, client_id: str = SA_CLIENT_ID
) -> dict[str, str]:
    """A service-account key file's content, with a freshly generated private key."""
    from cryptography.hazmat.primitives import serialization

    pem = _private_key().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return {
        "type": "service_account",
        "project_id": "oakfield-bot",
        "private_key_id": "0000fake",
        "private_key": pem.decode("ascii"),
        "client_email": client_email,
        "client_id": client_id,
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": TOKEN_URI,
    }


def domain_settings(home: Path, domain: str, role_groups: dict[str, str], **google: Any) -> Any:
    """Settings of an install on one fake Google ``domain`` (``it.admin@`` and ``bot@`` of
    it, a fresh service-account key in ``home``), its ``role_groups``; ``google``: more."""
    from pydantic import SecretStr

    from bot.core.deployment.platform_settings import GoogleSettings
    from bot.core.deployment.settings import Settings
    from tests.support.keys import TEST_SECRET

    key = home / "service-account.json"
    key.parent.mkdir(parents=True, exist_ok=True)
    key.write_text(json.dumps(service_account_info()), encoding="utf-8")
    return Settings(
        _env_file=None,
        home=home,
        connector="google",
        secret_key=SecretStr(TEST_SECRET),
        google=GoogleSettings(
            service_account_file=key,
            admin_subject=f"it.admin@{domain}",
            sender=f"bot@{domain}",
            role_groups=role_groups,
            **google,
        ),
    )


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# --------------------------------------------------------------------------- discovery routes


@dataclass(frozen=True)
class Route:
    """One API method as its discovery document describes it."""

    api: str
    method_id: str
    http_method: str
    pattern: re.Pattern[str]
    path_params: tuple[str, ...]
    parameters: dict[str, dict[str, Any]]
    scopes: frozenset[str]


@functools.cache
def _routes() -> tuple[Route, ...]:
    from googleapiclient.discovery_cache import get_static_doc

    routes: list[Route] = []
    for name, version in _APIS:
        doc = json.loads(get_static_doc(name, version))
        base = urllib.parse.urlparse(doc["rootUrl"] + doc["servicePath"])
        common = doc.get("parameters", {})

        def walk(resource: dict[str, Any]) -> Iterator[dict[str, Any]]:
            yield from resource.get("methods", {}).values()
            for child in resource.get("resources", {}).values():
                yield from walk(child)

        for method in walk(doc):
            path = method.get("flatPath", method["path"])
            names = tuple(re.findall(r"{\+?(\w+)}", path))
            regex = re.escape(base.path + path)
            for param in names:
                regex = regex.replace(re.escape("{" + param + "}"), r"([^/:]+)")
                regex = regex.replace(re.escape("{+" + param + "}"), r"(.+)")
            routes.append(
                Route(
                    api=name,
                    method_id=method["id"],
                    http_method=method["httpMethod"],
                    pattern=re.compile(f"^{regex}$"),
                    path_params=names,
                    parameters={**common, **method.get("parameters", {})},
                    scopes=frozenset(method.get("scopes", [])),
                )
            )
    return tuple(routes)


_HOSTS = {
    "admin.googleapis.com": "admin",
    "gmail.googleapis.com": "gmail",
    "sheets.googleapis.com": "sheets",
    "forms.googleapis.com": "forms",
    "chat.googleapis.com": "chat",
}


class GoogleHttpError(Exception):
    """Raised inside a handler: becomes a Google-shaped JSON error answer."""

    def __init__(
        self,
        status: int,
        message: str,
        reason: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.reason = reason
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        """Google's v1 error envelope (``errors[]`` plus the AIP ``status``)."""
        error: dict[str, Any] = {
            "code": self.status,
            "message": self.message,
            "status": _STATUS_NAMES.get(self.status, "UNKNOWN"),
        }
        if self.reason:
            error["errors"] = [{"message": self.message, "domain": "global", "reason": self.reason}]
        return {"error": error}


# --------------------------------------------------------------------------- records


@dataclass
class Recorded:
    """One request the fake received (batch items are recorded individually too)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    method_id: str | None = None
    principal: str | None = None
    batch: int | None = None  # index into FakeGoogle.batches

    def json(self) -> Any:
        """The request body as JSON."""
        return json.loads(self.body.decode("utf-8"))


@dataclass
class SentMail:
    """A message in a Gmail account: one it sent, or one it received (``inbox``)."""

    mailbox: str
    raw: bytes
    id: str
    at: datetime = field(default_factory=lambda: datetime.now(UTC))  # Gmail's internalDate

    @property
    def message(self) -> email.message.EmailMessage:
        """The parsed RFC 5322 message."""
        parsed = email.message_from_bytes(self.raw, policy=email.policy.default)
        assert isinstance(parsed, email.message.EmailMessage)
        return parsed


@dataclass
class Failure:
    """An injected failure for the next request(s) to ``method_id``."""

    method_id: str
    status: int | None = None
    reason: str | None = None
    message: str = "injected failure"
    headers: dict[str, str] = field(default_factory=dict)
    raise_before: BaseException | None = None  # transport error before Google saw it
    raise_after: BaseException | None = None  # Google processed it, the answer was lost
    times: int = 1
    after: int = 0  # let this many matching requests through first


@dataclass
class Spreadsheet:
    """A spreadsheet: tabs of rows of cell strings, plus who it is shared with."""

    title: str
    tabs: dict[str, list[list[str]]]
    shared_with: set[str] = field(default_factory=set)


@dataclass
class Form:
    """A form: its JSON, its responses (Google JSON), who it is shared with."""

    form: dict[str, Any]
    responses: list[dict[str, Any]]
    shared_with: set[str] = field(default_factory=set)


@dataclass
class Token:
    """An access token the fake issued."""

    principal: str
    scopes: frozenset[str]
    delegated: bool


# --------------------------------------------------------------------------- the fake


class FakeGoogle(ChatApi):
    """An httplib2-compatible fake of Admin SDK, Gmail, Sheets, Forms, Chat (``ChatApi``) and
    the token endpoint."""

    def __init__(self, *, customer_id: str = "C0fake01", require_auth: bool = True) -> None:
        self.customer_id = customer_id
        self.require_auth = require_auth
        self._scopes: frozenset[str] = frozenset()  # the current request's token's scopes
        self.conformance = GoogleConformance()
        self.users: list[dict[str, Any]] = []
        self.users_read: list[str] = []  # whose accounts users.get/users.list handed out
        self.groups: dict[str, dict[str, Any]] = {}
        self.admins: set[str] = set()
        self.service_accounts: dict[str, str] = {SA_EMAIL: SA_CLIENT_ID}
        self.delegation: dict[str, set[str]] = {SA_CLIENT_ID: set(ALL_SCOPES)}
        self.spreadsheets: dict[str, Spreadsheet] = {}
        self.forms: dict[str, Form] = {}
        self.forms_page_cap: int | None = None
        self.chat_webhook_url = WEBHOOK_URL
        self.chat_posts: list[dict[str, Any]] = []
        self.chat_requests: list[httpx.Request] = []
        self.sent: list[SentMail] = []
        self.inbox: list[SentMail] = []  # messages the accounts received (bounces)
        self._lists: dict[str, list[str]] = {}  # the current request's repeated parameters
        self.requests: list[Recorded] = []
        self.batches: list[list[Recorded]] = []
        self.tokens: dict[str, Token] = {}
        self.token_requests: list[dict[str, Any]] = []
        self.failures: list[Failure] = []
        self._ids = itertools.count(1)
        self._page_tokens: dict[str, tuple[str, int]] = {}
        self._chat_by_request_id: dict[str, dict[str, Any]] = {}
        self._principal_delegated = False  # the current request's token acts as a user
        # Google's per-user quotas when set: API ("directory", "gmail") -> units a minute per
        # user (``PUBLISHED_QUOTAS``); past one, 403 userRateLimitExceeded, on ``clock``
        self.user_quotas: dict[str, int] = {}
        self.clock: Callable[[], float] = time.monotonic
        self.spent: dict[tuple[str, str], list[tuple[float, int]]] = {}
        self.over_quota = 0
        self._chat_init()

    def __deepcopy__(self, memo: dict[int, Any]) -> FakeGoogle:
        # google-auth deep-copies the transport for a background "regional access boundary"
        # lookup; refusing makes it skip that lookup instead of calling from another thread.
        raise TypeError("FakeGoogle is not copyable")

    # ------------------------------------------------------------------ seeding
    def add_user(
        self,
        email_address: str,
        full_name: str,
        *,
        user_id: str | None = None,
        given: str | None = None,
        family: str | None = None,
        suspended: bool = False,
        archived: bool = False,
        manager: str | None = None,
        title: str | None = None,
        org_unit: str = "/",
        admin: bool = False,
    ) -> dict[str, Any]:
        """Add a Directory user (Google's User resource shape)."""
        given = given or full_name.split(" ")[0]
        family = family or full_name.split(" ")[-1]
        user: dict[str, Any] = {
            "kind": "admin#directory#user",
            "id": user_id or f"1{next(self._ids):020d}",
            "etag": '"fake"',
            "primaryEmail": email_address,
            "name": {"givenName": given, "familyName": family, "fullName": full_name},
            "isAdmin": admin,
            "isDelegatedAdmin": False,
            "suspended": suspended,
            "archived": archived,
            "orgUnitPath": org_unit,
            "customerId": self.customer_id,
            "emails": [{"address": email_address, "primary": True}],
            "creationTime": "2024-09-01T08:00:00.000Z",
        }
        if manager:
            user["relations"] = [{"value": manager, "type": "manager"}]
        if title:
            user["organizations"] = [{"title": title, "primary": True, "customType": ""}]
        self.users.append(user)
        if admin:
            self.admins.add(email_address)
        return user

    def add_group(self, group_email: str, name: str, members: list[str]) -> None:
        """Add a group; ``members`` are user or group emails (groups nest)."""
        self.groups[group_email.lower()] = {
            "kind": "admin#directory#group",
            "id": f"0{next(self._ids):016d}",
            "email": group_email,
            "name": name,
            "members": list(members),
        }

    def add_spreadsheet(
        self, spreadsheet_id: str, tabs: dict[str, list[list[str]]], *, shared: bool = True
    ) -> Spreadsheet:
        """Add a spreadsheet, shared with the service account unless ``shared`` is False."""
        sheet = Spreadsheet("Safeguarding reports", tabs, {SA_EMAIL} if shared else set())
        self.spreadsheets[spreadsheet_id] = sheet
        return sheet

    def add_form(
        self,
        form_id: str,
        questions: dict[str, str],
        responses: list[dict[str, Any]],
        *,
        shared: bool = True,
    ) -> Form:
        """Add a form with text questions (questionId -> title) and Google-shaped responses."""
        items = [
            {
                "itemId": f"item{qid}",
                "title": title,
                "questionItem": {"question": {"questionId": qid, "textQuestion": {}}},
            }
            for qid, title in questions.items()
        ]
        form = {
            "formId": form_id,
            "info": {"title": "Report a concern", "documentTitle": "Report a concern"},
            "revisionId": "00000001",
            "responderUri": f"https://docs.google.com/forms/d/e/{form_id}/viewform",
            "items": items,
        }
        record = Form(form, list(responses), {SA_EMAIL} if shared else set())
        self.forms[form_id] = record
        return record

    def fail_next(self, method_id: str, status: int | None = None, **kwargs: Any) -> None:
        """Make the next request(s) to ``method_id`` ("batch", "token", "chat") fail."""
        self.failures.append(Failure(method_id, status, **kwargs))

    # ------------------------------------------------------------------ read-back
    def calls(self, method_id: str) -> list[Recorded]:
        """Every recorded request to ``method_id`` (batch items included)."""
        return [r for r in self.requests if r.method_id == method_id]

    def tab(self, spreadsheet_id: str, name: str) -> list[list[str]]:
        """The cells of one tab."""
        return self.spreadsheets[spreadsheet_id].tabs[name]

    # ------------------------------------------------------------------ httplib2 interface
    def request(
        self,
        uri: str,
        method: str = "GET",
        body: bytes | str | None = None,
        headers: dict[str, str] | None = None,
        redirections: int = 5,
        connection_type: Any = None,
        **kwargs: Any,
    ) -> tuple[httplib2.Response, bytes]:
        """httplib2's ``Http.request``: route, validate, answer."""
        data = body.encode("utf-8") if isinstance(body, str) else (body or b"")
        lowered = {k.lower(): str(v) for k, v in (headers or {}).items()}
        parsed = urllib.parse.urlsplit(uri)
        if f"{parsed.scheme}://{parsed.netloc}{parsed.path}" == TOKEN_URI:
            return self._token(method, data, lowered)
        if (parsed.netloc, parsed.path) in _BATCH_ROUTES:
            return self._batch(parsed, method, data, lowered)
        status, answer_headers, answer = self._dispatch(
            method, parsed.netloc, parsed.path, parsed.query, lowered, data, batch=None
        )
        return self._response(status, answer_headers), answer

    def close(self) -> None:
        """httplib2 compatibility."""

    @staticmethod
    def _error(
        status: int, message: str, reason: str | None = None, headers: dict[str, str] | None = None
    ) -> GoogleHttpError:
        """A Google-shaped error answer (for the mixed-in APIs' handlers)."""
        return GoogleHttpError(status, message, reason, headers)

    @staticmethod
    def _response(status: int, headers: dict[str, str] | None = None) -> httplib2.Response:
        info = {"status": str(status), "content-type": "application/json; charset=UTF-8"}
        info.update({k.lower(): v for k, v in (headers or {}).items()})
        response = httplib2.Response(info)
        response.reason = http.client.responses.get(status, "")
        return response

    def _failure(self, method_id: str) -> Failure | None:
        for failure in self.failures:
            if failure.method_id == method_id:
                if failure.after > 0:
                    failure.after -= 1
                    return None
                failure.times -= 1
                if failure.times <= 0:
                    self.failures.remove(failure)
                return failure
        return None

    # ------------------------------------------------------------------ token endpoint
    def _token(
        self, method: str, data: bytes, headers: dict[str, str]
    ) -> tuple[httplib2.Response, bytes]:
        def answer(status: int, payload: dict[str, Any]) -> tuple[httplib2.Response, bytes]:
            return self._response(status), json.dumps(payload).encode()

        if method != "POST" or "x-www-form-urlencoded" not in headers.get("content-type", ""):
            return answer(400, {"error": "invalid_request"})
        form = dict(urllib.parse.parse_qsl(data.decode("ascii")))
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return answer(400, {"error": "unsupported_grant_type"})
        try:
            head, payload, signature = form["assertion"].split(".")
            claims = json.loads(_b64url_decode(payload))
            header = json.loads(_b64url_decode(head))
        except (KeyError, ValueError):
            return answer(400, {"error": "invalid_grant", "error_description": "Bad JWT"})
        self.token_requests.append(claims)
        if self._failure("token") is not None:
            return answer(
                401,
                {
                    "error": "unauthorized_client",
                    "error_description": "Client is unauthorized to retrieve access tokens "
                    "using this method, or client not authorized for any of the scopes "
                    "requested.",
                },
            )
        issuer = claims.get("iss")
        if header.get("alg") != "RS256" or issuer not in self.service_accounts:
            return answer(400, {"error": "invalid_grant", "error_description": "Invalid JWT"})
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        try:
            _private_key().public_key().verify(
                _b64url_decode(signature),
                f"{head}.{payload}".encode("ascii"),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except InvalidSignature:
            return answer(
                400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
            )
        if claims.get("aud") != TOKEN_URI:
            return answer(400, {"error": "invalid_grant", "error_description": "Bad audience"})
        scopes = frozenset(str(claims.get("scope", "")).split())
        subject = claims.get("sub")
        if subject:
            allowed = self.delegation.get(self.service_accounts[issuer], set())
            if not scopes <= allowed:
                return answer(
                    401,
                    {
                        "error": "unauthorized_client",
                        "error_description": "Client is unauthorized to retrieve access tokens "
                        "using this method, or client not authorized for any of the scopes "
                        "requested.",
                    },
                )
            user = self._user_by_email(subject)
            if user is None or user.get("suspended"):
                return answer(
                    400, {"error": "invalid_grant", "error_description": "Invalid email or User ID"}
                )
        token = f"ya29.fake-{next(self._ids)}"
        self.tokens[token] = Token(str(subject or issuer), scopes, bool(subject))
        return answer(200, {"access_token": token, "expires_in": 3599, "token_type": "Bearer"})

    # ------------------------------------------------------------------ routing
    def _dispatch(
        self,
        method: str,
        host: str,
        path: str,
        query: str,
        headers: dict[str, str],
        body: bytes,
        *,
        batch: int | None,
    ) -> tuple[int, dict[str, str], bytes]:
        params = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
        self._lists = urllib.parse.parse_qs(query, keep_blank_values=True)
        record = Recorded(method, path, params, headers, body, batch=batch)
        self.requests.append(record)
        status, answer_headers, answer = self._answer(method, host, path, headers, body, record)
        self.conformance.check(record.method_id, body, status, answer, params.get("fields"))
        return status, answer_headers, answer

    def _answer(
        self,
        method: str,
        host: str,
        path: str,
        headers: dict[str, str],
        body: bytes,
        record: Recorded,
    ) -> tuple[int, dict[str, str], bytes]:
        params = record.query
        try:
            route, path_values = self._route(method, host, path)
            record.method_id = route.method_id
            failure = self._failure(route.method_id)
            if failure is not None and failure.raise_before is not None:
                raise failure.raise_before
            record.principal = self._authorise(route, headers)
            self._spend(route.method_id, record.principal)
            if failure is not None and failure.status is not None:
                raise GoogleHttpError(
                    failure.status, failure.message, failure.reason, failure.headers
                )
            self._validate(route, params)
            for name, values in self._lists.items():  # only a "repeated" one may come twice
                if len(values) > 1 and not route.parameters.get(name, {}).get("repeated"):
                    raise GoogleHttpError(
                        400, f"Invalid value for {name}: given {len(values)} times", "invalid"
                    )
            handler: Callable[..., tuple[int, Any]] | None = getattr(
                self, "_h_" + route.method_id.replace(".", "_"), None
            )
            if handler is None:
                raise GoogleHttpError(
                    400, f"fake does not implement {route.method_id}", "badRequest"
                )
            payload = json.loads(body) if body else None
            status, answer = handler(record.principal, path_values, params, payload)
            if params.get("fields"):  # Google's partial response: only the masked fields
                try:
                    answer = field_mask(route.method_id, params["fields"], answer)
                except ValueError as exc:
                    raise GoogleHttpError(
                        400, f"Invalid field selection {exc}", "invalidParameter"
                    ) from None
            if failure is not None and failure.raise_after is not None:
                raise failure.raise_after
            return status, {}, json.dumps(answer).encode()
        except GoogleHttpError as exc:
            return exc.status, exc.headers, json.dumps(exc.body()).encode()

    def _spend(self, method_id: str, principal: str | None) -> None:
        """Count the call's units against its user's quota (``user_quotas``): the Directory's
        queries, Gmail's quota units per method (its "Usage limits" table)."""
        api = method_id.split(".")[0]
        if api not in self.user_quotas:
            return
        cost = _GMAIL_COSTS.get(method_id, 5) if api == "gmail" else 1
        now, key = self.clock(), (api, principal or "")
        spent = [(at, n) for at, n in self.spent.get(key, []) if now - at < 60.0]
        if sum(n for _, n in spent) + cost > self.user_quotas[api]:
            self.over_quota += 1
            raise GoogleHttpError(
                403,
                "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user'",
                "userRateLimitExceeded",
            )
        self.spent[key] = [*spent, (now, cost)]

    def _route(self, method: str, host: str, path: str) -> tuple[Route, dict[str, str]]:
        api = _HOSTS.get(host)
        for route in _routes():
            if route.api != api:
                continue
            match = route.pattern.match(path)
            if match and route.http_method == method:
                values = [urllib.parse.unquote(v) for v in match.groups()]
                return route, dict(zip(route.path_params, values, strict=True))
        raise GoogleHttpError(400, f"fake does not understand {method} {host}{path}", "badRequest")

    def _authorise(self, route: Route, headers: dict[str, str]) -> str | None:
        if not self.require_auth:
            return None
        value = headers.get("authorization", "")
        token = (
            self.tokens.get(value.removeprefix("Bearer ")) if value.startswith("Bearer ") else None
        )
        if token is None:
            raise GoogleHttpError(
                401, "Request is missing required authentication credential.", "authError"
            )
        if not token.scopes & route.scopes:
            raise GoogleHttpError(
                403, "Request had insufficient authentication scopes.", "insufficientPermissions"
            )
        self._scopes = token.scopes  # what this request's token may do (gmail.metadata: no q)
        self._principal_delegated = token.delegated
        return token.principal

    @staticmethod
    def _validate(route: Route, params: dict[str, str]) -> None:
        for name, value in params.items():
            spec = route.parameters.get(name)
            if spec is None or spec.get("location") != "query":
                raise GoogleHttpError(
                    400, f'Invalid JSON payload received. Unknown name "{name}"', "badRequest"
                )
            if "enum" in spec and value not in spec["enum"]:
                raise GoogleHttpError(400, f"Invalid value for {name}: {value}", "invalid")
            if spec.get("type") == "integer":
                try:
                    number = int(value)
                except ValueError:
                    raise GoogleHttpError(400, f"Invalid value for {name}", "invalid") from None
                low, high = spec.get("minimum"), spec.get("maximum")
                if (low is not None and number < int(low)) or (
                    high is not None and number > int(high)
                ):
                    raise GoogleHttpError(400, f"Invalid value '{value}' for {name}", "invalid")
            if spec.get("type") == "boolean" and value not in ("true", "false"):
                raise GoogleHttpError(400, f"Invalid value for {name}", "invalid")
        for name, spec in route.parameters.items():
            if spec.get("required") and spec.get("location") == "query" and name not in params:
                raise GoogleHttpError(400, f"Required parameter: {name}", "required")

    # ------------------------------------------------------------------ paging
    def _page(
        self, key: str, items: list[Any], size: int, token: str | None
    ) -> tuple[list[Any], str | None]:
        start = 0
        if token:
            owner = self._page_tokens.get(token)
            if owner is None or owner[0] != key:
                raise GoogleHttpError(400, "Invalid page token", "invalid")
            start = owner[1]
        end = start + size
        next_token = None
        if end < len(items):
            next_token = f"pt-{uuid.uuid4().hex[:12]}"
            self._page_tokens[next_token] = (key, end)
        return items[start:end], next_token

    # ------------------------------------------------------------------ directory
    def _user_by_email(self, address: str) -> dict[str, Any] | None:
        wanted = address.lower()
        return next(
            (u for u in self.users if str(u.get("primaryEmail", "")).lower() == wanted), None
        )

    def _require_admin(self, principal: str | None) -> None:
        if self.require_auth and principal not in self.admins:
            raise GoogleHttpError(403, "Not Authorized to access this resource/api", "forbidden")

    def _h_directory_users_list(
        self, principal: str | None, path: dict[str, str], q: dict[str, str], body: Any
    ) -> tuple[int, Any]:
        self._require_admin(principal)
        if "customer" not in q and "domain" not in q:
            raise GoogleHttpError(400, "Bad Request", "badRequest")
        if q.get("customer") not in (None, "my_customer", self.customer_id):
            raise GoogleHttpError(400, "Bad Request", "badRequest")
        users = list(self.users)
        if "query" in q:
            match = re.fullmatch(r"orgUnitPath='?([^']*)'?", q["query"])
            if match is None:
                raise GoogleHttpError(400, "Invalid Input: fake only knows orgUnitPath=", "invalid")
            # as the Admin SDK does: the org unit and every org unit under it ('/' is everyone)
            target = match.group(1).rstrip("/")
            users = [
                u
                for u in users
                if not target
                or u["orgUnitPath"] == target
                or u["orgUnitPath"].startswith(target + "/")
            ]
        page, token = self._page(
            "users" + q.get("query", ""), users, int(q.get("maxResults", "100")), q.get("pageToken")
        )
        self.users_read.extend(str(u.get("primaryEmail", "")) for u in page)
        answer: dict[str, Any] = {"kind": "admin#directory#users", "etag": '"fake"', "users": page}
        if token:
            answer["nextPageToken"] = token
        return 200, answer

    def _h_directory_users_get(
        self, principal: str | None, path: dict[str, str], q: dict[str, str], body: Any
    ) -> tuple[int, Any]:
        self._require_admin(principal)
        if q.get("projection", "basic") not in ("basic", "custom", "full"):
            raise GoogleHttpError(400, "Invalid Input: projection", "invalid")
        key = path["userKey"]
        user = self._user_by_email(key) or next((u for u in self.users if u.get("id") == key), None)
        if user is None:
            raise GoogleHttpError(404, "Resource Not Found: userKey", "notFound")
        self.users_read.append(user["primaryEmail"])
        return 200, user

    def _group(self, key: str) -> dict[str, Any]:
        group = self.groups.get(key.lower()) or next(
            (g for g in self.groups.values() if g["id"] == key), None
        )
        if group is None:
            raise GoogleHttpError(404, "Resource Not Found: groupKey", "notFound")
        return group

    def _member(self, address: str, via: str | None = None) -> dict[str, Any]:
        user = self._user_by_email(address)
        if user is not None:
            return {
                "kind": "admin#directory#member",
                "id": user["id"],
                "email": user["primaryEmail"],
                "role": "MEMBER",
                "type": "USER",
                "status": "SUSPENDED" if user["suspended"] else "ACTIVE",
            }
        group = self.groups.get(address.lower())
        if group is not None:
            return {
                "kind": "admin#directory#member",
                "id": group["id"],
                "email": group["email"],
                "role": "MEMBER",
                "type": "GROUP",
            }
        if address == "*":
            return {"kind": "admin#directory#member", "id": self.customer_id, "type": "CUSTOMER"}
        raise AssertionError(f"fake seeded with unknown member {address}")

    def _h_directory_members_list(
        self, principal: str | None, path: dict[str, str], q: dict[str, str], body: Any
    ) -> tuple[int, Any]:
        self._require_admin(principal)
        size = int(q.get("maxResults", "200"))
        if size > 200:  # "Max allowed value is 200" (not in the discovery document's maximum)
            raise GoogleHttpError(400, "Invalid Input", "invalid")
        group = self._group(path["groupKey"])
        derived = q.get("includeDerivedMembership") == "true"
        members: list[dict[str, Any]] = []
        seen: set[str] = set()
        # depth first, as the groups nest, by a stack of member lists: a nested function
        # calling itself is a reference cycle, and kept the list until a full collection
        stack = [iter(group["members"])]
        while stack:
            address = next(stack[-1], None)
            if address is None:
                stack.pop()
                continue
            member = self._member(address)
            if member["id"] in seen:
                continue
            seen.add(member["id"])
            members.append(member)
            if derived and member["type"] == "GROUP":
                stack.append(iter(self.groups[address.lower()]["members"]))
        page, token = self._page(
            f"members:{group['id']}:{derived}", members, size, q.get("pageToken")
        )
        answer: dict[str, Any] = {"kind": "admin#directory#members", "etag": '"fake"'}
        if page:
            answer["members"] = page
        if token:
            answer["nextPageToken"] = token
        return 200, answer

    def _h_directory_groups_get(
        self, principal: str | None, path: dict[str, str], q: dict[str, str], body: Any
    ) -> tuple[int, Any]:
        self._require_admin(principal)
        group = self._group(path["groupKey"])
        shown = {k: v for k, v in group.items() if k != "members"}
        return 200, {**shown, "directMembersCount": str(len(group["members"]))}

    # ------------------------------------------------------------------ gmail
    def _h_gmail_users_messages_send(
        self, principal: str | None, path: dict[str, str], q: dict[str, str], body: Any
    ) -> tuple[int, Any]:
        token_user = principal
        if path["userId"] not in ("me", token_user):
            raise GoogleHttpError(403, "Delegation denied", "forbidden")
        if self.require_auth and (token_user is None or self._user_by_email(token_user) is None):
            raise GoogleHttpError(400, "Precondition check failed.", "failedPrecondition")
        if not isinstance(body, dict) or set(body) - {"raw", "threadId", "labelIds"}:
            raise GoogleHttpError(400, "Invalid JSON payload received.", "invalidArgument")
        if not isinstance(body.get("raw"), str) or not body["raw"]:
            raise GoogleHttpError(
                400,
                "'raw' RFC822 payload message string or uploading message via /upload/* URL "
                "required",
                "invalidArgument",
            )
        if not re.fullmatch(r"[A-Za-z0-9_-]+={0,2}", body["raw"]):
            raise GoogleHttpError(400, "Invalid value for ByteString", "invalidArgument")
        raw = _b64url_decode(body["raw"].rstrip("="))
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        if not (parsed.get("To") or parsed.get("Cc") or parsed.get("Bcc")):
            raise GoogleHttpError(400, "Recipient address required", "invalidArgument")
        message_id = f"18f{next(self._ids):013x}"
        self.sent.append(SentMail(str(token_user), raw, message_id))
        return 200, {"id": message_id, "threadId": message_id, "labelIds": ["SENT"]}

    def receive(self, mailbox: str, headers: dict[str, str], text: str = "") -> SentMail:
        """A message arrives in ``mailbox`` (its RFC 5322 headers and a plain body)."""
        message = email.message.EmailMessage(policy=email.policy.SMTP)
        for name, value in headers.items():
            message[name] = value
        message.set_content(text or "\n")
        received = SentMail(mailbox, message.as_bytes(), f"19a{next(self._ids):013x}")
        self.inbox.append(received)
        return received

    def bounce(self, mail: SentMail, status: str = "5.1.1") -> SentMail:
        """Gmail bounces a message it had accepted: its mailer-daemon's Delivery Status
        Notification lands in the sending account, naming the original's Message-ID in
        In-Reply-To and References and the recipients in X-Failed-Recipients, as Gmail's do."""
        original = mail.message
        failed = ", ".join(str(a) for h in ("To", "Cc") for a in original.get_all(h, []))
        return self.receive(
            mail.mailbox,
            {
                "From": "Mail Delivery Subsystem <mailer-daemon@googlemail.com>",
                "To": mail.mailbox,
                "Auto-Submitted": "auto-replied",
                "Subject": "Delivery Status Notification (Failure)",
                "References": str(original["Message-ID"]),
                "In-Reply-To": str(original["Message-ID"]),
                "X-Failed-Recipients": failed,
                "Message-ID": f"<{uuid.uuid4().hex}.GMRIR@mx.google.com>",
            },
            f"Your message wasn't delivered to {failed}.\nStatus: {status}",
        )

    def _mailbox(self, principal: str | None, path: dict[str, str]) -> list[SentMail]:
        """The account's messages, newest first (Gmail's order)."""
        if path["userId"] not in ("me", principal):
            raise GoogleHttpError(403, "Delegation denied", "forbidden")
        mailbox = str(principal).casefold() if principal else None
        held = [
            m
            for m in (*self.sent, *self.inbox)
            if mailbox is None or m.mailbox.casefold() == mailbox
        ]
        return sorted(held, key=lambda m: m.at, reverse=True)

    def _h_gmail_users_messages_list(
        self, principal: str | None, path: dict[str, str], q: dict[str, str], body: Any
    ) -> tuple[int, Any]:
        """The account's messages (what it sent and received), filtered by ``q``: the terms
        ``rfc822msgid:``, ``from:`` and ``after:`` (epoch seconds) are understood, anything
        else is refused. As Gmail does, a token whose only Gmail read scope is gmail.metadata
        may not use ``q``."""
        readers = {f"{GMAIL_SCOPE_ROOT}{name}" for name in ("gmail.readonly", "gmail.modify")}
        readers.add("https://mail.google.com/")
        if "q" in q and self.require_auth and not self._scopes & readers:
            raise GoogleHttpError(403, "Metadata scope does not support 'q' parameter", "forbidden")
        messages = self._mailbox(principal, path)
        for term in q.get("q", "").split():
            name, _, value = term.partition(":")
            if name == "rfc822msgid":
                wanted = value.strip("<>")
                messages = [
                    m
                    for m in messages
                    if str(m.message.get("Message-ID", "")).strip().strip("<>") == wanted
                ]
            elif name == "from":
                messages = [
                    m
                    for m in messages
                    if value.casefold() in str(m.message.get("From", "")).casefold()
                ]
            elif name == "after" and value.isdigit():
                messages = [m for m in messages if m.at.timestamp() > int(value)]
            else:
                raise GoogleHttpError(
                    400, f"fake does not understand q term {term!r}", "badRequest"
                )
        page, token = self._page(
            f"list:{q.get('q', '')}", messages, int(q.get("maxResults", "100")), q.get("pageToken")
        )
        answer: dict[str, Any] = {"resultSizeEstimate": len(page)}
        if page:
            answer["messages"] = [{"id": m.id, "threadId": m.id} for m in page]
        if token:
            answer["nextPageToken"] = token
        return 200, answer

    def _h_gmail_users_messages_get(
        self, principal: str | None, path: dict[str, str], q: dict[str, str], body: Any
    ) -> tuple[int, Any]:
        """One message as ``format=metadata`` (only the ``metadataHeaders`` asked for, or
        all) or ``minimal``; gmail.metadata may not ask for ``full`` or ``raw``."""
        found = next((m for m in self._mailbox(principal, path) if m.id == path["id"]), None)
        if found is None:
            raise GoogleHttpError(404, "Requested entity was not found.", "notFound")
        shape = q.get("format", "full")
        if shape not in ("metadata", "minimal"):
            raise GoogleHttpError(
                400, f"fake answers only format=metadata, not {shape}", "badRequest"
            )
        answer: dict[str, Any] = {
            "id": found.id,
            "threadId": found.id,
            "labelIds": ["SENT"] if found in self.sent else ["INBOX", "UNREAD"],
            "internalDate": str(int(found.at.timestamp() * 1000)),
            "sizeEstimate": len(found.raw),
            "historyId": str(next(self._ids)),
        }
        if shape == "metadata":
            wanted = {h.casefold() for h in self._lists.get("metadataHeaders", [])}
            answer["payload"] = {
                "mimeType": found.message.get_content_type(),
                "headers": [
                    {"name": name, "value": str(value)}
                    for name, value in found.message.items()
                    if not wanted or name.casefold() in wanted
                ],
            }
        return 200, answer

    def _batch(
        self, parsed: urllib.parse.SplitResult, method: str, data: bytes, headers: dict[str, str]
    ) -> tuple[httplib2.Response, bytes]:
        def error(status: int, message: str) -> tuple[httplib2.Response, bytes]:
            body = GoogleHttpError(status, message, "badRequest").body()
            return self._response(status), json.dumps(body).encode()

        outer = Recorded(method, parsed.path, {}, headers, data, method_id="batch")
        self.requests.append(outer)
        failure = self._failure("batch")
        if failure is not None and failure.raise_before is not None:
            raise failure.raise_before
        if failure is not None and failure.status is not None:
            envelope = GoogleHttpError(failure.status, failure.message, failure.reason).body()
            return self._response(failure.status, failure.headers), json.dumps(envelope).encode()
        content_type = headers.get("content-type", "")
        if method != "POST" or not content_type.startswith("multipart/mixed"):
            return error(400, "batch requests must be POST multipart/mixed")
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + data
        )
        parts = message.get_payload()
        if not isinstance(parts, list) or not parts:
            return error(400, "empty batch")
        if len(parts) > 100:
            return error(400, "Too many requests in batch; max is 100")
        index = len(self.batches)
        items: list[Recorded] = []
        self.batches.append(items)
        boundary = f"batch_{uuid.uuid4().hex[:16]}"
        chunks: list[str] = []
        for part in parts:
            assert isinstance(part, email.message.Message)
            if part.get_content_type() != "application/http":
                return error(400, "each batch part must be application/http")
            content_id = str(part.get("Content-ID", ""))
            inner = part.get_payload(decode=True)
            assert isinstance(inner, bytes)
            request_line, _, rest = inner.decode("utf-8").partition("\n")
            verb, target, _version = request_line.strip().split(" ", 2)
            head, _, inner_body = rest.replace("\r\n", "\n").partition("\n\n")
            inner_headers = {
                k.strip().lower(): v.strip()
                for k, _, v in (line.partition(":") for line in head.splitlines() if line)
            }
            for name in ("authorization",):
                if name not in inner_headers and name in headers:
                    inner_headers[name] = headers[name]
            target_path, _, target_query = target.partition("?")
            before = len(self.requests)
            status, inner_answer_headers, answer = self._dispatch(
                verb,
                parsed.netloc,
                target_path,
                target_query,
                inner_headers,
                inner_body.encode("utf-8"),
                batch=index,
            )
            items.append(self.requests[before])
            reason = http.client.responses.get(status, "")
            response_id = content_id.replace("<", "<response-", 1)
            extra = "".join(f"{k}: {v}\r\n" for k, v in inner_answer_headers.items())
            chunks.append(
                f"--{boundary}\r\nContent-Type: application/http\r\n"
                f"Content-ID: {response_id}\r\n\r\n"
                f"HTTP/1.1 {status} {reason}\r\n"
                f"Content-Type: application/json; charset=UTF-8\r\n{extra}\r\n"
                f"{answer.decode('utf-8')}\r\n"
            )
        if failure is not None and failure.raise_after is not None:
            raise failure.raise_after
        body = "".join(chunks) + f"--{boundary}--\r\n"
        response = self._response(200, {"content-type": f"multipart/mixed; boundary={boundary}"})
        return response, body.encode("utf-8")

    # ------------------------------------------------------------------ sheets
    def _spreadsheet(self, principal: str | None, spreadsheet_id: str) -> Spreadsheet:
        sheet = self.spreadsheets.get(spreadsheet_id)
        if sheet is None:
            raise GoogleHttpError(404, "Requested entity was not found.")
        if self.require_auth and principal not in sheet.shared_with:
            raise GoogleHttpError(403, "The caller does not have permission")
        return sheet

    @staticmethod
    def _a1(range_: str, sheet: Spreadsheet) -> tuple[str, int, int, int | None, int | None]:
        """Parse A1 notation -> (tab, first row, first col, last row, last col), 1-based."""
        match = re.fullmatch(r"(?:'((?:[^']|'')+)'|([^'!]+))(?:!(.+))?", range_)
        if match is None:
            raise GoogleHttpError(400, f"Unable to parse range: {range_}")
        tab = (match.group(1) or "").replace("''", "'") or match.group(2)
        if tab not in sheet.tabs:
            raise GoogleHttpError(400, f"Unable to parse range: {range_}")
        cells = match.group(3)
        if cells is None:
            return tab, 1, 1, None, None

        def col(letters: str) -> int:
            number = 0
            for ch in letters:
                number = number * 26 + ord(ch) - 64
            return number

        if m := re.fullmatch(r"(\d+):(\d+)", cells):
            return tab, int(m.group(1)), 1, int(m.group(2)), None
        if m := re.fullmatch(r"([A-Z]+):([A-Z]+)", cells):
            return tab, 1, col(m.group(1)), None, col(m.group(2))
        if m := re.fullmatch(r"([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?", cells):
            last_col = col(m.group(3)) if m.group(3) else None
            last_row = int(m.group(4)) if m.group(4) else None
            return tab, int(m.group(2)), col(m.group(1)), last_row, last_col
        raise GoogleHttpError(400, f"Unable to parse range: {range_}")

    def _h_sheets_spreadsheets_get(
        self, principal: str | None, path: dict[str, str], q: dict[str, str], body: Any
    ) -> tuple[int, Any]:
        sheet = self._spreadsheet(principal, path["spreadsheetId"])
        return 200, {
            "spreadsheetId": path["spreadsheetId"],
            "properties": {"title": sheet.title, "locale": "en_GB"},
            "sheets": [
                {"properties": {"sheetId": i, "title": name, "index": i}}
                for i, name in enumerate(sheet.tabs)
            ],
        }

    def _h_sheets_spreadsheets_values_get(
        self, principal: str | None, path: dict[str, str], q: dict[str, str], body: Any
    ) -> tuple[int, Any]:
        sheet = self._spreadsheet(principal, path["spreadsheetId"])
        tab, r1, c1, r2, c2 = self._a1(path["range"], sheet)
        grid = sheet.tabs[tab]
        rows: list[list[str]] = []
        for row in grid[r1 - 1 : r2]:
            cells = row[c1 - 1 : c2]
            while cells and cells[-1] == "":
                cells = cells[:-1]
            rows.append(cells)
        while rows and not rows[-1]:
            rows.pop()
        answer: dict[str, Any] = {"range": path["range"], "majorDimension": "ROWS"}
        if rows:
            answer["values"] = rows
        return 200, answer

    def _write(self, grid: list[list[str]], row: int, column: int, values: list[list[Any]]) -> int:
        cells = 0
        for r, data in enumerate(values):
            while len(grid) < row + r:
                grid.append([])
            target = grid[row + r - 1]
            for c, value in enumerate(data):
                if value is None:
                    continue  # "Null values will be skipped"
                if not isinstance(value, str | int | float | bool):
                    raise GoogleHttpError(400, "Invalid values", "invalid")
                while len(target) < column + c:
                    target.append("")
                target[column + c - 1] = str(value)
                cells += 1
        return cells

    @staticmethod
    def _value_range(body: Any) -> list[list[Any]]:
        if not isinstance(body, dict) or set(body) - {"range", "majorDimension", "values"}:
            raise GoogleHttpError(400, "Invalid JSON payload received.", "invalid")
        if body.get("majorDimension", "ROWS") != "ROWS":
            raise GoogleHttpError(400, "fake only supports majorDimension ROWS")
        values = body.get("values")
        if not isinstance(values, list) or not all(isinstance(r, list) for r in values):
            raise GoogleHttpError(400, "Invalid values", "invalid")
        return values

    def _h_sheets_spreadsheets_values_update(
        self, principal: str | None, path: dict[str, str], q: dict[str, str], body: Any
    ) -> tuple[int, Any]:
        sheet = self._spreadsheet(principal, path["spreadsheetId"])
        if "valueInputOption" not in q:
            raise GoogleHttpError(400, "'valueInputOption' is required but not specified")
        values = self._value_range(body)
        if "range" in body and body["range"] != path["range"]:
            raise GoogleHttpError(400, "Requested range and body range differ")
        tab, r1, c1, r2, c2 = self._a1(path["range"], sheet)
        if r2 is not None and len(values) > r2 - r1 + 1:
            raise GoogleHttpError(400, f"Requested writing within range [{path['range']}]")
        if c2 is not None and any(len(r) > c2 - c1 + 1 for r in values):
            raise GoogleHttpError(400, f"Requested writing within range [{path['range']}]")
        cells = self._write(sheet.tabs[tab], r1, c1, values)
        return 200, {
            "spreadsheetId": path["spreadsheetId"],
            "updatedRange": path["range"],
            "updatedRows": len(values),
            "updatedColumns": max((len(r) for r in values), default=0),
            "updatedCells": cells,
        }

    def _h_sheets_spreadsheets_values_append(
        self, principal: str | None, path: dict[str, str], q: dict[str, str], body: Any
    ) -> tuple[int, Any]:
        sheet = self._spreadsheet(principal, path["spreadsheetId"])
        if "valueInputOption" not in q:
            raise GoogleHttpError(400, "'valueInputOption' is required but not specified")
        values = self._value_range(body)
        tab, _r1, c1, _r2, _c2 = self._a1(path["range"], sheet)
        grid = sheet.tabs[tab]
        last = max((i + 1 for i, row in enumerate(grid) if any(row)), default=0)
        cells = self._write(grid, last + 1, c1, values)
        return 200, {
            "spreadsheetId": path["spreadsheetId"],
            "tableRange": f"{path['range']}",
            "updates": {
                "spreadsheetId": path["spreadsheetId"],
                "updatedRange": f"{tab}!A{last + 1}",
                "updatedRows": len(values),
                "updatedCells": cells,
            },
        }

    # ------------------------------------------------------------------ forms
    def _form(self, principal: str | None, form_id: str) -> Form:
        form = self.forms.get(form_id)
        if form is None:
            raise GoogleHttpError(404, "Requested entity was not found.")
        if self.require_auth and principal not in form.shared_with:
            raise GoogleHttpError(403, "The caller does not have permission")
        return form

    def _h_forms_forms_get(
        self, principal: str | None, path: dict[str, str], q: dict[str, str], body: Any
    ) -> tuple[int, Any]:
        return 200, self._form(principal, path["formId"]).form

    def _h_forms_forms_responses_list(
        self, principal: str | None, path: dict[str, str], q: dict[str, str], body: Any
    ) -> tuple[int, Any]:
        form = self._form(principal, path["formId"])
        responses = list(form.responses)
        if "filter" in q:
            match = re.fullmatch(
                r"timestamp (>=|>) (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?Z)", q["filter"]
            )
            if match is None:
                raise GoogleHttpError(400, f"Invalid filter: {q['filter']}")
            bound = _parse_rfc3339(match.group(2))
            inclusive = match.group(1) == ">="
            responses = [
                r
                for r in responses
                if (t := _parse_rfc3339(r["lastSubmittedTime"])) > bound
                or (inclusive and t == bound)
            ]
        size = int(q.get("pageSize") or 5000)
        if self.forms_page_cap:
            size = min(size, self.forms_page_cap)
        page, token = self._page(
            f"responses:{path['formId']}:{q.get('filter', '')}", responses, size, q.get("pageToken")
        )
        answer: dict[str, Any] = {}
        if page:
            answer["responses"] = page
        if token:
            answer["nextPageToken"] = token
        return 200, answer

    # ------------------------------------------------------------------ chat webhook
    def chat_transport(self) -> httpx.MockTransport:
        """An httpx transport that behaves like a Chat space's incoming webhook."""
        return httpx.MockTransport(self._chat)

    def _chat(self, request: httpx.Request) -> httpx.Response:
        self.chat_requests.append(request)

        def error(status: int, message: str) -> httpx.Response:
            return httpx.Response(status, json=GoogleHttpError(status, message).body())

        expected = httpx.URL(self.chat_webhook_url)
        url = request.url
        if request.method != "POST" or (url.host, url.path) != (expected.host, expected.path):
            return error(404, "Requested entity was not found.")
        params = dict(url.params)
        if params.get("key") != expected.params.get("key") or params.get("token") != (
            expected.params.get("token")
        ):
            return error(403, "Invalid token")
        allowed = {"key", "token", "threadKey", "messageReplyOption", "messageId", "requestId"}
        if set(params) - allowed:
            return error(400, f"Unknown parameter(s): {sorted(set(params) - allowed)}")
        if params.get("messageReplyOption", "REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD") not in (
            "MESSAGE_REPLY_OPTION_UNSPECIFIED",
            "REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD",
            "REPLY_MESSAGE_OR_FAIL",
        ):
            return error(400, "Invalid messageReplyOption")
        failure = self._failure("chat")
        if failure is not None and failure.raise_before is not None:
            raise failure.raise_before
        if failure is not None and failure.status is not None:
            response = error(failure.status, failure.message)
            response.headers.update(failure.headers)
            return response
        if len(request.content) > 32_000:
            return error(400, "Message too large")
        try:
            payload = json.loads(request.content)
        except ValueError:
            return error(400, "Invalid JSON payload received.")
        known = {"text", "cardsV2", "cards", "thread", "fallbackText", "accessoryWidgets"}
        if not isinstance(payload, dict) or set(payload) - known:
            return error(400, "Invalid JSON payload received. Unknown name")
        if not (payload.get("text") or payload.get("cardsV2") or payload.get("cards")):
            return error(400, "Message cannot be empty.")
        # the message by value against the Chat API's discovery document (a misspelt widget:
        # Chat answers 400, and the test that sent it fails)
        problems = chat_message_problems(payload, "chat webhook message")
        if problems:
            PROBLEMS.extend(problems)
            return error(400, f"Invalid JSON payload received. {problems[0]}")
        request_id = params.get("requestId")
        if request_id and request_id in self._chat_by_request_id:
            return httpx.Response(200, json=self._chat_by_request_id[request_id])
        self.chat_posts.append(payload)
        number = next(self._ids)
        thread_key = (payload.get("thread") or {}).get("threadKey") or f"t{number}"
        answer = {
            "name": f"spaces/AAAAfake/messages/m{number}.m{number}",
            "thread": {"name": f"spaces/AAAAfake/threads/{thread_key}"},
            "createTime": "2026-11-30T08:00:00.000000Z",
            **{k: v for k, v in payload.items() if k != "thread"},
        }
        if request_id:
            self._chat_by_request_id[request_id] = answer
        if failure is not None and failure.raise_after is not None:
            raise failure.raise_after
        return httpx.Response(200, json=answer)


class ManualClock:
    """A monotonic clock and sleep pair for a dispatch pass's ``wait``: sleeping moves time on."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        """Advance the clock instead of waiting."""
        self.sleeps.append(seconds)
        self.now += seconds


def _parse_rfc3339(value: str) -> datetime:
    text = value.replace("Z", "+00:00")
    if "." in text:
        head, _, tail = text.partition(".")
        digits = tail[: tail.index("+")]
        text = f"{head}.{digits[:6].ljust(6, '0')}+00:00"
    return datetime.fromisoformat(text).astimezone(UTC)


def form_response(
    response_id: str, submitted: datetime, answers: dict[str, str], email_address: str | None = None
) -> dict[str, Any]:
    """A Forms API FormResponse with text answers keyed by questionId."""
    stamp = submitted.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"
    response: dict[str, Any] = {
        "formId": "form-1",
        "responseId": response_id,
        "createTime": stamp,
        "lastSubmittedTime": stamp,
        "answers": {
            qid: {"questionId": qid, "textAnswers": {"answers": [{"value": v}]}}
            for qid, v in answers.items()
        },
    }
    if email_address:
        response["respondentEmail"] = email_address
    return response


def refuse_real_http(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any request that would leave through a real httplib2.Http (tests stay offline)."""

    def refuse(self: Any, uri: str, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"a test tried to reach the network: {uri}")

    monkeypatch.setattr(httplib2.Http, "request", refuse)


@pytest.fixture
def no_real_http(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any request that would leave through a real httplib2.Http (tests stay offline)."""
    refuse_real_http(monkeypatch)
