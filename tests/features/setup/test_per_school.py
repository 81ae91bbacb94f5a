"""Each school sees only its own settings (bot.features.setup, bot.core.guards.permissions): in a
two-school trust, a school's head or admin sees none of the other school's people or settings on
any admin page or export; a trust-wide administrator (``organisation.trust_admins``) sees all."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
import yaml
from sqlalchemy import select

from bot.core.deployment.context import AppContext
from bot.core.language.words import role_name
from bot.core.models import AuditEvent, ExtraPerson, Person
from bot.engine.config_sync import sync_config
from bot.engine.directory import sync_directory
from bot.web.app import create_app
from tests.features.reports.test_support import TestClient, csrf_of, sign_in
from tests.support.helpers import Row, SchoolBuilder
from tests.web.test_fuzz_forms import _api_routes

TODAY_ISO = "2026-10-19"


def _school(sid: str, name: str) -> dict[str, Any]:
    domain = f"{sid}.example"
    return {
        "id": sid,
        "name": name,
        "headteacher": f"head@{domain}",
        "dsl": [f"dsl@{domain}"],
        "deputy_dsl": [f"deputy@{domain}"],
        "chair_of_governors": f"chair@{domain}",
        "admins": [f"admin@{domain}"],
        "policies": [
            {
                "id": f"safeguarding-{sid}",
                "title": f"{name} Safeguarding Policy",
                "version": "1",
                "document": f"policies/safeguarding-{sid}.md",
                "reviewers": [f"gov@{domain}"],
            }
        ],
        "requirements": [
            {
                "id": f"ack-{sid}",
                "kind": "acknowledge_policy",
                "policy": f"safeguarding-{sid}",
                "audience": {"roles": ["staff"]},
            }
        ],
        "official_accounts": [
            {
                "id": f"facebook-{sid}",
                "platform": "Facebook",
                "name": f"{name} Facebook page",
                "holders": [f"holder@{domain}"],
            }
        ],
    }


@pytest.fixture
def trust(school: SchoolBuilder, sqlite_url: str) -> Iterator[AppContext]:
    """Oak and Elm, one trust; trust@oak.example administers both."""
    school.school = _school("oak", "Oak Test School")
    school.others = [_school("elm", "Elm Test School")]
    school.organisation = {"name": "Test Trust", "trust_admins": ["trust@oak.example"]}
    school.people = [
        Row(
            f"{who}@{sid}.example",
            f"{who.title()} {sid.title()}",
            "governor" if who in ("gov", "chair") else "staff",
            "Governors" if who in ("gov", "chair") else "All Staff",
            school=sid,
        )
        for sid in ("oak", "elm")
        for who in ("head", "dsl", "deputy", "chair", "admin", "gov", "holder")
    ] + [Row("trust@oak.example", "Tara Trust", "staff", "All Staff", school="oak")]
    for sid in ("oak", "elm"):
        (school.home / "policies" / f"safeguarding-{sid}.md").write_text(
            f"# Safeguarding {sid}\n", encoding="utf-8"
        )
    context = school.context(sqlite_url, demo=True, base_url="http://testserver")
    today = date.fromisoformat(TODAY_ISO)
    with context.store.transaction() as session:
        for config in context.config.schools:
            sync_directory(
                session,
                config,
                context.connectors.directory,
                today,
                default_school=config.id == "oak",
            )
            sync_config(session, context.config, config, today)
        for config in context.config.schools:  # someone outside the directory, each school
            session.add(
                ExtraPerson(
                    school_id=config.id,
                    email=f"volunteer@{config.id}.example",
                    display_name=f"Vera {config.id.title()}",
                    roles=["volunteer"],
                )
            )
    yield context
    context.store.dispose()


def _admin_pages(app: Any, context: AppContext, school_id: str) -> list[str]:
    """Every admin page and export the app serves (GET), with this school's ids filled in,
    and the other school's ids too (each must stay shut)."""
    with context.store.session() as session:
        entries = {e.school_id: e.id for e in session.scalars(select(ExtraPerson))}
    other = "elm" if school_id == "oak" else "oak"
    paths = []
    for route in _api_routes(app.routes):
        if "GET" not in route.methods:
            continue
        path = route.path
        if not (
            path.startswith("/admin")
            or path in ("/setup", "/reports/export.csv", "/governors/report")
        ):
            continue
        for sid in (school_id, other):
            filled = (
                path.replace("{pid}", f"safeguarding-{sid}")
                .replace("{rid}", f"ack-{sid}")
                .replace("{entry_id}", str(entries[sid]))
            )
            if filled not in paths:
                paths.append(filled)
    assert "/admin/settings/school.yaml" in paths and "/admin/roles" in paths
    assert any("/admin/policies/safeguarding-" in p for p in paths)
    return paths


@pytest.mark.parametrize(
    ("who", "own", "other"),
    [
        ("head@oak.example", "oak", "elm"),
        ("admin@oak.example", "oak", "elm"),
        ("head@elm.example", "elm", "oak"),
        ("admin@elm.example", "elm", "oak"),
    ],
)
def test_a_schools_head_and_admin_see_only_their_school(
    trust: AppContext, who: str, own: str, other: str
) -> None:
    app = create_app(trust.settings, trust)
    client = TestClient(app)
    sign_in(client, who)
    pages = _admin_pages(app, trust, own)
    opened = 0
    for path in pages:
        response = client.get(path)
        assert response.status_code < 500, path
        text = response.text
        assert f"{other}.example" not in text, path
        assert f"{other.title()} Test School" not in text, path
        assert "trust@oak.example" not in text or (own == "oak" and "school.yaml" not in path)
        opened += response.status_code == 200
    assert opened >= 10  # the school's own pages open
    exported = yaml.safe_load(client.get("/admin/settings/school.yaml").text)
    assert [s["id"] for s in exported["schools"]] == [own]
    assert (
        "trust_admins" not in exported["organisation"]
        or not exported["organisation"]["trust_admins"]
    )
    with trust.store.session() as session:
        event = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "config.exported")
            .order_by(AuditEvent.id.desc())
        ).first()
        assert event is not None and event.details == {"schools": [own]}
    # where the settings are managed is the trust's decision, not one school's
    page = client.get("/admin/settings").text
    assert "decided once for every school" in page
    moved = client.post(
        "/admin/settings",
        data={"source": "web", "csrf_token": csrf_of(client.get("/admin/school").text)},
    )
    assert moved.status_code == 403


def test_the_trust_wide_administrator_sees_the_whole_trust(trust: AppContext) -> None:
    app = create_app(trust.settings, trust)
    client = TestClient(app)
    sign_in(client, "trust@oak.example")
    page = client.get("/admin/settings")
    assert page.status_code == 200 and "the whole trust's settings" in page.text
    exported = yaml.safe_load(client.get("/admin/settings/school.yaml").text)
    assert [s["id"] for s in exported["schools"]] == ["oak", "elm"]
    assert exported["organisation"]["trust_admins"] == ["trust@oak.example"]
    text = client.get("/admin/settings/school.yaml").text
    for secret in (
        "dsl@elm.example",
        "deputy@elm.example",
        "gov@elm.example",
        "holder@elm.example",
    ):
        assert secret in text
    assert client.get("/setup").status_code == 200
    with trust.store.session() as session:  # the role, given by the organisation's list
        held = {
            (p.school_id, r.role)
            for p in session.scalars(select(Person))
            for r in p.roles
            if r.role == "trust_admin"
        }
    assert held == {("oak", "trust_admin")}
    assert role_name("trust_admin") == "trust-wide administrator"
