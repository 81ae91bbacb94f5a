"""Who may call ``/api/chat``: Google Chat, for this school's Chat app, and nobody else.

Google documents two forms of the bearer token on every request to a Chat app's HTTP endpoint
("Verify requests from Google Chat"), chosen by the app's *authentication audience*:

* **HTTP endpoint URL**: an OpenID Connect ID token from ``accounts.google.com`` with ``aud`` the
  endpoint URL, ``email`` the account Chat calls as (for a Workspace add-on the project's own
  ``service-<PROJECT_NUMBER>@gcp-sa-gsuiteaddons.iam.gserviceaccount.com``, for a classic
  HTTP Chat app ``chat@system.gserviceaccount.com``), ``email_verified`` true; keys at
  Google's OAuth 2.0 certificates (``GOOGLE_CERTS``). An add-on's event also carries the
  same token at ``authorizationEventObject.systemIdToken``.
* **Project number**: a JWT with ``iss`` ``chat@system.gserviceaccount.com`` and ``aud`` the
  Cloud project number, keys at that account's x509 metadata (``CHAT_CERTS``).

A Workspace add-on's event may also carry Google's ID token for the person who pressed
(``authorizationEventObject.userIdToken``, audience the add-on's OAuth client id): with
``chat_addon_client_id`` set it is required, and names who pressed (``verify_user``).

The signature, ``iat``/``exp`` and ``aud`` are checked by google-auth's own ``jwt.decode`` (what
``id_token.verify_token`` calls); issuer, signer e-mail and its verification are checked here
on top. Keys are fetched and kept as Google's ``Cache-Control: max-age`` allows; an unknown key
id refetches them, at most once a minute per URL (Google rotates its keys; a stream of forged
key ids must not become a stream of fetches). Whatever is wrong, :class:`ChatAuthError`: the
web answers 401 and audits the check that failed, never the token.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.core.guards.chat_tokens import (
    ADDON_SIGNER,
    CHAT_CERTS,
    CHAT_ISSUER,
    GOOGLE_CERTS,
    ChatAudience,
    ChatAuthError,
)

__all__ = ["KEYS", "REFETCH_AFTER", "ChatKeys", "ChatTokenVerifier", "Fetch"]

GOOGLE_ISSUERS = ("accounts.google.com", "https://accounts.google.com")
REFETCH_AFTER = 60.0  # seconds: an unknown key id refetches at most this often per URL
DEFAULT_MAX_AGE = 300.0  # when Google's answer names no max-age
LEEWAY = 10  # seconds of clock skew, as Google's samples allow
MAX_TOKEN_CHARS = 8_000
MAX_AGE = re.compile(r"max-age=(\d+)")

# (url) -> (HTTP status, headers, body): how the keys are fetched (httpx by default)
Fetch = Callable[[str], tuple[int, Mapping[str, str], bytes]]


def _http_fetch(url: str) -> tuple[int, Mapping[str, str], bytes]:
    import httpx  # lazy: only a live key fetch needs it

    try:
        response = httpx.get(url, timeout=10.0)
    except httpx.HTTPError as exc:  # unreachable: as any failure to read the keys
        raise OSError(f"{url}: {type(exc).__name__}") from None
    return response.status_code, dict(response.headers), response.content


@dataclass
class _Held:
    certs: dict[str, str]
    expires: float  # monotonic
    fetched: float  # monotonic


@dataclass
class ChatKeys:
    """Google's signing certificates by URL, kept while ``Cache-Control`` allows.

    Args:
        fetch: GETs a URL; injected in tests (a local issuer) and by ``tools.chat_smoke``.
        clock: a monotonic clock in seconds.
    """

    fetch: Fetch = _http_fetch
    clock: Callable[[], float] = time.monotonic
    fetches: int = 0
    _held: dict[str, _Held] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def certs(self, url: str, kid: str | None) -> dict[str, str]:
        """The certificates at ``url`` (PEM by key id), fetched when not held or out of date,
        and refetched when ``kid`` is not among them unless fetched within a minute."""
        with self._lock:
            now = self.clock()
            held = self._held.get(url)
            stale = held is None or now >= held.expires
            unknown = held is not None and kid is not None and kid not in held.certs
            if stale or (unknown and held is not None and now - held.fetched >= REFETCH_AFTER):
                loaded = self._load(url, now)
                if loaded is None and held is not None:  # Google unreachable: keep what we
                    held.fetched, held.expires = now, now + REFETCH_AFTER  # hold, a minute more
                held = loaded or held
            if held is None:
                raise ChatAuthError("Google's signing keys could not be read")
            return held.certs

    def _load(self, url: str, now: float) -> _Held | None:
        self.fetches += 1
        try:
            status, headers, body = self.fetch(url)
            certs = json.loads(body) if status == 200 else None
        except (OSError, ValueError):  # unreachable, or not JSON: keep what we hold
            return None
        if not isinstance(certs, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in certs.items()
        ):
            return None
        control = {k.lower(): v for k, v in headers.items()}.get("cache-control", "")
        found = MAX_AGE.search(control)
        max_age = float(found.group(1)) if found else DEFAULT_MAX_AGE
        self._held[url] = held = _Held(dict(certs), now + max_age, now)
        return held


KEYS = ChatKeys()  # one cache for the process, as Google asks


def _segment(text: str) -> Any:
    """One base64url JSON segment of a JWT, decoded (ValueError when it is not)."""
    padded = text + "=" * (-len(text) % 4)
    return json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))


@dataclass(frozen=True)
class ChatTokenVerifier:
    """Verifies a Chat request's bearer token for one app (:class:`ChatAudience`).

    Example::

        verifier = ChatTokenVerifier(ChatAudience("endpoint", "123456789012",
                                                  "https://bot.example.org/api/chat"))
        claims = verifier.verify(request.headers.get("authorization"))  # or ChatAuthError
    """

    audience: ChatAudience
    keys: ChatKeys = field(default_factory=lambda: KEYS)

    @property
    def signers(self) -> frozenset[str]:
        """The e-mail an ID token (endpoint-URL form) must name: the add-on's service account
        for an add-on, Chat's own account for a classic HTTP Chat app."""
        if self.audience.addon:
            return frozenset({ADDON_SIGNER.format(project=self.audience.project_number)})
        return frozenset({CHAT_ISSUER})

    def verify(self, authorization: str | None) -> Mapping[str, Any]:
        """The token's claims when it is Google Chat's for this app; else ChatAuthError."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ChatAuthError("no bearer token")
        endpoint = self.audience.form == "endpoint"
        expected = self.audience.endpoint_url if endpoint else self.audience.project_number
        claims = self._decoded(token.strip(), GOOGLE_CERTS if endpoint else CHAT_CERTS, expected)
        if endpoint:
            if claims.get("iss") not in GOOGLE_ISSUERS:
                raise ChatAuthError("the ID token is not from accounts.google.com")
            if claims.get("email") not in self.signers or claims.get("email_verified") is not True:
                raise ChatAuthError("the ID token is not signed for this Chat app")
        elif claims.get("iss") != CHAT_ISSUER:
            raise ChatAuthError("the token is not from Google Chat")
        return claims

    def verify_user(self, token: str | None) -> Mapping[str, Any]:
        """The claims of an add-on event's ``userIdToken``: Google's ID token for the person
        who pressed, for the add-on's OAuth client (``sub``: their Google id); ChatAuthError
        when there is none or it is not that."""
        if not token:
            raise ChatAuthError("the event carries no user ID token")
        claims = self._decoded(token.strip(), GOOGLE_CERTS, self.audience.addon_client_id)
        if claims.get("iss") not in GOOGLE_ISSUERS or not claims.get("sub"):
            raise ChatAuthError("the user ID token is not from accounts.google.com")
        return claims

    def _decoded(self, token: str, url: str, expected: str | None) -> dict[str, Any]:
        """The claims once google-auth has checked the RS256 signature against Google's keys at
        ``url``, the times and the audience ``expected``; ChatAuthError otherwise."""
        from google.auth import exceptions as google_errors  # lazy: the google extra
        from google.auth import jwt as google_jwt

        if len(token) > MAX_TOKEN_CHARS or token.count(".") != 2:
            raise ChatAuthError("not a token")
        try:
            header = _segment(token.split(".", 1)[0])
        except (ValueError, UnicodeError):
            raise ChatAuthError("not a token") from None
        if not isinstance(header, dict) or header.get("alg") != "RS256":
            raise ChatAuthError("not signed with RS256")
        if not expected:
            raise ChatAuthError("the Chat app's audience is not set up")
        kid = header.get("kid")
        certs = self.keys.certs(url, kid if isinstance(kid, str) else None)
        if not isinstance(kid, str) or kid not in certs:
            raise ChatAuthError("the token's signing key is not Google's")
        try:
            claims: dict[str, Any] = google_jwt.decode(  # type: ignore[no-untyped-call]
                token, certs={kid: certs[kid]}, audience=expected, clock_skew_in_seconds=LEEWAY
            )
        except (google_errors.GoogleAuthError, ValueError, TypeError) as exc:
            raise ChatAuthError(f"refused by google-auth ({type(exc).__name__})") from None
        return claims
