"""In Chromium at 1280 px (#77 item 11): a trust of three schools with long names, one held on
its last good settings. The trust lead's /trust, the trust administrator's dashboard (its
roll-up of every school) and /setup say which school is held, and no table cell breaks a word
in the middle: every word of every cell lies on one line."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import time_machine

from bot.core.deployment.setup_state import begin_setup, start_sending
from bot.core.models import SchoolSettings
from bot.engine.sweep import run_sweep
from bot.web.app import create_app
from tests.features.reports.test_support import sync_people
from tests.support.helpers import Row, SchoolBuilder, at

pytestmark = pytest.mark.browser
MONDAY = date(2026, 11, 23)
LEAD, ADMIN = "lead@oak.example", "trustadmin@oak.example"
NAMES = {
    "oak": "Oakfield Church of England Voluntary Aided Primary School",
    "hill": "Hillside Community Special Academy and Assessment Centre",
    "ash": "Ysgol Gynradd Gymraeg Llanfihangel-ar-Arth",
}
# every word of a table cell on one line (a break after a hyphen or a slash is not mid-word)
BROKEN_WORDS = """() => {
  const broken = [];
  for (const cell of document.querySelectorAll('main td, main th')) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const m of node.textContent.matchAll(/[^\\s\\-\\/\\u2013\\u2014]{2,}/g)) {
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const lines = new Set([...range.getClientRects()].filter(r => r.width > 0)
                                .map(r => Math.round(r.top)));
        if (lines.size > 1) broken.push(m[0]);
      }
    }
  }
  return broken;
}"""


def _trust(home: Path) -> Any:
    """The three schools, Oakfield and Hillside sending, Hillside held on its last good
    settings; a trust lead and a trust administrator; swept on Monday morning."""
    builder = SchoolBuilder(home)
    entries = [
        {
            "id": sid,
            "name": name,
            "headteacher": f"head@{sid}.example",
            "dsl": [f"dsl@{sid}.example"],
            "admins": [f"admin@{sid}.example"],
            "policies": [],
            "requirements": [],
        }
        for sid, name in NAMES.items()
    ]
    builder.school, builder.others = entries[0], entries[1:]
    builder.organisation = {
        "name": "Vale and Valleys Multi-Academy Trust",
        "trust_safeguarding_leads": [LEAD],
        "trust_admins": [ADMIN],
    }
    builder.people = [
        Row(
            f"{who}@{sid}.example", f"{who.title()} {sid.title()}", "staff", "All Staff", school=sid
        )
        for sid in NAMES
        for who in ("head", "dsl", "admin")
    ] + [
        Row(LEAD, "Lee Lead", "staff", "All Staff", school="oak"),
        Row(ADMIN, "Tia Trust", "staff", "All Staff", school="oak"),
    ]
    context = builder.context(f"sqlite:///{home / 'trust.db'}", demo=True)
    sync_people(context, MONDAY)
    with context.store.transaction() as session:
        begin_setup(session, source="file", by="cli:init", now=at(MONDAY, 7))
        for sid in ("oak", "hill"):
            start_sending(session, sid, by=f"head@{sid}.example", now=at(MONDAY, 7))
    run_sweep(
        context.store,
        context.settings,
        context.config,
        context.connectors,
        as_of=MONDAY,
        now=at(MONDAY, 9),
        deliver=False,
    )
    with context.store.transaction() as session:
        session.query(SchoolSettings).filter_by(
            school_id="hill"
        ).one().problem = "school.yaml line 30: schools[1].terms[0]: ends before it starts"
    return context


def _open(page: Any, url: str, who: str, path: str) -> Any:
    page.context.clear_cookies()
    page.goto(f"{url}/signin?next={path}")
    page.select_option("#email", who)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}{path}")
    return page


def test_the_trusts_pages_say_which_school_is_held_and_keep_words_whole(
    tmp_path: Path, live_server: Any, page: Any, screenshot: Any
) -> None:
    context = _trust(tmp_path / "trust")
    with (
        time_machine.travel(at(MONDAY, 12), tick=True),
        live_server(create_app(context.settings, context)) as server,
    ):
        page.set_viewport_size({"width": 1280, "height": 900})
        trust = _open(page, server.url, LEAD, "/trust")
        hill = trust.locator("#trust-schools tr", has_text=NAMES["hill"]).inner_text()
        assert "held on the last good settings" in hill
        assert trust.evaluate(BROKEN_WORDS) == [], "/trust"
        screenshot(trust, "trust-1280")

        board = _open(page, server.url, ADMIN, "/dashboard")
        row = board.locator('#rollup tr[data-school="hill"]').inner_text()
        assert "(held on its last good settings)" in row
        assert "held" not in board.locator('#rollup tr[data-school="oak"]').inner_text()
        assert board.evaluate(BROKEN_WORDS) == [], "/dashboard"
        screenshot(board, "trust-dashboard-1280")

        setup = _open(page, server.url, ADMIN, "/setup")
        lines = [
            line.split(" Start sending for ")[0].strip()
            for line in setup.locator("#trust-start li").all_inner_texts()
        ]
        assert lines == [
            f"{NAMES['oak']}: sending",
            f"{NAMES['hill']}: sending on its last good settings (its settings have a problem: "
            "above)",
            f"{NAMES['ash']}: in preview",
        ], lines
    context.store.dispose()
