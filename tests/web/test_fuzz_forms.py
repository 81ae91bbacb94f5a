"""Fuzz every form of the product: each POST route of the app (enumerated from FastAPI, so a
new form is fuzzed without anyone remembering to) receives hostile values — NUL and other
control characters, huge strings, wrong types, missing fields, odd encodings, broken files —
as each kind of person, with a valid CSRF token so the pages' own code is reached. No answer
may be a 5xx. The default run is small and fixed in size (every route as every persona, then 50
requests hypothesis draws; 150 with ``COMPLIANCE_BOT_FULL_SIZE=1``); the number of requests is
printed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any
from urllib.parse import quote, urlencode

import pytest
import time_machine
from fastapi.routing import APIRoute
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.core.models import Duty, Person
from bot.engine.web.deps import TEMPLATE_DIRS
from tests.features.reports.test_support import Env, csrf_of, submission
from tests.support.pdfs import PDF, pdf_document
from tests.support.scale import full_size
from tests.web.test_guards import TODAY_NOON, site_fixture  # noqa: F401

PERSONAS = (None, "staff", "dsl", "head", "admin", "chair", "governor")
FIELDS = sorted(
    {
        name
        for folder in TEMPLATE_DIRS
        for path in folder.glob("*.html")
        for name in re.findall(r'name="([a-z_]+)"', path.read_text("utf-8"))
    }
    - {"csrf_token", "viewport"}
)
FILE_FIELDS = ("attachments", "files", "document", "certificate")
HOSTILE = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "",
            "\x00",
            "a\x00b",
            "\x1b[2J",
            "\x7f\x85",
            "\r\n\t",
            "x" * 300_000,
            "0",
            "-1",
            "99999999999999999999999",
            "1e309",
            "2026-02-30",
            "9999-12-31",
            "yes",
            "on",
            "CR-2026-0001",
            "../../../etc/passwd",
            "<script>alert(1)</script>",
            "=cmd|' /C calc'!A0",
            "https://evil.example/",
            "%00%FF",
            "\ufeff\u202e\u200d",
        ]
    ),
)
BROKEN_FILES = (
    b"",
    b"\x89PNG\r\n\x1a\n" + b"\x00" * 50,
    b"\xff\xd8\xff" + b"junk" * 100,
    PDF,
    pdf_document(b"/OpenAction << /S /J#61vaScript /JS (x) >>"),
    b"%PDF-1.4 broken",
    b"MZ\x90\x00",
)
SENT = {"requests": 0}


class Site:
    """The fuzzed site: clients per persona, their CSRF tokens and real ids for addresses."""

    def __init__(self, env: Env, opened: ExitStack) -> None:
        self.env = env
        # each client opened for the whole test, as a server keeps its event loop: an unopened
        # TestClient starts a thread and an event loop for every request (1,400 of them here)
        self.clients = {who: opened.enter_context(env.client(who)) for who in PERSONAS}
        self.tokens = {who: csrf_of(c.get("/visit/oak").text) for who, c in self.clients.items()}
        self.reference = env.store_report(submission(), TODAY_NOON)
        with env.context.store.session() as session:
            duty = session.scalar(
                select(Duty.id).join(Person).where(Person.email == "amy@oak.example")
            )
        self.values = {
            "school_id": "oak",
            "reference": self.reference,
            "key": "code",
            "duty_id": str(duty),
            "account_id": "1",
            "decision_id": "1",
        }

    def path(self, route: APIRoute, hostile_param: str | None) -> str:
        """The route's address with real (or, when given, hostile) parameters."""
        public = self.env.public_path.rsplit("/", 1)[1]

        def fill(match: re.Match[str]) -> str:
            name = match.group(1)
            if hostile_param is not None:
                return quote(hostile_param, safe="")
            if name == "token":
                return public if route.path.startswith("/report/") else "not-a-token"
            return self.values.get(name, "1")

        return re.sub(r"\{(\w+)\}", fill, route.path)

    def form_body(self, who: str | None, encoded: bytes) -> bytes:
        """``encoded`` (url-encoded fields) with ``who``'s CSRF token: the very bytes
        ``post(who, ..., "form", fields, [], csrf=True)`` sends for the same fields."""
        token = urlencode({"csrf_token": self.tokens[who]}).encode("ascii")
        return encoded + b"&" + token if encoded else token

    def post_body(self, who: str | None, path: str, body: bytes) -> int:
        """Send a form body made by :meth:`form_body`; return its status."""
        SENT["requests"] += 1
        return (
            self.clients[who]
            .post(
                path,
                content=body,
                headers={"content-type": "application/x-www-form-urlencoded"},
                follow_redirects=False,
            )
            .status_code
        )

    def post(
        self,
        who: str | None,
        path: str,
        how: str,
        fields: dict[str, str],
        files: list[tuple[str, bytes]],
        csrf: bool,
    ) -> int:
        """Send one request; return its status."""
        client = self.clients[who]
        data = dict(fields)
        if csrf:
            data["csrf_token"] = self.tokens[who]
        SENT["requests"] += 1
        if how == "multipart" or files:
            upload = [(name, ("f.bin", body, "application/octet-stream")) for name, body in files]
            return client.post(
                path,
                data=data,
                files=upload or [("x", ("", b"", "text/plain"))],
                follow_redirects=False,
            ).status_code
        if how == "raw":
            body = "&".join(f"{k}={v}" for k, v in data.items()).encode("utf-8", "replace")
            return client.post(
                path,
                content=body + b"&odd=%FF%FE%00&=&&x",
                headers={"content-type": "application/x-www-form-urlencoded; charset=latin-1"},
                follow_redirects=False,
            ).status_code
        if how == "json":
            return client.post(path, json=data, follow_redirects=False).status_code
        if how == "broken-multipart":
            return client.post(
                path,
                content=b'--b\r\nContent-Disposition: form-data; name="a"\r\n\r\n\xff\xfe\x00',
                headers={"content-type": "multipart/form-data; boundary=b"},
                follow_redirects=False,
            ).status_code
        return client.post(path, data=data, follow_redirects=False).status_code


