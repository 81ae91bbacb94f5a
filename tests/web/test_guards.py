"""Every form refuses control characters with a 400 naming the box (SQLite and PostgreSQL, and
nothing is stored); bodies are cut off at the limit as they stream in, whatever the headers
say (through the ASGI stream and over a real socket)."""

from __future__ import annotations

import re
import socket
import sys
import time
import unicodedata
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
import time_machine
from sqlalchemy import func, select

from bot.core.guards.forms import control_character
from bot.core.models import PolicyReview, Report, TrainingRecord, VisitorAssurance
from bot.engine.sweep import run_sweep
from bot.engine.web.deps import TEMPLATE_DIRS
from bot.engine.web.guards import MULTILINE_FIELDS
from bot.web.app import MAX_BODY, create_app
from tests.features.reports.test_support import Env, configure, csrf_of, env_fixture, sync_people  # noqa: F401
from tests.support.helpers import SchoolBuilder, at

TODAY_NOON = at(date(2026, 11, 23), 12)


def test_every_textarea_of_the_product_is_a_multiline_field() -> None:
    names = {
        match
        for folder in TEMPLATE_DIRS
        for path in folder.glob("*.html")
        for match in re.findall(r'<textarea[^>]*name="([^"]+)"', path.read_text("utf-8"))
    }
    assert names == MULTILINE_FIELDS


@pytest.mark.parametrize(
    ("text", "multiline", "found"),
    [
        ("Sam Sparks", False, None),
        ("O\u2019Brien \u00e9\u00e8 \u0645\u0631\u062d\u0628\u0627 \U0001f600", False, None),
        ("line one\r\nline two\tend", True, None),
        ("line one\nline two", False, "a line break (U+000A)"),
        ("tab\there", False, "a tab (U+0009)"),
        ("nul\x00", True, "a NUL character (U+0000)"),
        ("escape\x1b[31m", True, "a control character (U+001B)"),
        ("del\x7f", True, "a control character (U+007F)"),
        ("c1\x85", True, "a control character (U+0085)"),
        ("surrogate\ud800", True, "a control character (U+D800)"),
    ],
)
def test_control_characters_are_named(text: str, multiline: bool, found: str | None) -> None:
    assert control_character(text, multiline=multiline) == found


def test_every_character_unicode_calls_a_control_or_a_surrogate_is_refused() -> None:
    """The refusal is Unicode's own categories (Cc, Cs), for every code point; tabs and line
    breaks only outside multi-line text."""
    for point in range(sys.maxunicode + 1):
        char = chr(point)
        control = unicodedata.category(char) in ("Cc", "Cs")
        assert (control_character(char) is not None) == control, hex(point)
        allowed = not control or char in "\t\n\r"
        assert (control_character(f"a{char}b", multiline=True) is None) == allowed, hex(point)


@pytest.fixture(name="site")
def site_fixture(school: SchoolBuilder, database_url: str) -> Iterator[Env]:
    """A school with reports, a policy the clerk may review and a training duty for Amy."""
    configure(school)
    school.school["clerk"] = "admin@oak.example"
    school.policy("code", "2025.1", title="Staff Code of Conduct", next_review="2026-12-01")
    school.requirement(
        id="os", kind="complete_training", course="Online safety", audience={"roles": ["staff"]}
    )
    context = school.context(database_url, demo=True, base_url="http://testserver")
    sync_people(context)
    with time_machine.travel(TODAY_NOON, tick=False):
        run_sweep(context.store, context.settings, context.config, context.connectors)
    env = Env(context=context, app=create_app(context.settings, context), builder=school)
    yield env
    context.store.dispose()


def _count(env: Env, model: Any) -> int:
    with env.context.store.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _refused(response: Any, box: str, what: str) -> None:
    assert response.status_code == 400, response.text[:300]
    assert f"“{box}” contains {what}" in response.text, response.text[:600]


