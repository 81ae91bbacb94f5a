"""The register pages: who may read and record, CSRF, the review form, versions and gaps."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import httpx
import pytest
import time_machine
from sqlalchemy import select

from bot.core.deployment.context import AppContext
from bot.core.models import AuditEvent, Policy, PolicyReview
from bot.engine.sweep import run_sweep
from bot.web.app import create_app
from tests.support.helpers import Row, SchoolBuilder, at

TODAY = date(2026, 3, 16)


@pytest.fixture
def site(
    school: SchoolBuilder, sqlite_url: str, live_server: Any
) -> Iterator[tuple[str, AppContext]]:
    """The test school served on a live server, with the clock at ``TODAY``."""
    school.people.append(Row("clerk@oak.example", "Cleo Clerk", "staff", "All Staff"))
    school.school["clerk"] = "clerk@oak.example"
    school.policy(
        "online-safety",
        "2025.1",
        title="Online Safety Policy",
        owner="head@oak.example",
        next_review="2026-03-01",
        linked_policies=["AUP", "Remote Learning Policy"],
    )
    school.policy(
        "aup",
        "2025.1",
        title="Staff Acceptable Use Policy",
        next_review="2026-04-01",
        approving_body="Resources Committee",
    )
    school.policy("code", "2025.1", title="Staff Code of Conduct", next_review="2026-12-01")
    ctx = school.context(sqlite_url, demo=True)
    run_sweep(
        ctx.store,
        ctx.settings,
        ctx.config,
        ctx.connectors,
        as_of=TODAY,
        now=at(TODAY),
        deliver=False,
    )
    with (
        time_machine.travel(at(TODAY), tick=True),
        live_server(create_app(ctx.settings, ctx)) as server,
    ):
        yield server.url, ctx


def _client(base: str, email: str | None) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=120)  # a busy machine: no 5 s default
    if email is not None:
        token = _csrf(client.get("/signin").text)
        assert client.post("/signin", data={"email": email, "csrf_token": token}).status_code == 303
    return client


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def test_register_for_governors_read_only(site: tuple[str, AppContext]) -> None:
    base, ctx = site
    client = _client(base, "gov@oak.example")
    page = client.get("/policies")
    assert page.status_code == 200
    text = page.text
    for title in ("Online Safety Policy", "Staff Acceptable Use Policy", "Staff Code of Conduct"):
        assert title in text
    assert re.search(
        r'data-policy="online-safety">.*?<td[^>]*class="status"><span class="bad">overdue',
        text,
        re.S,
    )
    assert re.search(r'data-policy="aup">.*?due soon', text, re.S)
    assert re.search(r'data-policy="code">.*?current', text, re.S)
    with ctx.store.session() as session:
        policy = session.scalar(select(Policy).where(Policy.key == "online-safety"))
        assert policy is not None and policy.current_version is not None
        version = policy.current_version
    assert f'href="/documents/{version.id}"' in text and version.sha256 in text
    assert "Remote Learning Policy" in text  # a linked-policy gap; the AUP is held
    assert "<strong>AUP</strong>" not in text
    detail = client.get("/policies/online-safety")
    assert detail.status_code == 200 and "Record a review" not in detail.text
    assert "Hana Head" in detail.text  # the owner
    refused = client.post(
        "/policies/online-safety/review",
        data={"reviewed_on": "2026-03-12", "body": "FGB", "csrf_token": _csrf(detail.text)},
    )
    assert refused.status_code == 403
    opened = client.get(f"/documents/{version.id}")
    assert opened.status_code == 200
    kind, how = opened.headers["content-type"], opened.headers["content-disposition"]
    named = version.document_name
    assert how == f'inline; filename="{named}"' or not kind.startswith(("text/", "application/pdf"))
    assert not kind.startswith("text/") or kind.endswith("charset=utf-8")
    saved = client.get(f"/documents/{version.id}?download=1")
    assert saved.headers["content-disposition"].startswith("attachment; filename=")
    assert client.get("/policies/nope").status_code == 404


def test_staff_and_strangers_cannot_see_the_register(site: tuple[str, AppContext]) -> None:
    base, _ = site
    assert _client(base, "amy@oak.example").get("/policies").status_code == 403
    assert _client(base, None).get("/policies").status_code == 401
    assert _client(base, None).get("/policies/online-safety").status_code == 401


def test_clerk_records_a_review_with_a_new_document(site: tuple[str, AppContext]) -> None:
    base, ctx = site
    client = _client(base, "clerk@oak.example")
    form_page = client.get("/policies/online-safety")
    assert "Record a review" in form_page.text
    token = _csrf(form_page.text)
    fields = {"reviewed_on": "2026-03-12", "body": "FGB", "minute_ref": "FGB/26/07"}
    assert client.post("/policies/online-safety/review", data=fields).status_code == 403  # CSRF
    bad = client.post(
        "/policies/online-safety/review",
        data={**fields, "reviewed_on": "12th March", "csrf_token": token},
    )
    assert bad.status_code == 400 and "Review date: give a date like 2026-03-12" in bad.text
    future = client.post(
        "/policies/online-safety/review",
        data={**fields, "reviewed_on": "2026-04-01", "csrf_token": token},
    )
    assert future.status_code == 400 and "is in the future" in future.text
    done = client.post(
        "/policies/online-safety/review",
        data={**fields, "csrf_token": token},
        files={
            "document": ("online-safety-2026.md", b"# Online Safety\n\nRevised\n", "text/markdown")
        },
        follow_redirects=True,
    )
    assert done.status_code == 200
    assert "Review recorded" in done.text
    assert "New version published (<strong>reviewed 12 March 2026</strong>)" in done.text
    assert 'id="next-review">12 March 2027<' in done.text
    with ctx.store.session() as session:
        policy = session.scalar(select(Policy).where(Policy.key == "online-safety"))
        assert policy is not None and policy.current_version is not None
        assert policy.current_version.label == "reviewed 12 March 2026"
        assert policy.current_version.document == b"# Online Safety\n\nRevised\n"
        review = session.scalars(select(PolicyReview)).one()
        assert (review.recorded_by, review.minute_ref) == ("clerk@oak.example", "FGB/26/07")
        assert (
            session.scalars(select(AuditEvent).where(AuditEvent.action == "policy.reviewed"))
            .one()
            .actor
            == "clerk@oak.example"
        )


def test_review_without_a_file_keeps_the_version(site: tuple[str, AppContext]) -> None:
    base, ctx = site
    client = _client(base, "head@oak.example")
    token = _csrf(client.get("/policies/code").text)
    done = client.post(
        "/policies/code/review",
        data={"reviewed_on": "2026-03-02", "body": "Resources Committee", "csrf_token": token},
        files={"document": ("", b"", "application/octet-stream")},  # an empty file input
        follow_redirects=True,
    )
    assert done.status_code == 200, done.text
    assert "Review recorded" in done.text and "published: staff" not in done.text
    with ctx.store.session() as session:
        policy = session.scalar(select(Policy).where(Policy.key == "code"))
        assert policy is not None and len(policy.versions) == 1
        assert policy.next_review_due == date(2027, 3, 2)


def test_a_review_sent_twice_is_recorded_once(site: tuple[str, AppContext]) -> None:
    """A double click (or Back and Send again) on the review form records one review, one
    version and one audit event, and shows the same confirmation (qa-input)."""
    base, ctx = site
    client = _client(base, "clerk@oak.example")
    token = _csrf(client.get("/policies/online-safety").text)
    fields = {"reviewed_on": "2026-03-12", "body": "FGB", "minute_ref": "FGB/26/07"}
    file = {"document": ("online-safety-2026.md", b"# Online Safety\n\nRevised\n", "text/md")}
    sent = [
        client.post(
            "/policies/online-safety/review", data={**fields, "csrf_token": token}, files=file
        )
        for _ in range(2)
    ]
    assert [r.status_code for r in sent] == [303, 303]
    assert sent[0].headers["location"] == sent[1].headers["location"]
    with ctx.store.session() as session:
        policy = session.scalar(select(Policy).where(Policy.key == "online-safety"))
        assert policy is not None and len(policy.versions) == 2  # the first and the reviewed one
        assert len(session.scalars(select(PolicyReview)).all()) == 1
        reviewed = select(AuditEvent).where(AuditEvent.action == "policy.reviewed")
        assert len(session.scalars(reviewed).all()) == 1
    other = client.post(  # the same meeting with another minute is another review
        "/policies/online-safety/review",
        data={**fields, "minute_ref": "FGB/26/08", "csrf_token": token},
    )
    assert other.status_code == 303
    with ctx.store.session() as session:
        assert len(session.scalars(select(PolicyReview)).all()) == 2


def test_a_far_future_review_date_is_refused_by_name_and_a_stored_one_breaks_nothing(
    site: tuple[str, AppContext],
) -> None:
    """9999-12-31 typed as the next review date: a 400 naming the field, nothing stored; the
    same date already in the database (from before the check) still lets every page open."""
    base, ctx = site
    client = _client(base, "clerk@oak.example")
    token = _csrf(client.get("/policies/online-safety").text)
    for typed, says in (
        ("9999-12-31", "Next review date: 9999-12-31 is too far ahead"),
        ("1900-01-01", "Next review date: 1900-01-01 is too long ago"),
    ):
        refused = client.post(
            "/policies/online-safety/confirm-date", data={"next_review": typed, "csrf_token": token}
        )
        assert refused.status_code == 400 and says in refused.text
    with ctx.store.session() as session:
        policy = session.scalar(select(Policy).where(Policy.key == "online-safety"))
        assert policy is not None and policy.next_review_due == date(2026, 3, 1)
        assert not session.scalars(
            select(AuditEvent).where(AuditEvent.action == "policy.review_date.confirmed")
        ).all()
    with ctx.store.transaction() as session:  # as an older version stored it
        policy = session.scalar(select(Policy).where(Policy.key == "online-safety"))
        assert policy is not None
        policy.next_review_due = date(9999, 12, 31)
    head = _client(base, "head@oak.example")
    for path in ("/policies", "/policies/online-safety", "/dashboard", "/governors/report"):
        assert head.get(path).status_code == 200, path
    run_sweep(
        ctx.store,
        ctx.settings,
        ctx.config,
        ctx.connectors,
        as_of=TODAY,
        now=at(TODAY),
        deliver=False,
    )  # the governors' alerts work out their stages without overflowing


def test_a_reviewed_document_unsafe_to_open_or_not_what_it_says_is_refused(
    site: tuple[str, AppContext],
) -> None:
    """Issue #40: every member of staff opens a policy's new version, so the review form
    refuses, naming the file, a PDF that inflates to 1 GB or loops, a ".pdf" that is an image
    and a ".md" that is a PDF; no version and no review are recorded."""
    from tests.support.hostile import DISGUISED, HOSTILE_PDFS
    from tests.support.pdfs import PDF

    base, ctx = site
    client = _client(base, "clerk@oak.example")
    client.timeout = httpx.Timeout(60)  # each file is read in a child: seconds on a busy machine
    token = _csrf(client.get("/policies/online-safety").text)
    fields = {"reviewed_on": "2026-03-12", "body": "FGB", "csrf_token": token}
    cases = [
        *((f"{kind}.pdf", data, why) for kind, (data, why) in HOSTILE_PDFS.items()),
        (
            "minutes.pdf",
            DISGUISED["html-after-png"][1],
            "its name ends in .pdf, but the file is a PNG image",
        ),
        ("policy.md", PDF, "its name ends in .md, but the file is a PDF"),
    ]
    for name, data, why in cases:
        refused = client.post(
            "/policies/online-safety/review",
            data=fields,
            files={"document": (name, data, "application/octet-stream")},
        )
        said = " ".join(refused.text.split())
        assert refused.status_code == 400 and why in said and name in said, (name, said[-600:])
    with ctx.store.session() as session:
        policy = session.scalar(select(Policy).where(Policy.key == "online-safety"))
        assert policy is not None and policy.current_version is not None
        assert [v.label for v in policy.versions] == ["2025.1"]
        assert session.scalars(select(PolicyReview)).all() == []
