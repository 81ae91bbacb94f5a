"""A small school whose settings are kept on the web pages, in preview, signed in as needed."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
import time_machine
from fastapi.testclient import TestClient

from bot.core.config import store as config_store
from bot.core.deployment import setup_state
from bot.core.deployment.context import AppContext
from bot.core.deployment.settings import Settings
from bot.engine.sweep import run_sweep
from bot.web.app import create_app
from tests.support.helpers import Row, SchoolBuilder, at
from tests.support.keys import TEST_SECRET
from tests.support.migrated import copy_database, drop_copy

TODAY = date(2026, 3, 16)  # a Monday in term


@dataclass
class Site:
    """The app, its context and a way to sign in."""

    ctx: AppContext
    client: TestClient

    def sign_in(self, email: str) -> None:
        """Sign in (demo picker) as ``email``."""
        token = self.csrf("/signin")
        answer = self.client.post(
            "/signin", data={"email": email, "csrf_token": token}, follow_redirects=False
        )
        assert answer.status_code == 303

    def csrf(self, path: str) -> str:
        """The CSRF token of the form on ``path``."""
        found = re.search(r'name="csrf_token" value="([^"]+)"', self.client.get(path).text)
        assert found is not None, path
        return found.group(1)


def build_web_school(school: SchoolBuilder, database_url: str) -> AppContext:
    """The test school with a policy, an account, people from a sweep, and web-kept settings."""
    school.people.append(Row("office@oak.example", "Olive Office", "staff", "All Staff"))
    school.school["admins"] = ["office@oak.example"]
    school.policy("online-safety", "2025.1", title="Online Safety Policy", next_review="2026-09-01")
    school.policy(
        "social-media-aup",
        "2025.1",
        title="Social Media Acceptable Use Policy",
        aup=True,
        next_review="2026-09-01",
    )
    school.school["official_accounts"] = [
        {
            "id": "facebook",
            "platform": "Facebook",
            "name": "School Facebook page",
            "aup_policy": "social-media-aup",
            "holders": ["amy@oak.example"],
        }
    ]
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
    with ctx.store.transaction() as session:
        setup_state.begin_setup(session, source="web", by="it@oak.example", now=at(TODAY))
        config_store.save(session, ctx.config, by="it@oak.example", now=at(TODAY), note="set up")
    ctx.__dict__.pop("config", None)
    return ctx


@pytest.fixture(scope="module")
def built_site(
    tmp_path_factory: pytest.TempPathFactory, module_database_url: str
) -> tuple[Path, str]:
    """``build_web_school`` once per module and backend (its folder and its database), for
    ``site`` to copy: the sweep and the saved settings once a module, not once a test."""
    from tests.conftest import isolated

    folder = tmp_path_factory.mktemp("site")
    with isolated(folder):
        ctx = build_web_school(SchoolBuilder(folder / "school"), module_database_url)
    ctx.store.dispose()  # a database is copied only while nobody is connected to it
    return ctx.settings.home, module_database_url


@pytest.fixture
def site(built_site: tuple[Path, str], tmp_path: Path) -> Iterator[Site]:
    """The web-kept school (SQLite and PostgreSQL), the clock at ``TODAY``, nobody signed in:
    the test's own copy of ``built_site`` (folder and database)."""
    home, url = built_site
    copy = copy_database(url, tmp_path)
    folder = shutil.copytree(home, tmp_path / "school")
    ctx = AppContext(Settings(home=folder, database_url=copy, secret_key=TEST_SECRET, demo=True))
    try:
        with (
            time_machine.travel(at(TODAY), tick=True),
            TestClient(create_app(ctx.settings, ctx), base_url="http://testserver") as client,
        ):
            yield Site(ctx, client)
    finally:
        ctx.store.dispose()
        drop_copy(copy)
