"""The report pages: who sees what (table-driven), bad input, fuzzing, rate limits, intake."""

from __future__ import annotations

import csv
import io
import json
import string
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, func, select

from bot.core.guards.ratelimit import RateLimit
from bot.core.models import AuditEvent, Report, ReportAttachment
from bot.features.reports.rules import CATEGORIES
from tests.features.reports.test_support import (  # noqa: F401
    PDF,
    REF,
    Env,
    TestClient,
    csrf_of,
    env_fixture,
    jpeg_with_exif,
    make_env,
    submission,
)
from tests.support.helpers import SchoolBuilder

NOW = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
ROLES = ("anonymous", "staff", "governor", "dsl", "deputy", "head", "chair")
SECRET = "UNIQUE-WEB-SECRET-31337"


# --------------------------------------------------------------------------- access matrix

# expected status per role, in ROLES order
ANY_LEADER = (401, 403, 403, 200, 200, 200, 200)  # the list itself (chair: filtered)
NORMAL = (401, 403, 403, 200, 200, 200, 404)  # a report not about the head
ABOUT_HEAD = (401, 403, 403, 200, 200, 404, 200)  # a report about the head
NORMAL_POST = (401, 403, 403, 303, 303, 303, 404)
ABOUT_HEAD_POST = (401, 403, 403, 303, 303, 404, 303)
MATRIX: list[tuple[str, str, dict[str, Any] | None, tuple[int, ...]]] = [
    ("GET", "/report", None, (200,) * 7),  # anonymous: the school's public form
    ("GET", "{public}", None, (200,) * 7),
    ("GET", "/report/oak", None, (200,) * 7),
    ("GET", "/report/elm", None, (404,) * 7),
    ("GET", "/report/oak/forged-token", None, (404,) * 7),
    ("GET", "/report/elm/{token}", None, (404,) * 7),
    ("GET", "/reports", None, ANY_LEADER),
    ("GET", "/reports?status=open&sort=urgency&page=99", None, ANY_LEADER),
    ("GET", "/reports/export.csv", None, ANY_LEADER),
    ("GET", "/reports/link", None, (401, 403, 403, 200, 200, 200, 403)),
    ("GET", "/reports/{normal}", None, NORMAL),
    ("GET", "/reports/{about_head}", None, ABOUT_HEAD),
    ("GET", "/reports/{normal}/files/{file}", None, NORMAL),
    ("GET", "/reports/{about_head}/files/{file}", None, ABOUT_HEAD[:3] + (404,) * 4),
    ("GET", "/reports/CR-2026-9999", None, (401, 403, 403, 404, 404, 404, 404)),
    ("GET", "/reports/../../etc/passwd", None, (404,) * 7),
    ("POST", "/reports/{normal}/entries", {"kind": "note", "text": "Checked in"}, NORMAL_POST),
    ("POST", "/reports/{about_head}/entries", {"kind": "note", "text": "x"}, ABOUT_HEAD_POST),
    (
        "POST",
        "/reports/{normal}/referral",
        {"target": "police", "outcome": "referred", "text": "101 call"},
        NORMAL_POST,
    ),
    ("POST", "/reports/{normal}/owner", {"owner_id": ""}, NORMAL_POST),
    ("POST", "/reports/{normal}/outcome", {"outcome": "Resolved"}, NORMAL_POST),
    ("POST", "/reports/{about_head}/outcome", {"lessons": "Lesson"}, ABOUT_HEAD_POST),
    (
        "POST",
        "/reports/{normal}/status",
        {"status": "bogus", "reason": "x"},
        (401, 403, 403, 422, 422, 422, 404),
    ),
]


@pytest.fixture
def world(env: Env) -> tuple[Env, dict[str, TestClient], dict[str, str]]:
    """Two reports (one about the head, with a file) and a signed-in client per role."""
    from bot.core.files.uploads import clean_attachment

    normal = env.store_report(
        submission(what_happened=SECRET), NOW, files=[clean_attachment("a.pdf", PDF)]
    )
    about = env.store_report(submission(about_headteacher=True, category="staff_concern"), NOW)
    with env.context.store.session() as session:
        file_id = session.scalar(select(ReportAttachment.id))
    clients = {
        role: env.client(None if role == "anonymous" else role, follow_redirects=False)
        for role in ROLES
    }
    token = env.public_path.rsplit("/", 1)[1]
    names = {
        "normal": normal,
        "about_head": about,
        "file": str(file_id),
        "public": env.public_path,
        "token": token,
    }
    return env, clients, names


