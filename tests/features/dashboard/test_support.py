"""Shared set-up for the dashboard and digest tests: a school with every dashboard role,
policies, training, an official account, reports (one about the headteacher), and a signed-in
web client per person. No tests here."""

from __future__ import annotations

import re
import shutil
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from sqlalchemy import select

from bot.core.deployment.context import AppContext
from bot.core.deployment.settings import Settings
from bot.core.models import Duty, Person, Report, ReportClock, TrainingRecord
from bot.engine.sweep import run_sweep
from bot.features.policies.attest import acknowledge
from bot.web.app import create_app
from tests.support.clock import FrozenClock
from tests.support.helpers import Row, SchoolBuilder, at
from tests.support.keys import TEST_SECRET
from tests.support.migrated import copy_database, drop_copy

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette prefers httpx2 (a UserWarning at import)
    from fastapi.testclient import TestClient

PUBLISHED = date(2026, 11, 2)  # a Monday
FIRST_SWEEP = date(2026, 11, 16)  # Monday: duties opened
TODAY = date(2026, 11, 20)  # Friday: the day the dashboard is looked at
NOW = at(TODAY, 12, 0)
SECRET = "UNIQUE-REPORT-TEXT-31415"  # report contents that must never reach the dashboard
PEOPLE = [
    Row("head@oak.example", "Hana Head", "staff", "All Staff;Leadership", title="Headteacher"),
    Row("dsl@oak.example", "Dee Lead", "staff", "All Staff", "head@oak.example", title="DSL"),
    Row("deputy@oak.example", "Dan Deputy", "staff", "All Staff", "head@oak.example"),
    Row("admin@oak.example", "Adam Admin", "staff", "All Staff;Office", "head@oak.example"),
    Row("amy@oak.example", "Amy Able", "staff", "All Staff", "dsl@oak.example"),
    Row("ben@oak.example", "Ben Brook", "staff", "All Staff", "dsl@oak.example"),
    Row("cal@oak.example", "Cal Cole", "staff", "All Staff", "dsl@oak.example"),
    Row("dot@oak.example", "Dot Dale", "staff", "All Staff", "dsl@oak.example"),
    Row("gov@oak.example", "Gail Gov", "governor", "Governors"),
]


def configure(builder: SchoolBuilder) -> SchoolBuilder:
    """Roles, two policies to acknowledge (one yearly), training, an AUP and an account."""
    builder.people = list(PEOPLE)
    builder.school = {
        "id": "oak",
        "name": "Oak Test School",
        "headteacher": "head@oak.example",
        "dsl": ["dsl@oak.example"],
        "deputy_dsl": ["deputy@oak.example"],
        "admins": ["admin@oak.example"],
        "chair_of_governors": "gov@oak.example",
        "policies": [],
        "requirements": [],
    }
    builder.policy(
        "online-safety",
        "2026.1",
        title="Online Safety Policy",
        published=PUBLISHED.isoformat(),
        next_review="2026-12-01",
    )
    builder.policy(
        "child-protection",
        "2026.1",
        title="Child Protection Policy",
        published="2026-09-01",
        next_review="2026-11-01",
    )
    builder.policy(
        "aup", "2026.1", title="Social Media AUP", published=PUBLISHED.isoformat(), aup=True
    )
    builder.requirement(
        id="ack-online-safety",
        kind="acknowledge_policy",
        policy="online-safety",
        audience={"roles": ["staff"]},
        due_days=3,
    )
    builder.requirement(
        id="ack-child-protection",
        kind="acknowledge_policy",
        policy="child-protection",
        audience={"roles": ["staff"]},
        due_days=14,
        yearly_on="09-01",
    )
    builder.requirement(
        id="training",
        kind="complete_training",
        course="Safeguarding",
        audience={"roles": ["staff"], "exclude": ["admin@oak.example"]},
        due_days=2,
    )
    builder.requirement(id="sign-aup", kind="sign_aup", policy="aup", due_days=2)
    builder.school["official_accounts"] = [
        {
            "id": "facebook",
            "platform": "Facebook",
            "name": "School Facebook page",
            "holders": ["amy@oak.example", "ben@oak.example"],
            "aup_policy": "aup",
        }
    ]
    return builder