@time_machine.travel(TODAY_NOON, tick=True)
def test_nul_and_control_characters_are_refused_on_every_kind_of_form(site: Env) -> None:
    env = site
    public = env.client()
    # the public report form (read by its own parser): nothing stored
    _refused(env.submit(public, what_happened="In the\x00 hall"), "what happened", "a NUL")
    _refused(env.submit(public, reporter_name="Pat\nParent"), "reporter name", "a line break")
    _refused(env.submit(public, location="Hall\x1b[2J"), "location", "a control character")
    assert _count(env, Report) == 0
    # tabs and line breaks are fine in a multi-line box
    assert env.submit(public, what_happened="First\r\n\tthen").status_code == 200
    assert _count(env, Report) == 1
    # the visitor form (FastAPI Form() parameters)
    token = csrf_of(public.get("/visit/oak").text)
    visit = {"csrf_token": token, "name": "Sam\x00", "visit_date": "", "agree": "yes"}
    _refused(public.post("/visit/oak", data=visit), "name", "a NUL")
    assert _count(env, VisitorAssurance) == 0
    # training: the provider box (the form the person reads at /me)
    amy = env.client("staff")
    page = amy.get("/me").text
    action = re.search(r'action="(/me/training/\d+)"', page)
    assert action is not None
    done = {"csrf_token": csrf_of(page), "completed_on": "2026-11-20", "provider": "Safe\x00Co"}
    _refused(amy.post(action.group(1), data=done), "provider", "a NUL")
    assert _count(env, TrainingRecord) == 0
    # a policy review (the clerk's form, with a file field)
    clerk = env.client("admin")
    review = {
        "csrf_token": csrf_of(clerk.get("/policies/code").text),
        "reviewed_on": "2026-11-20",
        "body": "FGB\x00",
        "minute_ref": "FGB/26/07",
    }
    _refused(clerk.post("/policies/code/review", data=review), "body", "a NUL")
    assert _count(env, PolicyReview) == 0
    # an action on a report, and a filter in the address
    dsl = env.client("dsl")
    [reference] = {m for m in re.findall(r"CR-\d{4}-[A-Z0-9]{5}", dsl.get("/reports").text)}
    entry = {
        "csrf_token": csrf_of(dsl.get(f"/reports/{reference}").text),
        "kind": "note",
        "text": "Spoke to \x00parent",
    }
    _refused(dsl.post(f"/reports/{reference}/entries", data=entry), "text", "a NUL")
    _refused(dsl.get("/reports?category=%00"), "category", "a NUL")
    # a field name with a NUL; a file name with one (and a broken image)
    _refused(
        public.post("/visit/oak", data={"csrf_token": token, "na\x00me": "x"}),
        "one of the boxes",
        "a NUL",
    )
    photo = [("attachments", ("a\x00.png", b"\x89PNG\r\n\x1a\n", "image/png"))]
    assert env.submit(public, files=photo).status_code in (400, 422)  # refused, never stored
    assert _count(env, Report) == 1


# --------------------------------------------------------------------------- the byte limit


def _chunked_scope(path: str) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", b"multipart/form-data; boundary=xyz"),
            (b"transfer-encoding", b"chunked"),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }


PART_START = (
    b'--xyz\r\nContent-Disposition: form-data; name="attachments"; filename="big.pdf"\r\n'
    b"Content-Type: application/pdf\r\n\r\n%PDF-"
)


