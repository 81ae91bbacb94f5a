"""axe-core in Chromium on every page of the demo school, for every persona: no critical or
serious violations. The app's Content-Security-Policy stays as served (axe is evaluated through
Playwright's DevTools channel, which the page's CSP does not govern, as with a browser's axe
extension); every page is checked for its CSP header and for anything the CSP refused."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
import time_machine
import yaml
from axe_playwright_python.sync_playwright import Axe
from sqlalchemy import select

from bot.core.context import AppContext
from bot.core.models import Duty, Person
from bot.demo.builder import build_demo
from bot.web.app import create_app
from tests.support.helpers import at

pytestmark = pytest.mark.browser
TODAY = date(2026, 11, 18)  # a Wednesday in term
MAX_PAGES = 45  # per persona, after folding pages of one kind (see _kind)
SKIP = re.compile(r"^/(static|auth)/|download=1|\.(csv|pdf|png|ics)(\?|$)|/files/|^/documents/\d+$")


def _kind(path: str) -> str:
    """One page per kind: /reports/CR-2026-0003 and /reports/CR-2026-0004 are one page."""
    path = re.sub(r"CR-\d{4}-\d{4}", "REF", path)
    path = re.sub(r"/[A-Za-z0-9_.-]{24,}", "/TOKEN", path)
    return re.sub(r"/\d+", "/N", path)


def _personas(home: Path, ctx: AppContext) -> dict[str, str | None]:
    school = yaml.safe_load((home / "school.yaml").read_text(encoding="utf-8"))["schools"][0]
    with (home / "directory.csv").open(encoding="utf-8") as handle:
        governor = next(r["email"] for r in csv.DictReader(handle) if r["roles"] == "governor")
    with ctx.store.session() as session:
        staff = session.scalar(
            select(Person.email)
            .join(Duty, Duty.person_id == Person.id)
            .where(Duty.status == "open", Duty.kind == "sign_aup")
        )
    return {
        "visitor (no account)": None,
        "member of staff": staff,
        "headteacher and DSL": school["headteacher"],
        "deputy DSL": school["deputy_dsl"][0],
        "school business manager (admin)": school["admins"][0],
        "chair of governors": school["chair_of_governors"],
        "governor": governor,
        "clerk to governors": school["clerk"],
    }


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppContext]:
    """The demo school as of ``TODAY`` (built once for every persona)."""
    base = tmp_path_factory.mktemp("demo")
    with time_machine.travel(at(TODAY, 10), tick=False):
        plan = build_demo(base, today=TODAY)
    ctx = AppContext(plan.settings)
    yield ctx
    ctx.store.dispose()


def _crawl(page: Any, url: str, seeds: list[str], axe: Axe) -> dict[str, list[str]]:
    """Visit every page reachable from ``seeds`` (one per kind); problems by page."""
    problems: dict[str, list[str]] = {}
    seen: set[str] = set()
    queue = list(seeds)
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else None)
    while queue and len(seen) < MAX_PAGES:
        path = queue.pop(0)
        if _kind(path.split("?")[0]) in seen:
            continue
        seen.add(_kind(path.split("?")[0]))
        response = page.goto(url + path)
        assert response is not None
        found: list[str] = []
        if "script-src 'self'" not in (response.headers.get("content-security-policy") or ""):
            found.append("no Content-Security-Policy header")
        results = axe.run(page)
        assert results.response["testEngine"]["name"] == "axe-core"  # axe really ran
        for violation in results.response["violations"]:
            if violation["impact"] in ("critical", "serious"):
                targets = [str(n["target"]) for n in violation["nodes"][:3]]
                found.append(f"{violation['id']} ({violation['impact']}): {targets}")
        found += [f"CSP refused: {text}" for text in refused]
        refused.clear()
        problems[f"{path} [{response.status}]"] = found
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
            parts = urlsplit(urljoin(url + path, href))
            if f"{parts.scheme}://{parts.netloc}" != url:
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if not SKIP.search(target) and _kind(parts.path) not in seen:
                queue.append(target)
    return problems


def test_every_page_for_every_persona_has_no_serious_axe_violation(
    demo: AppContext, live_server: Any, chromium: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    axe = Axe()
    personas = _personas(demo.settings.home, demo)
    failures: list[str] = []
    counted = 0
    with (
        time_machine.travel(at(TODAY, 10), tick=True),
        live_server(create_app(demo.settings, demo)) as server,
    ):
        for persona, email in personas.items():
            context = chromium.new_context()
            page = context.new_page()
            seeds = ["/", "/report", "/signin", "/no-such-page", "/ack/not-a-real-link"]
            if email is not None:
                page.goto(server.url + "/signin")
                page.locator("#email").select_option(email)
                page.locator("main button[type=submit]").click()
                page.wait_for_load_state()
                seeds = ["/me", "/", "/report"]
            pages = _crawl(page, server.url, seeds, axe)
            context.close()
            counted += len(pages)
            with capsys.disabled():
                print(f"\naxe: {persona}: {len(pages)} pages")
            failures += [
                f"{persona} {path}: {p}" for path, found in pages.items() for p in found
            ]
    with capsys.disabled():
        print(f"axe: {counted} page visits across {len(personas)} personas")
    assert counted >= 60
    assert not failures, "\n".join(failures)
