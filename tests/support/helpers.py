"""Test helpers: a tiny fictional school written to disk, and shortcuts to run the bot on it."""

from __future__ import annotations

import asyncio
import base64
import csv
import re
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.database.store import Store, alembic_config
from bot.core.deployment.context import AppContext, StepContext
from bot.core.deployment.settings import Settings
from bot.core.models import Duty, OutboxMessage, Person, PolicyVersion
from bot.core.outbox import DispatchStats
from bot.core.outbox.bodies import read, read_files, resolve_payload
from bot.engine.sweep import SchoolSweep, run_sweep
from bot.features.policies.attest import acknowledge
from tests.support.keys import TEST_SECRET

LONDON = ZoneInfo("Europe/London")

T = TypeVar("T")


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(coroutine)`` in a thread of its own: once a browser test has run in a
    test process, the session's Playwright (``chromium`` in tests/conftest.py) keeps an event
    loop running in the main thread, where ``asyncio.run`` refuses to start another."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, coroutine).result()


def at(day: date, hour: int = 9, minute: int = 30) -> datetime:
    """A London wall-clock time on ``day`` as an aware UTC datetime."""
    return datetime.combine(day, time(hour, minute), tzinfo=LONDON).astimezone(UTC)


@dataclass
class Row:
    """One directory row."""

    email: str
    name: str
    roles: str = "staff"
    groups: str = "All Staff"
    manager: str = ""
    start: str = ""
    active: str = "yes"
    title: str = ""
    id: str = ""  # the directory id column, written only when some row has one
    school: str = ""  # the school column (a trust's directory), written only when some row has one


