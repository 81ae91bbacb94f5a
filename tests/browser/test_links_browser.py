"""In a real Chromium: opening an emailed link records nothing; the button records once;
tampered and expired links explain themselves; an AUP needs a matching typed name."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import time_machine
from sqlalchemy import func, select

from bot.core.deployment.context import AppContext
from bot.core.models import AccountHolder, Attestation, OutboxMessage
from bot.engine.sweep import run_sweep
from bot.web.app import create_app
from tests.support.helpers import SchoolBuilder, at

pytestmark = pytest.mark.browser
MONDAY = date(2026, 11, 23)


def _links(folder: Path, to: str) -> list[str]:
    found = []
    for path in sorted(folder.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if message["To"] == to:
            text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
            found += re.findall(r"https?://\S+/(?:ack|aup)/\S+", text)
    return found


def _attestations(ctx: AppContext) -> int:
    with ctx.store.session() as session:
        return int(session.scalar(select(func.count()).select_from(Attestation)) or 0)


def _setup(school: SchoolBuilder, sqlite_url: str, base_url: str) -> AppContext:
    school.policy(
        "online-safety",
        "2026.1",
        title="Online Safety Policy",
        published=str(MONDAY),
        text="# Online Safety Policy\n\nUse school accounts only.\n",
    )
    school.policy(
        "social-media-aup",
        "2026.1",
        title="Social Media AUP",
        published=str(MONDAY),
        aup=True,
        text="# Social media AUP\n\nI will post only approved content.\n",
    )
    school.requirement(
        id="ack-os",
        kind="acknowledge_policy",
        policy="online-safety",
        audience={"roles": ["staff"]},
    )
    school.requirement(id="aup", kind="sign_aup", policy="social-media-aup")
    school.school["official_accounts"] = [
        {
            "id": "facebook",
            "platform": "Facebook",
            "name": "School Facebook page",
            "custodian": "head@oak.example",
            "holders": ["amy@oak.example"],
            "aup_policy": "social-media-aup",
        }
    ]
    ctx = school.context(sqlite_url, base_url=base_url)
    with time_machine.travel(at(MONDAY), tick=False):
        run_sweep(ctx.store, ctx.settings, ctx.config, ctx.connectors)
    return ctx


def test_ack_link_get_records_nothing_button_records_once(
    school: SchoolBuilder, sqlite_url: str, live_server: Any, page: Any, screenshot: Any
) -> None:
    from tests.conftest import free_port

    port = free_port()
    ctx = _setup(school, sqlite_url, f"http://127.0.0.1:{port}")
    server = live_server(create_app(ctx.settings, ctx))
    server.port, server.url = port, f"http://127.0.0.1:{port}"
    server.server.config.port = port
    with time_machine.travel(at(MONDAY, 10), tick=True), server:
        [link] = [u for u in _links(ctx.settings.outbox_dir, "ben@oak.example") if "/ack/" in u]
        page.goto(link)
        page.goto(link)  # a mail scanner, then the person: still nothing recorded
        assert _attestations(ctx) == 0
        assert page.locator("h1").inner_text() == "Online Safety Policy"
        assert "Use school accounts only." in page.locator("article.doc").inner_text()
        screenshot(page, "ack-page")
        page.get_by_role("button", name="I confirm").click()
        assert page.locator("h1").inner_text() == "Thank you"
        assert _attestations(ctx) == 1
        page.go_back()
        page.reload()
        assert "Already done" in page.locator("h1").inner_text()
        assert _attestations(ctx) == 1
        with ctx.store.session() as session:
            row = session.scalars(select(Attestation)).one()
            assert row.method == "link" and row.user_agent and "Chrome" in row.user_agent
            assert len(row.document_sha256) == 64 and "Online Safety Policy" in row.statement
        # tampered
        tampered = link[:-4] + ("AAAA" if not link.endswith("AAAA") else "BBBB")
        response = page.goto(tampered)
        assert response.status == 400
        assert "isn't valid" in page.locator("h1").inner_text()
        # expired: 45 days later the link explains itself and offers a fresh one
        with time_machine.travel(at(date(2027, 1, 7)), tick=False):
            [amy_link] = [
                u for u in _links(ctx.settings.outbox_dir, "amy@oak.example") if "/ack/" in u
            ]
            response = page.goto(amy_link)
            assert response.status == 410
            assert "expired" in page.locator("h1").inner_text()
            page.get_by_role("button", name="Email me a fresh link").click()
            assert "Check your email" in page.locator("h1").inner_text()
        with ctx.store.session() as session:
            renewals = session.scalars(
                select(OutboxMessage).where(OutboxMessage.purpose == "link_renewal")
            ).all()
            assert [r.recipients for r in renewals] == [["amy@oak.example"]]
        assert _attestations(ctx) == 1


def test_aup_sign_with_typed_name(
    school: SchoolBuilder, sqlite_url: str, live_server: Any, page: Any, screenshot: Any
) -> None:
    from tests.conftest import free_port

    port = free_port()
    ctx = _setup(school, sqlite_url, f"http://127.0.0.1:{port}")
    server = live_server(create_app(ctx.settings, ctx))
    server.port, server.url = port, f"http://127.0.0.1:{port}"
    server.server.config.port = port
    with time_machine.travel(at(MONDAY, 10), tick=True), server:
        [link] = [u for u in _links(ctx.settings.outbox_dir, "amy@oak.example") if "/aup/" in u]
        page.goto(link)
        assert _attestations(ctx) == 0
        assert "School Facebook page" in page.locator(".crumb").inner_text()
        page.get_by_label(re.compile("I have read")).check()
        page.get_by_label("Type your full name to sign").fill("Amy Smith")
        page.get_by_role("button", name="Sign the policy").click()
        assert "does not match" in page.locator("#errors").inner_text()
        assert _attestations(ctx) == 0
        page.get_by_label(re.compile("I have read")).check()
        page.get_by_label("Type your full name to sign").fill("  amy   ABLE ")
        page.get_by_role("button", name="Sign the policy").click()
        assert page.locator("h1").inner_text() == "Thank you"
        screenshot(page, "aup-signed")
    with ctx.store.session() as session:
        signature = session.scalars(select(Attestation)).one()
        assert signature.kind == "aup_signature" and signature.typed_name == "amy   ABLE"
        assert "official accounts" in signature.statement and signature.ip == "127.0.0.1"
        receipt = session.scalars(
            select(OutboxMessage).where(OutboxMessage.purpose == "aup_receipt")
        ).one()
        assert receipt.recipients == ["amy@oak.example"]
        assert "/aup/" not in receipt.payload["text"] and "http" not in receipt.payload["text"]
        assert signature.document_sha256 in receipt.payload["text"]
        assert session.scalar(select(func.count()).select_from(AccountHolder)) == 1