def _api_routes(routes: list[Any]) -> Iterator[APIRoute]:
    """Every APIRoute, including those of included routers (FastAPI keeps them nested)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):
            yield from _api_routes(route.original_router.routes)
        elif hasattr(route, "routes"):
            yield from _api_routes(route.routes)


def _routes(env: Env) -> list[APIRoute]:
    """The app's form routes (every POST), from FastAPI itself."""
    return [r for r in _api_routes(env.app.routes) if "POST" in r.methods]


@pytest.fixture(name="fuzz_site")
def fuzz_site_fixture(site: Env) -> Iterator[Site]:
    """The site with its clients (open until the test ends), at a fixed moment in term."""
    with time_machine.travel(TODAY_NOON, tick=True), ExitStack() as stack:
        yield Site(site, stack)


def test_every_form_route_survives_hostile_values_as_every_persona(fuzz_site: Site) -> None:
    routes = _routes(fuzz_site.env)
    assert len(routes) >= 20  # every feature's forms are mounted
    failures: list[str] = []
    SENT["requests"] = 0
    # 1. each route as each persona: NUL in every field, every field missing, every field
    # the wrong type of value; and every field huge, once per route
    rounds = (
        {name: "x\x00" for name in FIELDS},
        {},
        {name: "-99999999999999999999" for name in FIELDS},
    )
    # the huge body (21 MB) passes the 12 MB body limit, which the app refuses by its declared
    # length before any session, persona or route is looked at (BodyLimit, outside them all):
    # each route gets it once, from each persona in turn (not once per route and persona)
    huge = {name: "x" * 200_000 for name in FIELDS}
    # each persona's bodies built once (encoding the huge one takes half a second)
    encoded = [urlencode(fields).encode("ascii") for fields in (*rounds, huge)]
    bodies = {who: [fuzz_site.form_body(who, body) for body in encoded] for who in PERSONAS}
    for number, route in enumerate(routes):
        path = fuzz_site.path(route, None)
        for who in PERSONAS:
            sent = list(zip(rounds, bodies[who][:-1], strict=True))
            if who == PERSONAS[number % len(PERSONAS)]:
                sent.append((huge, bodies[who][-1]))
            for fields, body in sent:
                status = fuzz_site.post_body(who, path, body)
                if status >= 500:
                    failures.append(f"{status} POST {route.path} as {who} {sorted(fields)[:3]}")
    del bodies

    # 2. hypothesis: random routes, personas, fields, encodings, files and addresses
    @settings(
        max_examples=full_size(50, 150),
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(
        route=st.sampled_from(routes),
        who=st.sampled_from(PERSONAS),
        fields=st.dictionaries(st.sampled_from(FIELDS), HOSTILE, max_size=8),
        how=st.sampled_from(["form", "multipart", "raw", "json", "broken-multipart"]),
        files=st.lists(
            st.tuples(st.sampled_from(FILE_FIELDS), st.sampled_from(BROKEN_FILES)), max_size=3
        ),
        csrf=st.booleans(),
        hostile_param=st.one_of(
            st.none(),
            st.sampled_from(
                [
                    "\x00",
                    "%00",
                    "-1",
                    "0",
                    "99999999999999999999999",
                    "CR-2026-\x00",
                    "x" * 5000,
                    "..",
                    "CR-2026-ZZZZZ",
                    "\u202e",
                ]
            ),
        ),
    )
    def one(
        route: APIRoute,
        who: str | None,
        fields: dict[str, str],
        how: str,
        files: list[tuple[str, bytes]],
        csrf: bool,
        hostile_param: str | None,
    ) -> None:
        path = fuzz_site.path(route, hostile_param if "{" in route.path else None)
        status = fuzz_site.post(who, path, how, fields, files, csrf)
        if status >= 500:
            failures.append(f"{status} POST {route.path} ({path[:60]!r}) as {who} via {how}")

    one()
    print(
        f"\nfuzz: {SENT['requests']} requests over {len(routes)} form routes, "
        f"{len(PERSONAS)} personas; {len(failures)} gave a 5xx"
    )
    assert not failures, failures[:20]