@dataclass
class SchoolBuilder:
    """Writes school.yaml, directory.csv and policy documents into a folder."""

    home: Path
    people: list[Row] = field(default_factory=list)
    school: dict[str, Any] = field(default_factory=dict)
    others: list[dict[str, Any]] = field(default_factory=list)  # more schools of the trust
    organisation: dict[str, Any] = field(default_factory=lambda: {"name": "Test Trust"})

    def __post_init__(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        (self.home / "policies").mkdir(exist_ok=True)
        if not self.people:
            self.people = [
                Row(
                    "head@oak.example",
                    "Hana Head",
                    "staff",
                    "All Staff;Leadership",
                    title="Headteacher",
                ),
                Row("line@oak.example", "Lena Line", "staff", "All Staff", "head@oak.example"),
                Row("amy@oak.example", "Amy Able", "staff", "All Staff", "line@oak.example"),
                Row("ben@oak.example", "Ben Brook", "staff", "All Staff", "line@oak.example"),
                Row("gov@oak.example", "Gail Gov", "governor", "Governors"),
            ]
        if not self.school:
            self.school = {
                "id": "oak",
                "name": "Oak Test School",
                "headteacher": "head@oak.example",
                "dsl": ["head@oak.example"],
                "deputy_dsl": ["line@oak.example"],
                "policies": [],
                "requirements": [],
            }

    def policy(self, pid: str, version: str, text: str | None = None, **extra: Any) -> None:
        """Add or update a policy and write its document."""
        doc = self.home / "policies" / f"{pid}.md"
        doc.write_text(text or f"# {pid}\n\nVersion {version}\n", encoding="utf-8")
        entry = {
            "id": pid,
            "title": extra.pop("title", pid.replace("-", " ").title()),
            "version": version,
            "document": f"policies/{pid}.md",
            **extra,
        }
        self.school["policies"] = [p for p in self.school["policies"] if p["id"] != pid] + [entry]

    def requirement(self, **spec: Any) -> None:
        """Add a requirement (replaces one with the same id)."""
        self.school["requirements"] = [
            r for r in self.school["requirements"] if r["id"] != spec["id"]
        ] + [spec]

    def staff_acknowledge(self, policy: str = "online-safety", **spec: Any) -> None:
        """All staff acknowledge ``policy`` (requirement ``ack-os`` unless told)."""
        self.requirement(
            **{"id": "ack-os", **spec},
            kind="acknowledge_policy",
            policy=policy,
            audience={"roles": ["staff"]},
        )

    def staff_train(self, course: str = "Online safety", **spec: Any) -> None:
        """All staff complete ``course`` (requirement ``train-os`` unless told)."""
        self.requirement(
            **{"id": "train-os", "audience": {"roles": ["staff"]}, **spec},
            kind="complete_training",
            course=course,
        )

    def write(self) -> Path:
        """Write both files (and the secret key the contexts use, where a command run without
        COMPLIANCE_BOT_SECRET_KEY finds it: one audit key for the school's database); returns
        the folder."""
        key_file = self.home / "secret.key"
        if not key_file.exists():
            key_file.write_text(TEST_SECRET, encoding="utf-8")
        ids = any(r.id for r in self.people)
        schools = any(r.school for r in self.people)
        with (self.home / "directory.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(
                [
                    "email",
                    "name",
                    "roles",
                    "groups",
                    "manager_email",
                    "start_date",
                    "active",
                    "job_title",
                ]
                + (["id"] if ids else [])
                + (["school"] if schools else [])
            )
            for r in self.people:
                writer.writerow(
                    [r.email, r.name, r.roles, r.groups, r.manager, r.start, r.active, r.title]
                    + ([r.id] if ids else [])
                    + ([r.school] if schools else [])
                )
        data = {"organisation": self.organisation, "schools": [self.school, *self.others]}
        (self.home / "school.yaml").write_text(
            yaml.safe_dump(data, sort_keys=False), encoding="utf-8"
        )
        return self.home

    def installed(self, database_url: str | None = None) -> Path:
        """Write both files and create the school's database, as ``init`` does: commands
        refuse to start a database of their own. Returns the folder."""
        self.context(database_url).store.dispose()
        return self.home

    def context(self, database_url: str | None = None, **settings: Any) -> AppContext:
        """An AppContext for this school (local connector, .eml outbox)."""
        self.write()
        return AppContext(
            Settings(home=self.home, database_url=database_url, secret_key=TEST_SECRET, **settings)
        )


def sweep(
    ctx: AppContext, day: date, now: datetime | None = None, **options: Any
) -> tuple[list[SchoolSweep], DispatchStats | None]:
    """``run_sweep`` over ``ctx`` as of ``day``, at ``now`` (09:30 that day unless told)."""
    return run_sweep(
        ctx.store,
        ctx.settings,
        ctx.config,
        ctx.connectors,
        as_of=day,
        now=now or at(day),
        **options,
    )


def acknowledged_by_link(
    session: Session, person: Person, duty: Duty, version: PolicyVersion, day: date
) -> None:
    """``person`` acknowledges ``version`` through the emailed link at noon on ``day``."""
    acknowledge(
        session, person, duty, version, method="link", ip=None, user_agent="test", now=at(day, 12)
    )


def step_context(
    context: AppContext,
    session: Any,
    school: Any,
    now: datetime,
    *,
    today: date | None = None,
    write: bool = True,
    settings: Settings | None = None,
    connectors: Any = None,
) -> StepContext:
    """What the sweep would hand a feature step for ``school`` at ``now``."""
    return StepContext(
        session=session,
        settings=settings or context.settings,
        config=context.config,
        school=school,
        connectors=connectors or context.connectors,
        today=today or now.date(),
        now=now,
        write=write,
    )


def outbox_as_sent(store: Store, purpose: str | None = None) -> list[OutboxMessage]:
    """Outbox rows, oldest first, each with its whole payload as sent (a shared body filled in);
    detached: read here, never written back. Rows ``merged`` into another message (kept only
    so that their keys are taken once) are not messages: left out."""
    with store.session() as session:
        query = (
            select(OutboxMessage).where(OutboxMessage.status != "merged").order_by(OutboxMessage.id)
        )
        if purpose:
            query = query.where(OutboxMessage.purpose == purpose)
        rows = list(session.scalars(query))
        whole = [payload_of(session, row) for row in rows]
        session.expunge_all()
    for row, payload in zip(rows, whole, strict=True):
        row.payload = payload
    return rows


def payload_of(session: Session, row: OutboxMessage) -> dict[str, Any]:
    """A message's whole payload (text and HTML as sent, its files' content), whether or not
    its body or files are shared."""
    payload = row.payload
    if row.body_id is not None:
        payload = resolve_payload(row.payload, read(session, [row.body_id])[row.body_id])
    files = read_files(session, [payload])
    return payload | {
        "attachments": [
            {**a, "data": base64.b64encode(files[a["id"]]).decode()} if "id" in a else a
            for a in payload.get("attachments", ())
        ]
    }


def is_current(store: Store) -> bool:
    """True when the database is at the newest migration (as Alembic itself reads it)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config(store.engine))
    with store.engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    return current == script.get_current_head()


def each_half(language: str, lines: list[str], english_from: str) -> list[tuple[str, list[str]]]:
    """What a command printed, read as its reader reads it: in ``cy`` or ``en`` the lines as
    they are; in ``cy+en`` the whole of it in Welsh (each line before the first that matches
    ``english_from``, which starts the English), then the whole of it in English, each half
    read as its own language (``cy``, ``en``) and neither saying the other's first line."""
    if language != "cy+en":
        return [(language, lines)]
    at = next(n for n, line in enumerate(lines) if re.search(english_from, line))
    assert at > 0 and not any(re.search(english_from, line) for line in lines[at + 1 :]), lines
    return [("cy", lines[:at]), ("en", lines[at:])]