async def _endless_upload(app: Any, path: str) -> tuple[int, int]:
    """POST an endless chunked body through the ASGI stream: (status, bytes pulled)."""
    chunk = PART_START
    pulled = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        body = chunk if pulled == 0 else b"\0" * (256 * 1024)
        pulled += len(body)
        if pulled > 20 * MAX_BODY:  # the test's own stop: the app never cut it off
            return {"type": "http.disconnect"}
        return {"type": "http.request", "body": body, "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(_chunked_scope(path), receive, send)
    [start] = [m for m in sent if m["type"] == "http.response.start"]
    return int(start["status"]), pulled


def test_a_chunked_upload_without_a_length_is_cut_off_at_the_limit(env: Env) -> None:
    from concurrent.futures import ThreadPoolExecutor

    import anyio

    # a thread of its own: a browser test earlier in the run may hold this thread's loop
    with ThreadPoolExecutor(1) as pool:
        status, pulled = pool.submit(anyio.run, _endless_upload, env.app, env.public_path).result()
    assert status == 413
    assert MAX_BODY < pulled <= MAX_BODY + 256 * 1024  # read up to the limit, not a byte more
    assert _count(env, Report) == 0


def test_a_chunked_upload_over_a_real_socket_gets_413(env: Env, live_server: Any) -> None:
    with (
        live_server(env.app) as server,
        socket.create_connection(("127.0.0.1", server.port), timeout=120) as sock,
    ):
        sock.sendall(
            f"POST {env.public_path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Content-Type: multipart/form-data; boundary=xyz\r\n"
            "Transfer-Encoding: chunked\r\n\r\n".encode()
        )
        sock.sendall(b"%x\r\n" % len(PART_START) + PART_START + b"\r\n")
        piece = b"\0" * 65536
        sent = 0
        deadline = time.monotonic() + 60
        try:
            while sent < 40 * MAX_BODY and time.monotonic() < deadline:
                sock.sendall(b"%x\r\n" % len(piece) + piece + b"\r\n")
                sent += len(piece)
        except OSError:
            pass  # the server answered and closed the connection: what we want
        sock.settimeout(10)
        answer = b""
        try:
            while not answer.endswith(b"MB at most)."):
                data = sock.recv(65536)
                if not data:
                    break
                answer += data
        except OSError:
            pass
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert sent < 40 * MAX_BODY  # the server stopped the upload; we did not run out of patience


def test_a_body_over_the_limit_is_refused_in_the_schools_language(tmp_path: Any) -> None:
    from tests.features.decisions.test_support import make_env

    welsh = make_env(SchoolBuilder(tmp_path / "school"), country="wales", language="cy")
    refused = welsh.client().post(
        "/visit/oak",
        content=b"x" * 64,
        headers={"content-length": str(MAX_BODY + 1), "content-type": "text/plain"},
    )
    welsh.context.store.dispose()
    assert refused.status_code == 413
    assert refused.text == "Mae'r uwchlwythiad hwnnw'n rhy fawr (12 MB ar y mwyaf)."
    assert refused.headers["content-language"] == "cy"


def test_the_size_limits_language_when_the_address_names_no_school() -> None:
    from types import SimpleNamespace

    from bot.core.language.i18n import said_in
    from bot.engine.web.guards import too_large
    from bot.web.app import body_language
    from tests.core.test_i18n import school

    welsh, english = school("cy"), school("en").model_copy(update={"id": "oak"})
    dual = school("cy+en").model_copy(update={"id": "derw"})

    def said(path: str, *schools: Any) -> str:
        ctx = SimpleNamespace(config=SimpleNamespace(schools=list(schools)))
        return body_language(ctx, {"path": path})  # type: ignore[arg-type]

    assert said("/report", english) == "en"
    assert said("/report", welsh) == "cy"  # the one school this server runs
    assert said("/visit/oak", welsh, english) == "en"  # the school the address names
    assert said("/visit/derw", english, dual) == "cy+en"
    assert said("/report", welsh, english) == "cy+en"  # cannot tell: both, Welsh first
    assert said_in("en", too_large(MAX_BODY)) == "That upload is too large (12 MB at most)."
    assert said_in("cy+en", too_large(MAX_BODY)) == (
        "Mae'r uwchlwythiad hwnnw'n rhy fawr (12 MB ar y mwyaf). / "
        "That upload is too large (12 MB at most)."
    )