@dataclass
class Env:
    """A swept school, its web app and helpers."""

    context: AppContext
    app: Any

    def client(self, email: str | None = None) -> TestClient:
        """A web client, signed in as ``email`` (or anonymous)."""
        client = TestClient(self.app, base_url="https://testserver")  # Secure cookies
        if email is not None:
            sign_in(client, email)
        return client

    def sweep(self, day: date, hour: int = 9, minute: int = 30) -> None:
        """One cycle as of ``day``, run at ``hour:minute`` London time (nothing delivered)."""
        ctx = self.context
        run_sweep(
            ctx.store,
            ctx.settings,
            ctx.config,
            ctx.connectors,
            as_of=day,
            now=at(day, hour, minute),
            deliver=False,
        )

    def person(self, email: str) -> Person:
        """The stored person."""
        with self.context.store.session() as session:
            person = session.scalar(select(Person).where(Person.email == email))
            assert person is not None
            _ = person.role_names
            return person


def sign_in(client: TestClient, email: str) -> None:
    """Demo-mode sign-in as ``email``."""
    page = client.get("/signin").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token, "no CSRF token on the sign-in page"
    response = client.post(
        "/signin", data={"email": email, "csrf_token": token.group(1)}, follow_redirects=False
    )
    assert response.status_code == 303, response.text


def acknowledge_as(env: Env, email: str, policy_key: str, day: date) -> None:
    """``email`` acknowledges the current version of ``policy_key`` on ``day``."""
    with env.context.store.transaction() as session:
        person = session.scalar(select(Person).where(Person.email == email))
        assert person is not None
        duty = session.scalars(
            select(Duty).where(
                Duty.person_id == person.id,
                Duty.kind == "acknowledge_policy",
                Duty.status == "open",
            )
        ).all()
        [chosen] = [d for d in duty if d.requirement.key == f"ack-{policy_key}"]
        assert chosen.policy_version is not None
        acknowledge(
            session,
            person,
            chosen,
            chosen.policy_version,
            method="link",
            ip=None,
            user_agent=None,
            now=at(day, 10),
        )


def add_reports(env: Env) -> None:
    """Four reports: an immediate one past its clock, a high one, one about the head, a closed
    one. Every one carries SECRET in its text."""
    started = at(TODAY, 8, 0)
    with env.context.store.transaction() as session:
        rows = [
            ("CR-2026-0001", "staff_concern", "immediate", "new", False, started, "lado", -1),
            (
                "CR-2026-0002",
                "data_breach",
                "high",
                "triaged",
                False,
                started - timedelta(days=3),
                "ico",
                30,
            ),
            (
                "CR-2026-0003",
                "other",
                "normal",
                "new",
                True,
                started - timedelta(days=10),
                "triage",
                -2,
            ),
            (
                "CR-2026-0004",
                "other",
                "normal",
                "closed",
                False,
                started - timedelta(days=40),
                None,
                0,
            ),
        ]
        for ref, category, urgency, status, about_head, created, clock, hours in rows:
            report = Report(
                school_id="oak",
                reference=ref,
                category=category,
                urgency=urgency,
                status=status,
                what_happened=f"{SECRET} {ref}",
                about_headteacher=about_head,
                created_at=created,
            )
            session.add(report)
            session.flush()
            if clock:
                session.add(
                    ReportClock(
                        school_id="oak",
                        report_id=report.id,
                        kind=clock,
                        started_at=created,
                        due_at=NOW + timedelta(hours=hours),
                    )
                )


def build(builder: SchoolBuilder, database_url: str) -> Env:
    """The school after a week: some acknowledged, one trained, reports open."""
    ctx = configure(builder).context(database_url, demo=True, base_url="https://bot.oak.example")
    env = Env(ctx, create_app(ctx.settings, ctx))
    env.sweep(FIRST_SWEEP)
    for email in ("head@oak.example", "dsl@oak.example", "amy@oak.example"):
        acknowledge_as(env, email, "online-safety", FIRST_SWEEP + timedelta(days=1))
    for email in (
        "head@oak.example",
        "dsl@oak.example",
        "deputy@oak.example",
        "admin@oak.example",
        "amy@oak.example",
    ):
        acknowledge_as(env, email, "child-protection", FIRST_SWEEP + timedelta(days=1))
    with ctx.store.transaction() as session:
        amy = session.scalar(select(Person).where(Person.email == "amy@oak.example"))
        assert amy is not None
        session.add(
            TrainingRecord(
                school_id="oak",
                person_id=amy.id,
                course="Safeguarding",
                completed_on=date(2026, 10, 1),
                import_key="t-amy",
            )
        )
    env.sweep(TODAY)
    add_reports(env)
    return env


