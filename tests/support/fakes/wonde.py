"""A fake of Wonde's read API (``https://api.wonde.com/v1.0/``), for offline tests.

``FakeWonde.handler`` is an ``httpx.MockTransport`` handler. What it does, and where each rule
comes from (checked in November 2026):

Confirmed by Wonde's own published sources:

* docs.wonde.com ("Introduction", https://docs.wonde.com/faqs/): the base URL
  ``https://{domain}/v1.0/schools/``, ``api.wonde.com`` for UK schools (a regional domain
  elsewhere: the wrong one returns no data), and the token sent either as HTTP Basic (token as
  the user name, empty password) or as ``Authorization: Bearer``; both are accepted here.
* ``wondeltd/php-client`` (``src/Endpoints/BootstrapEndpoint.php``, ``Employees.php``,
  ``Deletions.php``, ``ResultIterator.php``, ``src/Exceptions/ValidationError.php``, readme):
  ``GET schools/{id}/employees/`` and ``schools/{id}/deletions/`` (the trailing slash is
  optional here), ``include`` as a comma-separated list, ``updated_after=YYYY-MM-DD HH:MM:SS``
  (the readme's example ``2016-06-24 00:00:00``); a list answers ``{"data": [...], "meta":
  {"pagination": {"next": url}}}`` and the client follows ``next`` until it is empty; a 422 is
  a validation error whose body carries ``errors``; a deletion has an ``id``.

Not confirmed (no published page or SDK in reach says it; modelled on what the rest of the API
does, and said so in deploy/mis.md): the other pagination fields (``previous``, ``more``,
``per_page``, ``current_page``) and ``per_page`` at most 200; pages by position, so a record
deleted between two pages shifts the next; the employee includes other than
``contact_details`` and ``employment_details`` (``roles`` among them) and their field names
(``emails.work``, ``employment_start_date``, ``employment_end_date``, a role's ``role``,
``start_date``, ``end_date``); dates as objects ``{"date": "2026-09-01 00:00:00.000000",
"timezone_type": 3, "timezone": "Europe/London"}``; the deletions' ``type`` filter and their
``type``, ``deleted_at`` and ``restored_at``; 401 for a token that is not the school's and 403
once the school has revoked the app's access; 429 with ``Retry-After`` when scripted
(:meth:`FakeWonde.throttle`) - Wonde publishes no rate limit.

Real clients read ``contact_details.data.emails`` as four fields (``email``, ``primary``,
``home``, ``work``: e.g. the open-source Wonde readers found by the search tool in November
2026 read ``emails.email`` or fall back from ``work`` to ``primary`` to ``email``); what each
holds is not published. So the fake gives each a different address (``work`` the school
one, ``email`` and ``primary`` personal ones): a reader that takes any but ``work`` is caught.

``next_link`` rewrites a page's ``meta.pagination.next`` (a page that points at itself, or at
another host), as a broken or hostile answer would.

Any other method is refused with 405 and recorded in ``writes`` (the connector has none to
make); any other path gets a 404. Every request is recorded in ``requests``.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import httpx

__all__ = ["EMPLOYEE_INCLUDES", "FakeWonde", "wonde_date"]

LONDON = ZoneInfo("Europe/London")
# the includes Wonde documents for employees (its API reference, "Employees")
EMPLOYEE_INCLUDES = frozenset(
    {
        "classes",
        "contact_details",
        "employment_details",
        "extended_details",
        "groups",
        "roles",
        "timetable",
    }
)
STAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")


def wonde_date(value: date | datetime | None) -> dict[str, Any] | None:
    """A date as Wonde writes one."""
    if value is None:
        return None
    moment = value if isinstance(value, datetime) else datetime(value.year, value.month, value.day)
    return {
        "date": moment.strftime("%Y-%m-%d %H:%M:%S.000000"),
        "timezone_type": 3,
        "timezone": "Europe/London",
    }


@dataclass
class _Record:
    body: dict[str, Any]
    updated: datetime


@dataclass
class FakeWonde:
    """One Wonde school (``school`` with ``token``) and its employees, on a manual clock."""

    school: str = "A1930499544"
    token: str = "wonde-test-token"
    now: datetime = field(default_factory=lambda: datetime(2026, 11, 2, 6, 0, tzinfo=LONDON))
    revoked: bool = False
    employees: dict[str, _Record] = field(default_factory=dict)
    deletions: list[dict[str, Any]] = field(default_factory=list)
    requests: list[httpx.Request] = field(default_factory=list)
    writes: list[httpx.Request] = field(default_factory=list)
    # called with (resource, page number) after that page is served: a change between pages
    after_page: Callable[[str, int], None] | None = None
    # (the request's URL, the next link Wonde would give) -> the one given instead
    next_link: Callable[[str, str | None], str | None] | None = None
    _throttled: list[float] = field(default_factory=list)

    @property
    def transport(self) -> httpx.MockTransport:
        """The transport to give the connector."""
        return httpx.MockTransport(self.handler)

    # ----------------------------------------------------------------- the school's MIS

    def add_employee(
        self,
        mis_id: str,
        forename: str,
        surname: str,
        *,
        work_email: str | None = None,
        roles: tuple[str, ...] = (),
        start: date | None = None,
        end: date | None = None,
    ) -> None:
        """An employee as Wonde returns one with ``employment_details,contact_details,roles``."""
        self.employees[mis_id] = _Record(
            {
                "id": mis_id,
                "upi": f"upi-{mis_id}",
                "mis_id": mis_id[-4:],
                "title": None,
                "initials": forename[:1],
                "forename": forename,
                "surname": surname,
                "middle_names": None,
                "legal_forename": forename,
                "legal_surname": surname,
                "restored_at": None,
                "contact_details": {
                    "data": {
                        "id": f"C{mis_id}",
                        # four different addresses: only ``work`` is the school's (see above)
                        "emails": {
                            "email": f"{forename}.{surname}@personal.example".lower(),
                            "primary": f"{mis_id}@home.example".lower(),
                            "home": None,
                            "work": work_email,
                        },
                    }
                },
                "employment_details": {
                    "data": {
                        "teaching_staff": any("teacher" in r.lower() for r in roles),
                        "employment_start_date": wonde_date(start),
                        "employment_end_date": wonde_date(end),
                    }
                },
                "roles": {
                    "data": [
                        {
                            "id": f"R{mis_id}{i}",
                            "role": r,
                            "start_date": wonde_date(start),
                            "end_date": None,
                        }
                        for i, r in enumerate(roles)
                    ]
                },
            },
            self.now,
        )

    def update_employee(self, mis_id: str, **changes: Any) -> None:
        """Change an employee's top-level fields, now."""
        record = self.employees[mis_id]
        record.body.update(changes)
        record.updated = self.now

    def delete_employee(self, mis_id: str) -> None:
        """Delete an employee in the MIS, now: it leaves the list and joins the deletions."""
        del self.employees[mis_id]
        self.deletions.append(
            {
                "id": mis_id,
                "type": "employee",
                "mis_id": mis_id[-4:],
                "deleted_at": wonde_date(self.now),
                "restored_at": None,
                "_at": self.now,
            }
        )

    def tick(self, **delta: float) -> None:
        """Move the clock on."""
        self.now += timedelta(**delta)

    def throttle(self, times: int, retry_after: float = 1.0) -> None:
        """Answer the next ``times`` requests with 429 and ``Retry-After``."""
        self._throttled += [retry_after] * times

    # ----------------------------------------------------------------- the wire

    def handler(self, request: httpx.Request) -> httpx.Response:
        """Answer one request as Wonde would."""
        self.requests.append(request)
        if request.method != "GET":
            self.writes.append(request)
            return _error(405, "method_not_allowed", "This API is read-only for this app.")
        if self._throttled:
            wait = self._throttled.pop(0)
            return httpx.Response(
                429, headers={"Retry-After": f"{wait:g}"}, json={"error": "too_many_requests"}
            )
        basic = base64.b64encode(f"{self.token}:".encode()).decode()
        if request.headers.get("Authorization") not in (f"Bearer {self.token}", f"Basic {basic}"):
            return _error(401, "invalid_token", "The access token provided is invalid.")
        match = re.fullmatch(r"/v1\.0/schools/([^/]+)/(employees|deletions)/?", request.url.path)
        if request.url.host != "api.wonde.com" or match is None:
            return _error(404, "not_found", "Not found.")
        if match.group(1) != self.school:
            return _error(404, "not_found", "School not found.")
        if self.revoked:
            return _error(403, "access_denied", "The school has revoked access for this app.")
        return self._list(request, match.group(2))

    def _list(self, request: httpx.Request, resource: str) -> httpx.Response:
        params = dict(request.url.params)
        errors = _checked(params, resource)
        if errors:
            return httpx.Response(422, json={"errors": errors})
        since = (
            datetime.strptime(params["updated_after"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=LONDON)
            if "updated_after" in params
            else None
        )
        if resource == "employees":
            rows = [
                r.body
                for _, r in sorted(self.employees.items())
                if since is None or r.updated > since
            ]
        else:
            rows = [
                {k: v for k, v in d.items() if k != "_at"}
                for d in self.deletions
                if (since is None or d["_at"] > since)
                and params.get("type", d["type"]) == d["type"]
            ]
        per_page, page = int(params.get("per_page", "50")), int(params.get("page", "1"))
        chunk = rows[(page - 1) * per_page : page * per_page]
        more = page * per_page < len(rows)
        base = str(request.url.copy_with(query=None))

        def link(number: int) -> str:
            return f"{base}?{urlencode({**params, 'page': str(number)})}"

        following = link(page + 1) if more else None
        if self.next_link is not None:
            following = self.next_link(str(request.url), following)
        body = {
            "data": chunk,
            "meta": {
                "pagination": {
                    "next": following,
                    "previous": link(page - 1) if page > 1 else None,
                    "more": more,
                    "per_page": per_page,
                    "current_page": page,
                }
            },
        }
        response = httpx.Response(
            200, content=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
        )
        if self.after_page is not None:
            self.after_page(resource, page)
        return response


def _checked(params: dict[str, str], resource: str) -> dict[str, list[str]]:
    """The parameters Wonde would refuse, as its 422 names them."""
    errors: dict[str, list[str]] = {}
    includes = [i for i in params.get("include", "").split(",") if i]
    if resource == "employees" and set(includes) - EMPLOYEE_INCLUDES:
        errors["include"] = [
            f"Unknown include: {', '.join(sorted(set(includes) - EMPLOYEE_INCLUDES))}"
        ]
    if resource == "deletions" and includes:
        errors["include"] = ["Deletions take no include."]
    if "updated_after" in params and not STAMP.match(params["updated_after"]):
        errors["updated_after"] = ["The updated after does not match the format Y-m-d H:i:s."]
    for name, top in (("per_page", 200), ("page", 100_000)):
        value = params.get(name, "1")
        if not value.isdigit() or not 1 <= int(value) <= top:
            errors[name] = [f"The {name.replace('_', ' ')} must be between 1 and {top}."]
    if resource == "deletions" and params.get("type", "employee") not in (
        "employee",
        "student",
        "contact",
        "group",
        "class",
    ):
        errors["type"] = ["The selected type is invalid."]
    unknown = (
        set(params)
        - {"include", "updated_after", "per_page", "page"}
        - ({"type"} if resource == "deletions" else set())
    )
    if unknown:
        errors.update({k: ["Unknown parameter."] for k in sorted(unknown)})
    return errors


def _error(status: int, error: str, description: str) -> httpx.Response:
    return httpx.Response(status, json={"error": error, "error_description": description})
