"""In Chromium: a local school (no Microsoft or Google sign-in, not the demo) in preview. Its
admin asks for a sign-in link, opens it from the .eml the school's mailer wrote, lands on the
setup page and presses "Start sending"; the same link again, and an expired one, are refused."""

from __future__ import annotations

import email
import email.policy
import re
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine

from bot.core.config import store as config_store
from bot.core.deployment import setup_state
from bot.core.deployment.context import AppContext
from bot.engine.sweep import run_sweep
from bot.web.app import create_app
from tests.features.setup.conftest import TODAY
from tests.support.helpers import Row, SchoolBuilder, at

pytestmark = pytest.mark.browser
ADMIN = "office@oak.example"


def _local_school(school: SchoolBuilder, sqlite_url: str, base_url: str) -> AppContext:
    """The test school, swept once, in preview with its settings on the web pages."""
    school.people.append(Row(ADMIN, "Olive Office", "staff", "All Staff"))
    school.school["admins"] = [ADMIN]
    school.policy("online-safety", "2025.1", title="Online Safety Policy", next_review="2026-09-01")
    ctx = school.context(sqlite_url, base_url=base_url)
    assert not ctx.settings.demo and not ctx.settings.oidc_issuer
    run_sweep(
        ctx.store,
        ctx.settings,
        ctx.config,
        ctx.connectors,
        as_of=TODAY,
        now=at(TODAY),
        deliver=False,
    )
    with ctx.store.transaction() as session:
        setup_state.begin_setup(session, source="web", by="it@oak.example", now=at(TODAY))
        config_store.save(session, ctx.config, by="it@oak.example", now=at(TODAY), note="set up")
    ctx.forget_config()
    return ctx


def _signin_links(folder: Path, to: str) -> list[str]:
    """The sign-in links in the .eml files the local mailer wrote to ``to``, oldest first."""
    found = []
    for path in sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if message["To"] == to:
            text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
            found += re.findall(r"https?://\S+/signin/link/\S+", text)
    return found


def _next_link(folder: Path, to: str, seen: int) -> str:
    """The link of the email after the first ``seen``: the mailer writes it just after the page
    answers (a background task), so look again until it is there, however slow the machine
    (the test's bound, pytest-timeout, ends a hang: 400 looks, 20 s, was a wall-clock limit)."""
    while True:
        links = _signin_links(folder, to)
        if len(links) > seen:
            return links[seen]
        time.sleep(0.05)


def _ask(page: Any, url: str) -> None:
    """Ask for a link from the sign-in page, as the admin would."""
    page.goto(f"{url}/signin")
    page.fill("#email", ADMIN)
    page.get_by_role("button", name="Email me a sign-in link").click()
    assert "a sign-in link is on its way" in page.locator("main").inner_text()


def test_a_local_school_signs_in_by_emailed_link_and_starts_sending(
    school: SchoolBuilder, sqlite_url: str, live_server: Any, page: Any, screenshot: Any
) -> None:
    from tests.conftest import free_port

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    ctx = _local_school(school, sqlite_url, url)
    server = live_server(create_app(ctx.settings, ctx))
    server.port, server.url = port, url
    server.server.config.port = port
    folder = ctx.settings.outbox_dir
    with time_machine.travel(at(TODAY), tick=True) as clock, server:
        _ask(page, url)
        link = _next_link(folder, ADMIN, 0)
        page.goto(link)
        page.goto(link)  # opened twice (a mail scanner first): opening signs nobody in
        screenshot(page, "signin-link")
        page.get_by_role("button", name="Sign in", exact=True).click()
        page.wait_for_url(f"{url}/setup")  # a school in preview: its admin lands here
        page.get_by_role("button", name="Start sending").click()
        page.wait_for_selector("#sending-started")

        page.context.clear_cookies()
        page.goto(link)  # the same link again
        page.get_by_role("button", name="Sign in", exact=True).click()
        assert "cannot be used" in page.locator("main").inner_text()
        page.goto(f"{url}/me")
        assert "/signin" in page.url  # still signed out

        _ask(page, url)
        late = _next_link(folder, ADMIN, 1)
        page.goto(late)
        clock.shift(timedelta(minutes=16))
        page.get_by_role("button", name="Sign in", exact=True).click()
        assert "cannot be used" in page.locator("main").inner_text()
        page.goto(f"{url}/me")
        assert "/signin" in page.url
    with ctx.store.session() as session:
        assert setup_state.is_sending(session, "oak")
    ctx.store.dispose()