def test_access_matrix(world: tuple[Env, dict[str, TestClient], dict[str, str]]) -> None:
    """Every report route × every role gets exactly what that role may see."""
    _env, clients, names = world
    failures = []
    for method, template, form, expected in MATRIX:
        path = template.format(**names)
        for role, want in zip(ROLES, expected, strict=True):
            client = clients[role]
            if method == "GET":
                response = client.get(path)
            else:
                token = csrf_of(client.get(names["public"]).text)
                response = client.post(path, data={**(form or {}), "csrf_token": token})
            if response.status_code != want:
                failures.append(f"{method} {template} as {role}: {response.status_code} != {want}")
            if response.status_code in (401, 403, 404):
                # a refusal never shows report contents or the other report's reference
                assert SECRET not in response.text
    assert not failures, "\n".join(failures)


def test_each_role_sees_only_its_reports(
    world: tuple[Env, dict[str, TestClient], dict[str, str]],
) -> None:
    _env, clients, names = world
    normal, about = names["normal"], names["about_head"]
    seen = {role: clients[role].get("/reports").text for role in ("dsl", "head", "chair")}
    assert normal in seen["dsl"] and about in seen["dsl"]
    assert normal in seen["head"] and about not in seen["head"]
    assert normal not in seen["chair"] and about in seen["chair"]
    exports = {role: clients[role].get("/reports/export.csv").text for role in ("head", "chair")}
    assert normal in exports["head"] and about not in exports["head"]
    assert about in exports["chair"] and normal not in exports["chair"]
    assert SECRET not in seen["dsl"]  # the list shows no contents
    # the chair cannot make an evidence pack: no link to a page that refuses them
    assert 'href="/evidence"' in seen["head"] and 'href="/evidence"' not in seen["chair"]
    detail = clients["dsl"].get(f"/reports/{normal}")
    assert SECRET in detail.text


def test_every_view_export_and_change_is_audited_without_contents(
    world: tuple[Env, dict[str, TestClient], dict[str, str]],
) -> None:
    env, clients, names = world
    dsl = clients["dsl"]
    dsl.get("/reports")
    dsl.get(f"/reports/{names['normal']}")
    dsl.get(f"/reports/{names['normal']}/files/{names['file']}")
    dsl.get("/reports/export.csv")
    token = csrf_of(dsl.get(names["public"]).text)
    dsl.post(
        f"/reports/{names['normal']}/status",
        data={"status": "triaged", "reason": f"because {SECRET}", "csrf_token": token},
    )
    with env.context.store.session() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.actor == "dsl@oak.example")
        ).all()
    actions = [e.action for e in events]
    for action in (
        "report.list_viewed",
        "report.viewed",
        "report.attachment_downloaded",
        "report.exported",
        "report.status_changed",
        "report.clock_stopped",
    ):
        assert action in actions
    assert SECRET not in json.dumps([e.details for e in events])


# --------------------------------------------------------------------------- intake


def test_signed_in_report_then_dsl_reads_it_escaped(env: Env) -> None:
    staff = env.client("staff")
    response = env.submit(
        staff,
        "/report",
        what_happened="<script>alert('x')</script> & <b>bold</b>",
        reporter_name=None,
    )
    assert response.status_code == 200
    (ref,) = set(REF.findall(response.text))
    assert "<script>alert" not in response.text  # the reporter never sees it back either
    report = env.report(ref)
    assert report.what_happened == "<script>alert('x')</script> & <b>bold</b>"
    assert (report.reporter_email, report.reporter_name) == ("amy@oak.example", "Amy Able")
    page = env.client("dsl").get(f"/reports/{ref}").text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in page
    assert "<script>alert" not in page
    (receipt,) = env.outbox("report_receipt")
    assert receipt.recipients == ["amy@oak.example"]


@pytest.mark.parametrize(
    ("answer", "said"),
    [("parent", "Parent or carer"), ("governor", "A governor"), (None, "Not stated")],
)
def test_how_the_reporter_knows_the_school_reaches_the_dsl(
    env: Env, answer: str | None, said: str
) -> None:
    """The public form asks "How do you know the school?": the answer is kept with the
    report, and the DSL reads it on the report's page and in the export, in words (the
    school's word for a governor); a report with no answer says "Not stated"."""
    response = env.submit(env.client(), reporter_relationship=answer)
    (ref,) = set(REF.findall(response.text))
    assert env.report(ref).reporter_relationship == answer
    page = env.client("dsl").get(f"/reports/{ref}").text
    assert f"<dt>How they know the school</dt><dd>{said}</dd>" in page
    export = env.client("dsl").get("/reports/export.csv").text.lstrip("\ufeff")
    (row,) = list(csv.DictReader(io.StringIO(export)))
    assert row["reporter"] == "Pat Parent"
    assert row["reporter_relationship"] == ("" if answer is None else said)


