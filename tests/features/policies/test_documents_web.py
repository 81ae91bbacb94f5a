"""Acknowledgement pages show each policy as the school wrote it (Markdown, Word, PDF pages),
the page images sit behind the same link, and the download is the exact file whose SHA-256 the
acknowledgement records."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.core.deployment.context import AppContext
from bot.core.guards.links import make_token
from bot.core.models import Attestation, Duty, Person, Policy, PolicyVersion
from bot.demo.documents import code_of_conduct_docx, mobile_phones_pdf
from bot.engine.sweep import run_sweep
from bot.web.app import create_app
from tests.conftest import isolated
from tests.support.helpers import SchoolBuilder, at

TODAY = date(2026, 3, 16)
MARKDOWN = (
    "# Online Safety Policy\n\n*Written by Oak Test School.*\n\n## Scope\nThis policy covers\n"
    "every device on site.\n\n- Use school accounts.\n- Report problems.\n"
)


@dataclass
class Documents:
    """The school, and Amy's acknowledgement links by policy id."""

    context: AppContext
    links: dict[str, str]
    versions: dict[str, int]


def three_policies(school: SchoolBuilder, database_url: str | None = None) -> Documents:
    """A Markdown, a Word and a PDF policy, each to be acknowledged by staff."""
    school.policy("online-safety", "2026.1", MARKDOWN, title="Online Safety Policy")
    (school.home / "policies" / "code.docx").write_bytes(code_of_conduct_docx())
    (school.home / "policies" / "phones.pdf").write_bytes(mobile_phones_pdf())
    for pid, title, file in (
        ("code", "Staff Code of Conduct", "code.docx"),
        ("phones", "Mobile Phones Policy", "phones.pdf"),
    ):
        school.school["policies"].append(
            {"id": pid, "title": title, "version": "2026.1", "document": f"policies/{file}"}
        )
    for pid in ("online-safety", "code", "phones"):
        school.requirement(
            id=f"ack-{pid}", kind="acknowledge_policy", policy=pid, audience={"roles": ["staff"]}
        )
    ctx = school.context(database_url, demo=True)
    run_sweep(
        ctx.store,
        ctx.settings,
        ctx.config,
        ctx.connectors,
        as_of=TODAY,
        now=at(TODAY),
        deliver=False,
    )
    key = ctx.settings.signing_key()
    links, versions = {}, {}
    with ctx.store.session() as session:
        amy = session.scalar(select(Person).where(Person.email == "amy@oak.example"))
        assert amy is not None
        rows = session.execute(
            select(Duty, Policy.key)
            .join(PolicyVersion, PolicyVersion.id == Duty.policy_version_id)
            .join(Policy, Policy.id == PolicyVersion.policy_id)
            .where(Duty.person_id == amy.id, Duty.kind == "acknowledge_policy")
        ).all()
        for duty, pid in rows:
            assert duty.policy_version_id is not None
            links[pid] = "/ack/" + make_token(key, "ack", amy.id, duty.id, duty.policy_version_id)
            versions[pid] = duty.policy_version_id
    assert set(links) == {"online-safety", "code", "phones"}
    return Documents(ctx, links, versions)


@pytest.fixture(scope="module")
def docs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Documents]:
    """The three policies (SQLite), once for the tests that read them (the one that
    acknowledges builds its own)."""
    folder = tmp_path_factory.mktemp("documents")
    with isolated(folder):
        made = three_policies(SchoolBuilder(folder / "school"), f"sqlite:///{folder / 't.db'}")
    yield made
    made.context.store.dispose()


def _article(html: str) -> str:
    found = re.search(r'<article class="doc rendered"[^>]*>(.*?)</article>', html, re.S)
    assert found, "no rendered document on the page"
    return found.group(1)


def test_markdown_and_word_are_shown_with_headings_and_lists(docs: Documents) -> None:
    client = TestClient(create_app(docs.context.settings, docs.context))
    markdown = _article(client.get(docs.links["online-safety"]).text)
    assert "<h2>Online Safety Policy</h2>" in markdown and "<h3>Scope</h3>" in markdown
    assert "<li>Use school accounts.</li>" in markdown and "## " not in markdown
    word = _article(client.get(docs.links["code"]).text)
    assert "<h3>2. What every member of staff does</h3>" in word and word.count("<li>") == 3


def test_pdf_pages_are_images_behind_the_link(docs: Documents) -> None:
    client = TestClient(create_app(docs.context.settings, docs.context))
    html = client.get(docs.links["phones"]).text
    images = re.findall(r'<img src="(/documents/\d+/pages/(\d)\.png\?t=[^"]+)" alt="([^"]+)"', html)
    assert [(n, alt) for _src, n, alt in images] == [
        ("1", "Mobile Phones Policy, page 1 of 2"),
        ("2", "Mobile Phones Policy, page 2 of 2"),
    ]
    src = images[0][0].replace("&amp;", "&")
    page = client.get(src)
    assert page.status_code == 200 and page.headers["content-type"] == "image/png"
    assert page.content.startswith(b"\x89PNG")
    assert "private" in page.headers["cache-control"]
    stranger = TestClient(create_app(docs.context.settings, docs.context))
    assert stranger.get(src.split("?")[0]).status_code == 403  # no link, no session
    forged = src.split("?")[0] + "?t=forged&p=ack"
    assert stranger.get(forged).status_code == 403
    version = docs.versions["phones"]
    assert client.get(f"/documents/{version}/pages/9.png?{src.split('?')[1]}").status_code == 404
    word = docs.versions["code"]
    other = client.get(f"/documents/{word}/pages/1.png?{src.split('?')[1]}")
    assert other.status_code == 403  # the phones link does not open the code of conduct


def test_download_is_the_file_the_acknowledgement_records(
    school: SchoolBuilder, database_url: str
) -> None:
    docs = three_policies(school, database_url)
    client = TestClient(create_app(docs.context.settings, docs.context))
    for pid in ("online-safety", "code", "phones"):
        _download_then_acknowledge(client, docs, pid)


def _download_then_acknowledge(client: TestClient, docs: Documents, pid: str) -> None:
    html = client.get(docs.links[pid]).text
    found = re.search(r'<a href="([^"]+download=1)" download>Download the document', html)
    assert found, "no download link"
    download = client.get(found.group(1).replace("&amp;", "&"))
    assert download.status_code == 200
    assert download.headers["content-disposition"].startswith("attachment;")
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert token
    done = client.post(docs.links[pid], data={"csrf_token": token.group(1)})
    assert done.status_code == 200
    with docs.context.store.session() as session:
        recorded = session.scalar(
            select(Attestation.document_sha256).where(
                Attestation.policy_version_id == docs.versions[pid]
            )
        )
    assert hashlib.sha256(download.content).hexdigest() == recorded


def test_signed_in_reader_sees_the_document_page(docs: Documents) -> None:
    client = TestClient(create_app(docs.context.settings, docs.context))
    version = docs.versions["code"]
    assert client.get(f"/documents/{version}/read").status_code == 401
    html = client.get("/signin").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert token
    client.post("/signin", data={"email": "head@oak.example", "csrf_token": token.group(1)})
    page = client.get(f"/documents/{version}/read")
    assert page.status_code == 200
    assert "<h3>1. Professional boundaries</h3>" in _article(page.text)
    assert 'href="/policies/code"' in page.text