@pytest.fixture
def frozen(frozen_clock: FrozenClock) -> None:
    """The clock stands at Friday 20 November 2026, 12:00 London."""
    frozen_clock.at(TODAY, 12, 0)


def _build_to_copy(folder: Path, url: str) -> tuple[Path, str]:
    """``build`` at the frozen moment in ``folder`` on ``url``, left for tests to copy (the
    school's folder and its database): two sweeps, eight acknowledgements and the reports once
    a module, not once a test."""
    from tests.conftest import isolated

    with isolated(folder), time_machine.travel(NOW, tick=False):
        env = build(SchoolBuilder(folder / "school"), url)
    env.context.store.dispose()  # a database is copied only while nobody is connected to it
    return env.context.settings.home, url


def _copied(built: tuple[Path, str], school: SchoolBuilder, tmp_path: Path) -> Iterator[Env]:
    """The test's own copy of a built school (its folder and database), ``school`` configured
    as ``build`` left it."""
    home, url = built
    configure(school)
    shutil.copytree(home, school.home, dirs_exist_ok=True)
    copy = copy_database(url, tmp_path)
    settings = Settings(
        home=school.home,
        database_url=copy,
        secret_key=TEST_SECRET,
        demo=True,
        base_url="https://bot.oak.example",
    )
    ctx = AppContext(settings)
    try:
        yield Env(ctx, create_app(ctx.settings, ctx))
    finally:
        ctx.store.dispose()
        drop_copy(copy)


@pytest.fixture(scope="module")
def sqlite_built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """``build`` once per module on SQLite, for ``env`` to copy."""
    folder = tmp_path_factory.mktemp("built")
    return _build_to_copy(folder, f"sqlite:///{folder / 'test.db'}")


@pytest.fixture
def env(
    sqlite_built: tuple[Path, str], school: SchoolBuilder, tmp_path: Path, frozen: None
) -> Iterator[Env]:
    """The built school (SQLite): the test's own copy of ``sqlite_built``."""
    yield from _copied(sqlite_built, school, tmp_path)


@pytest.fixture(scope="module")
def any_built(
    tmp_path_factory: pytest.TempPathFactory, module_database_url: str
) -> tuple[Path, str]:
    """``build`` once per module on SQLite and, when configured, PostgreSQL, for ``any_env``
    to copy."""
    return _build_to_copy(tmp_path_factory.mktemp("any"), module_database_url)


@pytest.fixture
def any_env(
    any_built: tuple[Path, str], school: SchoolBuilder, tmp_path: Path, frozen: None
) -> Iterator[Env]:
    """The built school on SQLite and, when configured, PostgreSQL: the test's own copy of
    ``any_built``."""
    yield from _copied(any_built, school, tmp_path)


def _built_once(folder: Path, database: str) -> Iterator[Env]:
    """``build`` at the frozen moment on ``database`` ("sqlite" or "postgres"), disposed after."""
    from tests.conftest import _postgres_database

    urls = [f"sqlite:///{folder / 'test.db'}"] if database == "sqlite" else _postgres_database()
    for url in urls:
        with time_machine.travel(NOW, tick=False):
            env = build(SchoolBuilder(folder / "school"), url)
        try:
            yield env
        finally:
            env.context.store.dispose()


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def read_env(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Env]:
    """The built school (``build``) on SQLite and, when configured, PostgreSQL, built once for
    the module and shared by the tests that only read it (a test that writes takes
    ``any_env``, its own)."""
    yield from _built_once(tmp_path_factory.mktemp("built"), request.param)


@pytest.fixture(scope="module")
def read_sqlite_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    """``read_env`` on SQLite only: for the module's readers of ``env``."""
    yield from _built_once(tmp_path_factory.mktemp("built"), "sqlite")


def utc(day: date, hour: int, minute: int = 0) -> datetime:
    """A London wall-clock time as aware UTC (shorthand for the tests)."""
    return at(day, hour, minute).astimezone(UTC)