def test_the_report_is_committed_before_the_page_says_received(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.features.reports.web_intake as pages

    real = pages.submit_report

    def then_fail(session: Any, *args: Any, **kwargs: Any) -> Any:
        intake = real(session, *args, **kwargs)

        def boom(_session: Any) -> None:
            raise RuntimeError("database went away at commit time")

        event.listen(session, "before_commit", boom, once=True)
        return intake

    monkeypatch.setattr(pages, "submit_report", then_fail)
    client = env.client(raise_server_exceptions=False)
    png = ("attachments", ("p.pdf", PDF, "application/pdf"))
    response = env.submit(client, files=[png])
    assert response.status_code == 503  # the form again, as typed (test_unsaved.py)
    assert "Your report has not been sent" in response.text
    assert "received" not in response.text.lower() and not REF.search(response.text)
    with env.context.store.session() as session:
        assert session.scalar(select(func.count()).select_from(Report)) == 0
    uploads = env.context.settings.uploads_dir
    assert not uploads.exists() or not any(p.is_file() for p in uploads.rglob("*"))


def test_illegal_content_confirmation_says_do_not_view(env: Env) -> None:
    client = env.client()
    response = env.submit(
        client,
        category="nude_images",
        files=[("attachments", ("img.jpg", jpeg_with_exif(), "image/jpeg"))],
    )
    assert response.status_code == 200
    text = response.text
    assert "Do not view, copy or forward" in text and "Secure the device" in text
    assert "Tell the Designated Safeguarding Lead now" in text
    assert "was not kept" in text or "were not kept" in text


BAD_INPUT: list[tuple[dict[str, Any], list[Any] | None, int, str]] = [
    ({"category": None}, None, 422, "Choose what kind of concern this is"),
    ({"category": "<script>"}, None, 422, "Choose one of the kinds"),
    ({"involved": None}, None, 422, "Say who is involved"),
    ({"what_happened": "  "}, None, 422, "Describe what happened"),
    ({"what_happened": "x" * 20_001}, None, 422, "at most 20,000"),
    ({"what_happened": "y" * 200_000}, None, 413, "too much text"),
    ({"reporter_email": "nobody"}, None, 422, "like name@example.com"),
    ({"reporter_name": None}, None, 422, "Give your name"),
    ({"involved": ["pupil", "dragon"]}, None, 422, "Choose who is involved"),
    (
        {},
        [("attachments", ("invoice.jpg", b"MZ\x90\x00" + b"\0" * 99, "image/jpeg"))],
        422,
        "invoice.jpg: only photos",
    ),
    (
        {},
        [("attachments", ("big.jpg", b"\xff\xd8\xff" + b"\0" * (5 * 2**20), "image/jpeg"))],
        422,
        "at most 5 MB",
    ),
    (
        {},
        [("attachments", (f"{i}.pdf", PDF, "application/pdf")) for i in range(4)],
        422,
        "at most 3 files",
    ),
    ({}, [("what_happened", ("w.txt", b"text in a file", "text/plain"))], 422, "must be text"),
    ({"attachments": "not a file"}, None, 422, "must be files"),
]


def test_bad_input_gets_a_clear_4xx(env: Env) -> None:
    """Each bad submission (table above) gets its status and a message naming the problem."""
    client = env.client()
    failures = []
    for fields, files, status, message in BAD_INPUT:
        response = env.submit(client, files=files, **fields)
        if response.status_code != status or message not in response.text:
            failures.append(
                f"{str(fields or files)[:80]}: {response.status_code}, wanted {status} {message}"
            )
    assert not failures, "\n".join(failures)
    with env.context.store.session() as session:
        assert session.scalar(select(func.count()).select_from(Report)) == 0


def test_a_body_over_the_app_limit_is_refused(env: Env) -> None:
    client = env.client()
    token = csrf_of(client.get(env.public_path).text)
    response = client.post(
        env.public_path,
        data={"csrf_token": token},
        files=[("attachments", ("huge.pdf", b"%PDF-" + b"\0" * (13 * 2**20), "application/pdf"))],
    )
    assert response.status_code == 413


def test_form_errors_keep_answers_and_link_to_fields(env: Env) -> None:
    client = env.client()
    response = env.submit(client, what_happened=f"{SECRET}<i>", category=None)
    assert response.status_code == 422
    assert 'href="#category-mobile_device"' in response.text
    assert "There is a problem" in response.text
    assert f"{SECRET}&lt;i&gt;</textarea>" in response.text


def test_a_missing_csrf_token_is_refused(env: Env) -> None:
    client = env.client()
    client.get(env.public_path)
    response = client.post(env.public_path, data={"category": "other"})
    assert response.status_code == 403


def test_public_link_is_rate_limited_per_address_not_per_person(env: Env) -> None:
    client = env.client()
    for _ in range(5):
        assert env.submit(client).status_code == 200
    refused = env.submit(client)
    assert refused.status_code == 429
    assert "try again in 10 minutes" in refused.text and "999" in refused.text
    with env.context.store.session() as session:
        assert session.scalar(select(func.count()).select_from(Report)) == 5
    # signed-in people are limited per account, so a school behind one address still works
    staff = env.client("staff")
    assert env.submit(staff, "/report", reporter_name=None).status_code == 200


def test_public_link_can_be_switched_off(school: SchoolBuilder) -> None:
    made = make_env(school, public_link=False)
    client = made.client()
    assert client.get(made.public_path).status_code == 404
    dsl = made.client("dsl")
    assert "switched off" in dsl.get("/reports/link").text
    made.context.store.dispose()


def test_list_filters_sort_and_paginate(env: Env) -> None:
    refs = [
        env.store_report(
            submission(category="other" if i % 2 else "data_breach"), NOW + timedelta(seconds=i)
        )
        for i in range(55)
    ]
    dsl = env.client("dsl")
    page1 = dsl.get("/reports?category=data_breach&sort=oldest").text
    assert page1.count("/reports/CR-") == 28 and "Personal data breach" in page1
    assert page1.index(refs[0]) < page1.index(refs[2])
    all_pages = dsl.get("/reports?sort=newest").text
    assert "Page 1 of 2" in all_pages and refs[54] in all_pages
    second = dsl.get("/reports?sort=newest&page=2").text
    assert refs[0] in second
    export = dsl.get("/reports/export.csv")
    assert export.headers["content-type"].startswith("text/csv")
    assert len(list(csv.DictReader(io.StringIO(export.text.lstrip("\ufeff"))))) == 55


# --------------------------------------------------------------------------- fuzzing

FIELD_NAMES = [
    "category",
    "involved",
    "names_pupil",
    "what_happened",
    "occurred",
    "location",
    "actions_taken",
    "suspected_illegal",
    "immediate_risk",
    "about_headteacher",
    "anonymous",
    "reporter_name",
    "reporter_email",
    "reporter_relationship",
    "attachments",
]
TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300
) | st.sampled_from(
    ["", "yes", "on", "<script>alert(1)</script>", "=1+1", "\x00", "pupil", *CATEGORIES]
)
FILES = st.lists(
    st.tuples(
        st.sampled_from(["attachments", "what_happened", "x"]),
        st.tuples(
            st.text(alphabet=string.ascii_letters + ".", min_size=0, max_size=12),
            st.one_of(st.binary(max_size=300), st.just(PDF), st.just(b"\xff\xd8\xff\xe0JFIF")),
            st.sampled_from(["image/jpeg", "application/pdf", "text/plain"]),
        ),
    ),
    max_size=4,
)


def test_fuzz_the_form_never_errors(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    """Random fields, values and files: always a 2xx/4xx answer, never a 5xx."""
    import bot.features.reports.web_intake as pages

    monkeypatch.setattr(pages, "REPORT_RATE", RateLimit("report", 10_000, timedelta(minutes=10)))
    client = env.client(raise_server_exceptions=False)
    token = csrf_of(client.get(env.public_path).text)
    staff = env.client("staff", raise_server_exceptions=False)
    staff_token = csrf_of(staff.get("/report").text)

    @settings(
        max_examples=200,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(
        fields=st.dictionaries(
            st.sampled_from(FIELD_NAMES) | st.text(max_size=10),
            TEXT | st.lists(TEXT, max_size=3),
            max_size=12,
        ),
        files=FILES,
        signed_in=st.booleans(),
    )
    def run(fields: dict[str, Any], files: list[Any], signed_in: bool) -> None:
        who, path, csrf = (
            (staff, "/report", staff_token) if signed_in else (client, env.public_path, token)
        )
        data = {**fields, "csrf_token": csrf}
        response = who.post(path, data=data, files=files or None)
        assert response.status_code < 500, response.text[:300]
        assert response.status_code in (200, 400, 413, 422)

    run()
