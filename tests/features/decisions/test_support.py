"""Shared set-up for the decisions, tasks and visitors tests: a school with every role, a web
client per person, the emails in the outbox folder."""

from __future__ import annotations

import email
import email.policy
import io
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.core.deployment.context import AppContext
from bot.core.models import AuditEvent, OutboxMessage
from bot.engine.config_sync import sync_config
from bot.engine.directory import sync_directory
from tests.support.helpers import Row, SchoolBuilder, outbox_as_sent
from tests.support.pdfs import pdf_document

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's "prefer httpx2" UserWarning
    from fastapi.testclient import TestClient

PEOPLE = [
    Row("head@oak.example", "Hana Head", "staff", "All Staff;Leadership", title="Headteacher"),
    Row("dsl@oak.example", "Dee Lead", "staff", "All Staff", "head@oak.example", title="DSL"),
    Row("deputy@oak.example", "Dan Deputy", "staff", "All Staff", "head@oak.example"),
    Row("amy@oak.example", "Amy Able", "staff", "All Staff", "dsl@oak.example", title="Office"),
    Row("ben@oak.example", "Ben Brook", "staff", "All Staff", "dsl@oak.example", title="Year 4"),
    Row("gov@oak.example", "Gail Gov", "governor", "Governors"),
    Row("admin@oak.example", "Adam Admin", "staff", "All Staff", title="Office manager"),
]
WHO = {
    "head": "head@oak.example",
    "dsl": "dsl@oak.example",
    "deputy": "deputy@oak.example",
    "staff": "amy@oak.example",
    "ben": "ben@oak.example",
    "governor": "gov@oak.example",
    "admin": "admin@oak.example",
}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
TERMS = [
    {"name": "Autumn 1", "start": "2026-09-02", "end": "2026-10-23"},
    {"name": "Autumn 2", "start": "2026-11-02", "end": "2026-12-18"},
    {"name": "Spring 1", "start": "2027-01-05", "end": "2027-02-12"},
    {"name": "Spring 2", "start": "2027-02-22", "end": "2027-03-26"},
    {"name": "Summer 1", "start": "2027-04-12", "end": "2027-05-28"},
    {"name": "Summer 2", "start": "2027-06-07", "end": "2027-07-21"},
]


def configure(builder: SchoolBuilder, **school: Any) -> SchoolBuilder:
    """Distinct holders of every role; extra school keys override."""
    builder.people = list(PEOPLE)
    builder.school = {
        "id": "oak",
        "name": "Oak Test School",
        "headteacher": "head@oak.example",
        "dsl": ["dsl@oak.example"],
        "deputy_dsl": ["deputy@oak.example"],
        "admins": ["admin@oak.example"],
        "policies": [],
        "requirements": [],
        **school,
    }
    return builder


def csrf_of(html: str) -> str:
    """The CSRF token in a rendered page."""
    found = CSRF.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def sign_in(client: TestClient, who: str) -> None:
    """Demo-mode sign-in."""
    token = csrf_of(client.get("/signin").text)
    response = client.post(
        "/signin", data={"email": WHO.get(who, who), "csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303, response.text


@dataclass
class Env:
    """A migrated school, its app and shortcuts."""

    context: AppContext
    app: Any
    builder: SchoolBuilder

    @property
    def school(self) -> Any:
        """The school's configuration."""
        return self.context.config.school("oak")

    def client(self, who: str | None = None) -> TestClient:
        """A web client, signed in as ``who`` (a WHO key or an email) or anonymous."""
        client = TestClient(self.app)
        if who is not None:
            sign_in(client, who)
        return client

    def outbox(self, purpose: str | None = None) -> list[OutboxMessage]:
        """Outbox rows, oldest first, each with its whole payload as sent."""
        return outbox_as_sent(self.context.store, purpose)

    def audit(self, prefix: str = "") -> list[AuditEvent]:
        """Audit events whose action starts with ``prefix``."""
        with self.context.store.session() as session:
            return [
                e
                for e in session.scalars(select(AuditEvent).order_by(AuditEvent.seq))
                if e.action.startswith(prefix)
            ]


def record_welsh_decision(head: TestClient, decided_on: date, review_on: date) -> None:
    """The headteacher records a decision about a pupil in Welsh on the register's form, as
    who decided (the form offers them): the one the Welsh-language tests read back."""
    page = head.get("/decisions/new").text
    decider = re.search(r'<option value="(\d+)" selected>', page)
    assert decider is not None, "the form offers the head as who decided"
    head.post(
        "/decisions/new",
        data={
            "csrf_token": csrf_of(page),
            "kind": "relationship",
            "subject_type": "pupil",
            "pupil_initials": "JS",
            "pupil_year": "Year 3",
            "decision": "Mae'n perthyn i ddisgybl",
            "reasons": "Mae'r teulu'n ffrindiau",
            "decided_by_id": decider.group(1),
            "decided_on": decided_on.isoformat(),
            "review_on": review_on.isoformat(),
        },
    )


def sync_people(context: AppContext, today: date) -> None:
    """Load the directory and the configuration into the store."""
    with context.store.transaction() as session:
        for school in context.config.schools:
            sync_directory(
                session, school, context.connectors.directory, today, default_school=True
            )
            sync_config(session, context.config, school, today)


def make_env(
    builder: SchoolBuilder,
    database_url: str | None = None,
    today: date = date(2026, 11, 23),
    base_url: str = "http://testserver",
    **school: Any,
) -> Env:
    """Build the school, migrate, load people, create the app (demo sign-in)."""
    from bot.web.app import create_app

    configure(builder, **school)
    context = builder.context(database_url, demo=True, base_url=base_url)
    sync_people(context, today)
    return Env(context=context, app=create_app(context.settings, context), builder=builder)


@pytest.fixture(name="env")
def env_fixture(school: SchoolBuilder) -> Iterator[Env]:
    """A ready school on SQLite, whose links point at the test server."""
    made = make_env(school)
    made.context.settings = made.context.settings.model_copy(
        update={"base_url": "http://testserver"}
    )
    yield made
    made.context.store.dispose()


def emails(folder: Path) -> list[EmailMessage]:
    """The .eml files the local mailer wrote, oldest first."""
    out = []
    for path in sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        out.append(message)
    return out


def text_of(message: EmailMessage) -> str:
    """The plain-text part."""
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def html_of(message: EmailMessage) -> str:
    """The HTML part."""
    part = message.get_body(("html",))
    assert part is not None
    return str(part.get_content())


def jpeg_with_exif() -> bytes:
    """A small JPEG carrying EXIF (camera make, GPS) and a comment."""
    from PIL import Image

    image = Image.new("RGB", (40, 30), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam Ltd"
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, comment=b"taken at 12 Secret Road")
    return out.getvalue()


PDF = pdf_document()  # a real (tiny) PDF: uploads are parsed with pypdf
