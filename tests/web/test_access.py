"""Who may open a school's page (bot.engine.web.access): signed out is 401, a person without
the page's roles 403, and a signed-in person whose school is no longer set up here a plain 404
saying so, on every page that asks, never an error of ours."""

from __future__ import annotations

from typing import Any

import pytest

from tests.features.decisions.test_support import make_env
from tests.support.helpers import SchoolBuilder

PAGES = [
    "/decisions",
    "/evidence",
    "/complaints/new",
    "/privacy/schedule",
    "/scr",
    "/reviews",
    "/admin/people",
    "/governors/report",
    "/reports",
    "/reports/link",
]


def test_each_page_refuses_clearly_whoever_may_not_open_it(
    school: SchoolBuilder, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = make_env(school, database_url)
    try:
        anonymous, staff, head = env.client(), env.client("ben"), env.client("head")
        for page in PAGES:
            assert anonymous.get(page).status_code == 401, page
        for page in (
            "/decisions",
            "/evidence",
            "/privacy/schedule",
            "/reviews",
            "/admin/people",
            "/reports",
        ):
            assert staff.get(page).status_code == 403, page

        def gone(self: Any, school_id: str | None = None) -> Any:
            raise KeyError(school_id)

        monkeypatch.setattr(type(env.context.config), "school", gone)
        for page in (*PAGES, "/report"):  # the signed-in report form too
            response = head.get(page)
            assert response.status_code == 404, (page, response.status_code)
            assert "Your school is not set up here." in response.text, page
    finally:
        env.context.store.dispose()
