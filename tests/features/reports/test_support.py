"""Shared set-up for the report tests: a school with every role, a web client per person."""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import select

from bot.core.deployment.context import AppContext
from bot.core.models import OutboxMessage, Report
from bot.engine.config_sync import sync_config
from bot.engine.directory import sync_directory
from bot.features.reports.intake import link_token, submit_report
from bot.features.reports.submission import Submission
from tests.support.helpers import Row, SchoolBuilder, outbox_as_sent
from tests.support.pdfs import pdf_document

with warnings.catch_warnings():
    # starlette warns (as a UserWarning) that it prefers httpx2; the pyproject filter only
    # covers DeprecationWarning, so keep the import quiet here
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

PEOPLE = [
    Row("head@oak.example", "Hana Head", "staff", "All Staff;Leadership", title="Headteacher"),
    Row("dsl@oak.example", "Dee Lead", "staff", "All Staff", title="DSL"),
    Row("deputy@oak.example", "Dan Deputy", "staff", "All Staff", title="Deputy DSL"),
    Row("amy@oak.example", "Amy Able", "staff", "All Staff", title="Teacher"),
    Row("gov@oak.example", "Gail Gov", "governor", "Governors"),
    Row("chair@oak.example", "Cary Chair", "governor", "Governors"),
    Row("dpo@oak.example", "Dora Data", "staff", "All Staff", title="Business manager"),
    Row("admin@oak.example", "Adam Admin", "staff", "All Staff", title="Office"),
]
ROLE_EMAILS = {
    "staff": "amy@oak.example",
    "governor": "gov@oak.example",
    "dsl": "dsl@oak.example",
    "deputy": "deputy@oak.example",
    "head": "head@oak.example",
    "chair": "chair@oak.example",
    "admin": "admin@oak.example",
}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
REF = re.compile(r"CR-\d{4}-[A-Z0-9]{4,6}\b")


def configure(builder: SchoolBuilder, **reports_settings: Any) -> SchoolBuilder:
    """Give the builder's school distinct holders of every role."""
    builder.people = list(PEOPLE)
    builder.school = {
        "id": "oak",
        "name": "Oak Test School",
        "headteacher": "head@oak.example",
        "dsl": ["dsl@oak.example"],
        "deputy_dsl": ["deputy@oak.example"],
        "dpo": "dpo@oak.example",
        "chair_of_governors": "chair@oak.example",
        "admins": ["admin@oak.example"],
        "policies": [],
        "requirements": [],
        "reports": {"allow_anonymous": True, "triage_school_days": 1, **reports_settings},
    }
    return builder


def sync_people(context: AppContext, today: date = date(2026, 10, 19)) -> None:
    """Load the directory and config roles into the store."""
    config = context.config
    with context.store.transaction() as session:
        for school in config.schools:
            sync_directory(
                session, school, context.connectors.directory, today, default_school=True
            )
            sync_config(session, config, school, today)


def csrf_of(html: str) -> str:
    """The CSRF token in a rendered page."""
    found = CSRF.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def sign_in(client: TestClient, email: str) -> None:
    """Demo-mode sign-in as ``email``."""
    token = csrf_of(client.get("/signin").text)
    response = client.post(
        "/signin", data={"email": email, "csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303, response.text


@dataclass
class Env:
    """A migrated school, its app and helpers."""

    context: AppContext
    app: Any
    builder: SchoolBuilder

    @property
    def school(self) -> Any:
        """The school's configuration."""
        return self.context.config.school("oak")

    def client(self, who: str | None = None, **kwargs: Any) -> TestClient:
        """A client, signed in as a role name from ROLE_EMAILS (or anonymous)."""
        client = TestClient(self.app, **kwargs)
        if who is not None:
            sign_in(client, ROLE_EMAILS.get(who, who))
        return client

    @property
    def public_path(self) -> str:
        """The school's public report link path."""
        key = self.context.settings.signing_key()
        return f"/report/oak/{link_token(key, 'oak')}"

    def submit(
        self,
        client: TestClient,
        path: str | None = None,
        files: list[tuple[str, tuple[str, bytes, str]]] | None = None,
        **fields: Any,
    ) -> Any:
        """POST the report form with sensible defaults overridden by ``fields``."""
        target = path or self.public_path
        token = csrf_of(client.get(target).text)
        data: dict[str, Any] = {
            "csrf_token": token,
            "category": "cyberbullying",
            "involved": ["pupil"],
            "what_happened": "Messages were sent in a group chat.",
            "occurred": "Monday lunchtime",
            "location": "Online",
            "reporter_name": "Pat Parent",
            "reporter_relationship": "parent",
        }
        data.update({k: v for k, v in fields.items() if v is not None})
        for key in [k for k, v in fields.items() if v is None]:
            data.pop(key, None)
        return client.post(target, data=data, files=files or None, follow_redirects=False)

    def outbox(self, purpose: str | None = None) -> list[OutboxMessage]:
        """Outbox rows, oldest first, each with its whole payload as sent."""
        return outbox_as_sent(self.context.store, purpose)

    def report(self, reference: str) -> Report:
        """A stored report by reference."""
        with self.context.store.session() as session:
            found = session.scalar(select(Report).where(Report.reference == reference))
            assert found is not None
            _ = found.entries, found.clocks
            return found

    def store_report(self, sub: Submission, now: datetime, **kwargs: Any) -> str:
        """Store a report directly (domain level) and return its reference."""
        with self.context.store.transaction() as session:
            intake = submit_report(
                session,
                self.school,
                sub,
                now=now,
                base_url="http://testserver",
                actor="test",
                uploads_dir=self.context.settings.uploads_dir,
                **kwargs,
            )
        return intake.reference


def submission(**overrides: Any) -> Submission:
    """A valid submission with overrides."""
    values: dict[str, Any] = {
        "category": "cyberbullying",
        "involved": (("pupil", "Sam (Year 5)"),),
        "what_happened": "Unkind messages in a group chat.",
        "occurred": "Yesterday",
        "location": "Online",
        "actions_taken": None,
        "reporter_name": "Pat Parent",
        "reporter_email": "pat@home.example",
    }
    values.update(overrides)
    return Submission(**values)


def make_env(
    builder: SchoolBuilder, database_url: str | None = None, **reports_settings: Any
) -> Env:
    """Build the school, migrate, load people, create the app."""
    from bot.web.app import create_app

    configure(builder, **reports_settings)
    context = builder.context(database_url, demo=True, base_url="http://testserver")
    sync_people(context)
    app = create_app(context.settings, context)
    return Env(context=context, app=app, builder=builder)


@pytest.fixture(name="env")
def env_fixture(school: SchoolBuilder) -> Iterator[Env]:
    """A ready school (SQLite)."""
    made = make_env(school)
    yield made
    made.context.store.dispose()


def jpeg_with_exif() -> bytes:
    """A small JPEG carrying EXIF with a GPS block and a comment."""
    from PIL import Image

    image = Image.new("RGB", (40, 30), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam Ltd"  # Make
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0)}  # GPS
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, comment=b"taken at 12 Secret Road")
    return out.getvalue()


def png_bytes() -> bytes:
    """A tiny PNG with a text chunk."""
    from PIL import Image, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Secret Person")
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (0, 100, 0)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


PDF = pdf_document()  # a real (tiny) PDF: uploads are parsed with pypdf
