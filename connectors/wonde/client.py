"""Wonde's REST API over httpx, GET only: no request that writes exists in this module.

What it relies on, as Wonde publishes it (https://docs.wonde.com/faqs/ and the reference
client ``wondeltd/php-client``: ``BootstrapEndpoint.php``, ``ResultIterator.php``, readme;
what no published source confirms is listed in ``tests/support/fakes/wonde.py`` and
deploy/mis.md):

* base ``https://{domain}/v1.0/``, ``domain`` ``api.wonde.com`` or the school's regional domain
  (``GET /v1.0/schools`` gives it); the token authenticates every call (Wonde documents HTTP
  Basic with an empty password, as the PHP client sends it, and ``Authorization: Bearer``).
* a list answers ``{"data": [...], "meta": {"pagination": {"next": url | null, "previous": ...,
  "more": bool, "per_page": n, "current_page": n}}}``; the client follows ``next`` (it already
  carries the query) until it is empty, as ``ResultIterator::valid`` does, but only on the
  school's own Wonde host under ``/v1.0/`` (the token never leaves it), never to a page it has
  seen (a ``next`` that loops ends the read with an error) and at most ``MAX_PAGES`` pages.
* ``updated_after=YYYY-MM-DD HH:MM:SS`` (the readme's example ``2016-06-24 00:00:00``; Wonde's
  times are Europe/London) filters a list to records changed since; dates come as objects
  ``{"date": "2016-04-05 00:00:00.000000", "timezone_type": 3, "timezone": "Europe/London"}``.
* ``GET schools/{id}/deletions`` lists deleted records (``id``, ``type``, ``deleted_at``,
  ``restored_at``), filtered by ``type`` and ``updated_after``.
* 422 is a validation error (the PHP client's ``ValidationError`` carries the body's
  ``errors``); the rate limit is not published: a 429 is waited out (``Retry-After``) a few
  times, then reported as ``RetryableError``. A school that withdrew its approval (or a wrong
  token) is refused with 401/403: a ``SetupError``, never a crash.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import httpx

from bot.core.ports import PermanentError, RetryableError, SetupError
from connectors.base import parse_retry_after

__all__ = ["MAX_PAGES", "MAX_WAITS", "PER_PAGE", "WondeClient"]

PER_PAGE = 200  # the most a page holds: 1,500 staff in 8 requests
MAX_PAGES = 500  # 100,000 records a list: far past any school's staff, short of a loop
MAX_WAITS = 3  # 429s waited out in one call before the read is given up for now
LONGEST_WAIT = 60.0  # seconds: a longer Retry-After is left to the next sweep


class WondeClient:
    """GETs one school's lists from Wonde, page by page.

    Args:
        school: the school's Wonde id (``A1930499544``).
        token: the token Wonde issued for the school's approval of the app.
        domain: ``api.wonde.com`` or the school's regional domain.
        transport: an httpx transport (tests pass ``httpx.MockTransport``); None: the network.
        sleep: how a 429's ``Retry-After`` is waited out (tests record it instead).
    """

    def __init__(
        self,
        school: str,
        token: str,
        *,
        domain: str = "api.wonde.com",
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.school = school
        self._sleep = sleep
        self._host = domain
        self._http = httpx.Client(
            base_url=f"https://{domain}/v1.0/",
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            transport=transport,
            timeout=30.0,
        )

    def pages(self, resource: str, params: Mapping[str, str]) -> Iterator[list[dict[str, Any]]]:
        """Each page of ``schools/{school}/{resource}`` in turn, following ``next`` on the
        school's host only; PermanentError for a ``next`` elsewhere, one seen before, or past
        ``MAX_PAGES`` (the caller has changed nothing yet: its read is given up whole)."""
        url: str | None = f"schools/{self.school}/{resource}"
        query: Mapping[str, str] | None = {"per_page": str(PER_PAGE), **params}
        seen: set[str] = set()
        while url:
            if len(seen) == MAX_PAGES:
                raise PermanentError(f"Wonde's {resource} list ran past {MAX_PAGES} pages")
            body = self._get(url, query)
            seen.add(str(self._http.build_request("GET", url, params=query).url))
            yield list(body.get("data") or [])
            pagination = (body.get("meta") or {}).get("pagination") or {}
            url, query = pagination.get("next") or None, None  # ``next`` carries the query
            if url is not None:
                self._check_next(str(url), seen, resource)

    def _check_next(self, url: str, seen: set[str], resource: str) -> None:
        """A ``next`` link the read may follow: on the school's host, under the API, unseen."""
        link = httpx.URL(url)
        if link.scheme != "https" or link.host != self._host or not link.path.startswith("/v1.0/"):
            raise PermanentError(
                f"Wonde's {resource} list pointed its next page away from "
                f"{self._host}: not followed"
            )
        if str(link) in seen:
            raise PermanentError(f"Wonde's {resource} list gave a page it had already given")

    def _get(self, url: str, query: Mapping[str, str] | None) -> dict[str, Any]:
        """One GET, 429s waited out; a refusal as the ports' errors (never the token)."""
        for _ in range(MAX_WAITS + 1):
            try:
                response = self._http.get(url, params=dict(query) if query else None)
            except httpx.TransportError as exc:
                raise RetryableError(f"Wonde could not be reached ({type(exc).__name__})") from exc
            if response.status_code != 429:
                break
            wait = parse_retry_after(response.headers.get("Retry-After"))
            if wait is None or wait > LONGEST_WAIT:
                raise RetryableError("Wonde is throttling the bot (429)", retry_after=wait)
            self._sleep(wait)
        else:
            raise RetryableError("Wonde is still throttling the bot (429) after waiting")
        return _checked(response, self.school)

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._http.close()


def _checked(response: httpx.Response, school: str) -> dict[str, Any]:
    """The body of a 200, else the failure in the ports' terms."""
    status = response.status_code
    if status in (401, 403):
        raise SetupError(
            f"Wonde refused access to school {school} ({status}): the school has withdrawn its "
            "approval of the app in Wonde, or the token is not the one Wonde issued for it"
        )
    if status == 404:
        raise SetupError(f"Wonde does not know school {school} (404): check its Wonde id")
    if status == 422:
        raise PermanentError(f"Wonde refused the request (422): {_errors(response)}")
    if status >= 500:
        raise RetryableError(f"Wonde answered {status}")
    if status != 200:
        raise PermanentError(f"Wonde answered {status}")
    try:
        body = response.json()
    except ValueError as exc:
        raise RetryableError("Wonde's answer was not JSON") from exc
    if not isinstance(body, dict):
        raise RetryableError("Wonde's answer was not a JSON object")
    return body


def _errors(response: httpx.Response) -> str:
    """A 422's field names and messages (Wonde's ``errors``), short."""
    try:
        errors = response.json().get("errors") or {}
    except (ValueError, AttributeError):
        return "no details"
    if isinstance(errors, dict):
        return "; ".join(
            f"{k}: {' '.join(map(str, v if isinstance(v, list) else [v]))}"
            for k, v in errors.items()
        )[:300]
    return str(errors)[:300]
